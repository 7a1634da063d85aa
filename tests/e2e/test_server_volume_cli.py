"""The real `openstack` CLI attaching block-storage volumes to servers on the fake
driver: `server add volume`/`remove volume`, `server volume list`, and the
block-storage side's `volume attachment create`/`delete` naming a server."""
import time
import uuid


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for_volume(cloud, volume, status):
    deadline = time.time() + 60
    while True:
        shown = cloud.os("volume", "show", volume)
        if shown["status"] == status:
            return shown
        assert shown["status"] not in ("error", "error_attaching"), shown
        assert time.time() < deadline, f"{volume} stayed {shown['status']}"
        time.sleep(0.3)


def boot(cloud, tmp_path):
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
    cloud.os("server", "create", "--flavor", flavor, "--image", image, "--nic", "none",
             "--wait", name)
    return name, image, flavor


def test_server_add_and_remove_volume(cloud, tmp_path):
    server, _, _ = boot(cloud, tmp_path)
    volume = unique("vol")
    cloud.os("volume", "create", "--size", "1", volume)
    wait_for_volume(cloud, volume, "available")

    cloud.os("--os-compute-api-version", "2.79", "server", "add", "volume", "--tag", "data",
             "--enable-delete-on-termination", server, volume, json_out=False)
    in_use = wait_for_volume(cloud, volume, "in-use")
    server_id = cloud.os("server", "show", server)["id"]
    assert server_id in str(in_use["attachments"])
    listed = cloud.os("--os-compute-api-version", "2.89", "server", "volume", "list", server)
    assert len(listed) == 1, listed
    assert listed[0]["Device"] == "/dev/vdb"
    assert listed[0]["Tag"] == "data"
    assert listed[0]["Delete On Termination?"] is True
    assert listed[0]["Attachment ID"] and listed[0]["BlockDeviceMapping UUID"]
    shown = cloud.os("server", "show", server)
    assert in_use["id"] in str(shown["volumes_attached"])
    events = [e["Action"] for e in cloud.os("server", "event", "list", server)]
    assert "attach_volume" in events, events

    # In use: block storage refuses to delete it.
    refused = cloud.os("volume", "delete", volume, json_out=False, expect_fail=True)
    assert "in-use" in refused or "attached" in refused, refused

    cloud.os("server", "remove", "volume", server, volume, json_out=False)
    wait_for_volume(cloud, volume, "available")
    deadline = time.time() + 30
    while cloud.os("server", "volume", "list", server):
        assert time.time() < deadline, "the mapping stayed"
        time.sleep(0.3)
    missing = cloud.os("server", "remove", "volume", server, volume, json_out=False,
                       expect_fail=True)
    assert "not found" in missing.lower() or "not attached" in missing.lower(), missing

    # A volume attached when its server is deleted is available again.
    cloud.os("server", "add", "volume", server, volume, json_out=False)
    wait_for_volume(cloud, volume, "in-use")
    cloud.os("server", "delete", "--wait", server, json_out=False)
    wait_for_volume(cloud, volume, "available")
    cloud.os("volume", "delete", volume, json_out=False)


def test_volume_attachment_create_names_a_server(cloud, tmp_path):
    server, _, _ = boot(cloud, tmp_path)
    volume = unique("vol")
    cloud.os("volume", "create", "--size", "1", volume)
    wait_for_volume(cloud, volume, "available")
    created = cloud.os("--os-volume-api-version", "3.27", "volume", "attachment", "create",
                       volume, server)
    server_id = cloud.os("server", "show", server)["id"]
    # The CLI sends a connector of its own: the volume is exported to it.
    assert created["Instance ID"] == server_id, created
    assert created["Status"] == "attaching", created
    assert created["Properties"]["driver_volume_type"] == "file", created
    listed = cloud.os("--os-volume-api-version", "3.27", "volume", "attachment", "list")
    assert any(a["ID"] == created["ID"] for a in listed), listed
    cloud.os("--os-volume-api-version", "3.27", "volume", "attachment", "delete",
             created["ID"], json_out=False)
    wait_for_volume(cloud, volume, "available")
    cloud.os("server", "delete", "--wait", server, json_out=False)
    cloud.os("volume", "delete", volume, json_out=False)


def test_server_boots_from_volume(cloud, tmp_path):
    first, image, flavor = boot(cloud, tmp_path)
    root = unique("root")
    cloud.os("volume", "create", "--size", "1", "--image", image, "--bootable", root)
    wait_for_volume(cloud, root, "available")
    name = unique("bfv")
    created = cloud.os("server", "create", "--flavor", flavor, "--volume", root, "--nic", "none",
                       "--wait", name)
    assert created["status"] == "ACTIVE", created
    assert cloud.os("server", "show", name)["image"] in ("", "N/A (booted from volume)", None)
    wait_for_volume(cloud, root, "in-use")

    made = unique("made")
    cloud.os("server", "create", "--flavor", flavor, "--image", image, "--boot-from-volume", "1",
             "--nic", "none", "--wait", made)
    volumes = cloud.os("server", "show", made)["volumes_attached"]
    assert len(volumes) == 1, volumes

    # Rebuilt with another image: block storage rewrites the root volume.
    other = unique("img")
    data = tmp_path / "other.raw"
    data.write_bytes(b"\1" * 4096)
    other_id = cloud.os("image", "create", "--disk-format", "raw", "--container-format", "bare",
                        "--file", str(data), other)["id"]
    cloud.os("--os-compute-api-version", "2.93", "server", "rebuild", "--image", other,
             "--reimage-boot-volume", "--wait", name, json_out=False)
    assert cloud.os("server", "show", name)["status"] == "ACTIVE"
    rebuilt = wait_for_volume(cloud, root, "in-use")
    assert rebuilt["volume_image_metadata"]["image_id"] == other_id, rebuilt

    cloud.os("server", "delete", "--wait", name, made, first, json_out=False)
    wait_for_volume(cloud, root, "available")
    cloud.os("volume", "delete", root, json_out=False)
    cloud.os("image", "delete", other, json_out=False)
