//! JSON logs carrying a correlation id, and CloudWatch EMF metrics.
//!
//! Every handler runs inside a span with `correlation_id`; the JSON log
//! format prints the span's fields on every line, and events written while
//! handling carry the same id, so a consumer's logs join the request's.
use std::sync::Once;

static INIT: Once = Once::new();

/// JSON logs to stdout (Lambda sends them to CloudWatch), level from `RUST_LOG`
/// (default `info`). Safe to call more than once.
pub fn init_tracing() {
    INIT.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,hyper=warn")
        });
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(false)
            .with_target(false)
            .without_time()
            .try_init();
    });
}

/// A caller's correlation id if it is sane (1–64 of `[A-Za-z0-9._-]`), else a new one.
pub fn correlation_id(candidate: Option<&str>) -> String {
    match candidate {
        Some(c)
            if !c.is_empty()
                && c.len() <= 64
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch)) =>
        {
            c.to_string()
        }
        _ => uuid::Uuid::now_v7().to_string(),
    }
}

/// One CloudWatch Embedded Metric Format document: the metric `name` with
/// `value` in `unit`, under namespace `Handoff`, dimensioned by `function`
/// and any `extra` dimensions.
pub fn emf_document(
    function: &str,
    name: &str,
    value: f64,
    unit: &str,
    extra: &[(&str, &str)],
    timestamp_ms: i64,
) -> serde_json::Value {
    let mut dims = vec!["function"];
    dims.extend(extra.iter().map(|(k, _)| *k));
    let mut doc = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": "Handoff",
                "Dimensions": [dims],
                "Metrics": [{"Name": name, "Unit": unit}]
            }]
        },
        "function": function,
        name: value,
    });
    for (k, v) in extra {
        doc[*k] = serde_json::Value::String(v.to_string());
    }
    doc
}

/// Prints an EMF metric on stdout, where the Lambda log agent picks it up
/// (only on Lambda: the local stack has no agent to read them).
pub fn metric(function: &str, name: &str, value: f64, unit: &str) {
    metric_with(function, name, value, unit, &[]);
}

/// [`metric`] with more dimensions, e.g. `[("queue", "audit-dlq")]`.
pub fn metric_with(function: &str, name: &str, value: f64, unit: &str, extra: &[(&str, &str)]) {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        return;
    }
    let ts = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    println!("{}", emf_document(function, name, value, unit, extra, ts));
}

#[cfg(test)]
mod tests {
    #[test]
    fn correlation_ids_are_sanitised() {
        assert_eq!(super::correlation_id(Some("abc-123")), "abc-123");
        assert_ne!(super::correlation_id(Some("bad id\n")), "bad id\n");
        assert_eq!(super::correlation_id(None).len(), 36);
    }
    #[test]
    fn emf_shape() {
        let d = super::emf_document("f", "Requests", 1.0, "Count", &[("queue", "q")], 5);
        assert_eq!(d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], "Requests");
        assert_eq!(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0], serde_json::json!(["function", "queue"]));
        assert_eq!(d["queue"], "q");
        assert_eq!(d["Requests"], 1.0);
        assert_eq!(d["function"], "f");
    }
}
