//! Minxing `/api/v1/subscriptions/users`: following = subscribing to a user (status ≥ 1);
//! friends are mutual subscriptions. Cursor pagination, one Query per page.

use serde_json::{json, Value};
use shared::http::Call;
use shared::ids::UserId;
use shared::store::relations::{self as rel, op_follow, ListKind, Outcome, Relation, FRIENDS};
use shared::{AppResult, Reply};

fn subscription_json(r: &Relation) -> Value {
    json!({
        "id": r.other.0,
        "user_id": r.other.0,
        "name": r.to_nickname,
        "display_name": if r.remark.is_empty() { &r.to_nickname } else { &r.remark },
        "avatar_url": r.to_avatar,
        "relation": if r.status == FRIENDS { "friend" } else { "following" },
        "subscribed_at": r.create_time,
        "updated_at": r.modify_time,
    })
}

/// Subscribe (add friend): 201 when something new happened, 200 when it already existed;
/// `request_pending` when the user verifies requests. 403 when the user blacklisted you.
pub async fn subscribe(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = UserId::parse("user_id", &c.path_param("user_id")?)?;
    let r = rel::change(&c.ctx.db, c.ctx.now_ms(), me, to, |p, now| op_follow(p, now, "")).await?;
    let mut body = match &r.mine {
        Some(m) => subscription_json(m),
        None => json!({"id": to.0, "user_id": to.0, "name": r.other.nickname}),
    };
    body["request_pending"] = json!(r.outcome == Outcome::Requested || r.outcome == Outcome::AlreadyFollowing);
    let status = match r.outcome {
        Outcome::Requested | Outcome::Friends => 201,
        _ => 200,
    };
    Ok(Reply::data(body).status(status))
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
