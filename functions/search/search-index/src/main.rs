#[tokio::main]
async fn main() -> Result<(), handoff::platform::lambda::Error> {
    handoff::platform::lambda::run_event::<handoff::platform::consumer::SqsConsumer<search_index::Function>>().await
}
