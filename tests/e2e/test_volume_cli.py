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
    cloud.os("volume", "set", "--property", "zone=a", name, json_out=False)
    assert cloud.os("volume", "show", name)["properties"] == {"tier": "gold", "zone": "a"}
    cloud.os("volume", "unset", "--property", "tier", name, json_out=False)
    assert cloud.os("volume", "show", name)["properties"] == {"zone": "a"}
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


def test_types_snapshots_copies_extend_and_quota(cloud):
    kind = unique("type")
    created = cloud.os("volume", "type", "create", "--property", "volume_backend_name=file", kind)
    assert created["properties"] == {"volume_backend_name": "file"}
    source = unique("src")
    cloud.os("volume", "create", "--size", "1", "--type", kind, source)
    wait_status(cloud, source, "available")
    snap = unique("snap")
    cloud.os("volume", "snapshot", "create", "--volume", source, snap)
    deadline = time.time() + 60
    while cloud.os("volume", "snapshot", "show", snap)["status"] != "available":
        assert time.time() < deadline
        time.sleep(0.5)
    assert any(s["Name"] == snap for s in cloud.os("volume", "snapshot", "list"))
    from_snap, clone = unique("fromsnap"), unique("clone")
    cloud.os("volume", "create", "--snapshot", snap, "--size", "2", from_snap)
    cloud.os("volume", "create", "--source", source, clone)
    assert wait_status(cloud, from_snap, "available")["size"] == 2
    assert wait_status(cloud, clone, "available")["type"] == kind
    cloud.os("volume", "set", "--size", "3", clone, json_out=False)
    deadline = time.time() + 60
    while cloud.os("volume", "show", clone)["size"] != 3:
        assert time.time() < deadline
        time.sleep(0.5)
    quota = {q["Resource"]: q["Limit"] for q in cloud.os("quota", "show", "--volume")}
    assert quota["volumes"] == 10
    assert quota["gigabytes"] == 1000
    cloud.os("volume", "snapshot", "delete", snap, json_out=False)
    for name in (from_snap, clone):
        cloud.os("volume", "delete", name, json_out=False)
    deadline = time.time() + 60
    while any(s["Name"] == snap for s in cloud.os("volume", "snapshot", "list")):
        assert time.time() < deadline
        time.sleep(0.5)
    cloud.os("volume", "delete", source, json_out=False)


def test_attachment_flow_with_openstacksdk(cloud):
    """`openstack volume attachment create` resolves the server through compute,
    which ferrostack does not serve yet; openstacksdk creates the attachments, the
    CLI and openstacksdk drive the rest."""
    import openstack.config
    import openstack.connection

    name = unique("att")
    volume = cloud.os("volume", "create", "--size", "1", name)
    wait_status(cloud, name, "available")
    region = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)]).get_one(
        cloud="ferrostack", block_storage_api_version="3.44")
    conn = openstack.connection.Connection(config=region)
    bs = conn.block_storage
    attachment = bs.create_attachment(volume["id"], instance_id=str(uuid.uuid4()))
    assert attachment.status == "reserved"
    connector = {"host": "compute-e2e", "initiator": "iqn.2004-10.com.ubuntu:01:e2e", "ip": "127.0.0.1"}
    updated = bs.update_attachment(attachment, connector=connector)
    assert updated.connection_info["driver_volume_type"] == "file"
    bs.complete_attachment(attachment)
    assert wait_status(cloud, name, "in-use")["status"] == "in-use"
    bs.delete_attachment(attachment, ignore_missing=False)
    wait_status(cloud, name, "available")

    # Once created, the CLI drives the attachment itself (set, complete, list, delete).
    second = bs.create_attachment(volume["id"], instance_id=str(uuid.uuid4()))
    v344 = ("--os-volume-api-version", "3.44")
    shown = cloud.os(*v344, "volume", "attachment", "set", "--host", "compute-e2e",
                     "--initiator", "iqn.2004-10.com.ubuntu:01:e2e", "--ip", "127.0.0.1", second.id)
    assert shown["Status"] == "attaching"
    assert shown["Properties"]["driver_volume_type"] == "file"
    cloud.os(*v344, "volume", "attachment", "complete", second.id, json_out=False)
    wait_status(cloud, name, "in-use")
    listed = cloud.os(*v344, "volume", "attachment", "list")
    assert any(a["ID"] == second.id and a["Status"] == "attached" for a in listed)
    cloud.os(*v344, "volume", "attachment", "delete", second.id, json_out=False)
    wait_status(cloud, name, "available")
    cloud.os("volume", "delete", name, json_out=False)


def test_volume_from_image_and_image_from_volume(cloud, tmp_path):
    import subprocess

    mark = b"ferrostack e2e boot sector"
    raw, qcow = tmp_path / "disk.raw", tmp_path / "disk.qcow2"
    raw.write_bytes(mark + bytes(4 << 20))
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, qcow], check=True)
    image = unique("img")
    cloud.os("image", "create", "--disk-format", "qcow2", "--container-format", "bare",
             "--property", "hw_disk_bus=scsi", "--file", str(qcow), image)
    volume = unique("bootvol")
    cloud.os("volume", "create", "--image", image, "--size", "1", volume)
    shown = wait_status(cloud, volume, "available")
    assert shown["bootable"] in (True, "true")
    assert shown["volume_image_metadata"]["image_name"] == image
    assert shown["volume_image_metadata"]["hw_disk_bus"] == "scsi"
    cloud.os("volume", "set", "--image-property", "os_distro=cirros", volume, json_out=False)
    cloud.os("volume", "unset", "--image-property", "hw_disk_bus", volume, json_out=False)
    meta = cloud.os("volume", "show", volume)["volume_image_metadata"]
    assert meta["os_distro"] == "cirros" and "hw_disk_bus" not in meta

    uploaded = unique("fromvol")
    out = cloud.os("image", "create", "--volume", volume, "--disk-format", "qcow2", uploaded)
    assert out["id"] == shown["id"] and out["image_name"] == uploaded
    assert out["volume_type"] == "__DEFAULT__" and out["status"] == "uploading"
    deadline = time.time() + 120
    while cloud.os("image", "show", uploaded)["status"] != "active":
        assert time.time() < deadline
        time.sleep(0.5)
    wait_status(cloud, volume, "available")
    saved = tmp_path / "saved.qcow2"
    cloud.os("image", "save", "--file", str(saved), uploaded, json_out=False)
    back = tmp_path / "back.raw"
    subprocess.run(["qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw", saved, back], check=True)
    with open(back, "rb") as f:
        assert f.read(len(mark)) == mark
    assert back.stat().st_size == 1 << 30
    cloud.os("image", "delete", uploaded, image, json_out=False)
    cloud.os("volume", "delete", volume, json_out=False)


def test_retype_readonly_snapshot_properties_and_type_quotas(cloud):
    kind = unique("retype")
    cloud.os("volume", "type", "create", "--property", "volume_backend_name=file", kind)
    name = unique("rt")
    cloud.os("volume", "create", "--size", "1", name)
    wait_status(cloud, name, "available")
    cloud.os("volume", "set", "--type", kind, "--retype-policy", "on-demand", name, json_out=False)
    deadline = time.time() + 60
    while cloud.os("volume", "show", name)["type"] != kind:
        assert time.time() < deadline
        time.sleep(0.5)
    wait_status(cloud, name, "available")
    cloud.os("volume", "set", "--read-only", name, json_out=False)
    assert cloud.os("volume", "show", name)["properties"]["readonly"] == "True"
    cloud.os("volume", "set", "--read-write", name, json_out=False)
    assert cloud.os("volume", "show", name)["properties"]["readonly"] == "False"

    snap = unique("snap")
    cloud.os("volume", "snapshot", "create", "--volume", name, "--property", "a=1", snap)
    deadline = time.time() + 60
    while cloud.os("volume", "snapshot", "show", snap)["status"] != "available":
        assert time.time() < deadline
        time.sleep(0.5)
    cloud.os("volume", "snapshot", "set", "--property", "b=2", snap, json_out=False)
    cloud.os("volume", "snapshot", "unset", "--property", "a", snap, json_out=False)
    assert cloud.os("volume", "snapshot", "show", snap)["properties"] == {"b": "2"}

    quota = {q["Resource"]: q["Limit"] for q in cloud.os("quota", "show", "--volume")}
    assert quota[f"volumes_{kind}"] == -1 and quota["gigabytes___DEFAULT__"] == -1
    cloud.os("volume", "snapshot", "delete", snap, json_out=False)
    deadline = time.time() + 60
    while any(s["Name"] == snap for s in cloud.os("volume", "snapshot", "list")):
        assert time.time() < deadline
        time.sleep(0.5)
    cloud.os("volume", "delete", name, json_out=False)


def test_volume_migrate_between_backends(cloud):
    name = unique("mig")
    cloud.os("volume", "create", "--size", "1", name)
    wait_status(cloud, name, "available")
    host = cloud.os("volume", "show", name)["os-vol-host-attr:host"]
    node, backend = host.split("#")[0].split("@")
    assert host == f"{node}@{backend}#{backend}"
    other_backend = "qcow2" if backend == "file" else "file"
    other = f"{node}@{other_backend}"

    pools = {p["Name"]: p["Capabilities"] for p in cloud.os("volume", "backend", "pool", "list", "--long")}
    assert set(pools) == {f"{node}@file#file", f"{node}@qcow2#qcow2"}
    assert pools[f"{node}@qcow2#qcow2"]["volume_backend_name"] == "qcow2"
    keys = {c["Key"] for c in cloud.os("volume", "backend", "capability", "show", other)}
    assert keys == {"thin_provisioning", "compression", "qos", "replication_enabled"}

    aliases = {e["Alias"] for e in cloud.os("extension", "list", "--volume")}
    assert {"os-volume-actions", "scheduler-stats", "capabilities"} <= aliases

    summary = cloud.os("--os-volume-api-version", "3.36", "volume", "summary", "--all-projects")
    assert summary["Total Count"] >= 1 and summary["Total Size"] >= 1
    assert isinstance(summary["Metadata"], dict)

    refused = cloud.os("volume", "migrate", "--host", host, name, json_out=False, expect_fail=True)
    assert "destination host/cluster must be different than the current one" in refused
    refused = cloud.os("volume", "migrate", "--host", "nowhere@x", name, json_out=False, expect_fail=True)
    assert "No available service named 'nowhere@x'" in refused

    cloud.os("volume", "migrate", "--host", other, "--lock-volume", name, json_out=False)
    deadline = time.time() + 60
    while cloud.os("volume", "show", name)["os-vol-mig-status-attr:migstat"] != "success":
        assert time.time() < deadline
        time.sleep(0.5)
    shown = cloud.os("volume", "show", name)
    assert shown["os-vol-host-attr:host"] == f"{other}#{other_backend}"
    assert shown["status"] == "available"
    cloud.os("volume", "delete", name, json_out=False)


def test_volume_transfer_to_another_project(cloud):
    name = unique("gift")
    cloud.os("volume", "create", "--size", "1", name)
    wait_status(cloud, name, "available")
    project, user = unique("proj"), unique("user")
    cloud.os("project", "create", project)
    cloud.os("user", "create", user, "--password", "pw-1", "--project", project)
    cloud.os("role", "add", "--user", user, "--project", project, "member", json_out=False)
    cloud.add_cloud(user, username=user, password="pw-1", project_name=project,
                    user_domain_name="Default", project_domain_name="Default")

    offer = cloud.os("volume", "transfer", "request", "create", "--name", "for-" + user, name)
    assert len(offer["auth_key"]) == 16
    assert cloud.os("volume", "show", name)["status"] == "awaiting-transfer"
    listed = cloud.os("volume", "transfer", "request", "list")
    assert any(t["ID"] == offer["id"] for t in listed)
    cloud.os("volume", "transfer", "request", "accept", "--auth-key", "wrong", offer["id"],
             cloud=user, expect_fail=True)
    accepted = cloud.os("volume", "transfer", "request", "accept", "--auth-key", offer["auth_key"],
                        offer["id"], cloud=user)
    assert accepted["volume_id"] == offer["volume_id"]
    shown = cloud.os("volume", "show", offer["volume_id"], cloud=user)
    assert shown["status"] == "available"
    owner = cloud.os("volume", "show", offer["volume_id"])["os-vol-tenant-attr:tenant_id"]
    assert owner == cloud.os("project", "show", project)["id"]
    cloud.os("volume", "delete", offer["volume_id"], cloud=user, json_out=False)


def test_failed_create_leaves_a_user_message(cloud):
    kind = unique("nowhere")
    cloud.os("volume", "type", "create", "--property", "tier=platinum", kind)
    name = unique("doomed")
    created = cloud.os("volume", "create", "--size", "1", "--type", kind, name)
    wait_status(cloud, name, "error")
    v = ("--os-volume-api-version", "3.5")
    found = [m for m in cloud.os(*v, "volume", "message", "list")
             if m["Resource UUID"] == created["id"]]
    assert len(found) == 1
    assert found[0]["User Message"] == \
        "schedule allocate volume:Could not find any available weighted backend."
    assert found[0]["Event ID"] == "VOLUME_VOLUME_001_003"
    # openstacksdk reads a shown message under "messages" (its resource_key),
    # while Cinder answers {"message": ...}: show works, its fields come out empty.
    cloud.os(*v, "volume", "message", "show", found[0]["ID"])
    cloud.os(*v, "volume", "message", "delete", found[0]["ID"], json_out=False)
    assert all(m["ID"] != found[0]["ID"] for m in cloud.os(*v, "volume", "message", "list"))
    cloud.os("volume", "delete", name, json_out=False)
    cloud.os("volume", "type", "delete", kind, json_out=False)


def test_volume_qos(cloud):
    qos, kind = unique("qos"), unique("qostype")
    created = cloud.os("volume", "qos", "create", "--consumer", "front-end",
                       "--property", "total_iops_sec=500", qos)
    assert created["consumer"] == "front-end"
    cloud.os("volume", "qos", "set", "--property", "read_iops_sec=100", qos, json_out=False)
    cloud.os("volume", "qos", "unset", "--property", "total_iops_sec", qos, json_out=False)
    cloud.os("volume", "type", "create", kind)
    cloud.os("volume", "qos", "associate", qos, kind, json_out=False)
    shown = cloud.os("volume", "qos", "show", qos)
    assert shown["properties"] == {"read_iops_sec": "100"}
    assert shown["associations"] == [kind]
    listed = {q["Name"]: q for q in cloud.os("volume", "qos", "list")}
    assert listed[qos]["Associations"] == [kind]
    cloud.os("volume", "qos", "delete", qos, json_out=False, expect_fail=True)
    cloud.os("volume", "qos", "disassociate", "--volume-type", kind, qos, json_out=False)
    cloud.os("volume", "qos", "delete", qos, json_out=False)
    cloud.os("volume", "type", "delete", kind, json_out=False)
