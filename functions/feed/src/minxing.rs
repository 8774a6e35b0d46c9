//! Minxing work circle handlers: parse (Yammer v1 names: `older_than`, `newer_than`,
//! `limit`, `threaded`, `group_id`, `replied_to_id`), call shared::services::feed, render
//! `{items, next_cursor}` pages of message JSON (201 new, 204 deletes).

use serde_json::{json, Value};
use shared::dialects::minxing::feed::{counts_json, message_json};
use shared::domain::feed::{id_param, parse_id, valid_client_id, DEFAULT_LIMIT, MAX_ATTACHMENTS, MAX_BODY, MAX_LIMIT};
use shared::http::Call;
use shared::ids::UserId;
use shared::services::feed::{self as svc, following, Draft, Mark, Page, Paging, Shown};
use shared::{AppError, AppResult, Reply};
use std::collections::HashMap;

/// Paging parameters; `cursor` (the previous page's `next_cursor`) is `older_than`.
fn paging(c: &Call<'_>) -> AppResult<Paging> {
    let limit = c.params.i64_in("limit", 1, MAX_LIMIT, DEFAULT_LIMIT)?;
    let cursor = id_param("cursor", c.params.str("cursor")?)?;
    let older = id_param("older_than", c.params.str("older_than")?)?;
    let newer = id_param("newer_than", c.params.str("newer_than")?)?;
    let extended = match c.params.str("threaded")?.as_deref() {
        None | Some("false") | Some("true") => false,
        Some("extended") => true,
        Some(_) => return Err(AppError::invalid("threaded", "true, false or extended")),
    };
    Ok(Paging { older_than: cursor.or(older), newer_than: newer, limit, extended })
}

fn render_items(items: &[Shown], page: &Page, urls: &HashMap<String, String>, extended: bool) -> Vec<Value> {
    items.iter().map(|s| message_json(s, &page.cards, urls, extended)).collect()
}

async fn render_page(c: &Call<'_>, page: Page, p: Paging) -> AppResult<Reply> {
    let refs: Vec<&Shown> = page.items.iter().collect();
    let urls = svc::attachment_urls(c.ctx, &refs).await;
    let items = render_items(&page.items, &page, &urls, p.extended);
    Ok(Reply::data(json!({"items": items, "next_cursor": page.next.map(|m| m.to_string())})))
}

/// `GET /api/v1/messages`: the network feed.
pub async fn network(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = paging(c)?;
    let page = svc::network(c.ctx, me, p).await?;
    render_page(c, page, p).await
}

/// `GET /api/v1/messages/following`: people I follow, my rooms, me.
pub async fn following(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = paging(c)?;
    let page = following::following(c.ctx, me, p).await?;
    render_page(c, page, p).await
}

/// `GET /api/v1/messages/from_user/{current|user_id}`.
pub async fn from_user(c: &Call<'_>, current: bool) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let uid = if current {
        me
    } else {
        let raw = c.path_param("user_id")?;
        if raw == "current" {
            me
        } else {
            UserId::parse("user_id", &raw)?
        }
    };
    let p = paging(c)?;
    let page = svc::from_user(c.ctx, me, uid, p).await?;
    render_page(c, page, p).await
}

/// `GET /api/v1/messages/{liked_by,bookmarked_by}/current`.
pub async fn marked(c: &Call<'_>, mark: Mark) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = paging(c)?;
    let page = svc::marked(c.ctx, me, mark, p).await?;
    render_page(c, page, p).await
}

/// `GET /api/v1/messages/in_group/{group_id}`: a group I may read (else 404).
pub async fn in_group(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = c.path_param("group_id")?;
    let p = paging(c)?;
    let page = svc::in_group(c.ctx, me, &gid, p).await?;
    render_page(c, page, p).await
}

fn path_mid(c: &Call<'_>) -> AppResult<i64> {
    let raw = c.path_param("message_id")?;
    parse_id(&raw).ok_or_else(|| AppError::not_found(format!("message {raw}")))
}

/// `GET /api/v1/messages/in_thread/{message_id}`: any id of the thread → starter + replies,
/// oldest first; `cursor` = the previous page's `next_cursor` (the last reply shown).
pub async fn in_thread(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mid = path_mid(c)?;
    let mut p = paging(c)?;
    let after = id_param("cursor", c.params.str("cursor")?)?;
    p.older_than = None;
    let page = svc::thread(c.ctx, me, mid, after, p).await?;
    render_page(c, page, p).await
}

/// `POST /api/v1/messages`: `body` (≤ 10 000, required unless attachments), `group_id` or
/// `replied_to_id`, `attachment_ids` (≤ 9 of my files), `client_id`. 201 with the message;
/// a resend with the same `client_id` answers 200 with the first one.
pub async fn post(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    if c.params.raw("direct_to_user_ids").is_some_and(|v| !v.is_null()) {
        return Err(AppError::invalid("direct_to_user_ids", "private messages go through /api/v1/conversations2"));
    }
    let body = c.params.str_max("body", MAX_BODY)?.unwrap_or_default();
    let group_id = c.params.str_max("group_id", 80)?;
    let replied_to_id = id_param("replied_to_id", c.params.str("replied_to_id")?)?;
    let attachment_ids = c.params.list("attachment_ids")?;
    if attachment_ids.len() > MAX_ATTACHMENTS {
        return Err(AppError::invalid("attachment_ids", format!("at most {MAX_ATTACHMENTS} files")));
    }
    if attachment_ids.iter().any(|a| a.is_empty() || a.len() > 64 || !a.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err(AppError::invalid("attachment_ids", "must be file ids"));
    }
    let client_id = c.params.str("client_id")?;
    if client_id.as_deref().is_some_and(|v| !valid_client_id(v)) {
        return Err(AppError::invalid("client_id", "1-64 letters, digits, '-', '_', '.'"));
    }
    let draft = Draft { body, group_id, replied_to_id, attachment_ids, client_id };
    let (shown, new, cards) = svc::post(c.ctx, me, draft).await?;
    let urls = svc::attachment_urls(c.ctx, &[&shown]).await;
    let out = message_json(&shown, &cards, &urls, false);
    Ok(Reply::data(out).status(if new { 201 } else { 200 }))
}

/// `DELETE /api/v1/messages/{message_id}`: 204.
pub async fn delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mid = path_mid(c)?;
    svc::delete(c.ctx, me, mid).await?;
    Ok(Reply::empty())
}

/// `POST|DELETE /api/v1/messages/{liked_by,bookmarked_by}/current` with `message_id` (query
/// or body): POST 201 new / 200 already; DELETE 204 either way.
pub async fn mark(c: &Call<'_>, mark: Mark, on: bool) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mid = id_param("message_id", c.params.str("message_id")?)?.ok_or_else(|| AppError::missing("message_id"))?;
    let new = svc::set_mark(c.ctx, me, mid, mark, on).await?;
    if !on {
        return Ok(Reply::empty());
    }
    Ok(Reply::data(json!({"message_id": mid, "liked": mark == Mark::Like, "bookmarked": mark == Mark::Bookmark}))
        .status(if new { 201 } else { 200 }))
}

/// `GET /api/v1/networks/notification_counts`.
pub async fn notification_counts(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let n = following::counts(c.ctx, me).await?;
    Ok(Reply::data(counts_json(n.unread_messages, n.unseen_feed, n.pending_requests)))
}
