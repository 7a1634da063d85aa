"""The real `openstack` CLI against ferrostack compute (first slice: flavors and key pairs)."""
import uuid

RSA = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDkbjgPqUSAyPpxHAI/J2wyXVVE3YH0NXJXmWbCywZ4kKXLBkxZwqVJkFpY9vBu3bT+"
    "vvh4wZk+Wq0SL1Gj4QePj+fn7cDYyHXWHQ8ZK3nc9I99bChmESD2FDXDVnF8EwLHt4bZh0YVChwyBHTNBqwkaOO3yGu4KdZEHek0f0OETAq"
    "GARMfT8IXPFKHR5laz87gZJ/i6nCZEb/Vi73S+dVmrcBqfC+9blQGTqDi5ZvoVMRLzruQDLhvkRwfpZHeUsTT2ia4b82q0f6qSAh1ByicOSa"
    "S4rfF/mCjoZLASh3R6szUbW974LjD8wP3wpnhmWif2HLugTatyodd/nyBm05N Generated-by-Nova"
)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_flavors(cloud):
    name = unique("flv")
    created = cloud.os(
        "flavor", "create", "--ram", "512", "--disk", "1", "--vcpus", "2", "--private",
        "--property", "hw:cpu_policy=shared", "--description", "small and private", name,
    )
    assert created["ram"] == 512 and created["vcpus"] == 2
    assert created["os-flavor-access:is_public"] is False
    flavor_id = created["id"]
    cloud.os("flavor", "set", "--property", "hw:numa_nodes=1", name, json_out=False)
    shown = cloud.os("flavor", "show", name)
    assert shown["properties"] == {"hw:cpu_policy": "shared", "hw:numa_nodes": "1"}
    assert shown["description"] == "small and private"
    cloud.os("flavor", "unset", "--property", "hw:cpu_policy", name, json_out=False)
    assert cloud.os("flavor", "show", name)["properties"] == {"hw:numa_nodes": "1"}
    assert any(f["ID"] == flavor_id for f in cloud.os("flavor", "list", "--all"))
    assert not any(f["ID"] == flavor_id for f in cloud.os("flavor", "list"))
    cloud.os("flavor", "set", "--project", "admin", name, json_out=False)
    assert any(f["ID"] == flavor_id for f in cloud.os("flavor", "list"))
    refused = cloud.os(
        "--os-compute-api-version", "2.86", "flavor", "set", "--property", "hw:cpu_policy=lazy", name,
        json_out=False, expect_fail=True,
    )
    assert "is not one of: dedicated, shared, mixed" in refused
    cloud.os("flavor", "delete", name, json_out=False)
    assert "No Flavor found" in cloud.os("flavor", "show", name, json_out=False, expect_fail=True)


def test_keypairs(cloud, tmp_path):
    name = unique("key")
    public = tmp_path / "id_rsa.pub"
    public.write_text(RSA + "\n")
    created = cloud.os("keypair", "create", "--public-key", str(public), name)
    assert created["fingerprint"] == "e7:66:a1:2c:4f:90:6e:11:19:da:ac:c2:69:e1:ad:89"
    assert any(k["Name"] == name for k in cloud.os("keypair", "list"))
    shown = cloud.os("keypair", "show", name)
    assert shown["fingerprint"] == created["fingerprint"]
    bad = tmp_path / "bad.pub"
    bad.write_text("ssh-rsa nonsense\n")
    refused = cloud.os("keypair", "create", "--public-key", str(bad), unique("bad"), json_out=False, expect_fail=True)
    assert "Keypair data is invalid" in refused
    cloud.os("keypair", "delete", name, json_out=False)
    assert not any(k["Name"] == name for k in cloud.os("keypair", "list"))


def test_services_hypervisors_and_zones(cloud):
    import time
    deadline = time.time() + 60
    while not cloud.os("hypervisor", "list"):
        assert time.time() < deadline, "the agent never reported"
        time.sleep(0.5)
    services = cloud.os("compute", "service", "list")
    assert {s["Binary"] for s in services if s["State"] == "up"} == {"nova-compute", "nova-conductor", "nova-scheduler"}
    hypervisors = cloud.os("hypervisor", "list", "--long")
    assert hypervisors[0]["Hypervisor Type"] == "fake"
    assert hypervisors[0]["State"] == "up"
    host = hypervisors[0]["Hypervisor Hostname"]
    aggregate = cloud.os("aggregate", "create", "--zone", "london", "rack1")
    cloud.os("aggregate", "add", "host", "rack1", host, json_out=False)
    cloud.os("aggregate", "set", "--property", "ssd=true", "rack1", json_out=False)
    shown = cloud.os("aggregate", "show", "rack1")
    assert shown["hosts"] == [host] and shown["properties"] == {"ssd": "true"}
    assert aggregate["availability_zone"] == "london"
    assert cloud.os("hypervisor", "show", host)["aggregates"] == ["rack1"]
    zone = {s["Zone"] for s in cloud.os("compute", "service", "list") if s["Binary"] == "nova-compute"}
    assert zone == {"london"}
    cloud.os("compute", "service", "set", "--disable", "--disable-reason", "maintenance", host, "nova-compute", json_out=False)
    compute = [s for s in cloud.os("compute", "service", "list", "--long") if s["Binary"] == "nova-compute"]
    assert compute[0]["Status"] == "disabled" and compute[0]["Disabled Reason"] == "maintenance"
    cloud.os("compute", "service", "set", "--enable", host, "nova-compute", json_out=False)
    cloud.os("aggregate", "remove", "host", "rack1", host, json_out=False)
    cloud.os("aggregate", "delete", "rack1", json_out=False)
    zones = cloud.os("availability", "zone", "list", "--compute")
    # As admin the CLI reads the detail, which keeps the internal zone (as Nova).
    assert sorted({z["Zone Name"] for z in zones}) == ["internal", "nova"]
