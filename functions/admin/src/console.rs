//! Shiku `/console/*` users part: operator login/logout and account management
//! (shared::services::{operators, console}; views shared::dialects::shiku::console;
//! decisions docs/dialects.md "Shiku console").

use serde_json::json;
use shared::auth::{canonical_password, source_ip, token_from_request};
use shared::dialects::shiku::console::{console_login_json, console_user_json};
use shared::domain::idempotency::{self, IdemKey};
use shared::domain::sessions::{Session, CONSOLE_TTL};
use shared::domain::users::NewUser;
use shared::http::Call;
use shared::ids::{LoginName, Telephone, UserId};
use shared::services::{console, operators};
use shared::{AppError, AppResult, Reply};

/// The operator behind the call's console token.
pub(crate) async fn operator(c: &Call<'_>) -> AppResult<Session> {
    operators::session(c.ctx, token_from_request(c.dialect, &c.req, &c.params)).await
}

/// The creation's idempotency key (header `Idempotency-Key`, scoped to `op` and the route):
/// None without the header; a malformed one is an invalid-parameter error.
pub(crate) fn idem_key(c: &Call<'_>, op: &Session) -> AppResult<Option<IdemKey>> {
    let Some(v) = c.req.headers().get(idempotency::HEADER) else { return Ok(None) };
    let raw = v.to_str().map_err(|_| AppError::invalid(idempotency::HEADER, "not plain text"))?;
    IdemKey::parse(op.uid, &c.route, raw).map(Some)
}

fn user_id(c: &Call<'_>) -> AppResult<UserId> {
    UserId::parse("userId", &c.params.req_str("userId")?)
}

/// POST telephone (any login name, as `/user/login`), password (md5 as Shiku clients send
/// it). Only operators pass; anyone else gets the wrong-password answer.
pub async fn login(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let name = LoginName::guess(&p.req_str("telephone")?, p.str("areaCode")?.as_deref())?.or_bare();
    let canonical = canonical_password(c.dialect, &p.req_str("password")?)?;
    let (user, issued) = operators::login(c.ctx, &source_ip(&c.req), &name, canonical).await?;
    Ok(Reply::data(console_login_json(&user, &issued.token, CONSOLE_TTL)))
}

pub async fn logout(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    operators::logout(c.ctx, &op).await?;
    Ok(Reply::empty())
}

/// pageIndex (0), pageSize (50, ≤ 50), nickname (prefix), onlinestate (absent = all; 1
/// online, 0 offline, within the page) → `{pageIndex, pageSize, more, list}`.
pub async fn user_list(c: &Call<'_>) -> AppResult<Reply> {
    operator(c).await?;
    let p = &c.params;
    let (index, size) = (p.i64("pageIndex")?.unwrap_or(0), p.i64("pageSize")?.unwrap_or(50));
    let (offset, size) = console::page(index, size)?;
    let online = match p.i64("onlinestate")? {
        None => None,
        Some(0) => Some(false),
        Some(1) => Some(true),
        Some(_) => return Err(AppError::invalid("onlinestate", "must be 0 or 1")),
    };
    let nickname = p.str_max("nickname", 64)?;
    let (list, more) = console::user_list(c.ctx, nickname.as_deref(), online, offset, size).await?;
    let now = c.ctx.now_secs();
    let list: Vec<_> = list.iter().map(|l| console_user_json(&l.user, l.online, now)).collect();
    Ok(Reply::data(json!({"pageIndex": index, "pageSize": size, "more": more, "list": list})))
}

/// GET: the account (any, disabled ones included).
async fn user_get(c: &Call<'_>) -> AppResult<Reply> {
    operator(c).await?;
    let user = console::user(c.ctx, user_id(c)?).await?;
    let online = shared::services::profiles::online(c.ctx, user.uid).await?;
    Ok(Reply::data(console_user_json(&user, online, c.ctx.now_secs())))
}

/// GET: [`user_get`]. POST: crate::sends::update_user (status, profile fields, password).
pub async fn update_user(c: &Call<'_>) -> AppResult<Reply> {
    if c.method == http::Method::GET {
        return user_get(c).await;
    }
    crate::sends::update_user(c).await
}

/// userId: disable, free the login names, revoke tokens, close sockets.
pub async fn delete_user(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    console::delete_user(c.ctx, &op, &c.route, user_id(c)?).await?;
    Ok(Reply::empty())
}

/// `{onlineCount, offlineCount, total, roomCount, messagesToday, time}` from the counters
/// (store/stats.rs; rooms: live groups of every dialect; messages: delivered today, UTC).
pub async fn user_status(c: &Call<'_>) -> AppResult<Reply> {
    operator(c).await?;
    let n = console::user_status(c.ctx).await?;
    Ok(Reply::data(json!({
        "onlineCount": n.online,
        "offlineCount": n.accounts - n.online,
        "total": n.accounts,
        "roomCount": n.rooms,
        "messagesToday": n.messages,
        "time": c.ctx.now_ms(),
    })))
}

/// telephone (areaCode, default 86), nickname, password (md5 as Shiku clients send it, or
/// plain) → the new account, as `/user/register` makes it (no SMS code: an operator vouches).
pub async fn add_user(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    let p = &c.params;
    let phone = Telephone::parse(p.str("areaCode")?.as_deref(), &p.req_str("telephone")?)?;
    let canonical = canonical_password(c.dialect, &p.req_str("password")?)?;
    let nickname = p.str_max("nickname", 64)?.ok_or_else(|| AppError::missing("nickname"))?;
    let new = NewUser { nickname, telephone: Some(phone), ..Default::default() };
    let user = console::add_user(c.ctx, &op, &c.route, &source_ip(&c.req), new, canonical).await?;
    Ok(Reply::data(console_user_json(&user, false, c.ctx.now_secs())))
}

/// userId: 10000, 10005, or 0 / absent = both → `{created: [ids made now]}`.
pub async fn init_system_users(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    let which = match c.params.i64("userId")? {
        None | Some(0) => None,
        Some(10000) => Some(UserId(10000)),
        Some(10005) => Some(operators::SERVICE_UID),
        Some(_) => return Err(AppError::invalid("userId", "must be 0, 10000 or 10005")),
    };
    let created = console::init_system_users(c.ctx, &op, &c.route, which).await?;
    Ok(Reply::data(json!({"created": created.iter().map(|u| u.0).collect::<Vec<_>>()})))
}
