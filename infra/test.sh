#!/usr/bin/env bash
# Runs every test: installs the tools (infra/setup.sh), checks formatting
# and lints (cargo fmt --check, cargo clippy -D warnings), builds every
# function binary (the local stack runs them through its Lambda Runtime
# API), starts a moto server of its own (one request at a time, see
# infra/moto_server.py) and a localstripe (infra/localstripe_server.py), runs `cargo test` for the whole workspace against
# it, and checks the template with `sam validate --lint`. Needs only Rust,
# Python 3 and git.
set -euo pipefail
cd "$(dirname "$0")/.."
# A fresh build gains nothing from incremental caches; under CI they would
# only cost time and about 4 GB of disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
WITH_TEST_TOOLS=1 bash infra/setup.sh
port=${HANDOFF_TEST_MOTO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
source infra/moto.sh
start_moto "$port" .local/moto-test.log
trap 'kill $MOTO_PID 2>/dev/null || true' EXIT
stripe_port=${HANDOFF_TEST_STRIPE_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
start_localstripe "$stripe_port" .local/localstripe-test.log
trap 'kill $MOTO_PID $STRIPE_PID 2>/dev/null || true' EXIT
export HANDOFF_TEST_ENDPOINT="http://127.0.0.1:$port"
export HANDOFF_TEST_STRIPE="http://127.0.0.1:$stripe_port"
export AWS_EC2_METADATA_DISABLED=true
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo build --workspace --bins --locked
cargo test --workspace --locked -- --nocapture "$@" 2>&1 | tee .local/test-output.log
echo "sam validate --lint:"
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 .local/sam/bin/sam validate --lint
# One closing line for the whole run (cargo closes on its last, often empty, doc-test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' .local/test-output.log
