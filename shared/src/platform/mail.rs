//! Email through SES v2.
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the message cannot be built")]
    Build(#[source] aws_sdk_sesv2::error::BuildError),
    #[error("SES refused or could not be reached")]
    Send(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl Mailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into() }
    }

    pub async fn send(&self, to: &str, subject: &str, text: &str) -> Result<(), MailError> {
        let content = |s: &str| Content::builder().data(s).charset("UTF-8").build().map_err(MailError::Build);
        let message =
            Message::builder().subject(content(subject)?).body(Body::builder().text(content(text)?).build()).build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(Box::new(e)))
    }
}
