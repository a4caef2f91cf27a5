"""Schemathesis hooks for Handoff: every request is made as a real user,
signed in the way an app signs in — a code requested with POST /auth/otp,
read from the local stack's mailbox, exchanged with POST /auth/otp/verify.

HANDOFF_ST_BASE is the stack's URL, HANDOFF_ST_EMAIL the user's address
(tests/api/schemathesis.rs seeds that user with every role)."""
import json
import os
import re
import urllib.request

import schemathesis

BASE = os.environ["HANDOFF_ST_BASE"].rstrip("/")
EMAIL = os.environ["HANDOFF_ST_EMAIL"]


def _call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def sign_in():
    _call("POST", "/auth/otp", {"email": EMAIL})
    mails = _call("GET", "/_local/mailbox?to=" + urllib.request.quote(EMAIL))
    # The newest sign-in code (a welcome email may come after it).
    last = [m for m in mails if m["subject"].startswith("Your Handoff code")][-1]
    code = re.search(r"\b(\d{6})\b", last["body"]).group(1)
    return _call("POST", "/auth/otp/verify", {"email": EMAIL, "code": code})["access_token"]


# One session for the run (tokens last 15 minutes). POST /auth/logout is
# fuzzed without it: ending the run's own session would leave every later
# request unauthenticated.
@schemathesis.auth(refresh_interval=600).skip_for(method="POST", path="/auth/logout")
class MailboxAuth:
    def get(self, case, ctx):
        return sign_in()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
