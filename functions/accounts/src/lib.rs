//! `accounts` endpoints (routes: infra/template.yaml, `AccountsFunction`).

use lambda_http::{Body, Request, Response};
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

/// Not built yet (later issues): every route answers the dialect's not-found.
async fn route(c: Call<'_>) -> AppResult<Reply> {
    Err(c.not_found())
}
