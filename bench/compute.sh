#!/usr/bin/env bash
# `make bench`: compute on the fake driver. A release `ferrostack up` whose
# compute process simulates $HOSTS hosts ([fake] hosts); $COUNT servers booted
# through the API with 16 requests in flight until all are ACTIVE, then deleted
# until all are gone (servers per second each way); servers/detail with
# $DETAIL servers (a page of 1,000, wrk for 5 s); the compute process's RSS;
# and the scheduler's decision time among 1,000 hosts (examples/scheduler_bench).
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-1000}
COUNT=${COUNT:-1000}
DETAIL=${DETAIL:-10000}
OFFSET=${BENCH_PORT_OFFSET:-24000}
cargo build --release -q --bins
cargo build --release -q -p ferrostack-compute --example scheduler_bench

dir=$(mktemp -d /var/tmp/ferro-bench-compute.XXXXXX)
cleanup() { [ -n "${up:-}" ] && kill "$up" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cat > "$dir/extra.conf" <<CONF
[fake]
hosts = $HOSTS
vcpus = 64
memory_mb = 262144
local_gb = 4096

[quota]
instances = -1
cores = -1
ram = -1
CONF
OS_PASSWORD=bench ./target/release/ferrostack up --data-dir "$dir/data" --port-offset "$OFFSET" \
  --config-file "$dir/extra.conf" > "$dir/up.log" 2>&1 &
up=$!
for _ in $(seq 300); do [ -f "$dir/data/clouds.yaml" ] && break; sleep 0.1; done
[ -f "$dir/data/clouds.yaml" ] || { cat "$dir/up.log" >&2; exit 1; }
python3 bench/compute_load.py "$((5000 + OFFSET))" "$HOSTS" "$COUNT" "$DETAIL" "$dir" "$up"
./target/release/examples/scheduler_bench
