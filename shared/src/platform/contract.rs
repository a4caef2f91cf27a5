//! The API contract of one route, declared beside its handler: each HTTP
//! function's `lib.rs` has `pub fn operation() -> Operation` naming its
//! method and path (as in template.yaml), who may call it, the Rust types
//! of its body and answers, and the problems it answers besides the ones
//! every route of its kind can answer (added here, in [`Operation::problems`]).
//! `handoff-contract` turns them into docs/openapi.json.
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Value};

use crate::domain::identity::Role;

/// Every problem `type` is this base and a stable slug.
pub const PROBLEM_BASE: &str = "https://problems.handoff.dev/";

/// Builds a type's schema in the document's generator (a `$ref` into
/// `components/schemas`).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// Who may call a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No token needed.
    Public,
    /// Any signed-in user.
    User,
    /// A signed-in user with one of these roles.
    Roles(Vec<Role>),
}

/// A query, path or header parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    pub location: &'static str,
    pub description: &'static str,
    pub required: bool,
    pub schema: Value,
}

/// One answer: its status, what it means, its body type if any.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub description: &'static str,
    pub body: Option<SchemaFn>,
    /// The body's media type.
    pub media: &'static str,
    pub headers: Vec<(&'static str, &'static str)>,
}

/// One route of the API.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub tag: &'static str,
    pub access: Access,
    pub body: Option<SchemaFn>,
    /// A body may be left out (the route has defaults for all of it).
    pub body_optional: bool,
    pub example: Option<Value>,
    pub params: Vec<Param>,
    pub answers: Vec<Answer>,
    /// (status, problem type slug) the route answers besides the common ones.
    pub extra_problems: Vec<(u16, &'static str)>,
    /// Takes `limit` and `cursor`.
    pub paged: bool,
}

impl Operation {
    pub fn new(method: &'static str, path: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Self {
            method,
            path,
            summary,
            description: "",
            tag,
            access: Access::User,
            body: None,
            body_optional: false,
            example: None,
            params: vec![],
            answers: vec![],
            extra_problems: vec![],
            paged: false,
        }
    }
    pub fn get(path: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Self::new("GET", path, tag, summary)
    }
    pub fn post(path: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Self::new("POST", path, tag, summary)
    }
    pub fn put(path: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Self::new("PUT", path, tag, summary)
    }
    pub fn patch(path: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Self::new("PATCH", path, tag, summary)
    }
    pub fn delete(path: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Self::new("DELETE", path, tag, summary)
    }
    pub fn describe(mut self, text: &'static str) -> Self {
        self.description = text;
        self
    }
    /// No token needed.
    pub fn public(mut self) -> Self {
        self.access = Access::Public;
        self
    }
    /// Honours Idempotency-Key: a mutating route of a signed-in caller, as
    /// the dispatcher decides (routes without a token ignore the header).
    pub fn idempotent(&self) -> bool {
        self.access != Access::Public && matches!(self.method, "POST" | "PUT" | "PATCH" | "DELETE")
    }
    pub fn role(self, role: Role) -> Self {
        self.any_role(&[role])
    }
    pub fn any_role(mut self, roles: &[Role]) -> Self {
        self.access = Access::Roles(roles.to_vec());
        self
    }
    pub fn body<T: JsonSchema>(mut self) -> Self {
        self.body = Some(schema_of::<T>);
        self
    }
    pub fn optional_body<T: JsonSchema>(mut self) -> Self {
        self.body = Some(schema_of::<T>);
        self.body_optional = true;
        self
    }
    pub fn example(mut self, example: Value) -> Self {
        self.example = Some(example);
        self
    }
    pub fn query(mut self, name: &'static str, description: &'static str, schema: Value) -> Self {
        self.params.push(Param { name, location: "query", description, required: false, schema });
        self
    }
    pub fn required_query(mut self, name: &'static str, description: &'static str, schema: Value) -> Self {
        self.params.push(Param { name, location: "query", description, required: true, schema });
        self
    }
    pub fn paged(mut self) -> Self {
        self.paged = true;
        self
    }
    pub fn reply<T: JsonSchema>(mut self, status: u16, description: &'static str) -> Self {
        self.answers.push(Answer {
            status,
            description,
            body: Some(schema_of::<T>),
            media: "application/json",
            headers: vec![],
        });
        self
    }
    /// An HTML page.
    pub fn html(mut self, status: u16, description: &'static str) -> Self {
        self.answers.push(Answer {
            status,
            description,
            body: Some(schema_of::<String>),
            media: "text/html",
            headers: vec![],
        });
        self
    }
    pub fn no_content(mut self, description: &'static str) -> Self {
        self.answers.push(Answer { status: 204, description, body: None, media: "", headers: vec![] });
        self
    }
    /// A response header on the last answer added.
    pub fn header(mut self, name: &'static str, description: &'static str) -> Self {
        if let Some(a) = self.answers.last_mut() {
            a.headers.push((name, description));
        }
        self
    }
    pub fn problems_of(mut self, problems: impl IntoIterator<Item = (u16, &'static str)>) -> Self {
        self.extra_problems.extend(problems);
        self
    }
    pub fn problem(mut self, status: u16, slug: &'static str) -> Self {
        self.extra_problems.push((status, slug));
        self
    }

    /// The path's `{name}` parameters.
    pub fn path_params(&self) -> Vec<&'static str> {
        self.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
    }

    /// Every problem the route can answer: its own and those of the shared
    /// mechanisms it goes through (body parsing, Idempotency-Key, the token,
    /// roles, path lookups, paging, the store), by status.
    pub fn problems(&self) -> Vec<(u16, Vec<&'static str>)> {
        let mut all: Vec<(u16, &'static str)> = vec![(503, "service-unavailable")];
        if self.body.is_some() {
            all.extend([
                (400, "malformed-json"),
                (413, "payload-too-large"),
                (415, "unsupported-media-type"),
                (422, "validation-failed"),
            ]);
        } else if self.method != "GET" {
            all.push((413, "payload-too-large"));
        }
        if self.method != "GET" {
            // A conditional write that lost a race with another request.
            all.push((409, "conflict"));
        }
        if self.idempotent() {
            all.extend([
                (400, "invalid-idempotency-key"),
                (409, "idempotency-in-progress"),
                (422, "idempotency-key-reused"),
            ]);
        }
        if self.access != Access::Public {
            all.extend([
                (401, "unauthenticated"),
                (401, "token-expired"),
                (401, "token-unknown-key"),
                (401, "token-invalid"),
                (401, "session-ended"),
                (503, "auth-unavailable"),
            ]);
        }
        if let Access::Roles(_) = self.access {
            all.push((403, "forbidden"));
        }
        if !self.path_params().is_empty() {
            all.push((404, "not-found"));
        }
        if self.paged {
            all.extend([(422, "validation-failed"), (400, "invalid-cursor")]);
        }
        if !self.params.is_empty() {
            all.push((422, "validation-failed"));
        }
        all.extend(self.extra_problems.iter().copied());
        let mut by_status: Vec<(u16, Vec<&'static str>)> = Vec::new();
        for (status, slug) in all {
            match by_status.iter_mut().find(|(s, _)| *s == status) {
                Some((_, slugs)) if !slugs.contains(&slug) => slugs.push(slug),
                Some(_) => {}
                None => by_status.push((status, vec![slug])),
            }
        }
        by_status.sort_by_key(|(s, _)| *s);
        by_status
    }

    /// The OpenAPI 3.1 operation object; types go into `g`'s definitions.
    pub fn to_openapi(&self, id: &str, g: &mut SchemaGenerator) -> Value {
        let mut params: Vec<Value> = self
            .path_params()
            .into_iter()
            .map(|name| {
                json!({"name": name, "in": "path", "required": true, "description": format!("the {name}"),
                       "schema": {"type": "string", "minLength": 1, "maxLength": 128}})
            })
            .collect();
        if self.paged {
            params.push(json!({"name": "limit", "in": "query", "required": false,
                "description": "items per page, 1 to 100 (default 20)",
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}));
            params.push(json!({"name": "cursor", "in": "query", "required": false,
                "description": "`next_cursor` of the previous page, as it was given",
                "schema": {"type": "string", "maxLength": 2048}}));
        }
        for p in &self.params {
            params.push(json!({"name": p.name, "in": p.location, "required": p.required,
                               "description": p.description, "schema": p.schema}));
        }
        if self.idempotent() {
            params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "description": "a key of 8 to 255 visible ASCII characters: a retry with the same key and body \
                                answers what the first request answered, without doing it twice",
                "schema": {"type": "string", "minLength": 8, "maxLength": 255, "pattern": "^[\\x21-\\x7E]+$"}}));
        }
        let mut responses = serde_json::Map::new();
        for a in &self.answers {
            let mut r = json!({"description": a.description});
            if let Some(body) = a.body {
                r["content"] = json!({a.media: {"schema": body(g)}});
            }
            if !a.headers.is_empty() {
                let h: serde_json::Map<String, Value> = a
                    .headers
                    .iter()
                    .map(|(n, d)| (n.to_string(), json!({"description": d, "schema": {"type": "string"}})))
                    .collect();
                r["headers"] = Value::Object(h);
            }
            responses.insert(a.status.to_string(), r);
        }
        for (status, slugs) in self.problems() {
            let types: Vec<String> = slugs.iter().map(|s| format!("{PROBLEM_BASE}{s}")).collect();
            let mut r = json!({
                "description": format!("problem: {}", slugs.join(", ")),
                "content": {"application/problem+json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Problem"}],
                    "properties": {"type": {"enum": types}, "status": {"const": status}}
                }}}
            });
            if status == 429 || status == 503 {
                r["headers"] = json!({"retry-after": {"description": "seconds to wait before retrying", "schema": {"type": "string"}}});
            }
            responses.insert(status.to_string(), r);
        }
        let mut op = json!({
            "operationId": id,
            "summary": self.summary,
            "tags": [self.tag],
            "parameters": params,
            "responses": responses,
        });
        if !self.description.is_empty() {
            op["description"] = json!(self.description);
        }
        op["security"] = match self.access {
            Access::Public => json!([]),
            _ => json!([{"bearer": []}]),
        };
        if let Access::Roles(roles) = &self.access {
            op["x-required-roles"] = json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>());
        }
        if let Some(body) = self.body {
            let mut media = json!({"schema": body(g)});
            if let Some(e) = &self.example {
                media["example"] = e.clone();
            }
            op["requestBody"] = json!({"required": !self.body_optional, "content": {"application/json": media}});
        }
        op
    }
}

/// The problem+json body every error answers (RFC 9457).
pub fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "An RFC 9457 problem. `type` is stable: clients branch on it, never on `detail`.",
        "required": ["type", "title", "status", "detail", "correlation_id"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "correlation_id": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}
            }}
        }
    })
}
