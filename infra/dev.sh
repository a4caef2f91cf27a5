#!/usr/bin/env bash
# Runs the local platform: installs the tools (infra/setup.sh), starts moto
# (one request at a time, see infra/moto_server.py) and localstripe (the
# Stripe emulator, infra/localstripe_server.py, port STRIPE_PORT or 8420), provisions every
# resource of template.yaml into it, loads the demo users (infra/demo.json)
# and serves the API on http://localhost:3000 with every event source
# running. The mailbox is at http://localhost:3000/_local/mailbox.html.
# Ctrl-C stops everything. Needs only Rust, Python 3 and git.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_SAM=0 bash infra/setup.sh
moto_port=${MOTO_PORT:-5000}
api_port=${PORT:-3000}
source infra/moto.sh
start_moto "$moto_port" .local/moto-dev.log
trap 'kill $MOTO_PID 2>/dev/null || true' EXIT INT TERM
stripe_port=${STRIPE_PORT:-8420}
start_localstripe "$stripe_port" .local/localstripe-dev.log
trap 'kill $MOTO_PID $STRIPE_PID 2>/dev/null || true' EXIT INT TERM
# The local stack runs every function through one multi-call binary
# (infra/lambdas: each function's handler and runtime loop, linked once).
cargo build --locked -p handoff-local -p handoff-lambdas
AWS_EC2_METADATA_DISABLED=true target/debug/handoff-local --endpoint "http://127.0.0.1:$moto_port" --stripe "http://127.0.0.1:$stripe_port" --port "$api_port" --multicall target/debug/handoff-lambdas "$@"
