//! A sample event for every function (events/samples/<binary>.json), kept
//! valid: each names its function's route, and each function's real binary
//! answers it without failing (an HTTP answer below 500, an event answer
//! without failed records).
use handoff_local::template::EventSource;
use handoff_tests::{root, stack};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_answers_its_sample_event() {
    let stack = stack("samples").await;
    let dir = root().join("events/samples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".json").to_string())
        .collect();
    names.sort();
    let mut expected: Vec<String> = stack.template.functions.iter().map(|f| f.binary.clone()).collect();
    expected.sort();
    assert_eq!(names, expected, "one sample per function, named after its binary");

    for f in &stack.template.functions {
        let name = &f.binary;
        let sample: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap())
            .unwrap_or_else(|e| panic!("{name}.json: {e}"));
        let route = f.events.iter().find_map(|e| match e {
            EventSource::Http { method, path, .. } => Some(format!("{method} {path}")),
            _ => None,
        });
        if let Some(route) = &route {
            assert_eq!(sample["routeKey"].as_str(), Some(route.as_str()), "{name}.json is for {route}");
        }
        let answer = stack.functions[&f.id].invoke(sample).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        if route.is_some() {
            let status =
                answer["statusCode"].as_u64().unwrap_or_else(|| panic!("{name}: not an HTTP answer: {answer}"));
            assert!(status < 500, "{name} answered {status}: {answer}");
        } else {
            let failed = answer.get("batchItemFailures").and_then(|f| f.as_array()).map_or(0, |f| f.len());
            assert_eq!(failed, 0, "{name} failed records of its sample: {answer}");
        }
    }
}
