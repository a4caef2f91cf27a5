//! Email through SES v2.
use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the message cannot be built")]
    Build(#[source] aws_sdk_sesv2::error::BuildError),
    /// SES refused this message for good (e.g. a rejected address): do not retry it.
    #[error("SES rejected the message: {0}")]
    Rejected(String),
    /// Not sent (SES unreachable, throttled): send again later.
    #[error("SES refused or could not be reached")]
    Send(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The request went out but its answer was lost (a 5xx, a timeout):
    /// SES may have sent it. SES takes no idempotency key, so sending again
    /// could send twice.
    #[error("SES's answer was lost; the message may have been sent")]
    Unconfirmed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    from: String,
    /// The SES configuration set whose events (bounces, complaints) reach EventBridge.
    configuration_set: Option<String>,
}

impl Mailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into(), configuration_set: None }
    }
    pub fn with_configuration_set(mut self, name: Option<&str>) -> Self {
        self.configuration_set = name.map(str::to_string);
        self
    }

    /// A text email (sign-in codes): the SDK's retries included.
    pub async fn send(&self, to: &str, subject: &str, text: &str) -> Result<(), MailError> {
        self.request(to, subject, text, None)?.send().await.map(|_| ()).map_err(|e| MailError::Send(Box::new(e)))
    }

    /// A text email with an HTML alternative, sent once: no retry by the
    /// SDK, and an error says whether it certainly was not sent (`Send`,
    /// `Rejected`) or may have been (`Unconfirmed`). Answers SES's message id.
    pub async fn send_once(&self, to: &str, subject: &str, text: &str, html: &str) -> Result<String, MailError> {
        let once = aws_sdk_sesv2::config::Builder::default()
            .retry_config(aws_sdk_sesv2::config::retry::RetryConfig::disabled());
        self.request(to, subject, text, Some(html))?
            .customize()
            .config_override(once)
            .send()
            .await
            .map(|out| out.message_id.unwrap_or_default())
            .map_err(|e| match &e {
                SdkError::ServiceError(s) => match s.err() {
                    SendEmailError::MessageRejected(m) => MailError::Rejected(m.to_string()),
                    SendEmailError::TooManyRequestsException(_) | SendEmailError::LimitExceededException(_) => {
                        MailError::Send(Box::new(e))
                    }
                    _ if s.raw().status().is_client_error() => MailError::Send(Box::new(e)),
                    _ => MailError::Unconfirmed(Box::new(e)),
                },
                SdkError::ConstructionFailure(_) | SdkError::DispatchFailure(_) => MailError::Send(Box::new(e)),
                _ => MailError::Unconfirmed(Box::new(e)),
            })
    }

    fn request(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        html: Option<&str>,
    ) -> Result<aws_sdk_sesv2::operation::send_email::builders::SendEmailFluentBuilder, MailError> {
        let content = |s: &str| Content::builder().data(s).charset("UTF-8").build().map_err(MailError::Build);
        let mut body = Body::builder().text(content(text)?);
        if let Some(h) = html {
            body = body.html(content(h)?);
        }
        let message = Message::builder().subject(content(subject)?).body(body.build()).build();
        Ok(self
            .client
            .send_email()
            .from_email_address(&self.from)
            .set_configuration_set_name(self.configuration_set.clone())
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build()))
    }
}
