"""The real OpenStack dashboard (Horizon) against ferrostack, in headless Chromium.

Horizon comes from tests/dashboard-requirements.txt (.venv-dashboard, made by
`scripts/dashboard.sh install`), and so do selenium and pytest: run this module with
`.venv-dashboard/bin/python -m pytest tests/e2e/test_dashboard.py`, with Debian's
chromium and chromium-driver installed. The cloud is the e2e suite's own (conftest's
`cloud`), Horizon is `scripts/dashboard.sh serve` for it on a free port, stopped by PID.

With DASHBOARD_URL set, it drives that running Horizon instead, and the cloud behind it
(OS_AUTH_URL, the admin's password in OS_PASSWORD), e.g. `make dashboard`'s.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is in .venv-dashboard (tests/dashboard-requirements.txt)")
from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException, TimeoutException, WebDriverException)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

import conftest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DASHBOARD_ARTIFACTS", ROOT / "target" / "dashboard" / "artifacts"))
# Bounded waits: the first page after login compiles nothing (static files are
# compressed offline), so a page is seconds; a volume is created in about one.
PAGE_TIMEOUT = 30
VOLUME_TIMEOUT = 60
START_TIMEOUT = 300  # the dashboard's first start collects and compresses static files


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """The admin's token and catalog, from the identity API (no CLI in this venv)."""

    def __init__(self, auth_url, password):
        self.auth_url = auth_url.rstrip("/")
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
        with self.call("POST", self.auth_url + "/auth/tokens", body, token=False) as resp:
            self.token = resp.headers["X-Subject-Token"]
            catalog = json.load(resp)["token"]["catalog"]
        self.endpoints = {s["type"]: e["url"].rstrip("/") for s in catalog
                          for e in s["endpoints"] if e["interface"] == "public"}

    def call(self, method, url, body=None, token=True, headers=None, data=None):
        headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["X-Auth-Token"] = self.token
        req = urllib.request.Request(url, data, headers, method=method)
        return urllib.request.urlopen(req, timeout=30)

    def json(self, method, url, body=None):
        with self.call(method, url, body) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def upload_image(self, name):
        glance = self.endpoints["image"]
        image = self.json("POST", glance + "/v2/images", {
            "name": name, "disk_format": "raw", "container_format": "bare"})
        self.call("PUT", f"{glance}/v2/images/{image['id']}/file", data=bytes(1 << 20),
                  headers={"Content-Type": "application/octet-stream"}).close()
        return image["id"]

    def volumes(self):
        return self.json("GET", self.endpoints["volumev3"] + "/volumes/detail")["volumes"]

    def delete(self, url):
        try:
            self.call("DELETE", url).close()
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise


@pytest.fixture(scope="module")
def dashboard(request, tmp_path_factory):
    """(Horizon's base URL, Api as admin, the admin's password, Horizon's log path)."""
    if os.environ.get("DASHBOARD_URL"):
        password = os.environ["OS_PASSWORD"]
        yield os.environ["DASHBOARD_URL"].rstrip("/"), Api(os.environ["OS_AUTH_URL"], password), \
            password, None
        return
    cloud = request.getfixturevalue("cloud")
    state = tmp_path_factory.mktemp("horizon")
    port = free_port()
    log_path = state / "horizon.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "dashboard.sh"), "serve"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, "DASHBOARD_IDENTITY_URL": cloud.auth_url,
             "DASHBOARD_STATE": str(state), "PORT": str(port)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + START_TIMEOUT
        while True:
            try:
                urllib.request.urlopen(url + "/auth/login/", timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"dashboard.sh serve exited: {log_path.read_text()}")
            if time.time() > deadline:
                raise RuntimeError(f"Horizon not up in {START_TIMEOUT} s: {log_path.read_text()}")
            time.sleep(0.5)
        yield url, Api(cloud.auth_url, conftest.ADMIN_PASSWORD), conftest.ADMIN_PASSWORD, log_path
    finally:
        # The script execs the server: this PID is runserver itself.
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def browser():
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=en-US"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver_path))
    driver.set_page_load_timeout(PAGE_TIMEOUT * 2)
    try:
        yield driver
    finally:
        driver.quit()


def save_page(driver, name):
    """The page a failure left, for a look afterwards (screenshot and HTML)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}.html").write_text(driver.page_source)
    except WebDriverException:
        pass


def wait(driver, condition, timeout=PAGE_TIMEOUT, what=""):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.3,
                             ignored_exceptions=[StaleElementReferenceException]).until(condition)
    except TimeoutException:
        errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".alert-danger, .alert-error")]
        raise AssertionError(
            f"timed out after {timeout} s waiting for {what} on {driver.current_url}; "
            f"Horizon's errors: {errors}") from None


def page_errors(driver):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".alert-danger, .alert-error")
            if e.is_displayed() and e.text.strip()]


def table_row(driver, table_id, text):
    """The row of Horizon's (Django) table `table_id` that has a cell reading `text`."""
    for row in driver.find_elements(By.CSS_SELECTOR, f"table#{table_id} tbody tr"):
        if any(c.text.strip() == text for c in row.find_elements(By.TAG_NAME, "td")):
            return row
    return None


def log_in(driver, base, password):
    driver.get(base + "/auth/login/")
    wait(driver, EC.presence_of_element_located((By.ID, "id_username")), what="the login form")
    driver.find_element(By.ID, "id_username").send_keys("admin")
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.ID, "loginBtn").click()
    wait(driver, lambda d: "/auth/login" not in d.current_url
         and d.find_elements(By.CSS_SELECTOR, "#profile_editor_switcher, .nav .dropdown-toggle"),
         what="the dashboard after login")


def test_dashboard_login_identity_images_volumes(dashboard, browser):
    base, api, password, horizon_log = dashboard
    image_name = unique("dash-image")
    volume_name = unique("dash-vol")
    image_id = api.upload_image(image_name)
    try:
        log_in(browser, base, password)
        assert not page_errors(browser), page_errors(browser)

        # Identity -> Projects lists the admin project.
        browser.get(base + "/identity/")
        wait(browser, lambda d: table_row(d, "tenants", "admin"), what="project admin in Identity > Projects")
        assert not page_errors(browser), page_errors(browser)

        # Project -> Compute -> Images (the AngularJS panel, through Horizon's REST API)
        # lists the image uploaded through the image API.
        browser.get(base + "/project/images")
        wait(browser, lambda d: any(a.text.strip() == image_name
                                    for a in d.find_elements(By.CSS_SELECTOR, "table a, table td")),
             what=f"image {image_name} in Project > Compute > Images")
        assert not page_errors(browser), page_errors(browser)

        # Project -> Volumes -> Volumes, then its "Create Volume" form: an empty 1 GiB volume.
        browser.get(base + "/project/volumes/")
        wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "table#volumes")),
             what="the volumes table")
        assert not page_errors(browser), page_errors(browser)
        wait(browser, EC.element_to_be_clickable((By.ID, "volumes__action_create")),
             what="the Create Volume button").click()
        name_field = wait(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, ".modal #id_name")),
                          what="the Create Volume form")
        name_field.send_keys(volume_name)
        source = browser.find_elements(By.CSS_SELECTOR, ".modal #id_volume_source_type")
        if source:
            Select(source[0]).select_by_value("no_source_type")
        size = browser.find_element(By.CSS_SELECTOR, ".modal #id_size")
        size.clear()
        size.send_keys("1")
        browser.find_element(By.CSS_SELECTOR, ".modal .modal-footer [type=submit]").click()
        wait(browser, lambda d: table_row(d, "volumes", volume_name),
             what=f"volume {volume_name} in Project > Volumes")
        assert not page_errors(browser), page_errors(browser)

        # It becomes available: in the API, and in the table (Horizon polls rows that are
        # still in a transitional status and replaces them when they change).
        deadline = time.time() + VOLUME_TIMEOUT
        created = None
        while time.time() < deadline:
            created = next((v for v in api.volumes() if v["name"] == volume_name), None)
            if created and created["status"] in ("available", "error"):
                break
            time.sleep(0.5)
        assert created is not None, f"no volume {volume_name} in the API"
        assert created["status"] == "available", created
        assert created["size"] == 1
        wait(browser, lambda d: (r := table_row(d, "volumes", volume_name)) is not None
             and "Available" in r.text, timeout=VOLUME_TIMEOUT, what=f"{volume_name} Available in the table")
    except BaseException:
        save_page(browser, "test_dashboard")
        raise
    finally:
        for volume in [v for v in api.volumes() if v["name"] == volume_name]:
            api.delete(f"{api.endpoints['volumev3']}/volumes/{volume['id']}")
        api.delete(f"{api.endpoints['image']}/v2/images/{image_id}")
        if horizon_log is not None and horizon_log.exists():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(horizon_log, ARTIFACTS / "horizon.log")
