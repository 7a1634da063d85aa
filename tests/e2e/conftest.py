"""Starts `ferrostack up` on free ports in a temp dir and drives the real CLI."""
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BIN_DIR = Path(os.environ.get("FERRO_BIN_DIR", Path(__file__).resolve().parents[2] / "target" / "debug"))
OPENSTACK = Path(sys.executable).parent / "openstack"
ADMIN_PASSWORD = "e2e-secret"


def free_offset():
    """A port offset whose identity port (5000 + offset) is free."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if 5000 < port < 60000:
            return port - 5000
    raise RuntimeError("no free port")


class Cloud:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.clouds_yaml = data_dir / "clouds.yaml"

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env["OS_CLIENT_CONFIG_FILE"] = str(self.clouds_yaml)
        env.update(extra)
        return env

    def os(self, *args, cloud="ferrostack", expect_fail=False, json_out=True, env=None):
        cmd = [str(OPENSTACK), "--os-cloud", cloud, *args]
        if json_out:
            cmd += ["-f", "json"]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env or self.env())
        if expect_fail:
            assert run.returncode != 0, f"{cmd} unexpectedly succeeded: {run.stdout}"
            return run.stderr
        assert run.returncode == 0, f"{cmd} failed: {run.stderr}"
        return json.loads(run.stdout) if json_out and run.stdout.strip() else run.stdout

    def add_cloud(self, name, **auth):
        """Appends a cloud entry (another user) to clouds.yaml."""
        text = self.clouds_yaml.read_text()
        lines = [f"  {name}:", "    auth:", f"      auth_url: {self.auth_url}"]
        lines += [f"      {k}: '{v}'" for k, v in auth.items()]
        lines += ["    region_name: RegionOne", "    identity_api_version: 3"]
        if "auth_type" in auth:
            lines.insert(1, f"    auth_type: {auth['auth_type']}")
            lines = [l for l in lines if "auth_type: '" not in l]
        self.clouds_yaml.write_text(text + "\n".join(lines) + "\n")

    @property
    def auth_url(self):
        for line in self.clouds_yaml.read_text().splitlines():
            if "auth_url:" in line:
                return line.split("auth_url:")[1].strip()
        raise RuntimeError("no auth_url")


@contextlib.contextmanager
def running_cloud(data_dir, **env):
    """`ferrostack up` in `data_dir` (with `env` added to its environment) until the
    block ends; yields (Cloud, process)."""
    offset = free_offset()
    log = open(data_dir / "up.log", "w")
    # bcrypt's cheapest cost: every CLI command logs in with a password.
    config = data_dir / "e2e.conf"
    config.write_text("[identity]\npassword_hash_rounds = 4\n")
    proc = subprocess.Popen(
        [str(BIN_DIR / "ferrostack"), "up", "--data-dir", str(data_dir), "--port-offset", str(offset),
         "--config-file", str(config)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, "OS_PASSWORD": ADMIN_PASSWORD, **env},
    )
    try:
        c = Cloud(data_dir)
        deadline = time.time() + 60
        while time.time() < deadline:
            if c.clouds_yaml.exists():
                try:
                    urllib.request.urlopen(c.auth_url, timeout=2)
                    break
                except Exception:
                    pass
            if proc.poll() is not None:
                raise RuntimeError(f"ferrostack up exited: {(data_dir / 'up.log').read_text()}")
            time.sleep(0.1)
        else:
            raise RuntimeError(f"ferrostack up not ready: {(data_dir / 'up.log').read_text()}")
        yield c, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def cloud(tmp_path_factory):
    with running_cloud(tmp_path_factory.mktemp("ferrostack")) as (c, _):
        yield c
