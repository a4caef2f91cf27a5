//! Runs one request through a route: size limit, Idempotency-Key, the
//! handler, the reply's writes in one transaction with the idempotency
//! record, and problem+json for every error.
use lambda_http::{Body, Request, Response};
use std::future::Future;
use tracing::Instrument;

use super::problem::{Problem, MAX_BODY_BYTES};
use super::reply::{Answer, Reply};
use super::request::ApiRequest;
use crate::platform::context::Ctx;
use crate::platform::observability::metric;

/// An HTTP route's handler: `async fn handle(ctx: &Ctx<C>, req: &ApiRequest)
/// -> Result<Reply, Problem>`. Implemented for every such `async fn`.
pub trait HttpHandler<'a, C: 'a>: Send + Sync + 'static {
    type Fut: Future<Output = Result<Reply, Problem>> + Send + 'a;
    fn call(&self, ctx: &'a Ctx<C>, req: &'a ApiRequest) -> Self::Fut;
}

impl<'a, C: 'a, F, Fut> HttpHandler<'a, C> for F
where
    F: Fn(&'a Ctx<C>, &'a ApiRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply, Problem>> + Send + 'a,
{
    type Fut = Fut;
    fn call(&self, ctx: &'a Ctx<C>, req: &'a ApiRequest) -> Fut {
        self(ctx, req)
    }
}

/// A Lambda event in, a Lambda response out.
pub async fn dispatch<C, H>(ctx: &Ctx<C>, handler: &H, req: Request) -> Response<Body>
where
    C: Sync,
    H: for<'a> HttpHandler<'a, C>,
{
    let req = ApiRequest::from_lambda(req);
    let correlation_id = req.correlation_id.clone();
    answer(ctx, handler, &req).await.into_response(&correlation_id)
}

/// The answer to a parsed request (what [`dispatch`] sends), with
/// `x-aws-calls` when the context meters calls (the local stack).
pub async fn answer<C, H>(ctx: &Ctx<C>, handler: &H, req: &ApiRequest) -> Answer
where
    C: Sync,
    H: for<'a> HttpHandler<'a, C>,
{
    let span = tracing::info_span!("request", function = ctx.name, correlation_id = %req.correlation_id, method = %req.method, path = %req.path);
    async move {
        let (result, calls) = crate::platform::aws::metered(process(ctx, handler, req)).await;
        let mut answer = result.unwrap_or_else(|p| Answer::problem(&p, &req.correlation_id));
        if answer.status >= 500 {
            tracing::error!(status = answer.status, "request failed");
        } else {
            tracing::info!(status = answer.status, "request handled");
        }
        metric(ctx.name, if answer.status >= 500 { "ServerErrors" } else { "Requests" }, 1.0, "Count");
        if ctx.meter {
            answer.headers.push(("x-aws-calls".into(), crate::platform::aws::format_counts(&calls.counts)));
            answer.headers.push(("x-aws-time-us".into(), calls.micros.to_string()));
        }
        answer
    }
    .instrument(span)
    .await
}

fn check_size(req: &ApiRequest) -> Result<(), Problem> {
    if req.body.len() > MAX_BODY_BYTES {
        return Err(Problem::new(
            413,
            "payload-too-large",
            "Payload too large",
            format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
        ));
    }
    Ok(())
}

#[cfg(not(feature = "dynamodb"))]
async fn process<C, H>(ctx: &Ctx<C>, handler: &H, req: &ApiRequest) -> Result<Answer, Problem>
where
    H: for<'a> HttpHandler<'a, C>,
{
    check_size(req)?;
    handler.call(ctx, req).await.map(|r| Answer::reply(&r))
}

#[cfg(feature = "dynamodb")]
async fn process<C, H>(ctx: &Ctx<C>, handler: &H, req: &ApiRequest) -> Result<Answer, Problem>
where
    H: for<'a> HttpHandler<'a, C>,
{
    use crate::platform::idempotency::{self, Claim, Fingerprint, IdempotencyKey};
    use crate::platform::store::StoreError;
    check_size(req)?;
    // Idempotency-Key is honoured for a caller with a genuine token only, in
    // that caller's own key space. Anonymous routes ignore it: they are
    // either reads or single-use credentials (a sign-in code, a refresh
    // token), which a replayed answer must never hand out a second time.
    let claim = match (req.is_mutating(), req.header("idempotency-key"), ctx.has_table(), req.subject.as_deref()) {
        (true, Some(key), Some(table), Some(scope)) => {
            let key = IdempotencyKey::parse(key)?;
            let print = Fingerprint::of(req.method.as_str(), &req.path, &req.body);
            match idempotency::claim(table, ctx.name, scope, &key, print, ctx.now()).await? {
                Claim::Replay(stored) => {
                    let mut answer: Answer = serde_json::from_slice(&stored)
                        .map_err(|_| Problem::from(idempotency::IdempotencyError::Unreadable))?;
                    answer.headers.push(("idempotent-replayed".into(), "true".into()));
                    return Ok(answer);
                }
                Claim::Fresh(c) => Some((c, table)),
            }
        }
        _ => None,
    };
    let reply = match handler.call(ctx, req).await {
        Ok(r) => r,
        Err(p) => {
            if let Some((c, table)) = &claim {
                c.release(table).await;
            }
            return Err(p);
        }
    };
    let answer = Answer::reply(&reply);
    let mut problems = Vec::new();
    let mut items = Vec::new();
    for w in reply.writes {
        problems.push(w.on_condition_failed);
        items.push(w.item);
    }
    if let Some((c, _)) = &claim {
        items.push(c.complete(&serde_json::to_vec(&answer).map_err(|_| Problem::internal())?));
        problems.push(None);
    }
    if items.is_empty() {
        return Ok(answer);
    }
    if let Err(e) = ctx.table()?.write_all(items).await {
        if let Some((c, table)) = &claim {
            c.release(table).await;
        }
        return Err(match e {
            StoreError::ConditionFailed { index, .. } => {
                problems.get_mut(index.unwrap_or(0)).and_then(Option::take).unwrap_or_else(|| e.into())
            }
            other => other.into(),
        });
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::aws::Aws;
    use crate::platform::env::Env;
    use http::Method;
    use std::collections::HashMap;

    fn ctx(vars: &[(&str, &str)]) -> Ctx {
        let env = Env::from_map(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<HashMap<_, _>>());
        Ctx::with_config("test-route", (), env, Aws::offline())
    }

    async fn echo(_ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
        let body: serde_json::Value = req.json()?;
        Ok(Reply::json(201, &body).header("location", "/things/1"))
    }

    async fn refuses(_ctx: &Ctx, _req: &ApiRequest) -> Result<Reply, Problem> {
        Err(Problem::field("name", "is required"))
    }

    #[cfg(feature = "dynamodb")]
    async fn writes(_ctx: &Ctx, _req: &ApiRequest) -> Result<Reply, Problem> {
        let r = crate::platform::store::Record::new(crate::keys::user("u1"), "User", serde_json::json!({"x": 1}));
        Ok(Reply::ok(&serde_json::json!({})).write(crate::platform::store::put_new(&r), None))
    }

    fn post(body: &serde_json::Value) -> ApiRequest {
        ApiRequest::new(Method::POST, "/things").with_json(body)
    }

    #[tokio::test]
    async fn a_reply_becomes_its_answer() {
        let a = answer(&ctx(&[]), &echo, &post(&serde_json::json!({"name": "x"}))).await;
        assert_eq!(a.status, 201);
        assert_eq!(a.body, r#"{"name":"x"}"#);
        assert!(a.headers.contains(&("location".to_string(), "/things/1".to_string())));
        assert!(a.headers.contains(&("content-type".to_string(), "application/json".to_string())));
        assert!(!a.headers.iter().any(|(k, _)| k == "x-aws-calls"), "no meter unless HANDOFF_METER is set");
    }

    #[tokio::test]
    async fn problems_are_problem_json_with_field_errors() {
        let a = answer(&ctx(&[]), &refuses, &post(&serde_json::json!({}))).await;
        assert_eq!(a.status, 422);
        assert!(a.headers.contains(&("content-type".to_string(), "application/problem+json".to_string())));
        let body: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(body["type"], "https://problems.handoff.dev/validation-failed");
        assert_eq!(body["errors"][0]["field"], "name");
        assert_eq!(body["correlation_id"], "test");
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused_before_the_handler() {
        let mut req = post(&serde_json::json!({}));
        req.body = vec![b' '; MAX_BODY_BYTES + 1];
        let a = answer(&ctx(&[]), &echo, &req).await;
        assert_eq!(a.status, 413);
        let malformed = answer(
            &ctx(&[]),
            &echo,
            &ApiRequest::new(Method::POST, "/things").with_header("content-type", "text/plain"),
        )
        .await;
        assert_eq!(malformed.status, 415);
    }

    #[tokio::test]
    async fn the_meter_reports_calls_when_asked() {
        let a = answer(&ctx(&[("HANDOFF_METER", "1")]), &echo, &post(&serde_json::json!({}))).await;
        assert!(a.headers.contains(&("x-aws-calls".to_string(), String::new())), "{:?}", a.headers);
        assert!(a.headers.iter().any(|(k, v)| k == "x-aws-time-us" && v == "0"));
    }

    #[cfg(feature = "dynamodb")]
    #[tokio::test]
    async fn writes_without_a_table_are_a_500_not_a_panic() {
        let a = answer(&ctx(&[]), &writes, &post(&serde_json::json!({}))).await;
        assert_eq!(a.status, 500);
    }
}
