#[tokio::main]
async fn main() -> Result<(), handoff::platform::lambda::Error> {
    handoff::platform::lambda::run_event::<dlq_monitor::Function>().await
}
