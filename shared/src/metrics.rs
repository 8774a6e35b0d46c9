//! Counts DynamoDB calls made while serving one request. The local gateway and
//! the benchmarks wrap each invocation in `count_ddb_calls` and report the number; every
//! HTTP request's log line (shared::http::serve) carries it too.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_types::config_bag::ConfigBag;
use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static DDB_CALLS: Cell<u32>;
}

#[derive(Debug, Default)]
pub struct CountDdbCalls;

impl Intercept for CountDdbCalls {
    fn name(&self) -> &'static str {
        "CountDdbCalls"
    }

    fn read_before_execution(
        &self,
        _ctx: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = DDB_CALLS.try_with(|c| c.set(c.get() + 1));
        Ok(())
    }
}

/// Run `f` and return its output with the number of DynamoDB calls it made.
pub async fn count_ddb_calls<F: Future>(f: F) -> (F::Output, u32) {
    DDB_CALLS
        .scope(Cell::new(0), async move {
            let out = f.await;
            (out, DDB_CALLS.with(|c| c.get()))
        })
        .await
}

/// Run `f` and return its output with the number of DynamoDB calls it made, inside an
/// enclosing [`count_ddb_calls`] scope when there is one (the local gateway's, which keeps
/// counting the whole invocation) or in a scope of its own (on Lambda).
pub async fn counted<F: Future>(f: F) -> (F::Output, u32) {
    match DDB_CALLS.try_with(|c| c.get()) {
        Ok(before) => {
            let out = f.await;
            let after = DDB_CALLS.try_with(|c| c.get()).unwrap_or(before);
            (out, after.saturating_sub(before))
        }
        Err(_) => count_ddb_calls(f).await,
    }
}

/// Name the authenticated user on the current request's log line (the `uid` field of the
/// `request` span that shared::http::serve opens). Ids only: never a token.
pub fn record_user(uid: crate::UserId) {
    tracing::Span::current().record("uid", uid.0);
}
