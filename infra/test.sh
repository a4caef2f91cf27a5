#!/usr/bin/env bash
# Runs every test (CI's .ci/run runs this): checks formatting, builds the
# workspace once with clippy's lints as errors (the libraries, every test,
# the benches, the local stack and the multi-call binary it runs the
# functions with) while infra/setup.sh installs the tools, starts a
# localstripe (infra/localstripe_server.py), runs `cargo test` for the whole
# workspace (each test stack gets a moto server of its own, see
# infra/moto_server.py) with `sam validate --lint` beside it. Prints each
# phase's time (.local/phases.log). Needs only Rust, Python 3 and git.
set -euo pipefail
cd "$(dirname "$0")/.."
# A fresh build gains nothing from incremental caches; under CI they would
# only cost time and about 4 GB of disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
mkdir -p .local
phase() { printf '%s phase %-10s %4d s\n' "$(date +%T)" "$1" "$((SECONDS - ${2:-0}))" | tee -a .local/phases.log; }
: > .local/phases.log
# The tools install (infra/setup.sh: pip and apt, mostly waiting on the
# network) while the workspace builds.
# Its own process group, so that a failed build stops pip and apt too.
WITH_TEST_TOOLS=1 setsid bash infra/setup.sh > .local/setup.log 2>&1 &
SETUP_PID=$!
trap 'kill -- -$SETUP_PID 2>/dev/null || true' EXIT
t=$SECONDS; cargo fmt --all --check; phase fmt "$t"
# One build of everything the tests run, linted as it compiles: clippy's
# driver compiles the workspace's own crates (what `cargo clippy` does, with
# code generation), so nothing is compiled twice. The local stack runs every
# function through one multi-call binary (infra/lambdas, generated from each
# crate's main.rs); the per-function binaries are what `sam build` builds.
# The same variables stay set for `cargo test`, which then builds nothing.
export RUSTC_WORKSPACE_WRAPPER="${CLIPPY_DRIVER:-$(command -v clippy-driver)}"
[ -n "$RUSTC_WORKSPACE_WRAPPER" ] || { echo "test: clippy-driver is missing (rustup component add clippy)" >&2; exit 1; }
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
t=$SECONDS
cargo build --workspace --locked --lib --tests --benches \
  --bin handoff-lambdas --bin handoff-local --bin handoff-bench --bin handoff-floor --bin handoff-contract
phase build "$t"
t=$SECONDS
wait $SETUP_PID || { cat .local/setup.log >&2; echo "test: infra/setup.sh failed" >&2; exit 1; }
cat .local/setup.log >&2
phase setup "$t"
stripe_port=${HANDOFF_TEST_STRIPE_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
source infra/moto.sh
start_localstripe "$stripe_port" .local/localstripe-test.log
trap 'kill $STRIPE_PID ${SAM_PID:-} 2>/dev/null || true' EXIT
# Each test stack gets a moto server of its own (HANDOFF_TEST_ENDPOINT, if
# set, names one that every stack shares instead).
export HANDOFF_TEST_STRIPE="http://127.0.0.1:$stripe_port"
export AWS_EC2_METADATA_DISABLED=true
# The template's lint runs beside the tests.
(SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 .local/sam/bin/sam validate --lint > .local/sam-validate.log 2>&1; echo $? > .local/sam-validate.rc) &
SAM_PID=$!
# Four tests at a time: they spend much of their time waiting on their
# stacks, and each stack has its own emulator (measured on 2 cores: 2 threads
# 383 s, 4 threads 326 s, 8 threads 404 s).
export RUST_TEST_THREADS=${RUST_TEST_THREADS:-4}
t=$SECONDS
cargo test --workspace --locked -- --nocapture "$@" 2>&1 | tee .local/test-output.log
phase test "$t"
wait $SAM_PID
echo "sam validate --lint:"
cat .local/sam-validate.log
[ "$(cat .local/sam-validate.rc)" = 0 ] || { echo "test: sam validate --lint failed" >&2; exit 1; }
phase total
# One closing line for the whole run (cargo closes on its last, often empty, doc-test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' .local/test-output.log
