#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::run(admin::handle).await
}
