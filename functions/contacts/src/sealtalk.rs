//! SealTalk `/sealtalk/friendship/*` and the blacklist routes of `/sealtalk/user/*`, in the
//! original server's shapes: friendship status 10 requesting, 11 requested, 20 friends,
//! 21 ignored; ids as strings; `updatedAt` ISO 8601; text fields HTML-escaped on input.

use serde_json::{json, Value};
use shared::dialects::sealtalk_escape as escape;
use shared::http::Call;
use shared::ids::UserId;
use shared::privacy::{self, Seen};
use shared::store::relations::{
    self as rel, op_accept, op_block, op_follow, op_ignore, op_unblock, op_unfriend, ListKind, Outcome, Patch,
    ReqState, FRIENDS, MAX_MESSAGE, MAX_REMARK,
};
use shared::store::{users, Item};
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

/// `region`/`phone` only as `seen` allows (shared::privacy); "" otherwise.
fn user_json(uid: UserId, item: Option<&Item>, seen: &Seen) -> Value {
    let u = item.and_then(users::from_item);
    let u = u.as_ref();
    let phone = u.and_then(|u| u.telephone.as_ref()).filter(|_| item.is_some_and(|it| seen.phone(it)));
    let fields = shared::dialects::sealtalk::users::Fields::Contact(phone);
    shared::dialects::sealtalk::users::user_json(uid, u, u.and_then(|u| u.avatar.as_deref()), fields)
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
                "updatedAt": shared::dialects::sealtalk::iso(r.modify_time),
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
/// 21 ignored): two Queries, then the profiles and each friend's relation to me (their
/// phone is shown as they allow) in the same BatchGetItem calls (⌈keys/100⌉).
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
    let ties: Vec<(UserId, UserId)> = rows.iter().filter(|r| r.1 == AGREED).map(|r| (r.0, me)).collect();
    let loaded = privacy::load(db, &uids, &ties, vec![]).await?;
    let seen = loaded.seen_by(me);
    let out: Vec<Value> = rows
        .iter()
        .map(|(uid, status, display, message, t)| {
            json!({
                "displayName": display,
                "message": message,
                "status": status,
                "updatedAt": shared::dialects::sealtalk::iso(*t),
                "user": user_json(*uid, loaded.profiles.get(uid), &seen),
            })
        })
        .collect();
    Ok(Reply::data(Value::Array(out)))
}

/// A friend's profile with my display name for them; 403 when not friends (as the original).
/// Both relations and the profile in one BatchGetItem.
pub async fn profile(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.path_param("friendId")?;
    let to = UserId::parse("friendId", &raw)?;
    let loaded = privacy::load(&c.ctx.db, &[to], &[(me, to), (to, me)], vec![]).await?;
    let r = loaded.relation(me, to).filter(|r| r.status == FRIENDS && !r.blacklist);
    let Some(r) = r else {
        return Err(AppError::forbidden(format!("current user is not friend of user {raw}")));
    };
    Ok(Reply::data(json!({
        "displayName": r.remark,
        "user": user_json(to, loaded.profiles.get(&to), &loaded.seen_by(me)),
    })))
}
