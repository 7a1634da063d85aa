"""The real `openstack` CLI against ferrostack block storage (first slice)."""
import time
import uuid


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_status(cloud, volume, status, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        shown = cloud.os("volume", "show", volume)
        if shown["status"] == status:
            return shown
        time.sleep(0.5)
    raise AssertionError(f"{volume} never reached {status}: {shown}")


def test_volume_lifecycle_and_services(cloud):
    name = unique("vol")
    created = cloud.os("volume", "create", "--size", "1", "--property", "tier=gold", name)
    assert created["size"] == 1
    shown = wait_status(cloud, name, "available")
    assert shown["properties"] == {"tier": "gold"}
    assert shown["type"] == "__DEFAULT__"
    assert any(v["Name"] == name for v in cloud.os("volume", "list"))
    renamed = unique("renamed")
    cloud.os("volume", "set", "--name", renamed, name, json_out=False)
    assert cloud.os("volume", "show", renamed)["name"] == renamed
    services = cloud.os("volume", "service", "list")
    binaries = {s["Binary"] for s in services if s["State"] == "up"}
    assert {"cinder-scheduler", "cinder-volume"} <= binaries
    cloud.os("volume", "delete", renamed, json_out=False)
    deadline = time.time() + 60
    while time.time() < deadline and any(v["Name"] == renamed for v in cloud.os("volume", "list")):
        time.sleep(0.5)
    assert not any(v["Name"] == renamed for v in cloud.os("volume", "list"))
    stderr = cloud.os("volume", "create", "--size", "0", unique("bad"), expect_fail=True)
    assert "size" in stderr.lower()
