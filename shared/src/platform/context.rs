//! What every handler receives from the dispatcher: its name, its
//! configuration, the table, the AWS clients and the clock — built once per
//! process from the environment template.yaml gives the function.
//!
//! A function crate writes no glue: the table is there when `TABLE_NAME` is
//! set; the files bucket (`FILES_BUCKET`), the mailer (`MAIL_FROM`), SQS and
//! EventBridge are built on first use (so a function that never calls them
//! neither builds nor links their clients), and a crate with settings of
//! its own declares them as a [`FromEnv`] type, parsed once at start (a
//! missing or invalid variable stops the function before it serves).

use super::aws::Aws;
use super::clock;
use super::env::{ConfigError, Env};

/// A function's own settings, read from its environment at start.
pub trait FromEnv: Sized + Send + Sync + 'static {
    fn from_env(env: &Env) -> Result<Self, ConfigError>;
}

/// Functions without settings of their own.
impl FromEnv for () {
    fn from_env(_env: &Env) -> Result<Self, ConfigError> {
        Ok(())
    }
}

/// The time as a handler sees it: the system clock, or a fixed instant in tests.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(i64),
}

impl Clock {
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => clock::now_unix(),
            Clock::Fixed(t) => *t,
        }
    }
    /// The time a provider's own clock is compared with (Stripe's signature
    /// timestamps, the times of its events): the system's, never the local
    /// stack's moved clock; a fixed instant in tests.
    pub fn wall(&self) -> i64 {
        match self {
            Clock::System => clock::wall_unix(),
            Clock::Fixed(t) => *t,
        }
    }
    /// RFC 3339 UTC with milliseconds.
    pub fn now_rfc3339(&self) -> String {
        match self {
            Clock::System => clock::now_rfc3339(),
            Clock::Fixed(t) => clock::rfc3339(*t as i128 * 1000),
        }
    }
}

/// A client that is needed by a route is absent from its configuration.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unconfigured(ConfigError);

/// The dispatcher's context for one function (process): see the module docs.
pub struct Ctx<C = ()> {
    /// The function's crate name (part of idempotency and dedupe keys).
    pub name: &'static str,
    pub config: C,
    pub clock: Clock,
    /// Whether answers report the AWS calls they made (the local stack sets `HANDOFF_METER`).
    pub meter: bool,
    env: Env,
    aws: Aws,
    #[cfg(feature = "dynamodb")]
    table: Option<super::store::Table>,
    #[cfg(all(feature = "http", feature = "dynamodb", feature = "s3"))]
    files: std::sync::OnceLock<Option<super::files::Files>>,
    #[cfg(feature = "sesv2")]
    mailer: std::sync::OnceLock<Option<super::mail::Mailer>>,
    #[cfg(feature = "sqs")]
    sqs: std::sync::OnceLock<super::aws::sdk::aws_sdk_sqs::Client>,
    #[cfg(feature = "sns")]
    sns: std::sync::OnceLock<super::aws::sdk::aws_sdk_sns::Client>,
    #[cfg(feature = "eventbridge")]
    eventbridge: std::sync::OnceLock<super::aws::sdk::aws_sdk_eventbridge::Client>,
    #[cfg(feature = "live")]
    ws: std::sync::OnceLock<Option<super::aws::sdk::aws_sdk_apigatewaymanagement::Client>>,
}

impl<C: FromEnv> Ctx<C> {
    /// Parses the function's settings and builds the table client; the
    /// other clients wait for their first use.
    pub fn new(name: &'static str, env: Env, aws: Aws) -> Result<Self, ConfigError> {
        let config = C::from_env(&env)?;
        Ok(Self::with_config(name, config, env, aws))
    }
}

impl<C> Ctx<C> {
    pub fn with_config(name: &'static str, config: C, env: Env, aws: Aws) -> Self {
        #[cfg(feature = "dynamodb")]
        let table = super::store::Table::from_env(&env, &aws).ok();
        Self {
            name,
            meter: env.get("HANDOFF_METER").is_some(),
            config,
            clock: Clock::System,
            env,
            aws,
            #[cfg(feature = "dynamodb")]
            table,
            #[cfg(all(feature = "http", feature = "dynamodb", feature = "s3"))]
            files: std::sync::OnceLock::new(),
            #[cfg(feature = "sesv2")]
            mailer: std::sync::OnceLock::new(),
            #[cfg(feature = "sqs")]
            sqs: std::sync::OnceLock::new(),
            #[cfg(feature = "sns")]
            sns: std::sync::OnceLock::new(),
            #[cfg(feature = "eventbridge")]
            eventbridge: std::sync::OnceLock::new(),
            #[cfg(feature = "live")]
            ws: std::sync::OnceLock::new(),
        }
    }

    /// The same context at a fixed time (tests).
    pub fn at(mut self, unix: i64) -> Self {
        self.clock = Clock::Fixed(unix);
        self
    }
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
    pub fn now_rfc3339(&self) -> String {
        self.clock.now_rfc3339()
    }
    /// The instant a scheduled event fired for (its `time`; the local stack
    /// can fire one as of any instant), else now.
    pub fn scheduled_time(&self, scheduled: &serde_json::Value) -> i64 {
        scheduled
            .get("time")
            .and_then(|t| t.as_str())
            .and_then(|t| crate::domain::trips::Instant::parse(t).ok())
            .map_or(self.now(), |i| i.0)
    }

    /// The table (`TABLE_NAME`), if the function has one.
    #[cfg(feature = "dynamodb")]
    pub fn has_table(&self) -> Option<&super::store::Table> {
        self.table.as_ref()
    }
    /// The table; a route that needs it but was given no `TABLE_NAME` fails.
    #[cfg(feature = "dynamodb")]
    pub fn table(&self) -> Result<&super::store::Table, Unconfigured> {
        self.table.as_ref().ok_or_else(|| Unconfigured(ConfigError::Missing("TABLE_NAME".into())))
    }
    /// Document uploads in the files bucket (`FILES_BUCKET`).
    #[cfg(all(feature = "http", feature = "dynamodb", feature = "s3"))]
    pub fn files(&self) -> Result<&super::files::Files, Unconfigured> {
        self.files
            .get_or_init(|| self.env.get("FILES_BUCKET").map(|b| super::files::Files::new(self.aws.s3(), b)))
            .as_ref()
            .ok_or_else(|| Unconfigured(ConfigError::Missing("FILES_BUCKET".into())))
    }
    /// Email through SES v2, from `MAIL_FROM`.
    #[cfg(feature = "sesv2")]
    pub fn mailer(&self) -> Result<&super::mail::Mailer, Unconfigured> {
        self.mailer
            .get_or_init(|| {
                self.env.get("MAIL_FROM").map(|from| {
                    super::mail::Mailer::new(self.aws.sesv2(), from)
                        .with_configuration_set(self.env.get("MAIL_CONFIGURATION_SET"))
                })
            })
            .as_ref()
            .ok_or_else(|| Unconfigured(ConfigError::Missing("MAIL_FROM".into())))
    }
    #[cfg(feature = "sqs")]
    pub fn sqs(&self) -> &super::aws::sdk::aws_sdk_sqs::Client {
        self.sqs.get_or_init(|| self.aws.sqs())
    }
    #[cfg(feature = "sns")]
    pub fn sns(&self) -> &super::aws::sdk::aws_sdk_sns::Client {
        self.sns.get_or_init(|| self.aws.sns())
    }
    #[cfg(feature = "eventbridge")]
    pub fn eventbridge(&self) -> &super::aws::sdk::aws_sdk_eventbridge::Client {
        self.eventbridge.get_or_init(|| self.aws.eventbridge())
    }
    /// The WebSocket API's Management API (`WS_MANAGEMENT_URL`).
    #[cfg(feature = "live")]
    pub fn ws(&self) -> Result<&super::aws::sdk::aws_sdk_apigatewaymanagement::Client, Unconfigured> {
        self.ws
            .get_or_init(|| self.env.get("WS_MANAGEMENT_URL").map(|u| self.aws.ws_management(u)))
            .as_ref()
            .ok_or_else(|| Unconfigured(ConfigError::Missing("WS_MANAGEMENT_URL".into())))
    }
}
