//! The event path: a redelivered event is written once; a poison message
//! ends in the dead-letter queue; events put on the bus reach the consumer.
use handoff_tests::{eventually, options, s, scan};
use serde_json::json;

fn bus_message(id: &str) -> String {
    json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "UserSignedUp", "source": "handoff.identity",
        "account": "123456789012", "time": "2026-11-21T10:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {
            "id": id, "source": "handoff.identity", "detail_type": "UserSignedUp", "occurred_at": "2026-11-21T10:00:00.000Z",
            "schema_version": 1, "correlation_id": "c-test", "actor": {"id": "u-test", "ip": "203.0.113.7"},
            "data": {"user_id": "u-test", "email": "t@example.com"}
        }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_are_idempotent_and_poison_goes_to_the_dlq() {
    let mut opts = options("events");
    opts.visibility_timeout = Some(1);
    let stack = handoff_local::start(opts).await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let queue = stack.names.refs["AuditWriterQueue"].clone();
    let dlq = stack.names.refs["AuditWriterDLQ"].clone();

    // The same event delivered twice (as EventBridge and SQS may) is audited once.
    let id = uuid::Uuid::new_v4().to_string();
    for _ in 0..2 {
        sqs.send_message().queue_url(&queue).message_body(bus_message(&id)).send().await.unwrap();
    }
    let count = |id: String| {
        let stack = &stack;
        async move {
            let items = scan(stack).await;
            let audits = items.iter().filter(|i| s(i, "entity") == "AuditEntry" && s(i, "event_id") == id).count();
            // The audit-writer's processed-marker (the notifier keeps its own for UserSignedUp).
            let marker = format!("DEDUPE#audit-writer#{id}");
            let markers = items.iter().filter(|i| s(i, "entity") == "ProcessedEvent" && s(i, "pk") == marker).count();
            (audits, markers)
        }
    };
    assert_eq!(eventually(20, || async { (count(id.clone()).await == (1, 1)).then_some(()) }).await, Some(()));
    let drained = eventually(20, || async {
        let a = sqs
            .get_queue_attributes()
            .queue_url(&queue)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let attrs = a.attributes.unwrap_or_default();
        let n = |k: aws_sdk_sqs::types::QueueAttributeName| attrs.get(&k).map(|v| v.as_str() == "0").unwrap_or(false);
        (n(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            && n(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible))
        .then_some(())
    })
    .await;
    assert_eq!(drained, Some(()), "both deliveries were consumed");
    assert_eq!(count(id.clone()).await, (1, 1), "the second delivery changed nothing");

    // A message that is not an event fails every time and ends in the DLQ after maxReceiveCount.
    sqs.send_message().queue_url(&queue).message_body("this is not an event").send().await.unwrap();
    let dead = eventually(40, || async {
        // Held invisible (10 s, not the queue's 1 s) through the checks below, however busy the machine.
        let r = sqs.receive_message().queue_url(&dlq).visibility_timeout(10).send().await.unwrap();
        r.messages.unwrap_or_default().into_iter().next().and_then(|m| m.body)
    })
    .await;
    assert_eq!(dead.as_deref(), Some("this is not an event"));
    // The scheduled DLQ monitor, run on demand, sees it.
    let http = reqwest::Client::new();
    let report: serde_json::Value = http
        .post(format!("{}/_local/schedules/DlqMonitorFunction", stack.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let audit_dlq = report["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"].as_str().unwrap().ends_with("AuditWriterDLQ"))
        .unwrap()
        .clone();
    assert_eq!(audit_dlq["messages"], 1, "{report}");
    // The redrive path puts it back on its queue (where it fails again, and returns to the DLQ).
    let moved: serde_json::Value =
        http.post(format!("{}/_local/redrive/AuditWriterDLQ", stack.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(moved["moved"], 0, "the message received above is invisible for now");
    let back = eventually(40, || async {
        let r: serde_json::Value = http
            .post(format!("{}/_local/redrive/AuditWriterDLQ", stack.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (r["moved"] == 1).then_some(())
    })
    .await;
    assert_eq!(back, Some(()));
    let again = eventually(40, || async {
        let r = sqs.receive_message().queue_url(&dlq).send().await.unwrap();
        r.messages.unwrap_or_default().into_iter().next().and_then(|m| m.body)
    })
    .await;
    assert_eq!(again.as_deref(), Some("this is not an event"));

    // An event put on the bus is routed by the rule to the consumer.
    let eb = aws_sdk_eventbridge::Client::new(&stack.sdk);
    let id2 = uuid::Uuid::new_v4().to_string();
    let detail = serde_json::from_str::<serde_json::Value>(&bus_message(&id2)).unwrap()["detail"].to_string();
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(&stack.names.refs["EventBus"])
        .source("handoff.identity")
        .detail_type("UserSignedUp")
        .detail(detail)
        .build();
    let out = eb.put_events().entries(entry).send().await.unwrap();
    assert_eq!(out.failed_entry_count, 0);
    assert_eq!(eventually(20, || async { (count(id2.clone()).await == (1, 1)).then_some(()) }).await, Some(()));
}
