"""The real `openstack` CLI against an all-in-one whose network agent wires for real
(`[agent] driver = linux`, root): a network's DHCP and a router come up in their
namespaces, a guest (a namespace on a port's tap) gets its port's address from
dnsmasq and reaches the router, and everything goes with the resources."""
import subprocess
import time
import uuid

import pytest

from conftest import running_cloud


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check).stdout


def until(what, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"never: {what}")


@pytest.fixture(scope="module")
def linux(tmp_path_factory):
    env = {
        "OS_AGENT__DRIVER": "linux",
        "OS_AGENT__POLLING_INTERVAL": "1",
        "OS_VXLAN__LOCAL_IP": "127.0.0.1",
        "OS_VXLAN__VXLAN_GROUP": "",
    }
    data = tmp_path_factory.mktemp("linux")
    try:
        with running_cloud(data, **env) as (c, _):
            yield c
    finally:
        leftovers(data / "network")


def leftovers(state):
    """What a failed test's agent left on the host: dnsmasqs, namespaces, bridges."""
    for served in (state / "dhcp").glob("*"):
        pid = served / "pid"
        if pid.exists():
            subprocess.run(["kill", pid.read_text().strip()], check=False)
        ip("netns", "del", f"qdhcp-{served.name}", check=False)
        ip("link", "del", f"brq{served.name[:11]}", check=False)
    for router in (state / "l3").glob("*"):
        ip("netns", "del", f"qrouter-{router.name}", check=False)


def test_dhcp_and_a_router_for_a_guest(linux):
    agents = until(lambda: linux.os("network", "agent", "list", "--agent-type", "dhcp"))
    host = agents[0]["Host"]
    net = unique("net")
    network = linux.os("network", "create", net)
    linux.os("subnet", "create", "--network", net, "--subnet-range", "10.93.0.0/24", f"{net}-sub")
    router = linux.os("router", "create", unique("router"))
    linux.os("router", "add", "subnet", router["id"], f"{net}-sub", json_out=False)

    # The network's DHCP port and the router's interface are wired on this host.
    dhcp = until(lambda: [p for p in linux.os("port", "list", "--network", net, "--device-owner",
                                              "network:dhcp", "--long")
                          if p["Status"] == "ACTIVE"])
    assert dhcp[0]["Fixed IP Addresses"][0]["ip_address"] == "10.93.0.2", dhcp
    until(lambda: [p for p in linux.os("port", "list", "--router", router["id"])
                   if p["Status"] == "ACTIVE"])
    namespaces = ip("netns", "list")
    assert f"qdhcp-{network['id']}" in namespaces and f"qrouter-{router['id']}" in namespaces

    # A guest on a port of this host: DHCP gives it the port's address, and it
    # reaches its router.
    port = linux.os("port", "create", "--network", net, "--host", host, unique("port"))
    address = port["fixed_ips"][0]["ip_address"]
    guest, tap = f"fs-e2e-{port['id'][:8]}", f"tap{port['id'][:11]}"
    ip("netns", "add", guest)
    try:
        ip("link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", guest)
        ip("-n", guest, "link", "set", "eth0", "address", port["mac_address"], "up")
        until(lambda: linux.os("port", "show", port["id"])["status"] == "ACTIVE")
        lease = subprocess.run(
            ["ip", "netns", "exec", guest, "busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f",
             "-t", "5", "-T", "1", "-s", "/bin/true"], capture_output=True, text=True)
        assert f"lease of {address} obtained" in lease.stdout + lease.stderr, lease
        ip("-n", guest, "addr", "add", f"{address}/24", "dev", "eth0")
        ping = subprocess.run(["ip", "netns", "exec", guest, "ping", "-c", "3", "-W", "2",
                               "10.93.0.1"], capture_output=True, text=True)
        assert ping.returncode == 0, ping.stdout
    finally:
        ip("netns", "del", guest, check=False)

    # Taken apart, the namespaces go.
    linux.os("port", "delete", port["id"], json_out=False)
    linux.os("router", "remove", "subnet", router["id"], f"{net}-sub", json_out=False)
    linux.os("router", "delete", router["id"], json_out=False)
    linux.os("network", "delete", net, json_out=False)
    until(lambda: f"qdhcp-{network['id']}" not in ip("netns", "list")
          and f"qrouter-{router['id']}" not in ip("netns", "list"))
