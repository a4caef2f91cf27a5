#[tokio::main]
async fn main() -> Result<(), handoff::platform::lambda::Error> {
    handoff::platform::lambda::run_http::<search_routes::Function>().await
}
