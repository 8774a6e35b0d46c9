//! Minxing `/api/v1/subscriptions/users`: following = subscribing to a user (status ≥ 1);
//! friends are mutual subscriptions. Cursor pagination, one Query per page.

use serde_json::json;
use shared::dialects::minxing::relations::{request_pending, subscribe_status, subscription_json};
use shared::domain::relations::{ListKind, Op};
use shared::http::Call;
use shared::ids::UserId;
use shared::services::relations as rel;
use shared::{AppResult, Reply};

/// Subscribe (add friend): 201 when something new happened, 200 when it already existed;
/// `request_pending` when the user verifies requests. 403 when the user blacklisted you.
pub async fn subscribe(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = UserId::parse("user_id", &c.path_param("user_id")?)?;
    let r = rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &Op::Follow(String::new())).await?;
    let mut body = match &r.mine {
        Some(m) => subscription_json(m),
        None => json!({"id": to.0, "user_id": to.0, "name": r.other.nickname}),
    };
    body["request_pending"] = json!(request_pending(r.outcome));
    Ok(Reply::data(body).status(subscribe_status(r.outcome)))
}

/// The users I subscribe to (one-way follows first, then friends), `limit` (1–200, default
/// 100) per page; pass `next_cursor` back as `cursor` for the next page.
pub async fn subscriptions(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let limit = c.params.i64_in("limit", 1, 200, 100)? as usize;
    let cursor = c.params.str("cursor")?;
    let page = rel::list(&c.ctx.db, me, ListKind::Following, cursor.as_deref(), Some(limit)).await?;
    Ok(Reply::data(json!({
        "items": page.items.iter().map(subscription_json).collect::<Vec<_>>(),
        "next_cursor": page.next,
    })))
}
