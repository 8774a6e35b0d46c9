//! `accounts` endpoints (routes: infra/template.yaml, `AccountsFunction`).

mod broadcasts;

use lambda_http::{Body, Request, Response};
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

/// Routes not listed are not built yet (later issues): the dialect's not-found.
async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        // Mass sends (broadcasts.rs)
        (_, "/mp/textToAll") => broadcasts::text_to_all(&c).await,
        (_, "/mp/pushToAll") => broadcasts::push_to_all(&c).await,
        (_, "/mp/manyToAll") => broadcasts::many_to_all(&c).await,
        (_, "/mp/push") => broadcasts::push_list(&c).await,
        (_, "/mp/many") => broadcasts::many_list(&c).await,
        _ => Err(c.not_found()),
    }
}
