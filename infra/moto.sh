#!/usr/bin/env bash
# Sourced by dev.sh and test.sh: start_moto PORT LOG starts the project's moto
# server (infra/moto_server.py) in the background, waits until it answers,
# and sets MOTO_PID; start_localstripe PORT LOG does the same for the Stripe
# emulator (infra/localstripe_server.py) and sets STRIPE_PID.

# wait_for URL WHAT: until URL answers (any HTTP status), at most 30 s.
wait_for() {
  python3 - "$1" "$2" <<'PY'
import sys, time, urllib.error, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(sys.argv[1])
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # it answers, if only to say no
    except Exception:
        time.sleep(0.2)
sys.exit(f"{sys.argv[2]} did not start")
PY
}

start_moto() {
  local port=$1 log=$2
  .local/moto/bin/python infra/moto_server.py --host 127.0.0.1 --port "$port" > "$log" 2>&1 &
  MOTO_PID=$!
  wait_for "http://127.0.0.1:$port/moto-api/data.json" moto
}

start_localstripe() {
  local port=$1 log=$2
  .local/localstripe/bin/python infra/localstripe_server.py --host 127.0.0.1 --port "$port" > "$log" 2>&1 &
  STRIPE_PID=$!
  wait_for "http://127.0.0.1:$port/v1/balance" localstripe
}
