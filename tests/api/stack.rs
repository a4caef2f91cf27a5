//! The local stack gives each function exactly the environment template.yaml
//! gives it: a variable the template forgets fails at start, as on AWS.
use handoff_tests::{options, root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_missing_from_the_template_fails_locally() {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let pepper =
        "          OTP_PEPPER: !Sub \"{{resolve:secretsmanager:${AuthSecretName}:SecretString:otp_pepper}}\"\n";
    let verify = text.find("  VerifyOtpFunction:").unwrap();
    let at = verify + text[verify..].find(pepper).expect("VerifyOtpFunction has OTP_PEPPER");
    let broken = format!("{}{}", &text[..at], &text[at + pepper.len()..]);
    let dir = std::env::temp_dir().join(format!("handoff-template-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("template.yaml"), broken).unwrap();
    let mut opts = options("missing-env");
    // Every function starts before the stack serves, as an init error would show.
    opts.lazy = false;
    opts.template = dir.join("template.yaml");
    let err = handoff_local::start(opts).await.err().expect("the stack refuses to start");
    assert!(err.contains("VerifyOtpFunction") && err.contains("OTP_PEPPER"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// infra/moto_server.py restores only the items a failed transaction names
/// (instead of a copy of the whole table): they are as before, a new one
/// is not there, and items it did not name keep later writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_transaction_leaves_the_items_it_named_as_they_were() {
    use handoff::keys::Key;
    use handoff::platform::store::{put, put_new, Record, StoreError};
    use serde_json::{json, Value};
    let stack = handoff_tests::stack("rollback").await;
    let t = &stack.table;
    let key = |k: &str| Key { pk: format!("TEST#{k}"), sk: "TEST".into() };
    let rec = |k: &str, v: i64| Record::new(key(k), "Test", json!({ "v": v }));
    t.write_one(put(&rec("a", 1), None)).await.unwrap();
    t.write_one(put(&rec("b", 1), None)).await.unwrap();
    let failed = t.transact(vec![put(&rec("a", 2), None), put(&rec("c", 1), None), put_new(&rec("b", 2))]).await;
    assert!(matches!(failed, Err(StoreError::ConditionFailed { index: Some(2), .. })), "{failed:?}");
    let v = |r: Option<Record<Value>>| r.map(|r| r.data["v"].as_i64().unwrap());
    assert_eq!(v(t.get(&key("a"), true).await.unwrap()), Some(1), "a is restored");
    assert_eq!(v(t.get(&key("b"), true).await.unwrap()), Some(1));
    assert_eq!(v(t.get(&key("c"), true).await.unwrap()), None, "c was never written");
    t.write_one(put(&rec("d", 4), None)).await.unwrap();
    assert_eq!(v(t.get(&key("d"), true).await.unwrap()), Some(4), "the table is the live one");
}
