//! Every 5 minutes: how many messages wait in each dead-letter queue. Emits
//! the `DeadLetterMessages` metric per queue (for an alarm) and logs an error
//! while any is not empty; answers the counts (handy when run on demand).
use handoff::platform::aws::sdk::aws_sdk_sqs;
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::lambda::EventError;
use handoff::platform::observability::metric_with;
use serde::Serialize;

/// The dead-letter queues to watch (`DLQ_URLS`, comma-separated).
pub struct Config {
    queues: Vec<String>,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            queues: env
                .require("DLQ_URLS")?
                .split(',')
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

#[derive(Debug, Serialize)]
pub struct Depth {
    pub queue: String,
    pub messages: u64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub queues: Vec<Depth>,
}

pub async fn handle(ctx: &Ctx<Config>, _scheduled: serde_json::Value) -> Result<Report, EventError> {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let mut out = Vec::new();
    for url in &ctx.config.queues {
        let attrs = ctx
            .sqs()
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(A::ApproximateNumberOfMessages)
            .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| EventError::dependency("SQS GetQueueAttributes", e))?
            .attributes
            .unwrap_or_default();
        let n = |a: A| attrs.get(&a).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let messages = n(A::ApproximateNumberOfMessages) + n(A::ApproximateNumberOfMessagesNotVisible);
        let queue = url.rsplit('/').next().unwrap_or(url).to_string();
        metric_with(ctx.name, "DeadLetterMessages", messages as f64, "Count", &[("queue", &queue)]);
        if messages > 0 {
            tracing::error!(queue = %queue, messages, "dead-letter queue is not empty; inspect, fix, then redrive");
        }
        out.push(Depth { queue, messages });
    }
    Ok(Report { queues: out })
}
