//! Running a function: on Lambda (`main.rs`) or in the local stack, which
//! builds the same function from the environment template.yaml gives it.
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;
use std::sync::Arc;

use super::aws::Aws;
use super::env::{ConfigError, Env};
use super::observability::init_tracing;

/// The error a function's `main` returns.
pub type Error = lambda_runtime::Error;

/// A function invoked with an event (queue batch, stream batch, authorizer
/// request, schedule) that answers with a JSON-serialisable value.
pub trait EventFunction: Send + Sync + Sized + 'static {
    const NAME: &'static str;
    type Event: DeserializeOwned + Send + 'static;
    type Output: Serialize + Send;
    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError>;
    fn handle(&self, event: Self::Event) -> impl Future<Output = Result<Self::Output, String>> + Send;
}

/// Invokes with a JSON event, as the Lambda service does.
pub async fn invoke_json<F: EventFunction>(f: &F, event: serde_json::Value) -> Result<serde_json::Value, String> {
    let e: F::Event = serde_json::from_value(event).map_err(|e| format!("event does not parse: {e}"))?;
    let out = f.handle(e).await?;
    serde_json::to_value(out).map_err(|e| e.to_string())
}

async fn build<F>(make: impl FnOnce(&Env, &Aws) -> Result<F, ConfigError>) -> Result<Arc<F>, lambda_runtime::Error> {
    init_tracing();
    let aws = Aws::load().await;
    Ok(Arc::new(make(&Env::from_process(), &aws)?))
}

/// `main` of an event function.
pub async fn run_event<F: EventFunction>() -> Result<(), lambda_runtime::Error> {
    let f = build(F::from_env).await?;
    lambda_runtime::run(lambda_runtime::service_fn(move |e: lambda_runtime::LambdaEvent<F::Event>| {
        let f = f.clone();
        async move { f.handle(e.payload).await.map_err(lambda_runtime::Error::from) }
    }))
    .await
}

/// `main` of an HTTP route.
#[cfg(feature = "http")]
pub async fn run_http<F: super::http::HttpFunction>() -> Result<(), lambda_runtime::Error> {
    let f = build(F::from_env).await?;
    lambda_http::run(lambda_http::service_fn(move |req: lambda_http::Request| {
        let f = f.clone();
        async move { Ok::<_, std::convert::Infallible>(super::http::dispatch(&*f, req).await) }
    }))
    .await
}

/// The Lambda event types (API Gateway, SQS, DynamoDB streams, EventBridge).
#[cfg(feature = "lambda-events")]
pub use aws_lambda_events::event as events;
