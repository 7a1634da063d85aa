#!/usr/bin/env bash
# Runs a command with every backend started (scripts/backends.sh) and FERRO_TEST_*
# pointing at them, in a RabbitMQ virtual host of its own that is deleted afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
env_file=$(bash scripts/backends.sh start)
# shellcheck disable=SC1090
source "$env_file"
vhost="ferro-run-$$-$RANDOM"
$FERRO_TEST_RABBITMQCTL add_vhost "$vhost" > /dev/null
$FERRO_TEST_RABBITMQCTL set_permissions -p "$vhost" guest '.*' '.*' '.*' > /dev/null
trap '$FERRO_TEST_RABBITMQCTL delete_vhost "$vhost" > /dev/null || true' EXIT
export FERRO_TEST_RABBIT_URL="${FERRO_TEST_RABBIT_URL%/}/$vhost"
"$@"
