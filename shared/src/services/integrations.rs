//! Integrations: the Xuanxuan third-party API (`/api.php`). Who may call it (a registered
//! app, a signed query, a fresh signed `time`, the app's per-minute quota), the directory it
//! reads (groups, members, accounts) and the notifications it sends: to a group as a stored
//! message (services::chat), to users as socket events plus offline push jobs.

use crate::auth::md5_hex;
use crate::domain::chat::{Conversation, Kind, NewMessage};
use crate::domain::relations::SYSTEM_UID;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::push::PushJob;
use crate::store::{apps, conversations as convs, events, groups, users};
use crate::Ctx;
use serde_json::Value;
use subtle::ConstantTimeEq;

/// Replays of a URL carrying a signed `time` are refused after this many seconds.
pub const TIME_WINDOW_SECS: i64 = 300;

/// Object name of notification messages (Shiku type 10 "notice").
pub const NOTIFY_OBJECT: &str = "XX:Notify";

/// The query string as signed: everything but the `token` pair.
pub fn signed_part(query: &str) -> String {
    query.split('&').filter(|kv| !kv.starts_with("token=")).collect::<Vec<_>>().join("&")
}

/// token = md5(md5(query string without `&token=…`) + app key), as the Xuanxuan server checks it.
pub fn sign(query_without_token: &str, key: &str) -> String {
    md5_hex(&(md5_hex(query_without_token) + key))
}

/// May app `code` make this call? Its signature over `query` (one GetItem of the app; an
/// unknown app and a wrong `token` are both `TokenInvalid`), then the signed `time` (required
/// when the app says so; within [`TIME_WINDOW_SECS`] of now), then the app's per-minute quota
/// (one UpdateItem), so unsigned traffic cannot use up an app's calls.
pub async fn authorize(ctx: &Ctx, code: &str, token: &str, query: &str, time: Option<&str>) -> AppResult<()> {
    let app = apps::get(&ctx.db, code).await?.ok_or(AppError::TokenInvalid)?;
    let expected = sign(&signed_part(query), &app.key);
    if !bool::from(expected.as_bytes().ct_eq(token.to_ascii_lowercase().as_bytes())) {
        return Err(AppError::TokenInvalid);
    }
    let now = ctx.now_secs();
    match time {
        None if app.require_time => return Err(AppError::missing("time")),
        None => {}
        Some(t) => {
            let t: i64 = t.parse().map_err(|_| AppError::invalid("time", "must be unix seconds"))?;
            if now.checked_sub(t).is_none_or(|d| d.abs() > TIME_WINDOW_SECS) {
                return Err(AppError::invalid(
                    "time",
                    format!("more than {TIME_WINDOW_SECS} s from the server time; sign a fresh URL"),
                ));
            }
        }
    }
    apps::count_call(&ctx.db, &app, now).await
}

/// Every group conversation: Query pages over GSI2 `GROUPS` (no Scan, but every page).
pub async fn groups(ctx: &Ctx) -> AppResult<Vec<Conversation>> {
    groups::all_groups(&ctx.db).await
}

/// The group conversation `gid`; `NotFound` for a 1:1 conversation or none.
async fn require_group(ctx: &Ctx, gid: &str) -> AppResult<()> {
    let conv = convs::get(&ctx.db, gid).await?;
    if conv.is_none_or(|g| g.kind != Kind::Group) {
        return Err(AppError::not_found(format!("group {gid}")));
    }
    Ok(())
}

/// The members of group `gid`, or every account without a `gid`.
pub async fn people(ctx: &Ctx, gid: Option<&str>) -> AppResult<Vec<User>> {
    match gid {
        Some(gid) => {
            require_group(ctx, gid).await?;
            let ids: Vec<UserId> = convs::members(&ctx.db, gid).await?.into_iter().map(|m| m.uid).collect();
            users::get_many(&ctx.db, &ids).await
        }
        None => users::all(&ctx.db).await,
    }
}

/// A notification `card` to group `gid`: a message of type 10 with object name
/// [`NOTIFY_OBJECT`] and the card JSON as content, from the system account, so it is in
/// every dialect's history and reaches members' sockets (and push jobs) like any message.
pub async fn notify_group(ctx: &Ctx, now_ms: i64, gid: &str, card: &Value) -> AppResult<()> {
    require_group(ctx, gid).await?;
    let msg = NewMessage {
        sender: SYSTEM_UID,
        kind: 10,
        content: card.to_string(),
        client_id: None,
        object_name: Some(NOTIFY_OBJECT.into()),
    };
    super::chat::send_at(&ctx.db, now_ms, gid, msg, false).await?;
    Ok(())
}

/// A notification `card` to the users of `ids` that exist (unknown ids are skipped: the
/// seed's success carries nothing to report them, and one since-deleted account must not
/// cost everyone else the notification): `{"event":"notify", …card, "ts"}` on their sockets
/// (events posted by `delivery`) and a push job for each one without a live connection
/// (unless DND).
pub async fn notify_users(ctx: &Ctx, now_ms: i64, ids: &[UserId], card: &Value) -> AppResult<()> {
    let found: Vec<UserId> = users::get_many(&ctx.db, ids).await?.into_iter().map(|u| u.uid).collect();
    let ids: Vec<UserId> = ids.iter().copied().filter(|u| found.contains(u)).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let ids = &ids[..];
    let frame = crate::realtime::frames::notify_frame(card, now_ms);
    events::put_user_events(&ctx.db, now_ms, ids, &frame).await?;
    let title = card["title"].as_str().unwrap_or_default().to_string();
    let body = card["content"].as_str().unwrap_or(&title).to_string();
    let mut job = PushJob::new("notify", &body, now_ms);
    job.title = title;
    crate::push::offline_job(ctx, ids, None, job).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_excludes_itself_from_the_signed_query() {
        assert_eq!(signed_part("m=chat&f=getChatGroups&code=demo&token=abc"), "m=chat&f=getChatGroups&code=demo");
        assert_eq!(signed_part("token=abc&m=chat"), "m=chat");
        let t = sign("m=chat&f=getChatGroups&code=demo", "demo-key");
        assert_eq!(t, md5_hex(&(md5_hex("m=chat&f=getChatGroups&code=demo") + "demo-key")));
    }
}
