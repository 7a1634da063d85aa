#!/usr/bin/env bash
# The real OpenStack dashboard (Horizon) on the all-in-one: `make dashboard`.
#
#   scripts/dashboard.sh [up]   starts `ferrostack up` in target/dashboard on its own ports
#                               (identity 5000 + PORT_OFFSET, 5500 by default), then serves
#                               Horizon for it on http://127.0.0.1:$PORT/ (8080) in the
#                               foreground until Ctrl-C, which stops both. Log in as
#                               admin with $OS_PASSWORD ("admin" when unset).
#   scripts/dashboard.sh serve  serves Horizon, in the foreground, for the cloud whose
#                               identity endpoint is $DASHBOARD_IDENTITY_URL (the
#                               end-to-end test's own cloud); its state goes in
#                               $DASHBOARD_STATE (default target/dashboard/horizon).
#   scripts/dashboard.sh install  only makes the venv.
#
# Horizon is pinned with everything it needs in tests/dashboard-requirements.txt and
# installed in .venv-dashboard, again only when the requirements change. Each instance
# gets its own local_settings.py (as the top-level `local` package Horizon's settings
# import, on PYTHONPATH; nothing in the venv is edited), its SECRET_KEY (random, 0600)
# and sessions in files in its state directory: no memcached, no database. The static
# files (collectstatic, then the offline `compress`) depend only on the Horizon release
# and WEBROOT and are kept in the venv, made again when either changes. The binaries are
# not built here: `make build` (PROFILE=release) or `cargo build` (PROFILE=dev) first.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-up}
PROFILE=${PROFILE:-release}
PORT_OFFSET=${PORT_OFFSET:-500}
PORT=${PORT:-8080}
BIND=${BIND:-127.0.0.1}
WEBROOT=${WEBROOT:-/}
if [ "$PROFILE" = dev ]; then BIN=target/debug; else BIN=target/$PROFILE; fi
WORK=target/dashboard
VENV=.venv-dashboard

# The venv, again only when the requirements change.
stamp=$VENV/.requirements.sha256
want=$(sha256sum tests/dashboard-requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # Never part of a commit (as Python 3.13's venv module does by itself).
  echo '*' > "$VENV/.gitignore"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/dashboard-requirements.txt
  echo "$want" > "$stamp"
fi
[ "$MODE" = install ] && exit 0

case "$MODE" in
  up)
    [ -x "$BIN/ferrostack" ] || { echo "dashboard: no $BIN/ferrostack; run make build (PROFILE=$PROFILE) first" >&2; exit 1; }
    bash scripts/runtime-deps.sh
    STATE=$WORK/horizon
    rm -rf "$WORK/data"
    mkdir -p "$WORK" "$STATE"
    # The admin password is $OS_PASSWORD ("admin" when unset), as for `make run`:
    # passed in the environment, never on a command line.
    OS_PASSWORD=${OS_PASSWORD:-admin} "$BIN/ferrostack" up --data-dir "$WORK/data" \
      --port-offset "$PORT_OFFSET" > "$WORK/up.log" 2>&1 &
    up=$!
    trap 'kill "$up" 2>/dev/null; wait "$up" 2>/dev/null || true' EXIT
    IDENTITY_URL=http://127.0.0.1:$((5000 + PORT_OFFSET))/v3
    for _ in $(seq 300); do
      [ -f "$WORK/data/clouds.yaml" ] && python3 -c "import urllib.request as u; u.urlopen('$IDENTITY_URL', timeout=2)" \
        2> /dev/null && break
      kill -0 "$up" 2>/dev/null || { cat "$WORK/up.log"; exit 1; }
      sleep 0.2
    done
    ;;
  serve)
    IDENTITY_URL=${DASHBOARD_IDENTITY_URL:?serve needs DASHBOARD_IDENTITY_URL, the cloud\'s identity v3 endpoint}
    STATE=${DASHBOARD_STATE:-$WORK/horizon}
    mkdir -p "$STATE"
    ;;
  *)
    echo "usage: $0 [up|serve|install]" >&2
    exit 2
    ;;
esac
STATE=$(cd "$STATE" && pwd)
umask 077

# The instance's settings: Horizon's settings module does `from local.local_settings
# import *` with its own directory last on sys.path, so this package, first on
# PYTHONPATH, is the one it reads.
mkdir -p "$STATE/settings/local" "$STATE/sessions"
[ -s "$STATE/secret_key" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > "$STATE/secret_key"
: > "$STATE/settings/local/__init__.py"
static_key=$(printf '%s %s' "$want" "$WEBROOT" | sha256sum | cut -c1-16)
STATIC_ROOT=$PWD/$VENV/static-$static_key
cat > "$STATE/settings/local/local_settings.py" <<EOF
# Written by scripts/dashboard.sh for the cloud at $IDENTITY_URL.
from django.utils.translation import gettext_lazy as _

DEBUG = False
WEBROOT = '$WEBROOT'
ALLOWED_HOSTS = ['127.0.0.1', 'localhost', '$BIND']
with open('$STATE/secret_key') as _f:
    SECRET_KEY = _f.read().strip()

# No memcached: sessions in files, caches in the process (runserver is one process).
SESSION_ENGINE = 'django.contrib.sessions.backends.file'
SESSION_FILE_PATH = '$STATE/sessions'
CACHES = {'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
# Plain http on loopback.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

STATIC_ROOT = '$STATIC_ROOT'
COMPRESS_OFFLINE = True

OPENSTACK_HOST = '127.0.0.1'
OPENSTACK_KEYSTONE_URL = '$IDENTITY_URL'
OPENSTACK_API_VERSIONS = {'identity': 3, 'image': 2, 'volume': 3, 'compute': 2}
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = False
OPENSTACK_ENDPOINT_TYPE = 'publicURL'
TIME_ZONE = 'UTC'

# What the all-in-one has built: no network service (Horizon hides its panels when
# the catalog has none; these keep the rest from asking it), no backups, no consoles.
OPENSTACK_NEUTRON_NETWORK = {
    'enable_auto_allocated_network': False,
    'enable_distributed_router': False,
    'enable_fip_topology_check': False,
    'enable_ha_router': False,
    'enable_ipv6': False,
    'enable_quotas': False,
    'enable_rbac_policy': False,
    'enable_router': False,
    'default_dns_nameservers': [],
    'supported_provider_types': ['*'],
    'segmentation_id_range': {},
    'extra_provider_types': {},
    'supported_vnic_types': ['*'],
    'physical_networks': [],
    'show_agents_column': False,
}
OPENSTACK_INSTANCE_RETRIEVE_IP_ADDRESSES = False
OPENSTACK_HYPERVISOR_FEATURES = {
    'can_set_mount_point': False,
    'can_set_password': False,
    'enable_quotas': True,
    'requires_keypair': False,
}
OPENSTACK_CINDER_FEATURES = {'enable_backup': False}
CONSOLE_TYPE = None

LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'formatters': {'plain': {'format': 'horizon | %(levelname)s %(name)s %(message)s'}},
    'handlers': {'console': {'class': 'logging.StreamHandler', 'formatter': 'plain'}},
    'loggers': {
        'django': {'handlers': ['console'], 'level': 'INFO'},
        'horizon': {'handlers': ['console'], 'level': 'INFO'},
        'openstack_dashboard': {'handlers': ['console'], 'level': 'INFO'},
        'openstack_auth': {'handlers': ['console'], 'level': 'INFO'},
        'keystoneauth': {'handlers': ['console'], 'level': 'WARNING'},
        'novaclient': {'handlers': ['console'], 'level': 'WARNING'},
        'cinderclient': {'handlers': ['console'], 'level': 'WARNING'},
        'glanceclient': {'handlers': ['console'], 'level': 'WARNING'},
        'keystoneclient': {'handlers': ['console'], 'level': 'WARNING'},
    },
}
EOF
export PYTHONPATH=$STATE/settings DJANGO_SETTINGS_MODULE=openstack_dashboard.settings
# Upstream's own deprecation noise (debreach, Django 6.0 notices), not ours to fix.
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning,ignore::PendingDeprecationWarning}
django=("$VENV/bin/django-admin")

# Static files and the offline-compressed CSS/JS, once per Horizon release and WEBROOT
# (under a lock: the test and `make dashboard` may start together).
(
  flock 9
  if [ ! -f "$STATIC_ROOT/.done" ]; then
    rm -rf "$STATIC_ROOT"
    start=$(date +%s)
    "${django[@]}" collectstatic --noinput -v 0
    "${django[@]}" compress --force -v 0
    touch "$STATIC_ROOT/.done"
    echo "dashboard: static files collected and compressed in $(( $(date +%s) - start )) s"
  fi
) 9> "$VENV/.static.lock"

echo "dashboard: Horizon for $IDENTITY_URL on http://$BIND:$PORT$WEBROOT"
if [ "$MODE" = up ]; then
  echo "dashboard: user admin, password \$OS_PASSWORD (\"admin\" when unset); Ctrl-C stops it and the cloud"
  # In the background, so that Ctrl-C or a SIGTERM reaches this script at once: it
  # then stops the server and the cloud, each by its PID.
  "${django[@]}" runserver --insecure --noreload "$BIND:$PORT" &
  server=$!
  trap 'kill "$server" "$up" 2>/dev/null; wait "$server" "$up" 2>/dev/null || true' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  wait "$server"
else
  exec "${django[@]}" runserver --insecure --noreload "$BIND:$PORT"
fi
