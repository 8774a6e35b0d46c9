//! `admin` endpoints (routes: infra/template.yaml, `AdminFunction`): the operator console's
//! web page (web.rs).

mod web;

use lambda_http::{Body, Request, Response};
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        ("GET", "/console") => web::page(),
        ("GET", "/console/assets/{name}") => web::asset(&c),
        _ => Err(c.not_found()),
    }
}
