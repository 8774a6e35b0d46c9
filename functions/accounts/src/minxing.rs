//! Minxing ocus (public accounts): subscriptions, the directory, one ocu, menu actions.
//! Rules: shared::services::ocus::directory; views: shared::dialects::minxing::ocus.

use serde_json::json;
use shared::dialects::minxing::ocus::{ocu_json, ocu_page_json};
use shared::domain::relations::Outcome;
use shared::http::Call;
use shared::ids::UserId;
use shared::services::ocus::directory;
use shared::{AppError, AppResult, Reply};

fn ocu_id(c: &Call<'_>) -> AppResult<UserId> {
    UserId::parse("ocu_id", &c.path_param("ocu_id")?)
}

fn limit(c: &Call<'_>) -> AppResult<usize> {
    Ok(c.params.i64_in("limit", 1, 50, 20)? as usize)
}

/// `POST /api/v1/subscriptions/ocus/{id}`: 201 new, 200 already subscribed.
pub async fn subscribe(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let ocu = ocu_id(c)?;
    let (outcome, r) = directory::subscribe(c.ctx, me, ocu).await?;
    let status = if outcome == Outcome::Subscribed { 201 } else { 200 };
    Ok(Reply::data(json!({"ocu_id": ocu.0, "name": r.to_nickname, "subscribed": true, "subscribed_at": r.create_time}))
        .status(status))
}

/// `DELETE /api/v1/subscriptions/ocus/{id}`: 204.
pub async fn unsubscribe(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    directory::unsubscribe(c.ctx, me, ocu_id(c)?).await?;
    Ok(Reply::empty().status(204))
}

/// `GET /api/v1/subscriptions/ocus?limit&cursor`: `{items, next_cursor}`.
pub async fn subscribed(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let limit = limit(c)?;
    let cursor = c.params.str("cursor")?;
    let (items, next) = directory::subscribed(c.ctx, me, cursor.as_deref(), limit).await?;
    let items: Vec<_> = items
        .iter()
        .map(|s| ocu_json(s.rel.other.0, &s.rel.to_nickname, s.rel.to_avatar.as_deref(), &s.ocu, true))
        .collect();
    Ok(Reply::data(json!({"items": items, "next_cursor": next})))
}

/// `GET /api/v1/ocus/unsubscribed?limit&cursor`: listed ocus minus mine, `{items,
/// next_cursor}` (a page may be shorter than `limit` while `next_cursor` goes on).
pub async fn unsubscribed(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let limit = limit(c)?;
    let after = match c.params.str("cursor")? {
        Some(v) => Some(UserId::parse("cursor", &v).map_err(|_| AppError::invalid("cursor", "malformed cursor"))?),
        None => None,
    };
    let (items, next) = directory::unsubscribed(c.ctx, me, after, limit).await?;
    let items: Vec<_> = items
        .iter()
        .map(|l| ocu_json(l.user.uid.0, &l.user.nickname, l.user.avatar.as_deref(), &l.ocu, false))
        .collect();
    Ok(Reply::data(json!({"items": items, "next_cursor": next.map(|u| u.0.to_string())})))
}

/// `GET /api/v1/ocus/{id}`.
pub async fn ocu(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = directory::page(c.ctx, me, ocu_id(c)?).await?;
    Ok(Reply::data(ocu_page_json(&p.user, &p.ocu, p.subscribed, p.fans, &p.conversation_id)))
}

/// `GET /api/v1/conversations/{cid}/ocu_menus/{menu_id}`: view → `{type, url}`; click →
/// records an `MP:Click` message (idempotent per `client_request_id`), `{type, key, reply}`;
/// a sub-menu → `{type: "menu", sub_menus}` is not an action (400).
pub async fn menu_action(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = c.path_param("conversation_id")?;
    let menu_id: i64 =
        c.path_param("menu_id")?.parse().ok().filter(|v| *v > 0).ok_or_else(|| AppError::not_found("menu"))?;
    let client_id = c.params.str_max("client_request_id", 64)?;
    let a = directory::menu_action(c.ctx, me, &cid, menu_id, client_id).await?;
    Ok(Reply::data(match a.kind {
        shared::domain::ocus::MenuKind::View => json!({"type": "view", "id": a.item.id, "url": a.item.url}),
        shared::domain::ocus::MenuKind::Click => {
            json!({"type": "click", "id": a.item.id, "key": a.item.key, "reply": null})
        }
        shared::domain::ocus::MenuKind::Menu => {
            return Err(AppError::invalid("menu_id", "a sub-menu opens its entries, it is not an action"))
        }
    }))
}
