"""The real `openstack` CLI and openstacksdk against ferrostack image."""
import hashlib
import time
import uuid

import openstack
import openstack.config
import openstack.connection


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def write_file(path, mib):
    """A `mib` MiB file of varied bytes; returns its md5 and sha512."""
    block = hashlib.sha512(b"ferrostack").digest() * (1024 * 1024 // 64)
    md5, sha = hashlib.md5(), hashlib.sha512()
    with open(path, "wb") as f:
        for i in range(mib):
            chunk = bytes([i % 251]) + block[1:]
            f.write(chunk)
            md5.update(chunk)
            sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


def wait_status(cloud, image, status, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        shown = cloud.os("image", "show", image)
        if shown["status"] == status:
            return shown
        time.sleep(0.5)
    raise AssertionError(f"{image} never reached {status}: {shown}")


def test_one_gib_upload_save_and_checksums(cloud, tmp_path):
    name = unique("big")
    source = tmp_path / "disk.raw"
    md5, sha = write_file(source, 1024)
    created = cloud.os("image", "create", "--file", str(source), "--disk-format", "raw",
                       "--container-format", "bare", name)
    assert created["status"] == "active"
    assert created["size"] == 1024 * 1024 * 1024
    assert created["checksum"] == md5
    shown = cloud.os("image", "show", name)
    assert shown["properties"]["os_hash_algo"] == "sha512"
    assert shown["properties"]["os_hash_value"] == sha
    assert any(i["Name"] == name for i in cloud.os("image", "list"))
    saved = tmp_path / "saved.raw"
    cloud.os("image", "save", "--file", str(saved), name, json_out=False)
    assert saved.stat().st_size == source.stat().st_size
    got = hashlib.sha512()
    with open(saved, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            got.update(chunk)
    assert got.hexdigest() == sha
    cloud.os("image", "delete", name, json_out=False)
    cloud.os("image", "show", name, expect_fail=True)


def test_properties_tags_and_sharing(cloud, tmp_path):
    name = unique("shared")
    source = tmp_path / "small.raw"
    write_file(source, 1)
    cloud.os("image", "create", "--file", str(source), "--disk-format", "raw",
             "--container-format", "bare", "--shared", name)
    cloud.os("image", "set", "--property", "os_distro=cirros", "--tag", "blue", name, json_out=False)
    shown = cloud.os("image", "show", name)
    assert shown["properties"]["os_distro"] == "cirros"
    assert "blue" in shown["tags"]
    cloud.os("image", "unset", "--property", "os_distro", "--tag", "blue", name, json_out=False)
    shown = cloud.os("image", "show", name)
    assert "os_distro" not in shown["properties"]
    assert "blue" not in shown["tags"]
    image_id = shown["id"]

    project, user = unique("proj"), unique("user")
    cloud.os("project", "create", project)
    cloud.os("user", "create", user, "--password", "pw-1", "--project", project)
    cloud.os("role", "add", "--user", user, "--project", project, "member", json_out=False)
    cloud.add_cloud(user, username=user, password="pw-1", project_name=project,
                    user_domain_name="Default", project_domain_name="Default")
    member = cloud.os("image", "add", "project", name, project)
    assert member["status"] == "pending"
    assert all(i["ID"] != image_id for i in cloud.os("image", "list", cloud=user))
    cloud.os("image", "set", "--accept", image_id, cloud=user, json_out=False)
    assert any(i["ID"] == image_id for i in cloud.os("image", "list", cloud=user))
    assert cloud.os("image", "member", "list", image_id)[0]["Status"] == "accepted"
    # The member cannot change the image.
    cloud.os("image", "set", "--name", "stolen", image_id, cloud=user, expect_fail=True)
    cloud.os("image", "remove", "project", name, project, json_out=False)
    assert all(i["ID"] != image_id for i in cloud.os("image", "list", cloud=user))
    cloud.os("image", "delete", name, json_out=False)


def test_import_and_bad_input(cloud, tmp_path):
    name = unique("imported")
    source = tmp_path / "imp.raw"
    md5, _ = write_file(source, 2)
    cloud.os("image", "create", "--import", "--file", str(source), "--disk-format", "raw",
             "--container-format", "bare", name)
    shown = wait_status(cloud, name, "active")
    assert shown["checksum"] == md5
    assert shown["properties"]["stores"] == "local"
    stderr = cloud.os("image", "create", "--disk-format", "nonsense", unique("bad"), expect_fail=True)
    assert "nonsense" in stderr
    cloud.os("image", "delete", name, json_out=False)


def test_openstacksdk_create_and_download(cloud, tmp_path):
    source = tmp_path / "sdk.raw"
    md5, sha = write_file(source, 3)
    region = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)]).get_one(
        cloud="ferrostack")
    conn = openstack.connection.Connection(config=region)
    image = conn.image.create_image(unique("sdk"), filename=str(source), disk_format="raw",
                                    container_format="bare", wait=True)
    image = conn.image.get_image(image.id)
    assert image.status == "active"
    assert image.checksum == md5
    assert image.hash_value == sha
    data = conn.image.download_image(image)
    assert hashlib.sha512(data.content if hasattr(data, "content") else data).hexdigest() == sha
    target = tmp_path / "sdk-out.raw"
    conn.image.download_image(image, output=str(target))
    assert target.read_bytes() == source.read_bytes()
    conn.image.delete_image(image)
