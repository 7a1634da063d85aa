#!/usr/bin/env bash
# Runs suites at the same time: each argument is "name=shell command". Every output
# line is prefixed with its suite's name; when all have ended, prints how each ended
# and how long it took, and fails when any failed.
set -uo pipefail
names=()
pids=()
for arg in "$@"; do
  name=${arg%%=*}
  command=${arg#*=}
  (
    set -o pipefail
    start=$SECONDS
    bash -c "$command" 2>&1 | sed -u "s/^/[$name] /"
    rc=$?
    echo "$rc $((SECONDS - start))" > "${TMPDIR:-/tmp}/side-by-side.$$.$name"
    exit "$rc"
  ) &
  names+=("$name")
  pids+=("$!")
done
failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed=1
  read -r rc took < "${TMPDIR:-/tmp}/side-by-side.$$.${names[$i]}" || { rc=?; took=?; }
  rm -f "${TMPDIR:-/tmp}/side-by-side.$$.${names[$i]}"
  if [ "$rc" = 0 ]; then result=passed; else result="FAILED (exit $rc)"; fi
  echo "== ${names[$i]}: $result in ${took} s"
done
exit "$failed"
