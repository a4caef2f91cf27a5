//! The floor of infra/bench/start.sh: what a new user's Rust Lambda is
//! (lambda_runtime's basic example, plus aws-config and one DynamoDB client
//! built at init), answering its event as it came.
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let _client = &dynamodb;
        async move { Ok::<Value, Error>(event.payload) }
    }))
    .await
}
