#!/usr/bin/env bash
# `make bench`: the image service. A release `ferrostack up` on free ports; then
#  - a 2 GiB raw image uploaded and downloaded with curl over loopback, nothing
#    pinned (upload hashing needs md5 and sha512 on every byte: ~640 MB/s per core
#    each here, per `openssl speed`): MB/s each way, and the image process's peak RSS
#    before and after (its growth is what the transfer cost in memory);
#  - dd writing (with fsync) and reading 2 GiB in the same directory, the disk's
#    own figures to compare with;
#  - 1,000 images listed with wrk (default page of 25, and limit=1000), every image
#    thread pinned to CPU 0 and wrk to CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${SIZE_MIB:-2048}
DURATION=${DURATION:-10}
OFFSET=${BENCH_PORT_OFFSET:-20000}
command -v wrk > /dev/null || { echo "wrk is not installed (scripts/deps.sh)" >&2; exit 1; }
cargo build --release -q --bins

dir=$(mktemp -d /var/tmp/ferro-bench-image.XXXXXX)
cleanup() { [ -n "${up:-}" ] && kill "$up" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
OS_PASSWORD=bench ./target/release/ferrostack up --data-dir "$dir/data" --port-offset "$OFFSET" \
  > "$dir/up.log" 2>&1 &
up=$!
for _ in $(seq 300); do [ -f "$dir/data/clouds.yaml" ] && break; sleep 0.1; done
[ -f "$dir/data/clouds.yaml" ] || { cat "$dir/up.log" >&2; exit 1; }
image_pid=$(pgrep -P "$up" -f ferrostack-image)
identity=http://127.0.0.1:$((5000 + OFFSET))
url=http://127.0.0.1:$((9292 + OFFSET))

body='{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"bench"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}'
token=$(curl -si -H 'Content-Type: application/json' -d "$body" "$identity/v3/auth/tokens" | tr -d '\r' | awk 'tolower($1)=="x-subject-token:" {print $2}')
[ -n "$token" ] || { echo "no token" >&2; exit 1; }
create() {
  curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$1\",\"disk_format\":\"raw\",\"container_format\":\"bare\"}" "$url/v2/images" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
hwm() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$image_pid/status"; }
mbps() { awk -v mib="$SIZE_MIB" -v s="$1" 'BEGIN {printf "%.0f", mib * 1048576 / s / 1e6}'; }

# Real (not sparse) data, in the page cache: reading a sparse file costs curl a kernel
# memset of every page, a core's worth here.
{ openssl enc -aes-128-ctr -pass pass:ferrostack -nosalt -pbkdf2 < /dev/zero 2> /dev/null || true; } |
  head -c "${SIZE_MIB}M" > "$dir/source.raw"
id=$(create big)
before=$(hwm)
up_s=$(curl -sf -o /dev/null -w '%{time_total}' -X PUT -H "X-Auth-Token: $token" \
  -H 'Content-Type: application/octet-stream' -T "$dir/source.raw" "$url/v2/images/$id/file")
after_up=$(hwm)
down_s=$(curl -sf -o /dev/null -w '%{time_total}' -H "X-Auth-Token: $token" "$url/v2/images/$id/file")
after_down=$(hwm)
dd_w=$(dd if=/dev/zero of="$dir/dd.bin" bs=1M count="$SIZE_MIB" conv=fsync 2>&1 | awk '/copied/ {print $(NF-1), $NF}')
dd_r=$(dd if="$dir/dd.bin" of=/dev/null bs=1M 2>&1 | awk '/copied/ {print $(NF-1), $NF}')
rm -f "$dir/dd.bin"

echo "image: ${SIZE_MIB} MiB over loopback with curl, SQLite, file store"
printf '| %-34s | %12s |\n' measure value
printf '|%s|%s|\n' "------------------------------------" "--------------"
printf '| %-34s | %9s MB/s |\n' "upload (md5 + sha512 + fsync)" "$(mbps "$up_s")"
printf '| %-34s | %9s MB/s |\n' "download" "$(mbps "$down_s")"
printf '| %-34s | %12s |\n' "dd write + fsync, same disk" "$dd_w"
printf '| %-34s | %12s |\n' "dd read, same disk" "$dd_r"
printf '| %-34s | %8s MiB |\n' "peak RSS before" "$before"
printf '| %-34s | %8s MiB |\n' "peak RSS after upload" "$after_up"
printf '| %-34s | %8s MiB |\n' "peak RSS after download" "$after_down"

for i in $(seq 999); do create "list-$i" > /dev/null; done
taskset -apc 0 "$image_pid" > /dev/null
run() {
  local best=0 out rps
  for _ in 1 2 3; do
    out=$(taskset -c 1 wrk -t1 -c8 -d"${DURATION}s" --timeout 30s -H "X-Auth-Token: $token" "$1")
    rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
    grep -q "Non-2xx" <<< "$out" && rps="$rps (non-2xx!)"
    awk -v a="${rps%% *}" -v b="$best" 'BEGIN {exit !(a > b)}' && best=$rps
  done
  printf '| %-34s | %12s |\n' "$2" "$best"
}
echo
echo "list with 1,000 images, wrk 8 connections on CPU 1, best of 3 x ${DURATION}s"
printf '| %-34s | %12s |\n' scenario req/s
printf '|%s|%s|\n' "------------------------------------" "--------------"
run "$url/v2/images" "GET /v2/images (25 per page)"
run "$url/v2/images?limit=1000" "GET /v2/images?limit=1000"
echo
echo "image RSS after the runs: $(awk '/VmRSS/ {print int($2/1024)}' "/proc/$image_pid/status") MiB (peak $(hwm) MiB)"
