//! Running a function on Lambda: one line in each crate's `main.rs`
//! ([`http_function!`](crate::http_function), [`event_function!`](crate::event_function),
//! [`consumer_function!`](crate::consumer_function)) builds the context from
//! the environment and serves the Runtime API with the crate's `handle`.
//!
//! The runtime is single-threaded (a Lambda process serves one invocation
//! at a time) and the context is built before the first invocation; clients
//! other than the table are built on first use.
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;
use thiserror::Error;

use super::aws::Aws;
use super::context::{Ctx, FromEnv, Unconfigured};
use super::env::{ConfigError, Env};
use super::observability::init_tracing;

/// The error a function's `main` returns.
pub type Error = lambda_runtime::Error;

/// Why an event function failed an invocation (Lambda retries it or sends
/// it to the DLQ). The source is kept for the log.
#[derive(Debug, Error)]
pub enum EventError {
    /// The event is not what this function takes.
    #[error("event does not parse")]
    Malformed(#[source] serde_json::Error),
    /// The event parses but breaks a rule (e.g. a date that is not a date).
    #[error("invalid event: {0}")]
    Invalid(String),
    #[cfg(feature = "dynamodb")]
    #[error("store")]
    Store(#[from] super::store::StoreError),
    /// A dependency (an AWS service) failed.
    #[error("{what} failed")]
    Dependency {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The state changed meanwhile: the event is retried.
    #[error("state changed meanwhile; retry")]
    Conflict,
    #[error(transparent)]
    Unconfigured(#[from] Unconfigured),
}

impl EventError {
    pub fn dependency(what: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        EventError::Dependency { what, source: Box::new(e) }
    }
}

/// An event function's handler: `async fn handle(ctx: &Ctx<C>, event: E)
/// -> Result<O, EventError>`. Implemented for every such `async fn`.
pub trait EventHandler<'a, C: 'a, E>: Send + Sync + 'static {
    type Output: Serialize + Send;
    type Fut: Future<Output = Result<Self::Output, EventError>> + Send + 'a;
    fn call(&'a self, ctx: &'a Ctx<C>, event: E) -> Self::Fut;
}

impl<'a, C: 'a, E, O, F, Fut> EventHandler<'a, C, E> for F
where
    F: Fn(&'a Ctx<C>, E) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, EventError>> + Send + 'a,
    O: Serialize + Send,
{
    type Output = O;
    type Fut = Fut;
    fn call(&'a self, ctx: &'a Ctx<C>, event: E) -> Fut {
        self(ctx, event)
    }
}

/// Invokes with a JSON event, as the Lambda service does; with the AWS calls
/// made under `_aws_calls` when the context meters them (the local stack).
pub async fn invoke_json<C, E, H>(
    ctx: &Ctx<C>,
    handler: &H,
    event: serde_json::Value,
) -> Result<serde_json::Value, EventError>
where
    E: DeserializeOwned,
    H: for<'a> EventHandler<'a, C, E>,
{
    let e: E = serde_json::from_value(event).map_err(EventError::Malformed)?;
    let (out, calls) = super::aws::metered(handler.call(ctx, e)).await;
    let mut v = serde_json::to_value(out?).map_err(EventError::Malformed)?;
    if let (true, Some(obj)) = (ctx.meter, v.as_object_mut()) {
        obj.insert("_aws_calls".into(), serde_json::Value::String(super::aws::format_counts(&calls.counts)));
        obj.insert("_aws_time_us".into(), serde_json::Value::from(calls.micros));
    }
    Ok(v)
}

/// The context of a function, built as at the start of a Lambda process.
pub async fn context<C: FromEnv>(name: &'static str) -> Result<Ctx<C>, ConfigError> {
    init_tracing();
    let aws = Aws::load().await;
    Ctx::new(name, Env::from_process(), aws)
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

/// `main` of an event function (authorizer, stream, schedule).
pub fn run_event<C, E, H>(name: &'static str, handler: H) -> Result<(), Error>
where
    C: FromEnv,
    E: DeserializeOwned + Send + 'static,
    H: for<'a> EventHandler<'a, C, E>,
{
    runtime()?.block_on(async move {
        let ctx: &'static Ctx<C> = leak(context::<C>(name).await?);
        let handler: &'static H = leak(handler);
        lambda_runtime::run(lambda_runtime::service_fn(
            move |e: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
                invoke_json(ctx, handler, e.payload).await.map_err(|e| {
                    tracing::error!(error = %super::error::Chain(&e), "invocation failed");
                    Error::from(e)
                })
            },
        ))
        .await
    })
}

/// `main` of an HTTP route.
#[cfg(feature = "http")]
pub fn run_http<C, H>(name: &'static str, handler: H) -> Result<(), Error>
where
    C: FromEnv,
    H: for<'a> super::http::HttpHandler<'a, C>,
{
    runtime()?.block_on(async move {
        let ctx: &'static Ctx<C> = leak(context::<C>(name).await?);
        let handler: &'static H = leak(handler);
        lambda_http::run(lambda_http::service_fn(move |req: lambda_http::Request| async move {
            Ok::<_, std::convert::Infallible>(super::http::dispatch(ctx, handler, req).await)
        }))
        .await
    })
}

/// `main` of an SQS consumer of bus events.
#[cfg(feature = "consumer")]
pub fn run_consumer<C, H>(name: &'static str, on_conflict: super::consumer::OnConflict, handler: H) -> Result<(), Error>
where
    C: FromEnv,
    H: for<'a> super::consumer::ConsumerHandler<'a, C>,
{
    run_event(name, super::consumer::SqsConsumer { handler, on_conflict })
}

/// `fn main` of an HTTP route crate: `handoff::http_function!(my_crate::handle);`
#[cfg(feature = "http")]
#[macro_export]
macro_rules! http_function {
    ($handler:path) => {
        fn main() -> Result<(), $crate::platform::lambda::Error> {
            $crate::platform::lambda::run_http(env!("CARGO_PKG_NAME"), $handler)
        }
    };
}

/// `fn main` of an event function crate: `handoff::event_function!(my_crate::handle);`
#[macro_export]
macro_rules! event_function {
    ($handler:path) => {
        fn main() -> Result<(), $crate::platform::lambda::Error> {
            $crate::platform::lambda::run_event(env!("CARGO_PKG_NAME"), $handler)
        }
    };
}

/// `fn main` of a consumer crate: `handoff::consumer_function!(my_crate::handle);`
/// or, for optimistic read-then-write consumers,
/// `handoff::consumer_function!(my_crate::handle, retry_on_conflict);`
#[cfg(feature = "consumer")]
#[macro_export]
macro_rules! consumer_function {
    ($handler:path) => {
        fn main() -> Result<(), $crate::platform::lambda::Error> {
            $crate::platform::lambda::run_consumer(
                env!("CARGO_PKG_NAME"),
                $crate::platform::consumer::OnConflict::Skip,
                $handler,
            )
        }
    };
    ($handler:path, retry_on_conflict) => {
        fn main() -> Result<(), $crate::platform::lambda::Error> {
            $crate::platform::lambda::run_consumer(
                env!("CARGO_PKG_NAME"),
                $crate::platform::consumer::OnConflict::Retry,
                $handler,
            )
        }
    };
}

/// The Lambda event types (API Gateway, SQS, DynamoDB streams, EventBridge).
#[cfg(feature = "lambda-events")]
pub use aws_lambda_events::event as events;
