//! The API contract cannot drift: docs/openapi.json and events/schemas/*.json
//! are what the code generates now, the document's operations are exactly
//! template.yaml's routes, and every event type has its schema.
use handoff_local::template::{EventSource, Template};
use handoff_tests::root;
use std::collections::BTreeSet;

#[test]
fn committed_contract_files_are_current() {
    let stale = handoff_contract::stale(&root());
    assert!(stale.is_empty(), "stale contract files (regenerate with `cargo run -p handoff-contract`): {stale:?}");
}

fn template_routes() -> BTreeSet<(String, String, String)> {
    let t = Template::load(&root().join("template.yaml")).expect("template.yaml parses");
    let mut out = BTreeSet::new();
    for f in &t.functions {
        for e in &f.events {
            if let EventSource::Http { path, method, .. } = e {
                out.insert((method.to_ascii_uppercase(), path.clone(), f.binary.clone()));
            }
        }
    }
    out
}

#[test]
fn openapi_paths_and_template_routes_agree_both_ways() {
    let doc = handoff_contract::openapi();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let id = op["operationId"].as_str().expect("operationId").to_string();
            documented.insert((method.to_ascii_uppercase(), path.clone(), id));
        }
    }
    let routes = template_routes();
    let missing: Vec<_> = routes.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routes).collect();
    assert!(missing.is_empty(), "routes of template.yaml missing from the OpenAPI document: {missing:?}");
    assert!(extra.is_empty(), "operations of the OpenAPI document that template.yaml does not route: {extra:?}");
}

#[test]
fn every_operation_states_its_contract() {
    let doc = handoff_contract::openapi();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{at}: summary");
            assert!(op["tags"].as_array().is_some_and(|t| t.len() == 1), "{at}: one tag");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{at}: a success answer");
            assert!(responses.contains_key("503"), "{at}: 503");
            let public = op["security"].as_array().unwrap().is_empty();
            if !public {
                let types = responses["401"].pointer("/content/application~1problem+json/schema/properties/type/enum");
                assert!(types.is_some_and(|t| t.to_string().contains("unauthenticated")), "{at}: 401 when signed in");
            }
            let params: Vec<&str> =
                op["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
            let mutating = method != "get";
            assert_eq!(params.contains(&"Idempotency-Key"), mutating && !public, "{at}: Idempotency-Key");
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(s), "{at}: {s} for a body");
                }
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{at}: 404 for a path parameter");
            }
            let paged = params.contains(&"cursor") && params.contains(&"limit");
            let list = responses.get("200").and_then(|r| r.pointer("/content/application~1json/schema/$ref"));
            if list.and_then(|r| r.as_str()).is_some_and(|r| r.ends_with("Page")) {
                assert!(paged, "{at}: a paged list takes limit and cursor");
            }
        }
    }
}

#[test]
fn every_domain_event_has_a_generated_schema() {
    let source = std::fs::read_to_string(root().join("shared/src/domain/events.rs")).unwrap();
    let declared: BTreeSet<String> = source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("const DETAIL_TYPE: &'static str = \""))
        .map(|l| l.trim_end_matches("\";").to_string())
        .collect();
    let generated: BTreeSet<String> = handoff_contract::event_schemas().into_iter().map(|(n, _)| n).collect();
    assert!(!declared.is_empty());
    assert_eq!(declared, generated, "every DomainEvent in events.rs needs a line in handoff_contract::event_schemas");
}

#[test]
fn events_are_checked_against_their_schemas_as_they_pass() {
    use handoff::domain::events::TripCancelled;
    use handoff::platform::envelope::{Actor, Envelope};
    let schemas = handoff_local::schemas::EventSchemas::load(&root().join("events/schemas")).unwrap();
    let e = TripCancelled { trip_id: "t1".into(), traveler_id: "u1".into(), revision: 3, reason: None };
    let good = Envelope::new(&e, "c-1", Actor::system());
    let message = |detail: serde_json::Value, kind: &str| {
        serde_json::json!({"detail-type": kind, "source": "handoff.trips", "detail": detail}).to_string()
    };
    schemas.check(&message(serde_json::to_value(&good).unwrap(), "TripCancelled"));
    assert_eq!(schemas.violations(), Vec::<String>::new());
    let mut bad = serde_json::to_value(&good).unwrap();
    bad["data"]["revision"] = serde_json::json!("three");
    schemas.check(&message(bad, "TripCancelled"));
    let mut wrong_source = serde_json::to_value(&good).unwrap();
    wrong_source["source"] = serde_json::json!("handoff.identity");
    schemas.check(&message(wrong_source, "TripCancelled"));
    schemas.check(&message(serde_json::to_value(&good).unwrap(), "TripTeleported"));
    let v = schemas.violations();
    assert_eq!(v.len(), 3, "{v:?}");
    assert!(v[0].contains("/data/revision"), "{v:?}");
    assert!(v[2].contains("no schema"), "{v:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_served_and_browsable() {
    let stack = handoff_tests::stack("openapi").await;
    let c = handoff_tests::Client::new(&stack);
    let a = c.get("/openapi.json", None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, handoff_contract::openapi(), "GET /openapi.json serves the generated document");
    let page = c.http.get(format!("{}/_local/docs/", stack.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("SwaggerUIBundle") && html.contains("/openapi.json"), "{html}");
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css"] {
        let r = c.http.get(format!("{}/_local/docs/{asset}", stack.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{asset} (installed by infra/setup.sh)");
        assert!(r.bytes().await.unwrap().len() > 10_000, "{asset}");
    }
    let r = c.http.get(format!("{}/_local/docs/..%2F..%2Fsecrets.json", stack.url)).send().await.unwrap();
    assert_eq!(r.status(), 404, "only Swagger UI's own files");
}
