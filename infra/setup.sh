#!/usr/bin/env bash
# Installs the local tools the stack and the tests need into .local/ (idempotent):
# moto server (pinned) in one virtualenv, the AWS SAM CLI (pinned) in another.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.5
SAM_VERSION=1.170.0
mkdir -p .local
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
