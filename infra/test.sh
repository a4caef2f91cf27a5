#!/usr/bin/env bash
# Runs every test: installs the tools (infra/setup.sh), checks formatting
# and lints (cargo fmt --check, cargo clippy -D warnings), builds every
# function binary and test once (the local stack runs the binaries through
# its Lambda Runtime API), starts a localstripe (infra/localstripe_server.py),
# runs `cargo test` for the whole workspace (each test stack starts a moto
# server of its own, see infra/moto_server.py) and checks the template with
# `sam validate --lint`. Prints each phase's time (.local/phases.log).
# Needs only Rust, Python 3 and git.
set -euo pipefail
cd "$(dirname "$0")/.."
# A fresh build gains nothing from incremental caches; under CI they would
# only cost time and about 4 GB of disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
WITH_TEST_TOOLS=1 bash infra/setup.sh
stripe_port=${HANDOFF_TEST_STRIPE_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
source infra/moto.sh
start_localstripe "$stripe_port" .local/localstripe-test.log
trap 'kill $STRIPE_PID 2>/dev/null || true' EXIT
# Each test stack starts a moto server of its own (HANDOFF_TEST_ENDPOINT, if
# set, names one that every stack shares instead).
export HANDOFF_TEST_STRIPE="http://127.0.0.1:$stripe_port"
export AWS_EC2_METADATA_DISABLED=true
phase() { printf '%s phase %-10s %4d s\n' "$(date +%T)" "$1" "$((SECONDS - ${2:-0}))" | tee -a .local/phases.log; }
: > .local/phases.log
phase setup
t=$SECONDS; cargo fmt --all --check; phase fmt "$t"
t=$SECONDS; cargo clippy --workspace --all-targets --locked -- -D warnings; phase clippy "$t"
# One build of everything (function binaries, libraries and test harnesses,
# with one set of features), so `cargo test` below builds nothing again.
t=$SECONDS; cargo build --workspace --all-targets --locked; phase build "$t"
t=$SECONDS
cargo test --workspace --locked -- --nocapture "$@" 2>&1 | tee .local/test-output.log
phase test "$t"
echo "sam validate --lint:"
t=$SECONDS; SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 .local/sam/bin/sam validate --lint; phase sam "$t"
phase total
# One closing line for the whole run (cargo closes on its last, often empty, doc-test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' .local/test-output.log
