#[tokio::main]
async fn main() -> Result<(), handoff::platform::lambda::Error> {
    handoff::platform::lambda::run_http::<list_courier_areas::Function>().await
}
