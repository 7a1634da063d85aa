# ferrostack — the commands the README names.
#   make run    build the binaries and start the whole cloud in ./data
#   make test   install and start what the tests need, then run every suite
#   make cli    the pinned `openstack` CLI in .venv, to talk to the cloud
SHELL := /bin/bash
CARGO ?= cargo
DATA_DIR ?= ./data
# release: no LTO, quick to build; dist: thin LTO, for packaged binaries.
PROFILE ?= release

.PHONY: run build cli dashboard tempest conformance test lint fmt bench deps backends backends-stop venv test-unit test-backends test-e2e test-e2e-early test-e2e-late test-dashboard

# The admin password comes from OS_PASSWORD ("admin" when unset), never argv.
run: build
	bash scripts/runtime-deps.sh
	./target/$(PROFILE)/ferrostack up --data-dir $(DATA_DIR)

build:
	$(CARGO) build --profile $(PROFILE) --bins

cli: venv
	@echo "The CLI is .venv/bin/openstack; with the cloud up (make run):"
	@echo "  export OS_CLIENT_CONFIG_FILE=$(abspath $(DATA_DIR))/clouds.yaml OS_CLOUD=ferrostack"
	@echo "  .venv/bin/openstack project list"

# The real OpenStack dashboard (Horizon 25.7.3) on the all-in-one, in the foreground:
# http://127.0.0.1:8080/ (PORT=), user admin, password $$OS_PASSWORD ("admin" when
# unset); Ctrl-C stops it and the cloud (scripts/dashboard.sh).
dashboard: build
	PROFILE=$(PROFILE) bash scripts/dashboard.sh up

# Upstream's tempest API tests against the all-in-one (scripts/tempest.sh).
SERVICES ?= identity,image,volume
tempest:
	SERVICES=$(SERVICES) PROFILE=$(PROFILE) FLOOR="$(FLOOR)" bash scripts/tempest.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all


# Load figures for the README (wrk, pinned cores); see bench/.
bench:
	bash bench/stack.sh
	bash bench/identity.sh
	bash bench/image.sh
	bash bench/block-storage.sh
	bash bench/compute.sh
	bash bench/network.sh

deps:
	bash scripts/deps.sh

venv:
	bash scripts/venv.sh

# RabbitMQ, MariaDB, PostgreSQL and memcached on loopback for the test suites.
backends:
	bash scripts/backends.sh start

backends-stop:
	bash scripts/backends.sh stop

# The broker-restart tests stop RabbitMQ for a moment: they run alone, after the rest.
BROKER_RESTART := (test(broker_restart_during_casts) | test(broker_restart_during_boots))
test-unit:
	bash scripts/with-backends.sh $(CARGO) nextest run --workspace --no-fail-fast -E 'not $(BROKER_RESTART)'
	bash scripts/with-backends.sh $(CARGO) nextest run --workspace -j 1 -E '$(BROKER_RESTART)'

# The identity, image and block-storage suites again on the production backends.
# `--workspace` (not `-p`) keeps the unit run's features, so nothing is rebuilt.
# One after the other: side by side they took as long (1018 s against 516 + 508),
# the two cores already busy.
BACKEND_SUITES := --workspace \
	-E '(package(ferrostack-image) | package(ferrostack-block-storage) | package(ferrostack-compute) | package(ferrostack-network) | (package(ferrostack-identity) & (binary(tokens) | binary(resources) | binary(policy)))) & not $(BROKER_RESTART)'
test-backends:
	FERRO_TEST_DB=mysql FERRO_TEST_TRANSPORT=rabbit bash scripts/with-backends.sh \
		$(CARGO) nextest run --no-fail-fast $(BACKEND_SUITES)
	FERRO_TEST_DB=postgres FERRO_TEST_TRANSPORT=rabbit FERRO_TEST_CACHE=memcached \
		bash scripts/with-backends.sh $(CARGO) nextest run --no-fail-fast $(BACKEND_SUITES)

# The end-to-end files `make test` runs after the conformance suite rather than
# beside it (servers on networks, the Linux data plane, the server lifecycle: about
# five minutes), so that its two lanes take about as long.
E2E_LATE := tests/e2e/test_server_network_cli.py tests/e2e/test_network_linux_cli.py \
	tests/e2e/test_server_cli.py
PYTEST_E2E := FERRO_BIN_DIR=$(CURDIR)/target/debug .venv/bin/python -m pytest -q

test-e2e: test-e2e-early test-e2e-late

test-e2e-early: venv
	$(CARGO) build --bins
	$(PYTEST_E2E) tests/e2e --ignore=tests/e2e/test_dashboard.py $(addprefix --ignore=,$(E2E_LATE))

test-e2e-late: venv
	$(CARGO) build --bins
	$(PYTEST_E2E) $(E2E_LATE)

# Horizon driven by headless Chromium against an end-to-end cloud.
test-dashboard:
	$(CARGO) build --bins
	bash scripts/dashboard.sh install
	FERRO_BIN_DIR=$(CURDIR)/target/debug .venv-dashboard/bin/python -m pytest -q tests/e2e/test_dashboard.py

# Upstream's conformance suite with CI's floors (a few below the counts in README):
# identity, image and volume on one cloud; compute and network each on a cloud of
# its own (compute's suite makes and moves many servers).
conformance:
	$(MAKE) tempest PROFILE=dev FLOOR="identity=134 image=50 volume=200"
	$(MAKE) tempest PROFILE=dev SERVICES=compute FLOOR="compute=480"
	$(MAKE) tempest PROFILE=dev SERVICES=network FLOOR="network=230"

# The CLI suites and the conformance suite side by side: each keeps about one core
# busy (the CLI's start-up in Python, tempest's two workers). The venv is made
# before, once.
test: deps lint test-unit test-backends venv
	bash scripts/side-by-side.sh "cli=$(MAKE) test-e2e-early test-dashboard" \
		"tempest=$(MAKE) conformance test-e2e-late"

