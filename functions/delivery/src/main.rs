// The handler future (stream batch → members → connections → posts) is deeply nested.
#![recursion_limit = "256"]

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::ctx::init_tracing();
    let ctx: &'static shared::Ctx = Box::leak(Box::new(shared::Ctx::from_env().await));
    // A partial batch response (`batchItemFailures`: the first record that failed) with
    // ReportBatchItemFailures; an error when the first record failed, so the event source
    // bisects the batch (infra/template.yaml, docs/realtime.md "Delivery path").
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Event>| async move {
        delivery::handle(ctx, ev.payload).await.map_err(|e| lambda_runtime::Error::from(e.to_string()))
    }))
    .await
}
