//! Every 5 minutes: how many messages wait in each dead-letter queue. Emits
//! the `DeadLetterMessages` metric per queue (for an alarm) and logs an error
//! while any is not empty; answers the counts (handy when run on demand).
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::lambda::EventFunction;
use handoff::platform::observability::metric_with;
use handoff::platform::aws::sdk::aws_sdk_sqs;
use serde::Serialize;

pub struct Function {
    sqs: aws_sdk_sqs::Client,
    queues: Vec<String>,
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

impl EventFunction for Function {
    const NAME: &'static str = "dlq-monitor";
    type Event = serde_json::Value;
    type Output = Report;

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        let queues: Vec<String> = env.require("DLQ_URLS")?.split(',').map(str::trim).filter(|q| !q.is_empty()).map(str::to_string).collect();
        Ok(Self { sqs: aws.sqs(), queues })
    }

    async fn handle(&self, _scheduled: serde_json::Value) -> Result<Report, String> {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let mut out = Vec::new();
        for url in &self.queues {
            let attrs = self
                .sqs
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(A::ApproximateNumberOfMessages)
                .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
                .send()
                .await
                .map_err(|e| format!("GetQueueAttributes {url}: {e:?}"))?
                .attributes
                .unwrap_or_default();
            let n = |a: A| attrs.get(&a).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            let messages = n(A::ApproximateNumberOfMessages) + n(A::ApproximateNumberOfMessagesNotVisible);
            let queue = url.rsplit('/').next().unwrap_or(url).to_string();
            metric_with(Self::NAME, "DeadLetterMessages", messages as f64, "Count", &[("queue", &queue)]);
            if messages > 0 {
                tracing::error!(queue = %queue, messages, "dead-letter queue is not empty; inspect, fix, then redrive");
            }
            out.push(Depth { queue, messages });
        }
        Ok(Report { queues: out })
    }
}
