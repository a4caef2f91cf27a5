#!/usr/bin/env bash
# Release binary sizes and process start to first answer (see cold_start.py)
# of three functions: get-jwks (no AWS call), search-places (no AWS call; parses
# the 3.3 MB gazetteer compiled in) and get-me (one GetItem against a local moto). Prints one JSON line per measurement. Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
WITH_SAM=0 bash infra/setup.sh
cargo build --release --locked -p get-me -p get-jwks -p search-places
for b in get-me get-jwks search-places; do
  echo "{\"binary\": \"$b\", \"release_bytes\": $(stat -c %s target/release/$b)}"
done
source infra/moto.sh
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_moto "$port" .local/moto-bench.log
trap 'kill $MOTO_PID 2>/dev/null || true' EXIT
.local/moto/bin/python - "$port" <<'PY'
import sys, boto3
d = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
d.create_table(TableName="bench", AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}], BillingMode="PAY_PER_REQUEST")
u = "6ff2a7a9-eb68-4da6-8f44-23773ecd0673"  # the user of events/samples/get-me.json
d.put_item(TableName="bench", Item={"pk": {"S": "USER#" + u}, "sk": {"S": "PROFILE"}, "entity": {"S": "User"}, "version": {"N": "1"},
    "user_id": {"S": u}, "email": {"S": "ada@example.com"}, "roles": {"L": [{"S": "sender"}]},
    "created_at": {"S": "2026-11-21T10:00:00.000Z"}, "updated_at": {"S": "2026-11-21T10:00:00.000Z"}})
PY
jwks=$(cargo run -q --locked -p handoff-local -- --generate-secrets | python3 -c 'import json,sys; print(json.load(sys.stdin)["jwt_jwks"])')
python3 infra/bench/cold_start.py target/release/get-jwks events/samples/get-jwks.json 30 "JWT_JWKS=$jwks"
python3 infra/bench/cold_start.py target/release/search-places events/samples/search-places.json 30
python3 infra/bench/cold_start.py target/release/get-me events/samples/get-me.json 30 TABLE_NAME=bench \
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_EC2_METADATA_DISABLED=true
