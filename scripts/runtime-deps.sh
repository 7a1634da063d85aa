#!/usr/bin/env bash
# What `ferrostack up` runs besides its own binaries: qemu-img, for block
# storage's default file backends. Installed with apt-get when missing and we may;
# otherwise named, with the command that installs it. (tgt is needed only where an
# iscsi backend is configured; the service names it at start.)
set -euo pipefail
command -v qemu-img > /dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
  echo "make run: installing qemu-utils (qemu-img, for block storage's file backends)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq qemu-utils > /dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq qemu-utils > /dev/null; }
  exit 0
fi
echo "make run: block storage needs qemu-img, which is not installed." >&2
echo "  Debian/Ubuntu: sudo apt-get install qemu-utils    Fedora: sudo dnf install qemu-img" >&2
exit 1
