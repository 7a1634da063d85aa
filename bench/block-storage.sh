#!/usr/bin/env bash
# `make bench`: block storage. A release `ferrostack up` on free ports (file driver,
# SQLite, in-process bus); 200 volumes created through the API until all are
# available, then deleted until all are gone: volumes per second each way. Then
# a 1 GiB image of real data made into a raw volume, the volume uploaded back to
# an image, migrated to the qcow2 backend, backed up (full and incremental) and
# restored (seconds, MiB/s). Then the
# scheduler's decision time among 1,000 simulated backends.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-200}
OFFSET=${BENCH_PORT_OFFSET:-22000}
cargo build --release -q --bins
cargo build --release -q -p ferrostack-block-storage --example scheduler_bench

dir=$(mktemp -d /var/tmp/ferro-bench-volumes.XXXXXX)
cleanup() { [ -n "${up:-}" ] && kill "$up" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
OS_PASSWORD=bench ./target/release/ferrostack up --data-dir "$dir/data" --port-offset "$OFFSET" \
  > "$dir/up.log" 2>&1 &
up=$!
for _ in $(seq 300); do [ -f "$dir/data/clouds.yaml" ] && break; sleep 0.1; done
[ -f "$dir/data/clouds.yaml" ] || { cat "$dir/up.log" >&2; exit 1; }
identity=http://127.0.0.1:$((5000 + OFFSET))
body='{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"bench"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}'
token=$(curl -si -H 'Content-Type: application/json' -d "$body" "$identity/v3/auth/tokens" | tr -d '\r' | awk 'tolower($1)=="x-subject-token:" {print $2}')
project=$(curl -s -H "X-Auth-Token: $token" "$identity/v3/auth/tokens" -H "X-Subject-Token: $token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["project"]["id"])')
url=http://127.0.0.1:$((8776 + OFFSET))/v3/$project
curl -sf -X PUT -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d "{\"quota_set\":{\"volumes\":-1,\"gigabytes\":-1}}" "$url/os-quota-sets/$project" > /dev/null

count_status() {
  curl -sf -H "X-Auth-Token: $token" "$url/volumes/detail" |
    python3 -c "import json,sys; print(sum(1 for v in json.load(sys.stdin)['volumes'] if v['status']=='$1'))"
}
count_all() {
  curl -sf -H "X-Auth-Token: $token" "$url/volumes" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["volumes"]))'
}
now() { date +%s.%N; }

started=$(now)
seq "$COUNT" | xargs -P 16 -I{} curl -sf -o /dev/null -H "X-Auth-Token: $token" \
  -H 'Content-Type: application/json' -d '{"volume":{"size":1,"name":"bench-{}"}}' "$url/volumes"
until [ "$(count_status available)" -ge "$COUNT" ]; do sleep 0.1; done
created=$(now)
ids=$(curl -sf -H "X-Auth-Token: $token" "$url/volumes" | python3 -c 'import json,sys; print(" ".join(v["id"] for v in json.load(sys.stdin)["volumes"]))')
tr ' ' '\n' <<< "$ids" | xargs -P 16 -I{} curl -sf -o /dev/null -X DELETE -H "X-Auth-Token: $token" "$url/volumes/{}"
until [ "$(count_all)" -eq 0 ]; do sleep 0.1; done
deleted=$(now)
awk -v n="$COUNT" -v s="$started" -v c="$created" -v d="$deleted" 'BEGIN {
  printf "block storage: %d volumes of 1 GiB (file driver: raw and qcow2 backends), 16 requests in flight\n", n
  printf "| %-30s | %12s |\n", "measure", "value"
  printf "|%s|%s|\n", "--------------------------------", "--------------"
  printf "| %-30s | %8.1f /s  |\n", "create until available", n / (c - s)
  printf "| %-30s | %8.1f /s  |\n", "delete until gone", n / (d - c)
}'

# A 1 GiB raw image of random data, to a volume and back.
image_url=http://127.0.0.1:$((9292 + OFFSET))/v2/images
head -c 1073741824 /dev/urandom > "$dir/image.raw"
image=$(curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d '{"name":"bench-image","disk_format":"raw","container_format":"bare"}' "$image_url" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf -X PUT -H "X-Auth-Token: $token" -H 'Content-Type: application/octet-stream' \
  -T "$dir/image.raw" "$image_url/$image/file"
rm -f "$dir/image.raw"
volume_status() {
  curl -sf -H "X-Auth-Token: $token" "$url/volumes/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["volume"]["status"])'
}
image_status() {
  curl -sf -H "X-Auth-Token: $token" "$image_url/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'
}
curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d '{"volume_type":{"name":"bench-raw","extra_specs":{"volume_backend_name":"file"}}}' "$url/types" > /dev/null
started=$(now)
volume=$(curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d "{\"volume\":{\"size\":1,\"imageRef\":\"$image\",\"volume_type\":\"bench-raw\"}}" "$url/volumes" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["volume"]["id"])')
until [ "$(volume_status "$volume")" = available ]; do sleep 0.05; done
from_image=$(now)
uploaded=$(curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d '{"os-volume_upload_image":{"image_name":"bench-upload"}}' "$url/volumes/$volume/action" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["os-volume_upload_image"]["image_id"])')
until [ "$(image_status "$uploaded")" = active ]; do sleep 0.05; done
to_image=$(now)
# The bench-raw type pins the volume to `file`; migrating it needs the default type.
curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d '{"os-retype":{"new_type":"__DEFAULT__"}}' "$url/volumes/$volume/action"
until [ "$(volume_status "$volume")" = available ]; do sleep 0.05; done
host=$(curl -sf -H "X-Auth-Token: $token" "$url/volumes/$volume" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["volume"]["os-vol-host-attr:host"].split("@")[0])')
migrated_started=$(now)
curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d "{\"os-migrate_volume\":{\"host\":\"$host@qcow2\"}}" "$url/volumes/$volume/action"
until curl -sf -H "X-Auth-Token: $token" "$url/volumes/$volume" |
  python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["volume"]["os-vol-mig-status-attr:migstat"] != "success")'; do
  sleep 0.05
done
migrated=$(now)
awk -v s="$started" -v f="$from_image" -v t="$to_image" -v ms="$migrated_started" -v m="$migrated" 'BEGIN {
  printf "| %-30s | %6.2f s %5.0f MiB/s |\n", "1 GiB image to volume", f - s, 1024 / (f - s)
  printf "| %-30s | %6.2f s %5.0f MiB/s |\n", "1 GiB volume to image", t - f, 1024 / (t - f)
  printf "| %-30s | %6.2f s %5.0f MiB/s |\n", "1 GiB migrate raw -> qcow2", m - ms, 1024 / (m - ms)
}'
# That volume (1 GiB of random data) backed up, backed up again incrementally
# (nothing changed), and restored into a new volume.
backup_status() {
  curl -sf -H "X-Auth-Token: $token" "$url/backups/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["backup"]["status"])'
}
backup() {
  local id
  id=$(curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
    -d "{\"backup\":{\"volume_id\":\"$volume\",\"incremental\":$1}}" "$url/backups" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["backup"]["id"])')
  until [ "$(backup_status "$id")" = available ]; do sleep 0.05; done
  echo "$id"
}
backup_started=$(now)
backup false > /dev/null
backed_up=$(now)
incremental=$(backup true)
incremented=$(now)
restored=$(curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d '{"restore":{}}' "$url/backups/$incremental/restore" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["restore"]["volume_id"])')
until [ "$(volume_status "$restored")" = available ]; do sleep 0.05; done
restored_at=$(now)
repository=$(du -sm "$dir/data/block-storage/backup" 2>/dev/null | cut -f1)
awk -v s="$backup_started" -v b="$backed_up" -v i="$incremented" -v r="$restored_at" -v m="${repository:-0}" 'BEGIN {
  printf "| %-30s | %6.2f s %5.0f MiB/s |\n", "1 GiB backup (full, zlib)", b - s, 1024 / (b - s)
  printf "| %-30s | %6.2f s %5.0f MiB/s |\n", "1 GiB backup (incremental)", i - b, 1024 / (i - b)
  printf "| %-30s | %6.2f s %5.0f MiB/s |\n", "1 GiB restore (chain of 2)", r - i, 1024 / (r - i)
  printf "| %-30s | %9d MiB       |\n", "repository after both", m
}'
./target/release/examples/scheduler_bench
