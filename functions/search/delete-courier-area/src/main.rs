#[tokio::main]
async fn main() -> Result<(), handoff::platform::lambda::Error> {
    handoff::platform::lambda::run_http::<delete_courier_area::Function>().await
}
