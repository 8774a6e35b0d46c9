//! The one place that maps a template function (`Metadata.BuildProperties.Binary`)
//! to its Rust handler. A binary missing here fails the gateway at start.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use futures_util::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use shared::Ctx;
use std::sync::Arc;

/// An HTTP function's `handle`, boxed: `fn(ctx, request) -> response`.
pub type HttpFn = fn(Arc<Ctx>, Request) -> BoxFuture<'static, Response<Body>>;

#[derive(Clone, Copy)]
pub enum Handler {
    /// Behind the HTTP API (`HttpApi` events).
    Http(HttpFn),
    /// Behind the WebSocket API: `realtime::handle`.
    Realtime,
    /// Consumer of the table stream: `delivery::handle`.
    Delivery,
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Handler::Http(_) => "Http",
            Handler::Realtime => "Realtime",
            Handler::Delivery => "Delivery",
        })
    }
}

macro_rules! http_fns {
    ($binary:expr; $($name:ident),* $(,)?) => {
        match $binary {
            $(stringify!($name) => Some(Handler::Http(|ctx, req| Box::pin(async move { $name::handle(&ctx, req).await }))),)*
            "realtime" => Some(Handler::Realtime),
            "delivery" => Some(Handler::Delivery),
            _ => None,
        }
    };
}

/// The handler of a cargo binary, or None if the gateway does not know it.
pub fn lookup(binary: &str) -> Option<Handler> {
    http_fns!(binary; system, auth, users, contacts, groups, chat, feed, files, org, accounts, mail, admin, wallet, integrations)
}

pub async fn realtime(ctx: &Ctx, ev: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    realtime::handle(ctx, ev).await
}

/// `Ok` with the partial batch response (`batchItemFailures`), `Err` for a function error.
pub async fn delivery(
    ctx: &Ctx,
    ev: aws_lambda_events::dynamodb::Event,
) -> shared::AppResult<aws_lambda_events::streams::DynamoDbEventResponse> {
    delivery::handle(ctx, ev).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_binary_is_known() {
        let t = crate::template::Template::load(&crate::paths::template_path()).unwrap();
        for f in t.functions.values() {
            assert!(lookup(&f.binary).is_some(), "unknown binary {}", f.binary);
        }
        assert!(lookup("nope").is_none());
        assert!(matches!(lookup("realtime"), Some(Handler::Realtime)));
        assert!(matches!(lookup("system"), Some(Handler::Http(_))));
    }
}
