#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::run(integrations::handle).await
}
