#!/usr/bin/env bash
# Sourced by dev.sh and test.sh: start_moto PORT LOG starts the project's moto
# server (infra/moto_server.py) in the background, waits until it answers,
# and sets MOTO_PID; start_localstripe PORT LOG does the same for the Stripe
# emulator (infra/localstripe_server.py) and sets STRIPE_PID.
start_moto() {
  local port=$1 log=$2
  .local/moto/bin/python infra/moto_server.py --host 127.0.0.1 --port "$port" > "$log" 2>&1 &
  MOTO_PID=$!
  python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/data.json")
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("moto did not start")
PY
}

start_localstripe() {
  local port=$1 log=$2
  .local/localstripe/bin/python infra/localstripe_server.py --host 127.0.0.1 --port "$port" > "$log" 2>&1 &
  STRIPE_PID=$!
  python3 - "$port" <<'PY'
import sys, time, urllib.error, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v1/balance")
    except urllib.error.HTTPError:
        sys.exit(0)  # 401 without a key: it answers
    except Exception:
        time.sleep(0.2)
sys.exit("localstripe did not start")
PY
}
