//! The daily reconciliation of the ledger with Stripe, driven from the
//! flows that move money: the payments test (a declined card, a charge and
//! its refund; then a charge planted at Stripe that the ledger does not
//! know), the custody lifecycle (a charge, two payouts, a refund after
//! delivery) and the fault run (three deliveries and their payouts under
//! faults).
use handoff_tests::{eventually, ok, Client, TestStack, QUEUED};
use serde_json::{json, Value};

/// Today (UTC), `YYYY-MM-DD`.
pub(crate) fn today() -> String {
    handoff_tests::at(handoff_tests::now())[..10].to_string()
}

/// The daily run, fired as of tomorrow 00:05 UTC: it reconciles today.
pub(crate) async fn daily(c: &Client) -> Value {
    let day = handoff::domain::reconciliation::parse_day(&today()).unwrap();
    let time = handoff_tests::at(day + 86_400 + 300);
    let r = c.post(&format!("/_local/schedules/ReconcileFunction?time={time}"), None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// Reconciles today until it is clean (the provider's news of the last
/// movements may still be on its way to the ledger), then checks the
/// report: every charge and transfer of the day matched one to one, no
/// line, and GET answers the report stored. Returns it.
pub(crate) async fn clean_today(c: &Client, admin: &str) -> Value {
    let report = eventually(QUEUED, || async {
        for dlq in ["ApplyPaymentEventDLQ", "ApplyPayoutEventDLQ", "OutboxPublisherDLQ"] {
            let _ = c.post(&format!("/_local/redrive/{dlq}"), None, json!({})).await;
        }
        let r = daily(c).await;
        (r["clean"] == true).then_some(r)
    })
    .await;
    let Some(report) = report else {
        let last = daily(c).await;
        panic!("today never reconciles clean: {last}");
    };
    assert_eq!(report["day"], today().as_str(), "{report}");
    assert_eq!(report["lines"], json!([]), "{report}");
    assert_eq!(report["partial"], false, "{report}");
    for kind in ["charges", "transfers"] {
        let t = &report[kind];
        assert_eq!(t["provider"], t["ledger"], "{kind}: one ledger transfer per provider object: {report}");
        assert_eq!(t["provider"], t["matched"], "{kind}: {report}");
    }
    assert_eq!((&report["refunds"]["mismatched"], &report["reversals"]["mismatched"]), (&json!(0), &json!(0)));
    let path = format!("/admin/reconciliation/{}", today());
    let got = c.get(&path, Some(admin)).await;
    eprintln!("calls: GET /admin/reconciliation/{{day}}: {}", got.header("x-aws-calls").unwrap_or(""));
    assert_eq!(ok(got).await, report, "GET answers the report stored");
    report
}

/// A charge planted at Stripe (made with the stack's secret key, outside
/// the platform) is reported missing in the ledger; what the platform did
/// still matches. The report of an admin's run is the day's report.
pub(crate) async fn finds_a_planted_charge(c: &Client, stack: &TestStack, admin: &str) {
    let form = [("amount", "999"), ("currency", "eur"), ("source", "pm_card_visa"), ("description", "planted")];
    let planted = crate::payments::stripe_api(stack, reqwest::Method::POST, "/v1/charges", &form).await;
    assert_eq!(planted["status"], "succeeded", "{planted}");
    let id = planted["id"].as_str().unwrap();
    let path = format!("/admin/reconciliation/{}", today());
    let r = c.post(&path, Some(admin), json!({})).await;
    eprintln!("calls: POST /admin/reconciliation/{{day}}: {}", r.header("x-aws-calls").unwrap_or(""));
    let report = ok(r).await;
    assert_eq!(report["clean"], false, "{report}");
    assert_eq!(
        report["lines"],
        json!([{
            "kind": "charge", "issue": "missing_in_ledger", "reference": id, "currency": "EUR",
            "provider_amount": 999, "ledger_amount": 0, "provider_ids": [id], "ledger_ids": []
        }]),
        "exactly the planted charge: {report}"
    );
    let charges = &report["charges"];
    assert_eq!(charges["provider"].as_i64(), charges["ledger"].as_i64().map(|n| n + 1), "{report}");
    assert_eq!(charges["mismatched"], 1, "{report}");
    // The daily run finds the same.
    let daily = daily(c).await;
    assert_eq!(daily["lines"], report["lines"], "{daily}");
    // Malformed and future days.
    for bad in ["2026-02-30", "yesterday", "2026-1-05"] {
        c.get(&format!("/admin/reconciliation/{bad}"), Some(admin)).await.problem(422, "validation-failed");
        c.post(&format!("/admin/reconciliation/{bad}"), Some(admin), json!({})).await.problem(422, "validation-failed");
    }
    c.post("/admin/reconciliation/2999-01-01", Some(admin), json!({})).await.problem(422, "validation-failed");
    c.get("/admin/reconciliation/2001-01-01", Some(admin)).await.problem(404, "not-found");
}
