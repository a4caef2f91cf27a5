//! AWS SDK clients, each with the call meter: an interceptor that counts
//! calls per operation (for benchmarks and the local stack's `x-aws-calls`
//! header) and, when configured, injects faults (for reliability tests).
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use rand::Rng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The SDK crates, for functions that use a client's types.
pub mod sdk {
    #[cfg(feature = "live")]
    pub use aws_sdk_apigatewaymanagement;
    #[cfg(feature = "dynamodb")]
    pub use aws_sdk_dynamodb;
    #[cfg(feature = "eventbridge")]
    pub use aws_sdk_eventbridge;
    #[cfg(feature = "s3")]
    pub use aws_sdk_s3;
    #[cfg(feature = "sesv2")]
    pub use aws_sdk_sesv2;
    #[cfg(feature = "sns")]
    pub use aws_sdk_sns;
    #[cfg(feature = "sqs")]
    pub use aws_sdk_sqs;
}

/// Calls per `Service.Operation`.
pub type CallCounts = BTreeMap<String, u64>;

/// The AWS calls made in a scope: how many of each, and the time spent
/// waiting for them: the wall-clock time while at least one attempt was in
/// flight (concurrent calls count once).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calls {
    pub counts: CallCounts,
    pub micros: u64,
    in_flight: u32,
    busy_since: Option<std::time::Instant>,
}

impl Calls {
    fn attempt_started(&mut self) {
        if self.in_flight == 0 {
            self.busy_since = Some(std::time::Instant::now());
        }
        self.in_flight += 1;
    }
    fn attempt_ended(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0 {
            if let Some(since) = self.busy_since.take() {
                self.micros += since.elapsed().as_micros() as u64;
            }
        }
    }
}

tokio::task_local! {
    static SCOPE: Arc<Mutex<Calls>>;
}

/// Runs `f`, returning its output and the AWS calls it made (on any client).
pub async fn metered<F: std::future::Future>(f: F) -> (F::Output, Calls) {
    let calls = Arc::new(Mutex::new(Calls::default()));
    let out = SCOPE.scope(calls.clone(), f).await;
    let c = calls.lock().unwrap().clone();
    (out, c)
}

/// Counts a call to another provider (e.g. `Stripe.CreatePaymentIntent`)
/// in the current scope, beside the AWS calls, and times it like them.
pub async fn count_call<F: std::future::Future>(op: &str, f: F) -> F::Output {
    let _ = SCOPE.try_with(|s| {
        let mut s = s.lock().unwrap();
        *s.counts.entry(op.to_string()).or_default() += 1;
        s.attempt_started();
    });
    let out = f.await;
    let _ = SCOPE.try_with(|s| s.lock().unwrap().attempt_ended());
    out
}

/// That an attempt was counted as in flight (kept in the request's config bag).
#[derive(Debug, Clone)]
struct AttemptStarted;

impl aws_smithy_types::config_bag::Storable for AttemptStarted {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// `DynamoDB.GetItem=1,DynamoDB.TransactWriteItems=1`
pub fn format_counts(c: &CallCounts) -> String {
    c.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// Faults injected on a share of attempts: half before the request is sent
/// (throttling or a connection timeout: nothing happened), half after it was
/// processed (a 500 replaces the real answer: it happened, the caller can't know).
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    pub rate: f64,
}

#[derive(Debug, Clone, Default)]
pub struct CallMeter {
    faults: Option<Faults>,
}

impl CallMeter {
    fn roll(&self) -> bool {
        self.faults.is_some_and(|f| rand::thread_rng().gen_bool((f.rate / 2.0).clamp(0.0, 1.0)))
    }
}

impl Intercept for CallMeter {
    fn name(&self) -> &'static str {
        "HandoffCallMeter"
    }

    fn read_before_serialization(
        &self,
        _ctx: &BeforeSerializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op =
            cfg.load::<Metadata>().map(|m| format!("{}.{}", m.service(), m.name())).unwrap_or_else(|| "unknown".into());
        let _ = SCOPE.try_with(|s| *s.lock().unwrap().counts.entry(op).or_default() += 1);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _ctx: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if SCOPE.try_with(|s| s.lock().unwrap().attempt_started()).is_ok() {
            cfg.interceptor_state().store_put(AttemptStarted);
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _ctx: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<AttemptStarted>().is_some() {
            let _ = SCOPE.try_with(|s| s.lock().unwrap().attempt_ended());
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.roll() {
            let what = if rand::thread_rng().gen_bool(0.5) {
                "ThrottlingException: rate exceeded"
            } else {
                "connection timed out"
            };
            return Err(format!("injected fault: {what}").into());
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        ctx: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.roll() {
            let resp = ctx.response_mut();
            *resp.status_mut() = 500u16.try_into().expect("500 is a status");
            *resp.body_mut() = SdkBody::from(r#"{"__type":"InternalServerError","message":"injected fault"}"#);
        }
        Ok(())
    }
}

/// Bounded waits: a call that hangs fails (and is answered 503) well inside
/// a function's 10 s timeout instead of using it up.
pub fn timeouts() -> aws_config::timeout::TimeoutConfig {
    scaled_timeouts(1)
}

/// The same waits `scale` times as long: the local stack sets
/// `HANDOFF_SLOW_SCALE` (never set on AWS) on a shared machine, where an
/// emulator and debug builds answer slower than AWS, and scales the
/// functions' timeouts alike.
pub fn scaled_timeouts(scale: u32) -> aws_config::timeout::TimeoutConfig {
    let secs = |s: u64| std::time::Duration::from_secs(s * u64::from(scale.clamp(1, 20)));
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(secs(2))
        .operation_attempt_timeout(secs(3))
        .operation_timeout(secs(8))
        .build()
}

/// The shared SDK configuration and the meter every client gets.
#[derive(Clone)]
pub struct Aws {
    pub config: SdkConfig,
    /// Read by the clients of whichever AWS features are enabled.
    #[cfg_attr(
        not(any(
            feature = "dynamodb",
            feature = "eventbridge",
            feature = "sqs",
            feature = "s3",
            feature = "sesv2",
            feature = "sns",
            feature = "live"
        )),
        allow(dead_code)
    )]
    meter: CallMeter,
}

impl Aws {
    /// Region, credentials and endpoint (`AWS_ENDPOINT_URL`) from the usual
    /// chain; faults from `HANDOFF_FAULT_RATE` (never set on AWS).
    pub async fn load() -> Self {
        let scale = std::env::var("HANDOFF_SLOW_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
        let config =
            aws_config::defaults(BehaviorVersion::latest()).timeout_config(scaled_timeouts(scale)).load().await;
        let rate = std::env::var("HANDOFF_FAULT_RATE").ok().and_then(|r| r.parse().ok());
        Self::new(config, rate.map(|rate| Faults { rate }))
    }
    /// Clients that are never called (unit tests): no endpoint, no credentials.
    pub fn offline() -> Self {
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        Self::new(config, None)
    }
    pub fn new(config: SdkConfig, faults: Option<Faults>) -> Self {
        Self { config, meter: CallMeter { faults } }
    }

    #[cfg(feature = "dynamodb")]
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&self.config).interceptor(self.meter.clone()).build(),
        )
    }
    #[cfg(feature = "eventbridge")]
    pub fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(&self.config).interceptor(self.meter.clone()).build(),
        )
    }
    #[cfg(feature = "sqs")]
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&self.config).interceptor(self.meter.clone()).build(),
        )
    }
    /// Path-style addressing when an endpoint override is set (moto, LocalStack).
    #[cfg(feature = "s3")]
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let path_style = self.config.endpoint_url().is_some();
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.config)
                .force_path_style(path_style)
                .interceptor(self.meter.clone())
                .build(),
        )
    }
    #[cfg(feature = "sesv2")]
    pub fn sesv2(&self) -> aws_sdk_sesv2::Client {
        aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(&self.config).interceptor(self.meter.clone()).build(),
        )
    }
    #[cfg(feature = "sns")]
    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(&self.config).interceptor(self.meter.clone()).build(),
        )
    }
    /// The API Gateway Management API of a WebSocket API stage (its
    /// `https://{api}.execute-api.{region}.amazonaws.com/{stage}` URL).
    #[cfg(feature = "live")]
    pub fn ws_management(&self, endpoint: &str) -> aws_sdk_apigatewaymanagement::Client {
        aws_sdk_apigatewaymanagement::Client::from_conf(
            aws_sdk_apigatewaymanagement::config::Builder::from(&self.config)
                .endpoint_url(endpoint)
                .interceptor(self.meter.clone())
                .build(),
        )
    }
}
