"""The real `openstack` CLI booting servers on networks: ports made and bound by
compute, addresses shown, security groups applied (at create, and added and
removed through compute's actions), floating IPs added and
removed, and ports deleted or released with their server."""
import time
import uuid


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def until(what, check, timeout=60):
    deadline = time.time() + timeout
    while True:
        value = what()
        if check(value):
            return value
        assert time.time() < deadline, f"never: {value}"
        time.sleep(0.3)


def boot_prerequisites(cloud, tmp_path):
    until(lambda: cloud.os("hypervisor", "list"), bool)
    data = tmp_path / "disk.raw"
    data.write_bytes(b"\0" * 4096)
    image = unique("img")
    cloud.os("image", "create", "--disk-format", "raw", "--container-format", "bare",
             "--file", str(data), image)
    flavor = unique("flv")
    cloud.os("flavor", "create", "--ram", "256", "--disk", "1", "--vcpus", "1", flavor)
    return image, flavor


def kept_id(cloud, port):
    return cloud.os("port", "show", port)["id"]


def test_servers_on_networks(cloud, tmp_path):
    image, flavor = boot_prerequisites(cloud, tmp_path)
    net = unique("net")
    cloud.os("network", "create", net)
    sub = unique("sub")
    cloud.os("subnet", "create", "--network", net, "--subnet-range", "10.61.0.0/24", sub)
    group = unique("sg")
    cloud.os("security", "group", "create", group)

    name = unique("vm")
    created = cloud.os("server", "create", "--flavor", flavor, "--image", image,
                       "--nic", f"net-id={net}", "--security-group", group, "--wait", name)
    assert created["status"] == "ACTIVE", created
    shown = cloud.os("server", "show", name)
    addresses = shown["addresses"]
    assert net in str(addresses) and "10.61.0." in str(addresses), shown
    assert group in str(shown["security_groups"]), shown
    ports = cloud.os("port", "list", "--server", name, "--long")
    assert len(ports) == 1, ports
    port = cloud.os("port", "show", ports[0]["ID"])
    assert port["device_owner"].startswith("compute:"), port
    assert port["binding_host_id"], port
    until(lambda: cloud.os("port", "show", port["id"])["status"], lambda s: s == "ACTIVE")

    # A floating IP through a router to the all-in-one's external network.
    router = unique("router")
    cloud.os("router", "create", router)
    cloud.os("router", "set", "--external-gateway", "public", router, json_out=False)
    cloud.os("router", "add", "subnet", router, sub, json_out=False)
    fip = cloud.os("floating", "ip", "create", "public")["floating_ip_address"]
    cloud.os("server", "add", "floating", "ip", name, fip, json_out=False)
    until(lambda: str(cloud.os("server", "show", name)["addresses"]), lambda a: fip in a)
    cloud.os("server", "remove", "floating", "ip", name, fip, json_out=False)
    until(lambda: str(cloud.os("server", "show", name)["addresses"]), lambda a: fip not in a)

    # Security groups added and removed through compute's server actions.
    other = unique("sg")
    cloud.os("security", "group", "create", other)
    cloud.os("server", "add", "security", "group", name, other, json_out=False)
    assert other in str(cloud.os("server", "show", name)["security_groups"])
    cloud.os("server", "remove", "security", "group", name, group, json_out=False)
    groups = str(cloud.os("server", "show", name)["security_groups"])
    assert other in groups and group not in groups, groups

    # Interfaces attached to and detached from the running server.
    extra = unique("port")
    cloud.os("port", "create", "--network", net, extra)
    cloud.os("server", "add", "port", name, extra, json_out=False)
    assert len(cloud.os("port", "list", "--server", name)) == 2
    cloud.os("server", "add", "network", name, net, json_out=False)
    assert len(cloud.os("port", "list", "--server", name)) == 3
    cloud.os("server", "remove", "port", name, extra, json_out=False)
    assert cloud.os("port", "show", extra)["device_id"] == ""
    made = [p["ID"] for p in cloud.os("port", "list", "--server", name)
            if p["ID"] != port["id"]]
    assert len(made) == 1, made
    cloud.os("server", "remove", "port", name, made[0], json_out=False)
    assert [p["ID"] for p in cloud.os("port", "list", "--server", name)] == [port["id"]]
    cloud.os("port", "delete", extra, json_out=False)

    # A port of the user's own: taken by a server and given back when it goes.
    own = unique("port")
    cloud.os("port", "create", "--network", net, "--fixed-ip", f"subnet={sub},ip-address=10.61.0.99",
             own)
    taker = unique("vm")
    cloud.os("server", "create", "--flavor", flavor, "--image", image, "--nic", f"port-id={own}",
             "--wait", taker)
    assert "10.61.0.99" in str(cloud.os("server", "show", taker)["addresses"])

    refused = cloud.os("server", "create", "--flavor", flavor, "--image", image,
                       "--nic", f"port-id={own}", unique("vm"), json_out=False, expect_fail=True)
    assert f"Port {kept_id(cloud, own)} is still in use." in refused, refused

    for server in (name, taker):
        cloud.os("server", "delete", "--wait", server, json_out=False)
    assert cloud.os("port", "list", "--network", net, "--device-owner", "compute:nova") == []
    kept = cloud.os("port", "show", own)
    assert kept["device_id"] == "" and kept["device_owner"] == "", kept

    cloud.os("security", "group", "delete", other, json_out=False)
    cloud.os("floating", "ip", "delete", fip, json_out=False)
    cloud.os("router", "remove", "subnet", router, sub, json_out=False)
    cloud.os("router", "delete", router, json_out=False)
    cloud.os("port", "delete", own, json_out=False)
    cloud.os("network", "delete", net, json_out=False)
