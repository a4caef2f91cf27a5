//! Property-based testing of the whole API against its contract:
//! schemathesis (pinned, installed into .local/ by infra/setup.sh) reads
//! GET /openapi.json from the local stack and tries every operation, signed
//! in as a real user through the mailbox (tests/schemathesis/handoff_hooks.py),
//! with the checks the contract promises: no 5xx, only documented statuses,
//! content types and bodies.
use handoff_tests::{busy_stack, root};
use serde_json::json;

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing_wrong_on_any_operation() {
    let stack = busy_stack("fuzz").await;
    let email = format!("fuzz-{}@handoff.dev", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    // Every role, verified: the fuzzer gets past role checks into the handlers.
    let users = json!({"users": [{"email": email, "name": "Fuzz Tester", "verified": true,
        "roles": ["sender", "traveler", "driver", "support", "admin"]}]});
    handoff_local::demo::load(&stack.table, &users.to_string()).await.unwrap();
    let bin = root().join(".local/schemathesis/bin/schemathesis");
    assert!(bin.exists(), "{} is missing: run infra/setup.sh (infra/test.sh does)", bin.display());
    let report = root().join(".local/schemathesis-report");
    let out = tokio::process::Command::new(&bin)
        .args(["run", &format!("{}/openapi.json", stack.url), "--url", &stack.url])
        // One worker: with two threads, CPython 3.11.7's ast (used by hypothesis to describe
        // strategies) can fail with "AST constructor recursion depth mismatch" (CPython gh-106905).
        .args(["--checks", CHECKS, "--max-examples", "12", "--seed", "20261121", "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing", "--request-timeout", "20", "--no-color"])
        .args(["--suppress-health-check", "all", "--generation-database", "none"])
        .arg("--report-junit-path")
        .arg(report.join("junit.xml"))
        .args(["--report", "junit"])
        .env("SCHEMATHESIS_HOOKS", "handoff_hooks")
        .env("PYTHONPATH", root().join("tests/schemathesis"))
        .env("HANDOFF_ST_BASE", &stack.url)
        .env("HANDOFF_ST_EMAIL", &email)
        .output()
        .await
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The summary (operations, test cases, requests) is in the run's output.
    println!("{stdout}");
    assert!(out.status.success(), "schemathesis found failures:\n{stdout}\n{stderr}");
    let operations: usize =
        handoff_contract::openapi()["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    // Every operation but GET /openapi.json, which is how schemathesis loads the document.
    let tried = operations - 1;
    let all = format!("{tried} selected / {tried} total");
    assert!(stdout.contains(&all), "every operation ({tried}) was tried:\n{stdout}");
    let cases = stdout.lines().skip_while(|l| !l.starts_with("Test cases:")).nth(1).unwrap_or_default();
    assert!(cases.contains(" passed") && !cases.contains("failed"), "every test case passed: {cases}\n{stdout}");
}
