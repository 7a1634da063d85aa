#!/usr/bin/env bash
# Runs "$@" with a `protoc` first on PATH that fails: proves the build needs no
# system protobuf compiler (a newcomer's `make run` has none).
set -euo pipefail
dir=$(mktemp -d /tmp/ferro-no-protoc.XXXXXX)
trap 'rm -rf "$dir"' EXIT
printf '#!/bin/sh\necho "protoc was called, but the build must not need it" >&2\nexit 1\n' > "$dir/protoc"
chmod +x "$dir/protoc"
unset PROTOC
PATH="$dir:$PATH" "$@"
