"""`ferrostack up` supervises its services: one killed mid-operation is started
again, the others never stop, and the volumes it had accepted finish."""
import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import running_cloud


def child_pid(up, binary):
    """The PID of `up`'s child running `binary`."""
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(up.pid)],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        pid, args = line.strip().split(None, 1)
        if os.path.basename(args.split()[0]) == binary:
            return int(pid)
    raise AssertionError(f"no {binary} under ferrostack up: {out}")


def api(method, url, token, body=None):
    request = urllib.request.Request(
        url, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"X-Auth-Token": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def supervised(tmp_path_factory):
    with running_cloud(tmp_path_factory.mktemp("supervised")) as (cloud, up):
        yield cloud, up


def test_a_killed_service_is_restarted_and_its_accepted_creates_finish(supervised):
    cloud, up = supervised
    token = cloud.os("token", "issue")
    endpoint = cloud.os("endpoint", "list", "--service", "volumev3", "--interface", "public")[0]
    volumes = endpoint["URL"].replace("%(project_id)s", token["project_id"]) \
        .replace("$(project_id)s", token["project_id"])
    before = child_pid(up, "ferrostack-block-storage")
    identity_pid = child_pid(up, "ferrostack-identity")

    accepted = []
    for i in range(8):
        status, body = api("POST", f"{volumes}/volumes", token["id"],
                           {"volume": {"size": 1, "name": f"crash-{i}"}})
        assert status == 202
        accepted.append(body["volume"]["id"])
    os.kill(before, signal.SIGKILL)

    # Identity is untouched; block storage answers again from a new process.
    assert cloud.os("project", "list")
    assert child_pid(up, "ferrostack-identity") == identity_pid
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            after = child_pid(up, "ferrostack-block-storage")
            if after != before and api("GET", f"{volumes}/volumes", token["id"])[0] == 200:
                break
        except (AssertionError, OSError):
            pass
        time.sleep(0.2)
    else:
        raise AssertionError("block storage was not started again")
    assert up.poll() is None, "the cloud stopped"
    log = (cloud.data_dir / "up.log").read_text()
    assert "block-storage" in log and "restart" in log, log[-2000:]

    deadline = time.time() + 60
    pending = set(accepted)
    while pending and time.time() < deadline:
        for volume in list(pending):
            status = api("GET", f"{volumes}/volumes/{volume}", token["id"])[1]["volume"]["status"]
            assert status in ("creating", "available"), f"{volume}: {status}"
            if status == "available":
                pending.discard(volume)
        time.sleep(0.3)
    assert not pending, f"never available: {pending}"
