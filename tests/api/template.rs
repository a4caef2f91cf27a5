//! template.yaml and functions/ must agree: every crate has a resource,
//! every resource a crate, and every route, rule and queue points at
//! something real.
use handoff_tests::root;
use std::collections::{BTreeMap, BTreeSet};

/// Problems between a template and the function crates (dir → package name).
fn check(template: &str, crates: &BTreeMap<String, String>) -> Vec<String> {
    let mut errors = Vec::new();
    let t = match handoff_local::template::Template::parse(template) {
        Ok(t) => t,
        Err(e) => return vec![e],
    };
    let uris: BTreeSet<String> = t.functions.iter().map(|f| f.code_uri.clone()).collect();
    for dir in crates.keys() {
        if !uris.contains(dir) {
            errors.push(format!("crate {dir} has no function in template.yaml"));
        }
    }
    let mut routes = BTreeSet::new();
    for f in &t.functions {
        match crates.get(&f.code_uri) {
            None => errors.push(format!("{} points at {} which is not a crate", f.id, f.code_uri)),
            Some(name) => {
                let binary = t.resources[&f.id]
                    .metadata
                    .get("BuildProperties")
                    .and_then(|b| b.get("Binary"))
                    .and_then(|b| b.as_str());
                if binary != Some(name.as_str()) {
                    errors.push(format!(
                        "{}: Metadata BuildProperties Binary {binary:?} is not the crate's binary {name}",
                        f.id
                    ));
                }
            }
        }
        for ev in &f.events {
            use handoff_local::template::EventSource::*;
            match ev {
                Http { path, method, .. } => {
                    if !routes.insert(format!("{method} {path}")) {
                        errors.push(format!("route {method} {path} is declared twice"));
                    }
                }
                Sqs { queue, report_failures, .. } => {
                    if t.resources.get(queue).map(|r| r.kind.as_str()) != Some("AWS::SQS::Queue") {
                        errors.push(format!("{} consumes {queue}, which is not a queue", f.id));
                    }
                    if !report_failures {
                        errors.push(format!("{} must report partial batch failures", f.id));
                    }
                }
                Stream { table, .. } => {
                    if t.resources.get(table).map(|r| r.kind.as_str()) != Some("AWS::DynamoDB::Table") {
                        errors.push(format!("{} reads the stream of {table}, which is not a table", f.id));
                    }
                }
                Schedule { .. } => {}
            }
        }
    }
    let consumed: BTreeSet<String> = t
        .functions
        .iter()
        .flat_map(|f| f.events.iter())
        .filter_map(|e| match e {
            handoff_local::template::EventSource::Sqs { queue, .. } => Some(queue.clone()),
            _ => None,
        })
        .collect();
    let mut dlqs = BTreeSet::new();
    for (id, q) in t.of_kind("AWS::SQS::Queue") {
        if let Some(rp) = q.props.get("RedrivePolicy") {
            match rp.get("deadLetterTargetArn").and_then(handoff_local::template::as_getatt) {
                Some((dlq, _)) if t.resources.get(&dlq).map(|r| r.kind.as_str()) == Some("AWS::SQS::Queue") => {
                    dlqs.insert(dlq);
                }
                _ => errors.push(format!("queue {id}'s dead-letter queue does not exist")),
            }
        }
    }
    for (id, q) in t.of_kind("AWS::SQS::Queue") {
        if consumed.contains(id) && q.props.get("RedrivePolicy").is_none() {
            errors.push(format!("queue {id} has a consumer but no dead-letter queue"));
        }
    }
    for (id, rule) in t.of_kind("AWS::Events::Rule") {
        for target in rule.props.get("Targets").and_then(|x| x.as_sequence()).into_iter().flatten() {
            match target.get("Arn").and_then(handoff_local::template::as_getatt) {
                Some((q, _)) if t.resources.get(&q).map(|r| r.kind.as_str()) == Some("AWS::SQS::Queue") => {
                    if !consumed.contains(&q) {
                        errors.push(format!("rule {id} targets queue {q}, which no function consumes"));
                    }
                }
                Some((other, _)) => errors.push(format!("rule {id} targets {other}, which is not a queue")),
                None => errors.push(format!("rule {id} has a target without !GetAtt Arn")),
            }
        }
        if let Some(bus) = rule.props.get("EventBusName").and_then(handoff_local::template::as_ref) {
            if t.resources.get(&bus).map(|r| r.kind.as_str()) != Some("AWS::Events::EventBus") {
                errors.push(format!("rule {id} is on {bus}, which is not a bus"));
            }
        }
    }
    errors
}

fn crates() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for ctx in std::fs::read_dir(root().join("functions")).unwrap() {
        let ctx = ctx.unwrap().path();
        for f in std::fs::read_dir(&ctx).unwrap() {
            let dir = f.unwrap().path();
            let toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            let name =
                toml.lines().find_map(|l| l.strip_prefix("name = \"")).unwrap().trim_end_matches('"').to_string();
            let rel = dir.strip_prefix(root()).unwrap().to_string_lossy().trim_start_matches("./").to_string();
            out.insert(rel.replace("../", ""), name);
        }
    }
    out
}

fn template_text() -> String {
    std::fs::read_to_string(root().join("template.yaml")).unwrap()
}

#[test]
fn template_and_functions_agree() {
    let crates = crates();
    assert!(crates.len() >= 14, "{crates:?}");
    let errors = check(&template_text(), &crates);
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The multi-call binary the local stack runs (infra/lambdas) depends on
/// every function crate, by its path, and on nothing else of functions/.
#[test]
fn the_multicall_binary_links_every_function() {
    let toml = std::fs::read_to_string(root().join("infra/lambdas/Cargo.toml")).unwrap();
    let listed: BTreeMap<String, String> = toml
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(" = { path = \"../../")?;
            Some((rest.trim_end_matches("\" }").to_string(), name.trim().to_string()))
        })
        .collect();
    assert_eq!(listed, crates(), "infra/lambdas/Cargo.toml lists every crate of functions/ (dir → name)");
    let names: BTreeSet<&str> = handoff_lambdas_functions();
    assert_eq!(names, crates().values().map(String::as_str).collect(), "the dispatch knows every function");
}

/// The functions the multi-call binary dispatches to, as it lists them when
/// asked for one it does not know.
fn handoff_lambdas_functions() -> BTreeSet<&'static str> {
    let bin = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("debug/handoff-lambdas");
    let out =
        std::process::Command::new(&bin).arg("nothing").output().unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    assert_eq!(out.status.code(), Some(2), "an unknown function is refused");
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    let list = text.split("one of: ").nth(1).expect("the list of functions").trim().to_string();
    list.leak().split(", ").collect()
}

#[test]
fn the_check_catches_disagreements() {
    let text = template_text();
    let mut crates = crates();
    crates.insert("functions/identity/orphan".into(), "orphan".into());
    let errors = check(&text, &crates);
    assert!(errors.iter().any(|e| e.contains("functions/identity/orphan has no function")), "{errors:?}");

    let renamed = text.replace("CodeUri: functions/identity/get-me", "CodeUri: functions/identity/get-you");
    let errors = check(&renamed, &self::crates());
    assert!(errors.iter().any(|e| e.contains("get-you which is not a crate")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("functions/identity/get-me has no function")), "{errors:?}");

    let dangling = text.replace("Queue: !GetAtt AuditWriterQueue.Arn", "Queue: !GetAtt NoSuchQueue.Arn");
    let errors = check(&dangling, &self::crates());
    assert!(errors.iter().any(|e| e.contains("consumes NoSuchQueue")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("which no function consumes")), "{errors:?}");

    let bad_rule = text.replace("Arn: !GetAtt AuditWriterQueue.Arn\n", "Arn: !GetAtt Nowhere.Arn\n");
    let errors = check(&bad_rule, &self::crates());
    assert!(errors.iter().any(|e| e.contains("targets Nowhere")), "{errors:?}");

    let twice = text.replace("Path: /me, Method: PATCH", "Path: /me, Method: GET");
    let errors = check(&twice, &self::crates());
    assert!(errors.iter().any(|e| e.contains("GET /me is declared twice")), "{errors:?}");

    let mut misnamed = self::crates();
    misnamed.insert("functions/identity/logout".into(), "log-out".into());
    let errors = check(&text, &misnamed);
    assert!(errors.iter().any(|e| e.contains("is not the crate's binary log-out")), "{errors:?}");
}

#[test]
fn prod_cors_names_an_origin() {
    let config = std::fs::read_to_string(root().join("samconfig.toml")).unwrap();
    let prod = config.split("[prod.deploy.parameters]").nth(1).expect("a prod deploy section");
    let overrides = prod.lines().find(|l| l.starts_with("parameter_overrides")).expect("prod overrides");
    let origin = overrides.split_whitespace().find_map(|w| w.trim_matches('"').strip_prefix("AllowedOrigin="));
    assert!(origin.is_some_and(|o| o.starts_with("https://") && o != "*"), "prod AllowedOrigin: {overrides}");
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    assert!(template.contains("ProdNamesItsOrigin"), "the template refuses * in prod");
}
