//! Reads template.yaml: parameters, globals, resources, functions and their
//! events, and resolves CloudFormation intrinsics (`!Ref`, `!GetAtt`, `!Sub`,
//! dynamic references to Secrets Manager) to local values.
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::Path;

pub type Error = String;

#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: String,
    pub props: Value,
    pub metadata: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventSource {
    Http { path: String, method: String, authorized: bool },
    Sqs { queue: String, batch_size: usize, report_failures: bool },
    Stream { table: String, batch_size: usize },
    Schedule { every_seconds: u64 },
}

#[derive(Debug, Clone)]
pub struct FunctionDef {
    pub id: String,
    pub code_uri: String,
    /// Globals' variables overlaid with the function's own (unresolved).
    pub env: BTreeMap<String, Value>,
    pub events: Vec<EventSource>,
    /// Timeout in seconds (the function's, else Globals', else Lambda's 3).
    pub timeout: u64,
    /// MemorySize in MB (the function's, else Globals', else Lambda's 128).
    pub memory: u64,
    /// The binary `sam build` builds: Metadata BuildProperties Binary, else the crate's folder name.
    pub binary: String,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub resources: BTreeMap<String, Resource>,
    pub parameters: BTreeMap<String, String>,
    pub functions: Vec<FunctionDef>,
    pub default_authorizer: Option<String>,
    pub authorizer_function: Option<String>,
    pub cors: Option<Value>,
}

/// The `${X...}` names of a `!Sub` string.
fn sub_names(v: &Value) -> Vec<String> {
    let text = match v {
        Value::Tagged(t) if t.tag == "!Sub" => t.value.as_str().unwrap_or_default(),
        Value::String(s) => s.as_str(),
        _ => "",
    };
    text.split("${").skip(1).filter_map(|x| x.split('}').next()).map(str::to_string).collect()
}

/// `!Ref X` / `{Ref: X}` → X.
pub fn as_ref(v: &Value) -> Option<String> {
    match v {
        Value::Tagged(t) if t.tag == "!Ref" => t.value.as_str().map(str::to_string),
        Value::Mapping(m) if m.len() == 1 => m.get("Ref").and_then(|r| r.as_str()).map(str::to_string),
        _ => None,
    }
}

/// `!GetAtt X.Attr` / `{Fn::GetAtt: [X, Attr]}` → (X, Attr).
pub fn as_getatt(v: &Value) -> Option<(String, String)> {
    let split = |s: &str| s.split_once('.').map(|(a, b)| (a.to_string(), b.to_string()));
    match v {
        Value::Tagged(t) if t.tag == "!GetAtt" => match &t.value {
            Value::String(s) => split(s),
            Value::Sequence(s) if s.len() == 2 => Some((s[0].as_str()?.into(), s[1].as_str()?.into())),
            _ => None,
        },
        Value::Mapping(m) if m.len() == 1 => match m.get("Fn::GetAtt")? {
            Value::String(s) => split(s),
            Value::Sequence(s) if s.len() == 2 => Some((s[0].as_str()?.into(), s[1].as_str()?.into())),
            _ => None,
        },
        _ => None,
    }
}

fn rate_seconds(expr: &str) -> Result<u64, Error> {
    let inner = expr
        .strip_prefix("rate(")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("only rate() schedules run locally: {expr}"))?;
    let (n, unit) = inner.trim().split_once(' ').ok_or_else(|| format!("bad rate: {expr}"))?;
    let n: u64 = n.parse().map_err(|_| format!("bad rate: {expr}"))?;
    let mult = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86400,
        u => return Err(format!("bad rate unit {u}")),
    };
    Ok(n * mult)
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, Error> {
        let root: Value = serde_yaml::from_str(text).map_err(|e| format!("template.yaml: {e}"))?;
        let mut parameters = BTreeMap::new();
        if let Some(Value::Mapping(ps)) = root.get("Parameters") {
            for (k, v) in ps {
                let name = k.as_str().unwrap_or_default().to_string();
                let default = match v.get("Default") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                parameters.insert(name, default);
            }
        }
        let globals = root.get("Globals").and_then(|g| g.get("Function"));
        let globals_env = env_map(globals);
        let setting = |props: &Value, key: &str, default: u64| {
            props.get(key).or(globals.and_then(|g| g.get(key))).and_then(|v| v.as_u64()).unwrap_or(default)
        };
        let mut resources = BTreeMap::new();
        let mut functions = Vec::new();
        let (mut default_authorizer, mut authorizer_function, mut cors) = (None, None, None);
        let Some(Value::Mapping(rs)) = root.get("Resources") else {
            return Err("template.yaml has no Resources".into());
        };
        for (k, v) in rs {
            let id = k.as_str().ok_or("resource id is not a string")?.to_string();
            let kind = v.get("Type").and_then(|t| t.as_str()).ok_or_else(|| format!("{id} has no Type"))?.to_string();
            let props = v.get("Properties").cloned().unwrap_or(Value::Null);
            let metadata = v.get("Metadata").cloned().unwrap_or(Value::Null);
            if kind == "AWS::Serverless::HttpApi" {
                let auth = props.get("Auth");
                default_authorizer =
                    auth.and_then(|a| a.get("DefaultAuthorizer")).and_then(|d| d.as_str()).map(str::to_string);
                if let (Some(name), Some(a)) = (&default_authorizer, auth.and_then(|a| a.get("Authorizers"))) {
                    let arn = a
                        .get(name.as_str())
                        .and_then(|x| x.get("FunctionArn"))
                        .ok_or_else(|| format!("authorizer {name} has no FunctionArn"))?;
                    authorizer_function =
                        Some(as_getatt(arn).ok_or("authorizer FunctionArn must be !GetAtt Fn.Arn")?.0);
                }
                cors = props.get("CorsConfiguration").cloned();
            }
            if kind == "AWS::Serverless::Function" {
                let code_uri = props
                    .get("CodeUri")
                    .and_then(|c| c.as_str())
                    .ok_or_else(|| format!("{id} has no CodeUri"))?
                    .trim_end_matches('/')
                    .to_string();
                let mut env = globals_env.clone();
                env.extend(env_map(Some(&props)));
                let mut events = Vec::new();
                if let Some(Value::Mapping(evs)) = props.get("Events") {
                    for (ek, ev) in evs {
                        let ename = ek.as_str().unwrap_or_default();
                        let etype = ev.get("Type").and_then(|t| t.as_str()).unwrap_or_default();
                        let p = ev.get("Properties").cloned().unwrap_or(Value::Null);
                        let num =
                            |k: &str, d: usize| p.get(k).and_then(|n| n.as_u64()).map(|n| n as usize).unwrap_or(d);
                        events.push(match etype {
                            "HttpApi" => EventSource::Http {
                                path: p
                                    .get("Path")
                                    .and_then(|x| x.as_str())
                                    .ok_or_else(|| format!("{id}.{ename} has no Path"))?
                                    .to_string(),
                                method: p
                                    .get("Method")
                                    .and_then(|x| x.as_str())
                                    .ok_or_else(|| format!("{id}.{ename} has no Method"))?
                                    .to_uppercase(),
                                authorized: p.get("Auth").and_then(|a| a.get("Authorizer")).and_then(|a| a.as_str())
                                    != Some("NONE"),
                            },
                            "SQS" => EventSource::Sqs {
                                queue: p
                                    .get("Queue")
                                    .and_then(as_getatt)
                                    .ok_or_else(|| format!("{id}.{ename}: Queue must be !GetAtt Q.Arn"))?
                                    .0,
                                batch_size: num("BatchSize", 10),
                                report_failures: p
                                    .get("FunctionResponseTypes")
                                    .and_then(|f| f.as_sequence())
                                    .is_some_and(|s| s.iter().any(|x| x.as_str() == Some("ReportBatchItemFailures"))),
                            },
                            "DynamoDB" => EventSource::Stream {
                                table: p
                                    .get("Stream")
                                    .and_then(as_getatt)
                                    .ok_or_else(|| format!("{id}.{ename}: Stream must be !GetAtt T.StreamArn"))?
                                    .0,
                                batch_size: num("BatchSize", 100),
                            },
                            "Schedule" | "ScheduleV2" => EventSource::Schedule {
                                every_seconds: rate_seconds(
                                    p.get("Schedule")
                                        .or(p.get("ScheduleExpression"))
                                        .and_then(|s| s.as_str())
                                        .unwrap_or_default(),
                                )?,
                            },
                            other => return Err(format!("{id}.{ename}: event type {other} is not supported locally")),
                        });
                    }
                }
                let (timeout, memory) = (setting(&props, "Timeout", 3), setting(&props, "MemorySize", 128));
                let binary = metadata
                    .get("BuildProperties")
                    .and_then(|b| b.get("Binary"))
                    .and_then(|b| b.as_str())
                    .unwrap_or_else(|| code_uri.rsplit('/').next().unwrap_or_default())
                    .to_string();
                functions.push(FunctionDef { id: id.clone(), code_uri, env, events, timeout, memory, binary });
            }
            resources.insert(id, Resource { kind, props, metadata });
        }
        Ok(Self { resources, parameters, functions, default_authorizer, authorizer_function, cors })
    }

    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a String, &'a Resource)> + 'a {
        self.resources.iter().filter(move |(_, r)| r.kind == kind)
    }

    /// The WebSocket API (AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET), if any.
    pub fn websocket_api(&self) -> Option<&String> {
        self.of_kind("AWS::ApiGatewayV2::Api")
            .find(|(_, r)| r.props.get("ProtocolType").and_then(|p| p.as_str()) == Some("WEBSOCKET"))
            .map(|(id, _)| id)
    }

    /// Its routes: route key → the function its Lambda proxy integration invokes.
    pub fn websocket_routes(&self) -> Result<BTreeMap<String, String>, Error> {
        let mut out = BTreeMap::new();
        for (id, r) in self.of_kind("AWS::ApiGatewayV2::Route") {
            let key = r.props.get("RouteKey").and_then(|k| k.as_str()).ok_or(format!("{id}: no RouteKey"))?;
            let target = r.props.get("Target").map(sub_names).unwrap_or_default();
            let integration =
                target.first().and_then(|i| self.resources.get(i)).ok_or(format!("{id}: no integration"))?;
            let function = integration
                .props
                .get("IntegrationUri")
                .map(sub_names)
                .unwrap_or_default()
                .into_iter()
                .find_map(|n| n.strip_suffix(".Arn").map(str::to_string))
                .ok_or(format!("{id}: the integration names no function"))?;
            out.insert(key.to_string(), function);
        }
        Ok(out)
    }
}

fn env_map(holder: Option<&Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Some(Value::Mapping(vars)) = holder.and_then(|h| h.get("Environment")).and_then(|e| e.get("Variables")) {
        for (k, v) in vars {
            if let Some(k) = k.as_str() {
                out.insert(k.to_string(), v.clone());
            }
        }
    }
    out
}

/// Physical names and attributes of the provisioned resources.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub stack: String,
    pub region: String,
    pub account: String,
    pub parameters: BTreeMap<String, String>,
    /// Logical id → value of `!Ref`.
    pub refs: BTreeMap<String, String>,
    /// (Logical id, attribute) → value of `!GetAtt`.
    pub atts: BTreeMap<(String, String), String>,
    /// Secret key → value, for `{{resolve:secretsmanager:…:SecretString:key}}`.
    pub secrets: BTreeMap<String, String>,
}

impl Names {
    pub fn resolve(&self, v: &Value) -> Result<String, Error> {
        if let Some(r) = as_ref(v) {
            return self.lookup(&r);
        }
        if let Some((id, att)) = as_getatt(v) {
            return self
                .atts
                .get(&(id.clone(), att.clone()))
                .cloned()
                .ok_or_else(|| format!("!GetAtt {id}.{att} has no local value"));
        }
        let sub = match v {
            Value::Tagged(t) if t.tag == "!Sub" => t.value.as_str().map(str::to_string),
            Value::Mapping(m) if m.len() == 1 => m.get("Fn::Sub").and_then(|s| s.as_str()).map(str::to_string),
            _ => None,
        };
        let text = match (sub, v) {
            (Some(s), _) => self.substitute(&s)?,
            (None, Value::String(s)) => s.clone(),
            (None, Value::Number(n)) => n.to_string(),
            (None, Value::Bool(b)) => b.to_string(),
            (None, other) => return Err(format!("cannot resolve {other:?} locally")),
        };
        self.dynamic_refs(&text)
    }

    /// Resolves every intrinsic inside a tree of values, as JSON.
    pub fn resolve_tree(&self, v: &Value) -> Result<serde_json::Value, Error> {
        Ok(match v {
            Value::Mapping(m) if as_ref(v).is_none() && as_getatt(v).is_none() && m.get("Fn::Sub").is_none() => {
                let mut out = serde_json::Map::new();
                for (k, x) in m {
                    out.insert(k.as_str().unwrap_or_default().to_string(), self.resolve_tree(x)?);
                }
                serde_json::Value::Object(out)
            }
            Value::Sequence(items) => {
                serde_json::Value::Array(items.iter().map(|x| self.resolve_tree(x)).collect::<Result<_, _>>()?)
            }
            Value::Number(n) => serde_json::to_value(n).map_err(|e| e.to_string())?,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Null => serde_json::Value::Null,
            other => serde_json::Value::String(self.resolve(other)?),
        })
    }

    fn lookup(&self, name: &str) -> Result<String, Error> {
        match name {
            "AWS::Region" => Ok(self.region.clone()),
            "AWS::AccountId" => Ok(self.account.clone()),
            "AWS::StackName" => Ok(self.stack.clone()),
            "AWS::URLSuffix" => Ok("amazonaws.com".into()),
            n => self
                .parameters
                .get(n)
                .or_else(|| self.refs.get(n))
                .cloned()
                .ok_or_else(|| format!("!Ref {n} has no local value")),
        }
    }

    fn substitute(&self, s: &str) -> Result<String, Error> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find('}').ok_or_else(|| format!("unclosed ${{ in {s}"))? + i;
            let var = &rest[i + 2..end];
            out.push_str(&match var.split_once('.') {
                Some((id, att)) => self
                    .atts
                    .get(&(id.to_string(), att.to_string()))
                    .cloned()
                    .ok_or_else(|| format!("${{{var}}} has no local value"))?,
                None => self.lookup(var)?,
            });
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `{{resolve:secretsmanager:NAME:SecretString:KEY}}` → the local secret KEY.
    fn dynamic_refs(&self, s: &str) -> Result<String, Error> {
        let mut out = s.to_string();
        while let Some(i) = out.find("{{resolve:") {
            let end = out[i..].find("}}").ok_or("unclosed dynamic reference")? + i;
            let inner = &out[i + 10..end];
            let parts: Vec<&str> = inner.split(':').collect();
            let value = match parts.as_slice() {
                ["secretsmanager", _name, "SecretString", key, ..] => {
                    self.secrets.get(*key).cloned().ok_or_else(|| format!("local secret {key} is missing"))?
                }
                _ => return Err(format!("dynamic reference {inner} is not supported locally")),
            };
            out.replace_range(i..end + 2, &value);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intrinsics_resolve() {
        let t = Template::parse(
            r#"
Parameters:
  Stage: { Type: String, Default: dev }
Resources:
  Q:
    Type: AWS::SQS::Queue
  F:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/x/y/
      Environment:
        Variables:
          A: !Ref Q
          B: !Sub "bus-${Stage}-${Q.Arn}"
          C: "{{resolve:secretsmanager:s:SecretString:k}}"
      Events:
        E: { Type: Schedule, Properties: { Schedule: rate(5 minutes) } }
        Q: { Type: SQS, Properties: { Queue: !GetAtt Q.Arn, BatchSize: 3 } }
"#,
        )
        .unwrap();
        let f = &t.functions[0];
        assert_eq!(f.code_uri, "functions/x/y");
        assert_eq!(f.events[0], EventSource::Schedule { every_seconds: 300 });
        assert_eq!(f.events[1], EventSource::Sqs { queue: "Q".into(), batch_size: 3, report_failures: false });
        let mut n = Names { parameters: t.parameters.clone(), ..Default::default() };
        n.refs.insert("Q".into(), "http://q".into());
        n.atts.insert(("Q".into(), "Arn".into()), "arn:q".into());
        n.secrets.insert("k".into(), "secret".into());
        assert_eq!(n.resolve(&f.env["A"]).unwrap(), "http://q");
        assert_eq!(n.resolve(&f.env["B"]).unwrap(), "bus-dev-arn:q");
        assert_eq!(n.resolve(&f.env["C"]).unwrap(), "secret");
        assert!(n.resolve(&serde_yaml::from_str::<Value>("!Ref Missing").unwrap()).is_err());
    }
}
