# ferrostack — the commands the README names.
#   make run    build release binaries and start the whole cloud in ./data
#   make test   install and start what the tests need, then run every suite
SHELL := /bin/bash
CARGO ?= cargo
DATA_DIR ?= ./data
RELEASE_BINS := -p ferrostack -p ferrostack-identity -p ferrostack-image -p ferrostack-block-storage

.PHONY: run build test lint fmt bench deps backends backends-stop venv test-unit test-backends test-e2e

run: build
	./target/release/ferrostack up --data-dir $(DATA_DIR) --admin-password "$${OS_PASSWORD:-admin}"

build:
	$(CARGO) build --release $(RELEASE_BINS)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all


# Load figures for the README (wrk, pinned cores); see bench/.
bench:
	bash bench/identity.sh
	bash bench/image.sh
	bash bench/block-storage.sh

deps:
	bash scripts/deps.sh

venv:
	bash scripts/venv.sh

# RabbitMQ, MariaDB, PostgreSQL and memcached on loopback for the test suites.
backends:
	bash scripts/backends.sh start

backends-stop:
	bash scripts/backends.sh stop

test-unit:
	bash scripts/with-backends.sh $(CARGO) nextest run --workspace --no-fail-fast

# The identity, image and block-storage suites again on the production backends.
BACKEND_SUITES := -p ferrostack-identity -p ferrostack-image -p ferrostack-block-storage \
	-E 'package(ferrostack-image) | package(ferrostack-block-storage) | (package(ferrostack-identity) & (binary(tokens) | binary(resources) | binary(policy)))'
test-backends:
	FERRO_TEST_DB=mysql FERRO_TEST_TRANSPORT=rabbit bash scripts/with-backends.sh \
		$(CARGO) nextest run --no-fail-fast $(BACKEND_SUITES)
	FERRO_TEST_DB=postgres FERRO_TEST_TRANSPORT=rabbit FERRO_TEST_CACHE=memcached \
		bash scripts/with-backends.sh $(CARGO) nextest run --no-fail-fast $(BACKEND_SUITES)

test-e2e: venv
	$(CARGO) build -p ferrostack -p ferrostack-identity -p ferrostack-image -p ferrostack-block-storage
	FERRO_BIN_DIR=$(CURDIR)/target/debug .venv/bin/python -m pytest -q tests/e2e

test: deps lint test-unit test-backends test-e2e
