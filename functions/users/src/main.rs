#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // The private-key sealing key, once per container; without it the function must not start.
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    users::crypto::install(users::crypto::key_from_env(&sdk).await?);
    shared::http::run(users::handle).await
}
