#!/usr/bin/env bash
# Installs what the tests need, only when missing: Debian packages (procps for the
# compute agent's `uptime`; iproute2, dnsmasq, nftables, iptables, ping and busybox's
# udhcpc for the network agent's bridges, DHCP, routers, security groups and their
# traffic tests; the backends, wrk, qemu-img, tgt, chromium for the dashboard test)
# and cargo-nextest. The build itself needs none of them (no protoc: protox compiles
# the .proto files).
set -euo pipefail
packages=(python3-venv procps openssl iproute2 iputils-ping dnsmasq-base busybox nftables iptables rabbitmq-server mariadb-server postgresql memcached wrk tgt chromium chromium-driver)
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

# qemu-img and its iSCSI module (qemu-block-extra) must be one qemu version. A
# machine may ship a qemu-utils newer than its apt sources offer (a backport):
# installing qemu-block-extra beside it would remove it. Take both from apt then.
version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
if [ -z "$(version qemu-utils)" ] || [ "$(version qemu-utils)" != "$(version qemu-block-extra)" ]; then
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  apt-get update -qq
  want=$(apt-cache policy qemu-block-extra | awk '/Candidate:/ {print $2}')
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades --no-install-recommends \
    "qemu-utils=$want" "qemu-block-extra=$want"
fi
command -v qemu-img > /dev/null || { echo "deps: qemu-img is missing after install" >&2; exit 1; }

command -v cargo-nextest > /dev/null || cargo install --locked cargo-nextest
