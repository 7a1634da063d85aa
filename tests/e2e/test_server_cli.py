"""The real `openstack` CLI booting, operating and deleting servers on the fake driver."""
import time
import urllib.parse
import uuid


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(cloud, server, status):
    deadline = time.time() + 60
    while True:
        shown = cloud.os("server", "show", server)
        if shown["status"] == status:
            return shown
        assert shown["status"] != "ERROR", shown
        assert time.time() < deadline, f"{server} stayed {shown['status']}"
        time.sleep(0.3)


def test_server_lifecycle(cloud, tmp_path):
    deadline = time.time() + 60
    while not cloud.os("hypervisor", "list"):
        assert time.time() < deadline, "the agent never reported"
        time.sleep(0.5)
    data = tmp_path / "disk.raw"
    data.write_bytes(b"\0" * 4096)
    image = unique("img")
    cloud.os("image", "create", "--disk-format", "raw", "--container-format", "bare",
             "--file", str(data), image)
    flavor = unique("flv")
    cloud.os("flavor", "create", "--ram", "256", "--disk", "1", "--vcpus", "1", flavor)
    name = unique("vm")

    created = cloud.os("server", "create", "--flavor", flavor, "--image", image,
                       "--nic", "none", "--property", "role=web", "--wait", name)
    assert created["status"] == "ACTIVE"
    assert created["OS-EXT-STS:power_state"] in ("Running", 1)
    assert any(s["Name"] == name and s["Status"] == "ACTIVE" for s in cloud.os("server", "list"))
    shown = cloud.os("server", "show", name)
    assert shown["properties"] == {"role": "web"}
    assert flavor in str(shown["flavor"])

    cloud.os("server", "set", "--property", "tier=1", "--name", name + "-x", name, json_out=False)
    name += "-x"
    assert cloud.os("server", "show", name)["properties"] == {"role": "web", "tier": "1"}
    cloud.os("server", "unset", "--property", "role", name, json_out=False)
    assert cloud.os("server", "show", name)["properties"] == {"tier": "1"}

    cloud.os("server", "stop", name, json_out=False)
    wait_for(cloud, name, "SHUTOFF")
    refused = cloud.os("server", "stop", name, json_out=False, expect_fail=True)
    assert "while it is in vm_state stopped" in refused
    cloud.os("server", "start", name, json_out=False)
    wait_for(cloud, name, "ACTIVE")
    cloud.os("server", "reboot", "--hard", "--wait", name, json_out=False)
    wait_for(cloud, name, "ACTIVE")
    cloud.os("server", "pause", name, json_out=False)
    wait_for(cloud, name, "PAUSED")
    cloud.os("server", "unpause", name, json_out=False)
    wait_for(cloud, name, "ACTIVE")
    cloud.os("server", "suspend", name, json_out=False)
    wait_for(cloud, name, "SUSPENDED")
    cloud.os("server", "resume", name, json_out=False)
    wait_for(cloud, name, "ACTIVE")
    cloud.os("server", "lock", name, json_out=False)
    assert cloud.os("--os-compute-api-version", "2.9", "server", "show", name)["locked"] is True
    cloud.os("server", "unlock", name, json_out=False)

    bigger = unique("flv")
    cloud.os("flavor", "create", "--ram", "512", "--disk", "1", "--vcpus", "2", bigger)
    cloud.os("server", "resize", "--flavor", bigger, "--wait", name, json_out=False)
    wait_for(cloud, name, "VERIFY_RESIZE")
    cloud.os("server", "resize", "confirm", name, json_out=False)
    resized = wait_for(cloud, name, "ACTIVE")
    assert bigger in str(resized["flavor"]), resized["flavor"]
    moves = cloud.os("server", "migration", "list", "--server", name)
    assert [m["Status"] for m in moves] == ["confirmed"], moves

    cloud.os("server", "shelve", "--wait", name, json_out=False)
    wait_for(cloud, name, "SHELVED_OFFLOADED")
    cloud.os("server", "unshelve", "--wait", name, json_out=False)
    wait_for(cloud, name, "ACTIVE")

    snapshot = unique("snap")
    cloud.os("server", "image", "create", "--name", snapshot, "--wait", name)
    made = cloud.os("image", "show", snapshot)
    assert made["status"] == "active", made
    assert made["properties"]["image_type"] == "snapshot", made
    console = cloud.os("console", "log", "show", "--lines", "2", name, json_out=False)
    assert len(console.strip().split("\n")) == 2, console
    remote = cloud.os("console", "url", "show", name)
    assert remote["type"] == "novnc", remote
    path = urllib.parse.parse_qs(urllib.parse.urlparse(remote["url"]).query)["path"][0]
    token = path.split("token=")[1]
    opened = cloud.os("--os-compute-api-version", "2.31", "console", "connection", "show", token)
    assert opened["instance_uuid"] == cloud.os("server", "show", name)["id"], opened

    events = cloud.os("server", "event", "list", name)
    actions = [e["Action"] for e in events]
    for action in ("create", "stop", "start", "reboot", "pause", "unpause", "suspend", "resume",
                   "lock", "unlock", "createImage", "resize", "confirmResize", "shelve",
                   "unshelve"):
        assert action in actions, actions

    cloud.os("server", "delete", "--wait", name, json_out=False)
    assert not any(s["Name"] == name for s in cloud.os("server", "list"))
    missing = cloud.os("server", "show", name, json_out=False, expect_fail=True)
    assert "No Server found" in missing


def test_server_create_refusals(cloud, tmp_path):
    data = tmp_path / "disk.raw"
    data.write_bytes(b"\0" * 4096)
    image = unique("big")
    cloud.os("image", "create", "--disk-format", "raw", "--container-format", "bare",
             "--min-ram", "4096", "--file", str(data), image)
    flavor = unique("flv")
    cloud.os("flavor", "create", "--ram", "256", "--disk", "1", "--vcpus", "1", flavor)
    refused = cloud.os("server", "create", "--flavor", flavor, "--image", image,
                       "--nic", "none", unique("vm"), json_out=False, expect_fail=True)
    assert "Flavor's memory is too small for requested image." in refused
