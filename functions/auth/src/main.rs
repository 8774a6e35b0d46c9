#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::run(auth::handle).await
}
