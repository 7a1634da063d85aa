#!/usr/bin/env bash
# `make bench`: network on the noop data plane. A release `ferrostack up`
# (network quotas off); $COUNT ports created through the API with 16 requests
# in flight, then deleted (ports per second each way); $BOUND ports bound to
# the agent's host until all are ACTIVE (the server → agent → server loop);
# the ports list with $LISTED ports (a page of 1,000 and the whole list, wrk
# for 5 s each); the network process's RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-1000}
BOUND=${BOUND:-1000}
LISTED=${LISTED:-10000}
OFFSET=${BENCH_PORT_OFFSET:-25000}
command -v wrk > /dev/null || { echo "wrk is not installed (scripts/deps.sh)" >&2; exit 1; }
cargo build --release -q --bins

dir=$(mktemp -d /var/tmp/ferro-bench-network.XXXXXX)
cleanup() { [ -n "${up:-}" ] && kill "$up" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cat > "$dir/extra.conf" <<CONF
[quotas]
quota_network = -1
quota_subnet = -1
quota_port = -1
CONF
OS_PASSWORD=bench ./target/release/ferrostack up --data-dir "$dir/data" --port-offset "$OFFSET" \
  --config-file "$dir/extra.conf" > "$dir/up.log" 2>&1 &
up=$!
for _ in $(seq 300); do [ -f "$dir/data/clouds.yaml" ] && break; sleep 0.1; done
[ -f "$dir/data/clouds.yaml" ] || { cat "$dir/up.log" >&2; exit 1; }
python3 bench/network_load.py "$((5000 + OFFSET))" "$COUNT" "$BOUND" "$LISTED" "$up"
