//! `mail` endpoints (routes: infra/template.yaml, `MailFunction`): Minxing internal mail
//! (minxing.rs). Rules: shared::services::mail.

mod minxing;

use lambda_http::{Body, Request, Response};
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        ("POST", "/api/v1/mails") => minxing::send(&c).await,
        ("GET", "/api/v1/mails/{mail_id}") => minxing::get(&c).await,
        _ => Err(c.not_found()),
    }
}
