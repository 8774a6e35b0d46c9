//! SealTalk `/sealtalk/friendship/*` and the blacklist routes of `/sealtalk/user/*`, in the
//! original server's shapes: friendship status 10 requesting, 11 requested, 20 friends,
//! 21 ignored; ids as strings; `updatedAt` ISO 8601; text fields HTML-escaped on input.

use serde_json::{json, Value};
use shared::dialect::sealtalk_escape as escape;
use shared::http::Call;
use shared::ids::UserId;
use shared::store::relations::{
    self as rel, op_accept, op_block, op_follow, op_ignore, op_unblock, op_unfriend, ListKind, Outcome, Patch,
    ReqState, FRIENDS, MAX_MESSAGE, MAX_REMARK,
};
use shared::store::users::User;
use shared::{AppError, AppResult, Reply};

const REQUESTING: i64 = 10;
const REQUESTED: i64 = 11;
const AGREED: i64 = 20;
const IGNORED: i64 = 21;

fn friend_id(c: &Call<'_>) -> AppResult<UserId> {
    UserId::parse("friendId", &c.params.req_str("friendId")?)
}

/// Escaped text of at most `max` characters (counted before escaping); absent = "".
fn text(c: &Call<'_>, name: &str, max: usize) -> AppResult<String> {
    Ok(escape(&c.params.str_max(name, max)?.unwrap_or_default()))
}

fn user_json(uid: UserId, u: Option<&User>, with_phone: bool) -> Value {
    let phone = u.and_then(|u| u.telephone.as_ref()).filter(|_| with_phone);
    json!({
        "id": uid.to_string(),
        "nickname": u.map(|u| u.nickname.clone()).unwrap_or_default(),
        "region": phone.map(|t| t.area.clone()).unwrap_or_default(),
        "phone": phone.map(|t| t.number.clone()).unwrap_or_default(),
        "portraitUri": u.and_then(|u| u.avatar.clone()).unwrap_or_default(),
    })
}

pub async fn block(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    rel::change(&c.ctx.db, c.ctx.now_ms(), me, to, op_block).await?;
    Ok(Reply::empty())
}

pub async fn unblock(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    rel::change(&c.ctx.db, c.ctx.now_ms(), me, to, op_unblock).await?;
    Ok(Reply::empty())
}

/// `[{id, nickname, portraitUri, updatedAt, user: {id, nickname, portraitUri}}]`.
pub async fn blacklist(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let list = rel::list(&c.ctx.db, me, ListKind::Blacklist, None, None).await?.items;
    let out: Vec<Value> = list
        .iter()
        .map(|r| {
            let portrait = r.to_avatar.clone().unwrap_or_default();
            json!({
                "id": r.other.to_string(),
                "nickname": r.to_nickname,
                "portraitUri": portrait,
                "updatedAt": crate::iso(r.modify_time),
                "user": {"id": r.other.to_string(), "nickname": r.to_nickname, "portraitUri": portrait},
            })
        })
        .collect();
    Ok(Reply::data(Value::Array(out)))
}

/// `result.action`: "Added" (friends now), "Sent" (request waits for verification),
/// "None" (already friends or already requested). Blacklisted by the friend → 403.
pub async fn invite(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    let message = text(c, "message", MAX_MESSAGE)?;
    let r = rel::change(&c.ctx.db, c.ctx.now_ms(), me, to, |p, now| op_follow(p, now, &message)).await?;
    let (action, msg) = match r.outcome {
        Outcome::Friends => ("Added", "Friend added."),
        Outcome::Requested => ("Sent", "Request sent."),
        _ => ("None", "Do nothing."),
    };
    Ok(Reply::data(json!({"action": action})).message(msg))
}

pub async fn agree(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    rel::change(&c.ctx.db, c.ctx.now_ms(), me, to, op_accept).await?;
    Ok(Reply::empty())
}

pub async fn ignore(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    rel::change(&c.ctx.db, c.ctx.now_ms(), me, to, op_ignore).await?;
    Ok(Reply::empty())
}

pub async fn delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    rel::change(&c.ctx.db, c.ctx.now_ms(), me, to, op_unfriend).await?;
    Ok(Reply::empty())
}

/// `displayName` 0–32 characters (empty clears it); friends only (404 otherwise).
pub async fn set_display_name(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    let name = text(c, "displayName", MAX_REMARK)?;
    let patch = Patch { remark: Some(name), ..Default::default() };
    rel::change(&c.ctx.db, c.ctx.now_ms(), me, to, |p, now| rel::op_patch(p, now, &patch, FRIENDS)).await?;
    Ok(Reply::empty())
}

/// Friends (20), users I follow / requested (10) and requests I received (11 pending,
/// 21 ignored): two Queries and one BatchGetItem of the profiles.
pub async fn all(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let db = &c.ctx.db;
    let (rels, reqs) =
        tokio::try_join!(rel::list(db, me, ListKind::Following, None, None), rel::requests(db, me, None, None))?;
    let mut rows: Vec<(UserId, i64, String, String, i64)> = rels
        .items
        .iter()
        .map(|r| {
            let status = if r.status == FRIENDS { AGREED } else { REQUESTING };
            (r.other, status, r.remark.clone(), String::new(), r.modify_time)
        })
        .collect();
    for q in &reqs.items {
        let state = match q.state {
            ReqState::Pending => REQUESTED,
            ReqState::Ignored => IGNORED,
            ReqState::Accepted => continue,
        };
        if rows.iter().any(|r| r.0 == q.from && r.1 == AGREED) {
            continue;
        }
        rows.retain(|r| r.0 != q.from);
        rows.push((q.from, state, String::new(), q.message.clone(), q.modify_time));
    }
    let uids: Vec<UserId> = rows.iter().map(|r| r.0).collect();
    let profiles = crate::profiles(db, &uids).await?;
    let out: Vec<Value> = rows
        .iter()
        .map(|(uid, status, display, message, t)| {
            json!({
                "displayName": display,
                "message": message,
                "status": status,
                "updatedAt": crate::iso(*t),
                "user": user_json(*uid, profiles.get(uid), *status == AGREED),
            })
        })
        .collect();
    Ok(Reply::data(Value::Array(out)))
}

/// A friend's profile with my display name for them; 403 when not friends (as the original).
pub async fn profile(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.path_param("friendId")?;
    let to = UserId::parse("friendId", &raw)?;
    let db = &c.ctx.db;
    let r = rel::get(db, me, to).await?.filter(|r| r.status == FRIENDS && !r.blacklist);
    let Some(r) = r else {
        return Err(AppError::forbidden(format!("current user is not friend of user {raw}")));
    };
    let profiles = crate::profiles(db, &[to]).await?;
    Ok(Reply::data(json!({
        "displayName": r.remark,
        "user": user_json(to, profiles.get(&to), true),
    })))
}
