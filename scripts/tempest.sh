#!/usr/bin/env bash
# Upstream's conformance suite against the all-in-one: `make tempest SERVICES=identity,image,volume`.
#
# Installs tempest (tests/tempest-requirements.txt, pinned) in .venv-tempest, starts
# `ferrostack up` in target/tempest on its own ports (identity 5000 + PORT_OFFSET), writes
# a tempest.conf whose feature flags say what is built, runs tempest.api.<service> for
# each service, prints passed/failed/skipped per service and the failing tests, and stops
# the cloud. Results stay in target/tempest/<service>.txt.
#
# FLOOR="identity=106 volume=136" makes it fail when a service passes fewer tests
# than its floor (CI's guard against conformance regressions).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVICES=${SERVICES:-identity,image,volume}
PROFILE=${PROFILE:-release}
PORT_OFFSET=${PORT_OFFSET:-300}
CONCURRENCY=${CONCURRENCY:-2}
if [ "$PROFILE" = dev ]; then BIN=target/debug; else BIN=target/$PROFILE; fi
WORK=target/tempest

# The venv, again only when the requirements change.
stamp=.venv-tempest/.requirements.sha256
want=$(sha256sum tests/tempest-requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  rm -rf .venv-tempest
  python3 -m venv .venv-tempest
  .venv-tempest/bin/pip install -q --disable-pip-version-check -r tests/tempest-requirements.txt
  echo "$want" > "$stamp"
fi

cargo build --profile "$PROFILE" --bins
bash scripts/runtime-deps.sh

rm -rf "$WORK"
mkdir -p "$WORK/logs"
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
# PCI-DSS rules as devstack sets them for tempest, and bcrypt's cheapest cost: the
# suite makes and logs in thousands of users (identity reads the file; the other
# services ignore its sections with a warning).
printf '[security_compliance]\nlockout_failure_attempts = 2\nlockout_duration = 5\nunique_last_password_count = 2\n[identity]\npassword_hash_rounds = 4\n' \
  > "$WORK/cloud.conf"
OS_PASSWORD=$password "$BIN/ferrostack" up --data-dir "$WORK/data" --port-offset "$PORT_OFFSET" \
  --config-file "$WORK/cloud.conf" > "$WORK/up.log" 2>&1 &
up=$!
trap 'kill "$up" 2>/dev/null; wait "$up" 2>/dev/null || true' EXIT
identity=http://127.0.0.1:$((5000 + PORT_OFFSET))/v3
for _ in $(seq 300); do
  [ -f "$WORK/data/clouds.yaml" ] && python3 -c "import urllib.request as u; u.urlopen('$identity', timeout=2)" \
    2> /dev/null && break
  kill -0 "$up" 2>/dev/null || { cat "$WORK/up.log"; exit 1; }
  sleep 0.2
done

# Two public images the volume and compute tests use ([compute] image_ref, as
# devstack uploads cirros): 1 MiB raw disks; devstack's two smallest flavors; and
# the network extensions served and the external network.
images=$(OS_PASSWORD=$password python3 - "$identity" <<'PY'
import json, os, sys, urllib.request as u
identity = sys.argv[1]
auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "admin", "domain": {"id": "default"}, "password": os.environ["OS_PASSWORD"]}}},
    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
req = u.Request(identity + "/auth/tokens", json.dumps(auth).encode(),
                {"Content-Type": "application/json"})
with u.urlopen(req, timeout=30) as resp:
    token = resp.headers["X-Subject-Token"]
    catalog = json.load(resp)["token"]["catalog"]
glance = next(e["url"] for s in catalog if s["type"] == "image"
              for e in s["endpoints"] if e["interface"] == "public").rstrip("/")
ids = []
for name in ("tempest-disk", "tempest-disk-alt"):
    body = {"name": name, "disk_format": "raw", "container_format": "bare",
            "visibility": "public"}
    req = u.Request(glance + "/v2/images", json.dumps(body).encode(),
                    {"Content-Type": "application/json", "X-Auth-Token": token})
    image = json.load(u.urlopen(req, timeout=30))["id"]
    req = u.Request(f"{glance}/v2/images/{image}/file", bytes(1 << 20),
                    {"Content-Type": "application/octet-stream", "X-Auth-Token": token},
                    method="PUT")
    u.urlopen(req, timeout=30).close()
    ids.append(image)
nova = next(e["url"] for s in catalog if s["type"] == "compute"
            for e in s["endpoints"] if e["interface"] == "public").rstrip("/")
for flavor_id, name, ram in (("42", "m1.nano", 128), ("84", "m1.micro", 192)):
    body = {"flavor": {"name": name, "id": flavor_id, "ram": ram, "vcpus": 1, "disk": 1}}
    req = u.Request(nova + "/flavors", json.dumps(body).encode(),
                    {"Content-Type": "application/json", "X-Auth-Token": token})
    u.urlopen(req, timeout=30).close()
# The network extensions tempest may use: exactly those the API lists.
neutron = next(e["url"] for s in catalog if s["type"] == "network"
               for e in s["endpoints"] if e["interface"] == "public").rstrip("/")
req = u.Request(neutron + "/v2.0/extensions", headers={"X-Auth-Token": token})
aliases = [e["alias"] for e in json.load(u.urlopen(req, timeout=30))["extensions"]]
# The external network `ferrostack up` makes, for floating IPs and gateways.
req = u.Request(neutron + "/v2.0/networks?name=public", headers={"X-Auth-Token": token})
public = json.load(u.urlopen(req, timeout=30))["networks"][0]["id"]
print(" ".join(ids), ",".join(aliases), public)
PY
)
read -r image_ref image_ref_alt extensions public_network_id <<< "$images"

# Compute and network are always up in the all-in-one: the volume suite attaches
# volumes to (fake) servers, and servers get ports on their project's network.
nova=true
neutron=true

# A workspace of our own (`tempest init` would also register it in ~/.tempest).
tempest_dir=$(.venv-tempest/bin/python -c 'import os, tempest; print(os.path.dirname(tempest.__file__))')
mkdir -p "$WORK/workspace/etc"
printf '[DEFAULT]\ntest_path=%s/test_discover\ntop_dir=%s\ngroup_regex=([^\\.]*\\.)*\n' \
  "$tempest_dir" "$tempest_dir" > "$WORK/workspace/.stestr.conf"
export TEMPEST_CONFIG_DIR=$PWD/$WORK/workspace/etc TEMPEST_CONFIG=tempest.conf
umask 077
cat > "$WORK/workspace/etc/tempest.conf" <<EOF
[DEFAULT]
log_dir = $PWD/$WORK/logs
log_file = tempest.log

[auth]
use_dynamic_credentials = true
admin_username = admin
admin_password = $password
admin_project_name = admin
admin_domain_name = Default
default_credentials_domain_name = Default
# Set per suite below: each project of the compute and volume suites gets a
# network, subnet and router, as devstack's tempest does.
create_isolated_networks = false

[identity]
uri_v3 = $identity
auth_version = v3
region = RegionOne
user_lockout_failure_attempts = 2
user_lockout_duration = 5
user_unique_last_password_count = 2
user_minimum_password_age = 0

# What identity has built (see README): no v2 or domain-specific drivers yet.
[identity-feature-enabled]
api_v2 = false
trust = true
project_tags = true
application_credentials = true
access_rules = true
security_compliance = true
domain_specific_drivers = false

[compute]
image_ref = $image_ref
image_ref_alt = $image_ref_alt
flavor_ref = 42
flavor_ref_alt = 84
min_microversion = 2.1
max_microversion = 2.104
build_timeout = 60
# The fake driver's guests: console output, passwords, snapshots, shelve,
# resize, rescue, volume and interface attachments; one host, so no migrations;
# no remote consoles or stable rescue yet (README).
[compute-feature-enabled]
change_password = true
console_output = true
resize = true
cold_migration = false
live_migration = false
pause = true
suspend = true
shelve = true
shelve_migrate = false
snapshot = true
rescue = true
stable_rescue = false
interface_attach = true
vnc_console = false
spice_console = false
serial_console = false
rdp_console = false
metadata_service = false
config_drive = false
personality = false
attach_encrypted_volume = false
swap_volume = false
volume_multiattach = false
volume_backed_live_migration = false
block_migration_for_live_migration = false
disk_config = true
hostname_fqdn_sanitization = true

[service_available]
glance = true
cinder = true
nova = $nova
neutron = $neutron
swift = false
horizon = false

# The all-in-one answers in seconds; a minute is ample for any waiter.
[image]
catalog_type = image
build_timeout = 60

[image-feature-enabled]
import_image = true

[volume]
catalog_type = volumev3
build_timeout = 60
min_microversion = 3.0
max_microversion = 3.70
backend_names = file,qcow2
# What the all-in-one's backends report (volume types select them by these).
storage_protocol = file
vendor_name = Open Source
backup_driver = posix

# Backups go to the backup role's posix repository. No manage/unmanage or
# attached extends (they need compute) yet.
[volume-feature-enabled]
backup = true
snapshot = true
clone = true
manage_snapshot = false
manage_volume = false
extend_attached_volume = false

# The network API as served, with the external network ferrostack up makes. The
# agent's noop data plane turns bound ports ACTIVE at once; nothing forwards
# packets, so projects' networks are not reachable.
[network]
project_networks_reachable = false
shared_physical_network = false
public_network_id = $public_network_id
floating_network_name = public
build_timeout = 10

[network-feature-enabled]
api_extensions = $extensions
ipv6 = true
ipv6_subnet_attributes = true
port_security = true

[validation]
run_validation = false
EOF

summary=()
below=()
# The tests that cannot pass here, each with why.
exclude="$PWD/tests/tempest-exclude.txt"
for service in ${SERVICES//,/ }; do
  out="$PWD/$WORK/$service.txt"
  case $service in compute|volume) isolated=true ;; *) isolated=false ;; esac
  sed -i "s/^create_isolated_networks = .*/create_isolated_networks = $isolated/" \
    "$WORK/workspace/etc/tempest.conf"
  (cd "$WORK/workspace" && ../../../.venv-tempest/bin/tempest run \
    --regex "^tempest\.api\.$service\." --exclude-list "$exclude" \
    --concurrency "$CONCURRENCY" > "$out" 2>&1) || true
  count() { grep -E "^ - $1: " "$out" | head -1 | awk '{print $3}'; }
  summary+=("$service: $(count Passed) passed, $(count Failed) failed, $(count Skipped) skipped")
  passed=$(count Passed || true)
  for floor in ${FLOOR:-}; do
    if [ "${floor%%=*}" = "$service" ] && [ "${passed:-0}" -lt "${floor#*=}" ]; then
      below+=("$service passed ${passed:-0} tests, fewer than its floor of ${floor#*=}")
    fi
  done
  echo "== $service: failing tests"
  grep -E "^\{[0-9]+\} .* FAILED" "$out" | sed -E 's/^\{[0-9]+\} //; s/ \[.*//' | sort -u || true
done
echo "== tempest (results in $WORK/<service>.txt)"
printf '%s\n' "${summary[@]}"
if [ ${#below[@]} -gt 0 ]; then
  printf 'tempest: %s\n' "${below[@]}" >&2
  exit 1
fi
