//! `accounts` endpoints (routes: infra/template.yaml, `AccountsFunction`): public accounts —
//! Shiku `/mp/*` and `/public/menu/list` (shiku.rs), mass sends (broadcasts.rs), Minxing ocus
//! (minxing.rs).

mod broadcasts;
mod minxing;
mod shiku;

use lambda_http::{Body, Request, Response};
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        // Public accounts (services::ocus): the account's pages, menus, fans, chats.
        (_, "/public/menu/list") => shiku::public_menu(&c).await,
        (_, "/mp/login") => shiku::login(&c).await,
        (_, "/mp/home") => shiku::home(&c).await,
        (_, "/mp/menuList") => shiku::menu_list(&c).await,
        (_, "/mp/menu/{op}") => shiku::menu_op(&c).await,
        (_, "/mp/fans") => shiku::fans(&c).await,
        (_, "/mp/fans/delete") => shiku::fans_delete(&c).await,
        (_, "/mp/msg") => shiku::msg(&c).await,
        (_, "/mp/msg/list") => shiku::msg_list(&c).await,
        (_, "/mp/msg/reply") => shiku::msg_reply(&c).await,
        (_, "/mp/msg/send") => shiku::msg_send(&c).await,
        ("GET", "/api/v1/subscriptions/ocus") => minxing::subscribed(&c).await,
        ("GET", "/api/v1/ocus/unsubscribed") => minxing::unsubscribed(&c).await,
        ("POST", "/api/v1/subscriptions/ocus/{ocu_id}") => minxing::subscribe(&c).await,
        ("DELETE", "/api/v1/subscriptions/ocus/{ocu_id}") => minxing::unsubscribe(&c).await,
        ("GET", "/api/v1/ocus/{ocu_id}") => minxing::ocu(&c).await,
        ("GET", "/api/v1/conversations/{conversation_id}/ocu_menus/{menu_id}") => minxing::menu_action(&c).await,
        // Mass sends (broadcasts.rs)
        (_, "/mp/textToAll") => broadcasts::text_to_all(&c).await,
        (_, "/mp/pushToAll") => broadcasts::push_to_all(&c).await,
        (_, "/mp/manyToAll") => broadcasts::many_to_all(&c).await,
        (_, "/mp/push") => broadcasts::push_list(&c).await,
        (_, "/mp/many") => broadcasts::many_list(&c).await,
        _ => Err(c.not_found()),
    }
}
