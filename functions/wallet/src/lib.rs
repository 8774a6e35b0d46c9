//! `wallet` endpoints (routes: infra/template.yaml, `WalletFunction`): the Shiku wallet
//! (shiku.rs; rules shared::services::wallet; decisions docs/dialects.md "Shiku wallet").

mod shiku;

use lambda_http::{Body, Request, Response};
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        (_, "/user/getUserMoeny") => shiku::balance(&c).await,
        (_, "/user/Recharge") => shiku::recharge(&c).await,
        (_, "/transfer/wx/pay") => shiku::withdraw(&c).await,
        _ => Err(c.not_found()),
    }
}
