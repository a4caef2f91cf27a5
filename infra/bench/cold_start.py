#!/usr/bin/env python3
"""Process start to first answer of a release function binary.

Plays the Lambda Runtime API on localhost: starts the binary with
AWS_LAMBDA_RUNTIME_API pointing here and the environment its template entry
would give it, hands it one API Gateway (payload 2.0) event, and measures
from process spawn to the posted response. Repeats N times (a fresh process
each time) and prints min / median / max.

Usage: cold_start.py BINARY EVENT.json N [KEY=VALUE ...]
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time

binary, event_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
extra = dict(kv.split("=", 1) for kv in sys.argv[4:])
event = open(event_path, "rb").read()
done = threading.Event()
answer = {}


class Runtime(http.server.BaseHTTPRequestHandler):
    served = False

    def log_message(self, *a):
        pass

    def do_GET(self):
        if Runtime.served:  # the next invocation never comes: the process is killed
            time.sleep(30)
            return
        Runtime.served = True
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 10000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:f")
        self.send_header("Content-Length", str(len(event)))
        self.end_headers()
        self.wfile.write(event)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answer["t"] = time.perf_counter()
        answer["path"] = self.path
        answer["body"] = body
        self.send_response(202)
        self.end_headers()
        done.set()


times = []
for _ in range(runs):
    # A fresh runtime endpoint per run, so a killed process's late request cannot touch the next run.
    Runtime.served = False
    done.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}", AWS_LAMBDA_FUNCTION_NAME="f",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="1", AWS_REGION="us-east-1", **extra)
    t0 = time.perf_counter()
    p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not done.wait(20):
        p.kill()
        sys.exit(f"no answer from {binary}")
    times.append((answer["t"] - t0) * 1000)
    p.kill()
    p.wait()
    server.shutdown()
    server.server_close()
status = json.loads(answer["body"]).get("statusCode")
print(json.dumps({"binary": os.path.basename(binary), "runs": runs, "status": status, "ms_min": round(min(times), 1),
                  "ms_median": round(statistics.median(times), 1), "ms_max": round(max(times), 1)}))
