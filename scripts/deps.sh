#!/usr/bin/env bash
# Installs what the tests need, only when missing: Debian packages (the backends,
# wrk, qemu-img, tgt) and cargo-nextest. The build itself needs none of them (no
# protoc: protox compiles the .proto files).
set -euo pipefail
packages=(python3-venv rabbitmq-server mariadb-server postgresql memcached wrk qemu-utils qemu-block-extra tgt)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  # Never let apt start daemons: the test scripts start what they need themselves.
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
command -v cargo-nextest > /dev/null || cargo install --locked cargo-nextest
