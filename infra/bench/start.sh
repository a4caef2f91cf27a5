#!/usr/bin/env bash
# Cold starts of every function, beside the floor: builds everything in
# release, starts a local moto, provisions template.yaml into it and runs
# handoff-bench (infra/runner/src/bin/handoff-bench.rs): for each function,
# fresh processes (21 by default, `--runs N`) each given its sample event
# (events/samples/) through a stand-in Lambda Runtime API, with the
# environment template.yaml gives it; prints a markdown table (start, first
# answer, AWS calls and their time, binary size, peak memory, ratios to the
# floor). `--only a,b` measures some functions. Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
WITH_SAM=0 bash infra/setup.sh
cargo build --release --locked --workspace --bins
source infra/moto.sh
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_moto "$port" .local/moto-bench.log
trap 'kill $MOTO_PID 2>/dev/null || true' EXIT
AWS_EC2_METADATA_DISABLED=true target/release/handoff-bench --root . --endpoint "http://127.0.0.1:$port" "$@"
