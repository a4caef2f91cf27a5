#!/usr/bin/env bash
# Installs the local tools the stack and the tests need into .local/ (idempotent):
# moto server (pinned) in one virtualenv, the AWS SAM CLI (pinned) in another,
# schemathesis (pinned) in a third, localstripe (pinned; GPL, run as its own
# server by infra/localstripe_server.py, never linked) in a fourth, and the Swagger UI files (the npm package
# swagger-ui-dist, pinned and checked against its registry integrity hash) that
# the local stack serves as the API reference at /_local/docs/. Test runs
# (WITH_TEST_TOOLS=1) also get Debian's chromium and poppler-utils through apt.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.5
SAM_VERSION=1.170.0
SCHEMATHESIS_VERSION=4.32.5
LOCALSTRIPE_VERSION=1.15.10
SWAGGER_UI_VERSION=5.35.0
SWAGGER_UI_INTEGRITY=sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==
mkdir -p .local
# Test runs only: the public tracking page is tested in a real browser
# (Debian's chromium), and receipts and invoices are read back from their
# PDFs by pdftotext (Debian's poppler-utils).
if [ "${WITH_TEST_TOOLS:-0}" = 1 ]; then
  missing=""
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  command -v pdftotext >/dev/null 2>&1 || missing="$missing poppler-utils"
  if [ -n "$missing" ]; then
    echo "setup: installing Debian's$missing (apt) for the tests" >&2
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 \
      || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null; }
  fi
  command -v chromium >/dev/null 2>&1 || { echo "setup: chromium could not be installed" >&2; exit 1; }
  command -v pdftotext >/dev/null 2>&1 || { echo "setup: pdftotext (poppler-utils) could not be installed" >&2; exit 1; }
fi
if [ ! -x .local/moto/bin/moto_server ] || ! .local/moto/bin/python -c "import moto,sys; sys.exit(moto.__version__!='$MOTO_VERSION')" 2>/dev/null; then
  echo "setup: installing moto[server]==$MOTO_VERSION into .local/moto" >&2
  python3 -m venv .local/moto
  .local/moto/bin/pip install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
if [ "${WITH_SAM:-1}" = 1 ] && [ ! -x .local/sam/bin/sam ]; then
  echo "setup: installing aws-sam-cli==$SAM_VERSION into .local/sam" >&2
  python3 -m venv .local/sam
  .local/sam/bin/pip install -q --disable-pip-version-check "aws-sam-cli==$SAM_VERSION"
fi
if [ ! -x .local/schemathesis/bin/schemathesis ] || ! .local/schemathesis/bin/python -c "import importlib.metadata as m,sys; sys.exit(m.version('schemathesis')!='$SCHEMATHESIS_VERSION')" 2>/dev/null; then
  echo "setup: installing schemathesis==$SCHEMATHESIS_VERSION into .local/schemathesis" >&2
  python3 -m venv .local/schemathesis
  .local/schemathesis/bin/pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
if [ ! -x .local/localstripe/bin/python ] || ! .local/localstripe/bin/python -c "import importlib.metadata as m,sys; sys.exit(m.version('localstripe')!='$LOCALSTRIPE_VERSION')" 2>/dev/null; then
  echo "setup: installing localstripe==$LOCALSTRIPE_VERSION into .local/localstripe" >&2
  python3 -m venv .local/localstripe
  .local/localstripe/bin/pip install -q --disable-pip-version-check "localstripe==$LOCALSTRIPE_VERSION"
fi
if [ "$(cat .local/swagger-ui/VERSION 2>/dev/null)" != "$SWAGGER_UI_VERSION" ]; then
  echo "setup: installing swagger-ui-dist@$SWAGGER_UI_VERSION (npm registry) into .local/swagger-ui" >&2
  python3 - "$SWAGGER_UI_VERSION" "$SWAGGER_UI_INTEGRITY" <<'PY'
import base64, hashlib, io, os, shutil, sys, tarfile, urllib.request
version, integrity = sys.argv[1], sys.argv[2]
url = f"https://registry.npmjs.org/swagger-ui-dist/-/swagger-ui-dist-{version}.tgz"
data = urllib.request.urlopen(url, timeout=120).read()
got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
if got != integrity:
    sys.exit(f"swagger-ui-dist {version}: integrity {got} is not the pinned {integrity}")
shutil.rmtree(".local/swagger-ui", ignore_errors=True)
os.makedirs(".local/swagger-ui")
with tarfile.open(fileobj=io.BytesIO(data)) as t:
    for m in t.getmembers():
        name = m.name.split("/", 1)[-1]
        if m.isfile() and "/" not in name and not name.endswith(".map"):
            with open(os.path.join(".local/swagger-ui", name), "wb") as f:
                f.write(t.extractfile(m).read())
with open(".local/swagger-ui/VERSION", "w") as f:
    f.write(version)
PY
fi
