//! Every event that passes through the local stack's queues is checked
//! against its generated schema (events/schemas/<DetailType>.json): an event
//! that does not match, or has no schema, is recorded as a violation (and
//! logged), so a test of any flow fails when the code sends an event its
//! contract does not describe.
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct EventSchemas {
    validators: Arc<HashMap<String, jsonschema::Validator>>,
    violations: Arc<Mutex<Vec<String>>>,
}

impl EventSchemas {
    /// The schemas in `dir` (none if it does not exist: nothing is checked),
    /// compiled once per process and folder: every stack of a test run
    /// shares them (each keeps its own violations).
    pub fn load(dir: &Path) -> Result<Self, String> {
        type Compiled = HashMap<std::path::PathBuf, Arc<HashMap<String, jsonschema::Validator>>>;
        static COMPILED: Mutex<Option<Compiled>> = Mutex::new(None);
        let mut cache = COMPILED.lock().expect("not poisoned");
        let cache = cache.get_or_insert_with(HashMap::new);
        if let Some(v) = cache.get(dir) {
            return Ok(Self { validators: v.clone(), violations: Arc::default() });
        }
        let loaded = Self::compile(dir)?;
        cache.insert(dir.to_path_buf(), loaded.validators.clone());
        Ok(loaded)
    }

    fn compile(dir: &Path) -> Result<Self, String> {
        let mut validators = HashMap::new();
        let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Self::default()) };
        for e in entries.flatten() {
            let path = e.path();
            let Some(name) = path.file_stem().and_then(|n| n.to_str()).map(str::to_string) else { continue };
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let schema: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let v = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            validators.insert(name, v);
        }
        Ok(Self { validators: Arc::new(validators), violations: Arc::default() })
    }

    /// Checks an EventBridge message body (`detail-type`, `detail`).
    pub fn check(&self, body: &str) {
        if self.validators.is_empty() {
            return;
        }
        let Ok(msg) = serde_json::from_str::<Value>(body) else { return };
        let (Some(kind), Some(detail)) = (msg.get("detail-type").and_then(Value::as_str), msg.get("detail")) else {
            return;
        };
        // AWS's own events (SES feedback, `aws.*`) follow AWS's schemas, not ours.
        if !msg.get("source").and_then(Value::as_str).is_some_and(|s| s.starts_with("handoff.")) {
            return;
        }
        let problem = match self.validators.get(kind) {
            None => Some(format!("{kind}: no schema in events/schemas")),
            Some(v) => {
                let errors: Vec<String> =
                    v.iter_errors(detail).map(|e| format!("{} at {}", e, e.instance_path)).collect();
                (!errors.is_empty()).then(|| format!("{kind} does not match its schema: {}", errors.join("; ")))
            }
        };
        if let Some(p) = problem {
            tracing::error!(event = %detail, "{p}");
            self.violations.lock().expect("not poisoned").push(p);
        }
    }

    /// The violations seen so far.
    pub fn violations(&self) -> Vec<String> {
        self.violations.lock().expect("not poisoned").clone()
    }
}
