//! Property-based testing of the whole API against its contract:
//! schemathesis (pinned, installed into .local/ by infra/setup.sh) reads
//! GET /openapi.json from the local stack and tries every operation, signed
//! in as a real user through the mailbox (tests/schemathesis/handoff_hooks.py),
//! with the checks the contract promises: no 5xx, only documented statuses,
//! content types and bodies.
//!
//! The operations are dealt into [`PARTS`] runs, each against a stack of its
//! own, so they run side by side; together they try every operation. CI runs
//! 12 examples per operation with a fixed seed; `HANDOFF_FUZZ_EXAMPLES=100`
//! (and `HANDOFF_FUZZ_SEED`) runs a deeper search the same way:
//!
//! ```sh
//! HANDOFF_FUZZ_EXAMPLES=100 ./infra/test.sh fuzz::
//! ```
use handoff_tests::{busy_stack, root};
use serde_json::json;

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
const PARTS: usize = 3;

/// Every operation id of the contract but GET /openapi.json (how
/// schemathesis loads the document), in a fixed order.
fn operation_ids() -> Vec<String> {
    let doc = handoff_contract::openapi();
    let mut ids: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|p| p.as_object().unwrap().values())
        .map(|o| o["operationId"].as_str().expect("every operation has an id").to_string())
        .filter(|id| id != "get-openapi")
        .collect();
    ids.sort();
    ids
}

/// Part `k` of `n`: every n-th operation, so each part mixes contexts.
fn part(k: usize, n: usize) -> Vec<String> {
    operation_ids().into_iter().enumerate().filter(|(i, _)| i % n == k).map(|(_, id)| id).collect()
}

#[test]
fn the_parts_cover_every_operation_once() {
    let mut all: Vec<String> = (0..PARTS).flat_map(|k| part(k, PARTS)).collect();
    all.sort();
    assert_eq!(all, operation_ids());
    assert!(all.len() > 100, "{}", all.len());
}

async fn schemathesis(k: usize) {
    let ops = part(k, PARTS);
    let stack = busy_stack(&format!("fuzz{k}")).await;
    let email = format!("fuzz-{}@handoff.dev", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    // Every role, verified: the fuzzer gets past role checks into the handlers.
    let users = json!({"users": [{"email": email, "name": "Fuzz Tester", "verified": true,
        "roles": ["sender", "traveler", "driver", "support", "admin"]}]});
    handoff_local::demo::load(&stack.table, &users.to_string()).await.unwrap();
    let bin = root().join(".local/schemathesis/bin/schemathesis");
    assert!(bin.exists(), "{} is missing: run infra/setup.sh (infra/test.sh does)", bin.display());
    let report = root().join(format!(".local/schemathesis-report/part{k}"));
    let examples = std::env::var("HANDOFF_FUZZ_EXAMPLES").unwrap_or_else(|_| "12".into());
    let seed = std::env::var("HANDOFF_FUZZ_SEED").unwrap_or_else(|_| "20261121".into());
    let mut cmd = tokio::process::Command::new(&bin);
    cmd.args(["run", &format!("{}/openapi.json", stack.url), "--url", &stack.url])
        // One worker: with two threads, CPython 3.11.7's ast (used by hypothesis to describe
        // strategies) can fail with "AST constructor recursion depth mismatch" (CPython gh-106905).
        .args(["--checks", CHECKS, "--max-examples", &examples, "--seed", &seed, "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing", "--request-timeout", "60", "--no-color"])
        .args(["--suppress-health-check", "all", "--generation-database", "none"]);
    for id in &ops {
        cmd.args(["--include-operation-id", id]);
    }
    let out = cmd
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
    let total = operation_ids().len();
    let selected = format!("{} selected / {total} total", ops.len());
    assert!(stdout.contains(&selected), "every operation of part {k} ({selected}) was tried:\n{stdout}");
    let cases = stdout.lines().skip_while(|l| !l.starts_with("Test cases:")).nth(1).unwrap_or_default();
    assert!(cases.contains(" passed") && !cases.contains("failed"), "every test case passed: {cases}\n{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing_wrong_part_1_of_3() {
    schemathesis(0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing_wrong_part_2_of_3() {
    schemathesis(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing_wrong_part_3_of_3() {
    schemathesis(2).await;
}
