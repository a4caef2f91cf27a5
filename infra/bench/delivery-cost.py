#!/usr/bin/env python3
"""What one complete delivery costs on AWS, from what a real run measured.

Reads .local/delivery-meter.json, written by the end-to-end test
tests/api/custody.rs (a_parcel_changes_hands_by_signed_scans_and_is_delivered_with_proof:
run `./infra/test.sh custody::a_parcel` or the whole suite): the AWS calls
the functions made, by service and operation; each function's invocations
with their wall time and memory size; the domain events published and the
messages consumers took. Prices them at AWS list prices (us-east-1, on
demand, 2026) and prints a table per 1,000 deliveries.

Assumptions, stated because the meter counts calls, not items:
- DynamoDB on demand: GetItem 1 read unit (strongly consistent, < 4 KB),
  BatchGetItem 2 (two items a call on average here), Query 2, PutItem /
  UpdateItem / DeleteItem 1 write unit (< 1 KB), TransactWriteItems 2 per item
  with 5 items a call on average (transactions cost double).
- Lambda durations are the local wall times of debug builds against moto:
  an upper bound of what arm64 release builds take on AWS.
- SQS: per consumed message one SendMessage (from EventBridge), and its share
  of the batched ReceiveMessage and DeleteMessageBatch (3 requests).
- Every outbox event is one EventBridge PutEvents entry (custom events).
- SMS at the US rate (other countries cost more), push per million.
"""
import json
import sys
from pathlib import Path

PRICES = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm64": 0.0000133334,
    "http_api_request": 1.00 / 1e6,
    "websocket_message": 1.00 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,
    "eventbridge_event": 1.00 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "ses_email": 0.10 / 1000,
    "sns_sms_us": 0.00581,
    "sns_push": 0.50 / 1e6,
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
}
READ_UNITS = {"GetItem": 1, "BatchGetItem": 2, "Query": 2, "Scan": 2}
WRITE_UNITS = {"PutItem": 1, "UpdateItem": 1, "DeleteItem": 1, "TransactWriteItems": 10}


def main(path: str) -> None:
    m = json.loads(Path(path).read_text())
    calls, inv = m["calls"], m["invocations"]
    rows = []

    def add(what, count, unit_price, detail=""):
        rows.append((what, count, count * unit_price, detail))

    requests = sum(i["count"] for i in inv.values())
    gb_s = sum(i["millis"] / 1000 * i["memory_mb"] / 1024 for i in inv.values())
    add("Lambda requests", requests, PRICES["lambda_request"], f"{len(inv)} functions")
    add("Lambda GB-seconds (arm64)", gb_s, PRICES["lambda_gb_second_arm64"], "local debug-build wall time")
    http = sum(i["count"] for i in inv.values() if i.get("trigger") == "http")
    add("API Gateway HTTP API requests", http, PRICES["http_api_request"])
    ws = sum(i["count"] for i in inv.values() if i.get("trigger") == "websocket")
    add("API Gateway WebSocket messages", ws, PRICES["websocket_message"])
    reads = sum(n * READ_UNITS.get(op.split(".", 1)[1], 0) for op, n in calls.items() if op.startswith("DynamoDB."))
    writes = sum(n * WRITE_UNITS.get(op.split(".", 1)[1], 0) for op, n in calls.items() if op.startswith("DynamoDB."))
    add("DynamoDB read units", reads, PRICES["dynamodb_read_unit"])
    add("DynamoDB write units", writes, PRICES["dynamodb_write_unit"])
    add("EventBridge events", m["events_published"], PRICES["eventbridge_event"])
    add("SQS requests", 3 * m["messages_consumed"], PRICES["sqs_request"], f"{m['messages_consumed']} messages")
    add("SES emails", calls.get("SESv2.SendEmail", 0), PRICES["ses_email"])
    publishes = calls.get("SNS.Publish", 0)
    add("SNS publishes (priced as US SMS)", publishes, PRICES["sns_sms_us"], "SMS and push together: an upper bound")
    add("S3 PUT/COPY", calls.get("S3.CopyObject", 0), PRICES["s3_put"], "uploads themselves are the clients' PUTs")
    add("S3 GET/HEAD", calls.get("S3.GetObject", 0) + calls.get("S3.HeadObject", 0), PRICES["s3_get"])

    total = sum(r[2] for r in rows)
    print(f"One delivery: {m['what']}\n")
    print("| item | per delivery | USD per delivery | USD per 1,000 deliveries | note |")
    print("|---|---:|---:|---:|---|")
    for what, count, usd, detail in rows:
        shown = f"{count:.2f}" if isinstance(count, float) else f"{count}"
        print(f"| {what} | {shown} | {usd:.6f} | {usd * 1000:.4f} | {detail} |")
    print(f"| **total** | | **{total:.6f}** | **{total * 1000:.2f}** | |")
    print("\nAWS calls by service and operation:")
    for op, n in sorted(calls.items()):
        print(f"  {op}: {n}")
    print("\nInvocations by function (count, wall ms):")
    for f, i in sorted(inv.items(), key=lambda x: -x[1]["count"]):
        print(f"  {f}: {i['count']} ({i['millis']} ms, {i['memory_mb']} MB, {i.get('trigger', '?')})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".local/delivery-meter.json")
