#!/usr/bin/env bash
# `make bench`: the all-in-one as users run it. `ferrostack up` on a fresh data
# directory, its whole process tree pinned to CPU 0, wrk on CPU 1 with 8
# connections for $DURATION seconds per case, best of $RUNS. Validation checks a
# second user's token with the admin's (two distinct tokens, as services do), and
# again over 10,000 distinct tokens (every one validated once per pass).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5}
RUNS=${RUNS:-3}
OFFSET=${BENCH_PORT_OFFSET:-20000}
PROFILE=${PROFILE:-release}
BIN_DIR_GIVEN=${BIN_DIR:-}
BIN_DIR=${BIN_DIR:-./target/$PROFILE}
command -v wrk > /dev/null || { echo "wrk is not installed (scripts/deps.sh)" >&2; exit 1; }
[ -n "${BIN_DIR_GIVEN:-}" ] || cargo build --profile "$PROFILE" -q --bins

dir=$(mktemp -d /tmp/ferro-bench.XXXXXX)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
OS_PASSWORD=bench taskset -c 0 "$BIN_DIR/ferrostack" up --data-dir "$dir/data" --port-offset "$OFFSET" \
  > "$dir/up.log" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q "cloud up" "$dir/up.log" && break; sleep 0.1; done
grep -q "cloud up" "$dir/up.log" || { echo "the cloud did not come up; see $dir/up.log" >&2; cat "$dir/up.log" >&2; exit 1; }
url=http://127.0.0.1:$((5000 + OFFSET))

login() {
  curl -si -H 'Content-Type: application/json' -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$1\",\"domain\":{\"id\":\"default\"},\"password\":\"$2\"}}},\"scope\":{\"project\":{\"name\":\"$3\",\"domain\":{\"id\":\"default\"}}}}}" \
    "$url/v3/auth/tokens" | tr -d '\r' | awk 'tolower($1)=="x-subject-token:" {print $2}'
}
token=$(login admin bench admin)
[ -n "$token" ] || { echo "could not get a token" >&2; exit 1; }
api() { curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' "$@"; }
project=$(api -d '{"project":{"name":"bench-user-project"}}' "$url/v3/projects" | python3 -c 'import json,sys; print(json.load(sys.stdin)["project"]["id"])')
user=$(api -d "{\"user\":{\"name\":\"bench-user\",\"password\":\"bench-user-pw\",\"default_project_id\":\"$project\"}}" "$url/v3/users" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["id"])')
member=$(api "$url/v3/roles?name=member" | python3 -c 'import json,sys; print(json.load(sys.stdin)["roles"][0]["id"])')
api -X PUT "$url/v3/projects/$project/users/$user/roles/$member"
for i in $(seq 19); do api -o /dev/null -d "{\"project\":{\"name\":\"bench-$i\"}}" "$url/v3/projects"; done
subject=$(login bench-user bench-user-pw bench-user-project)
[ -n "$subject" ] || { echo "could not get the user's token" >&2; exit 1; }

# 10,000 distinct tokens of the user, made by re-scoping (cheap, no bcrypt).
rescope_body="{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":\"$subject\"}},\"scope\":{\"project\":{\"id\":\"$project\"}}}}"
python3 - "$url" "$subject" "$rescope_body" "$dir/tokens" <<'PY'
import sys, urllib.request
url, token, body, out = sys.argv[1:]
with open(out, "w") as f:
    for _ in range(10000):
        req = urllib.request.Request(url + "/v3/auth/tokens", data=body.encode(), method="POST",
                                     headers={"X-Auth-Token": token, "Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            f.write(r.headers["X-Subject-Token"] + "\n")
PY
cat > "$dir/many.lua" <<LUA
local tokens = {}
for line in io.lines("$dir/tokens") do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", nil, {["X-Auth-Token"] = "$token", ["X-Subject-Token"] = tokens[i]})
end
LUA
printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/json"\n' \
  "{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":\"$token\"}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}" > "$dir/rescope.lua"

run() {
  local name=$1; shift
  local best="" best_rps=0 out rps
  for _ in $(seq "$RUNS"); do
    out=$(taskset -c 1 wrk -t1 -c8 -d"${DURATION}s" --timeout 30s --latency "$@")
    rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
    if awk -v a="$rps" -v b="$best_rps" 'BEGIN {exit !(a > b)}'; then best=$out; best_rps=$rps; fi
  done
  local p50 p99
  p50=$(awk '$1=="50%" {print $2}' <<< "$best")
  p99=$(awk '$1=="99%" {print $2}' <<< "$best")
  if grep -q "Non-2xx" <<< "$best"; then name="$name (non-2xx!)"; fi
  printf '| %-32s | %10s | %8s | %8s |\n' "$name" "$best_rps" "$p50" "$p99"
}

echo "ferrostack up ($PROFILE) on 1 pinned core, wrk 8 connections, best of $RUNS x ${DURATION}s per scenario"
printf '| %-32s | %10s | %8s | %8s |\n' scenario req/s p50 p99
printf '|%s|%s|%s|%s|\n' "----------------------------------" "------------" "----------" "----------"
run "discovery" "$url/"
run "token validate" -H "X-Auth-Token: $token" -H "X-Subject-Token: $subject" "$url/v3/auth/tokens"
run "token validate (10,000 tokens)" -s "$dir/many.lua" "$url/v3/auth/tokens"
run "catalog" -H "X-Auth-Token: $token" "$url/v3/auth/catalog"
run "project list (21 projects)" -H "X-Auth-Token: $token" "$url/v3/projects"
run "token issue (re-scope)" -s "$dir/rescope.lua" "$url/v3/auth/tokens"
echo
for p in $(pgrep -P "$pid"); do
  printf '%s RSS %s MiB\n' "$(basename "$(readlink "/proc/$p/exe")")" "$(( $(awk '/VmRSS/ {print $2}' "/proc/$p/status") / 1024 ))"
done
