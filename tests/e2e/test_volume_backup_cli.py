"""`openstack volume backup ...` against ferrostack's backup role: full and
incremental backups, restores into new and existing volumes, records."""
import time
import uuid


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(show, status, timeout=90):
    deadline = time.time() + timeout
    shown = None
    while time.time() < deadline:
        shown = show()
        if shown["status"] == status:
            return shown
        time.sleep(0.5)
    raise AssertionError(f"never reached {status}: {shown}")


def test_volume_backup_create_incremental_restore_delete(cloud):
    services = cloud.os("volume", "service", "list")
    assert "cinder-backup" in {s["Binary"] for s in services}
    source = unique("bk-src")
    cloud.os("volume", "create", "--size", "1", "--property", "tier=gold", source)
    wait_for(lambda: cloud.os("volume", "show", source), "available")

    def backup(*args):
        made = cloud.os("volume", "backup", "create", *args, source)
        return wait_for(lambda: cloud.os("volume", "backup", "show", made["id"]), "available")

    full = backup("--name", unique("full"), "--description", "nightly")
    assert full["is_incremental"] is False and full["size"] == 1
    incr = backup("--incremental", "--name", unique("incr"))
    assert incr["is_incremental"] is True
    listed = {b["ID"]: b for b in cloud.os("volume", "backup", "list", "--long")}
    assert {full["id"], incr["id"]} <= set(listed)
    assert listed[full["id"]]["Description"] == "nightly"

    # Into a new volume: named as asked, with the source's properties.
    new_name = unique("restored")
    cloud.os("volume", "backup", "restore", incr["id"], new_name)
    restored = wait_for(lambda: cloud.os("volume", "show", new_name), "available")
    assert restored["properties"]["tier"] == "gold"
    assert restored["properties"]["src_backup_id"] == incr["id"]

    # Into an existing volume, which needs --force.
    stderr = cloud.os("volume", "backup", "restore", full["id"], new_name, expect_fail=True)
    assert "--force" in stderr
    cloud.os("volume", "backup", "restore", "--force", full["id"], new_name)
    wait_for(lambda: cloud.os("volume", "backup", "show", full["id"]), "available")
    wait_for(lambda: cloud.os("volume", "show", new_name), "available")

    # The full backup has a dependent; its record exports for an admin.
    stderr = cloud.os("volume", "backup", "delete", full["id"], expect_fail=True, json_out=False)
    assert "Incremental backups exist for this backup" in stderr
    record = cloud.os("volume", "backup", "record", "export", full["id"])
    assert record["backup_service"] == "cinder.backup.drivers.posix.PosixBackupDriver"
    cloud.os("volume", "backup", "set", "--state", "error", incr["id"], json_out=False)
    assert cloud.os("volume", "backup", "show", incr["id"])["status"] == "error"
    for backup_id in (incr["id"], full["id"]):
        cloud.os("volume", "backup", "delete", backup_id, json_out=False)
        deadline = time.time() + 60
        while time.time() < deadline and backup_id in {
            b["ID"] for b in cloud.os("volume", "backup", "list")
        }:
            time.sleep(0.5)
        assert backup_id not in {b["ID"] for b in cloud.os("volume", "backup", "list")}
    for volume in (new_name, source):
        cloud.os("volume", "delete", volume, json_out=False)
