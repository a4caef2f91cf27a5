#!/usr/bin/env bash
# Runs the local platform: installs the tools (infra/setup.sh), starts moto
# (one request at a time, see infra/moto_server.py), provisions every
# resource of template.yaml into it, loads the demo users (infra/demo.json)
# and serves the API on http://localhost:3000 with every event source
# running. The mailbox is at http://localhost:3000/_local/mailbox.html.
# Ctrl-C stops everything. Needs only Rust, Python 3 and git.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_SAM=0 bash infra/setup.sh
moto_port=${MOTO_PORT:-5000}
api_port=${PORT:-3000}
.local/moto/bin/python infra/moto_server.py --host 127.0.0.1 --port "$moto_port" > .local/moto-dev.log 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT INT TERM
python3 - "$moto_port" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/data.json"); break
    except Exception:
        time.sleep(0.2)
PY
cargo build -p handoff-local --locked
AWS_EC2_METADATA_DISABLED=true target/debug/handoff-local --endpoint "http://127.0.0.1:$moto_port" --port "$api_port" "$@"
