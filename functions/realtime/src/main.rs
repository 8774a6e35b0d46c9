use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::ctx::init_tracing();
    let ctx: &'static shared::Ctx = Box::leak(Box::new(shared::Ctx::from_env().await));
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
        Ok::<_, std::convert::Infallible>(realtime::handle(ctx, ev.payload).await)
    }))
    .await
}
