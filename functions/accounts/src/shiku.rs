//! Shiku public accounts: `/mp/*` (the account's own session) and `/public/menu/list`
//! (anyone). Rules: shared::services::ocus; views: shared::dialects::shiku::ocus; decisions
//! docs/dialects.md "Public accounts".

use serde_json::{json, Map, Value};
use shared::auth::{canonical_password, source_ip};
use shared::dialects::shiku::chat::record;
use shared::dialects::shiku::ocus::{fan_json, home_json, menu_tree_json, peer_json};
use shared::domain::chat::{single_peer, Message};
use shared::domain::ocus::MenuEdit;
use shared::domain::sessions::SHIKU_TTL;
use shared::http::Call;
use shared::ids::{LoginName, UserId};
use shared::services::ocus::{self, inbox, HomeEdit};
use shared::{AppError, AppResult, Reply};

fn list(v: impl IntoIterator<Item = Value>) -> Reply {
    Reply::data(Value::Array(v.into_iter().collect()))
}

/// `pageIndex` (0…) and `pageSize` (1–100, default `size`).
fn paging(c: &Call<'_>, size: i64) -> AppResult<(usize, usize)> {
    let idx = c.params.i64_in("pageIndex", 0, 999, 0)? as usize;
    let size = c.params.i64_in("pageSize", 1, 100, size)? as usize;
    Ok((idx, size))
}

fn to_user(c: &Call<'_>) -> AppResult<UserId> {
    UserId::parse("toUserId", &c.params.req_str("toUserId")?)
}

/// The caller as a public account (every `/mp/*` route but login).
async fn account(c: &Call<'_>) -> AppResult<UserId> {
    let me = c.session().await?.uid;
    ocus::require_account(c.ctx, me).await?;
    Ok(me)
}

/// A 1:1 message as a history record (`receiver` = the other side of the chat).
fn msg_json(m: &Message) -> Value {
    record(m, single_peer(&m.conversation_id, m.sender))
}

pub async fn public_menu(c: &Call<'_>) -> AppResult<Reply> {
    c.session().await?;
    let uid = UserId::parse("userId", &c.params.req_str("userId")?)?;
    let o = ocus::public_menu(c.ctx, uid).await?;
    Ok(Reply::data(menu_tree_json(&o)))
}

/// `/mp/login` (GET and POST alike): `username` = the telephone as `/user/login` takes it
/// (plain or MD5, optional `areaCode`), `password`; only public accounts (else 1040102).
pub async fn login(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let name = LoginName::guess(&p.req_str("username")?, p.str("areaCode")?.as_deref())?.or_bare();
    let canonical = canonical_password(c.dialect, &p.req_str("password")?)?;
    let serial = p.str_max("serial", 128)?;
    let (user, issued) = ocus::login(c.ctx, &source_ip(&c.req), &name, canonical, SHIKU_TTL, serial).await?;
    Ok(Reply::data(json!({
        "access_token": issued.token,
        "expires_in": SHIKU_TTL,
        "nickname": user.nickname,
        "userId": user.uid.0,
        "userType": 2,
    })))
}

/// `/mp/home`; optional `description` (≤ 256) and `listed` (0/1: shown in Minxing's
/// directory) change the account's record first.
pub async fn home(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let listed = match c.params.i64("listed")? {
        None => None,
        Some(0) => Some(false),
        Some(1) => Some(true),
        Some(_) => return Err(AppError::invalid("listed", "must be 0 or 1")),
    };
    let edit = HomeEdit { description: c.params.str("description")?, listed };
    let h = ocus::home(c.ctx, me, edit).await?;
    Ok(Reply::data(home_json(&h.user, &h.ocu, h.fans, h.unread)))
}

pub async fn menu_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (_, o) = ocus::own(c.ctx, me).await?;
    Ok(Reply::data(menu_tree_json(&o)))
}

/// The menu entity: the JSON `entity` (object or text) or flat parameters.
fn entity(c: &Call<'_>) -> AppResult<Map<String, Value>> {
    match c.params.raw("entity") {
        None | Some(Value::Null) => {
            let mut m = Map::new();
            for k in ["id", "name", "parentId", "url", "key"] {
                if let Some(v) = c.params.raw(k) {
                    m.insert(k.into(), v.clone());
                }
            }
            Ok(m)
        }
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(AppError::invalid("entity", "must be a JSON object")),
        },
        Some(_) => Err(AppError::invalid("entity", "must be a JSON object")),
    }
}

fn field_str(m: &Map<String, Value>, k: &str) -> AppResult<Option<String>> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(AppError::invalid(k, "must be a string")),
    }
}

fn field_id(m: &Map<String, Value>, k: &str) -> AppResult<Option<i64>> {
    let bad = || AppError::invalid(k, "must be a menu id");
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok().filter(|v| *v >= 0).map(Some).ok_or_else(bad),
        Some(Value::Number(n)) => n.as_i64().filter(|v| *v >= 0).map(Some).ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

/// `/mp/menu/save` (`id` absent = create; `name` ≤ 16, `parentId` 0 = top, `url` http(s) or
/// `key` for a click entry) and `/mp/menu/delete` (`id`, with its children): the tree after.
pub async fn menu_op(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let op = c.path_param("op")?;
    let e = entity(c)?;
    let o = match op.as_str() {
        "save" => {
            let edit = MenuEdit {
                id: field_id(&e, "id")?.filter(|v| *v > 0),
                name: field_str(&e, "name")?.ok_or_else(|| AppError::missing("name"))?,
                parent_id: field_id(&e, "parentId")?.unwrap_or(0),
                url: field_str(&e, "url")?,
                key: field_str(&e, "key")?,
            };
            ocus::save_menu(c.ctx, me, edit).await?
        }
        "delete" => {
            let id = field_id(&e, "id")?.ok_or_else(|| AppError::missing("id"))?;
            ocus::delete_menu(c.ctx, me, id).await?
        }
        _ => return Err(AppError::invalid("op", "must be save or delete")),
    };
    Ok(Reply::data(menu_tree_json(&o)))
}

pub async fn fans(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (idx, size) = paging(c, 10)?;
    let v = inbox::fans(c.ctx, me, idx, size).await?;
    Ok(list(v.iter().map(|(r, u)| fan_json(r, u.as_ref()))))
}

pub async fn fans_delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let fan = to_user(c)?;
    inbox::drop_fan(c.ctx, me, fan).await?;
    Ok(Reply::empty())
}

pub async fn msg(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (idx, size) = paging(c, 15)?;
    let v = inbox::received(c.ctx, me, idx, size).await?;
    Ok(list(v.iter().map(msg_json)))
}

pub async fn msg_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = to_user(c)?;
    let (idx, size) = paging(c, 15)?;
    let (_, v) = inbox::history(c.ctx, me, to, idx, size).await?;
    Ok(list(v.iter().map(msg_json)))
}

/// `/mp/msg/reply`: the reply view `{user, messages}` (sending is `/mp/msg/send`); without
/// `toUserId` the latest messages received.
pub async fn msg_reply(c: &Call<'_>) -> AppResult<Reply> {
    let me = account(c).await?;
    match c.params.str("toUserId")? {
        Some(raw) => {
            let to = UserId::parse("toUserId", &raw)?;
            let (u, v) = inbox::history(c.ctx, me, to, 0, 15).await?;
            Ok(Reply::data(json!({"user": peer_json(&u), "messages": v.iter().map(msg_json).collect::<Vec<_>>()})))
        }
        None => {
            let v = inbox::received(c.ctx, me, 0, 15).await?;
            Ok(Reply::data(json!({"user": Value::Null, "messages": v.iter().map(msg_json).collect::<Vec<_>>()})))
        }
    }
}

pub async fn msg_send(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = to_user(c)?;
    let body = c.params.req_str("body")?;
    let m = inbox::send(c.ctx, me, to, body).await?;
    Ok(Reply::data(msg_json(&m)))
}
