#!/usr/bin/env bash
# Route planner benchmarks (release build; see shared/benches/planner.rs):
# real timetables (BART with its fares, Metro-North) read from ../shared/data/gtfs,
# and synthetic networks of 2,000 places with 100,000 and 1,000,000 legs.
# Each case runs in its own process so its peak memory is its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
GTFS=${GTFS_DIR:-../shared/data/gtfs}
cargo bench -p handoff --features places --bench planner --no-run --locked 2>/dev/null
bin=$(cargo bench -p handoff --features places --bench planner --no-run --locked --message-format=json 2>/dev/null | python3 -c 'import json,sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="planner" and m.get("executable")][-1])')
echo "machine: $(nproc) cores, $(uname -m); single thread"
"$bin" gtfs "$GTFS/bart.zip" 20190116
"$bin" gtfs "$GTFS/metro-north.zip" 20261118
"$bin" synthetic 100000
"$bin" synthetic 1000000
