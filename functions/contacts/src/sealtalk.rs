//! SealTalk `/sealtalk/friendship/*` and the blacklist routes of `/sealtalk/user/*`, in the
//! original server's shapes: friendship status 10 requesting, 11 requested, 20 friends,
//! 21 ignored; ids as strings; `updatedAt` ISO 8601; text fields HTML-escaped on input.

use serde_json::{json, Value};
use shared::dialects::sealtalk::relations::{blacklist_json, friendship_json, friendship_rows, invite_action, AGREED};
use shared::dialects::sealtalk_escape as escape;
use shared::domain::relations::{ListKind, Op, Patch, FRIENDS, MAX_MESSAGE, MAX_REMARK};
use shared::http::Call;
use shared::ids::UserId;
use shared::services::privacy::{self, Loaded, Seen};
use shared::services::relations as rel;
use shared::{AppError, AppResult, Reply};

fn friend_id(c: &Call<'_>) -> AppResult<UserId> {
    UserId::parse("friendId", &c.params.req_str("friendId")?)
}

/// Escaped text of at most `max` characters (counted before escaping); absent = "".
fn text(c: &Call<'_>, name: &str, max: usize) -> AppResult<String> {
    Ok(escape(&c.params.str_max(name, max)?.unwrap_or_default()))
}

/// `region`/`phone` only as `seen` allows (shared::privacy); "" otherwise.
fn user_json(uid: UserId, loaded: &Loaded, seen: &Seen) -> Value {
    let (u, phone_seen) = loaded.user_seen(uid, seen);
    let u = u.as_ref();
    let phone = u.and_then(|u| u.telephone.as_ref()).filter(|_| phone_seen);
    let fields = shared::dialects::sealtalk::users::Fields::Contact(phone);
    shared::dialects::sealtalk::users::user_json(uid, u, u.and_then(|u| u.avatar.as_deref()), fields)
}

/// `user/add_to_blacklist`, `user/remove_from_blacklist`, `friendship/agree`,
/// `friendship/ignore`, `friendship/delete`: `op` on my relation with `friendId`, empty reply.
pub async fn relation_op(c: &Call<'_>, op: Op) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &op).await?;
    Ok(Reply::empty())
}

/// `[{id, nickname, portraitUri, updatedAt, user: {id, nickname, portraitUri}}]`.
pub async fn blacklist(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let list = rel::list(&c.ctx.db, me, ListKind::Blacklist, None, None).await?.items;
    Ok(Reply::data(list.iter().map(blacklist_json).collect()))
}

/// `result.action`: "Added" (friends now), "Sent" (request waits for verification),
/// "None" (already friends or already requested). Blacklisted by the friend → 403.
pub async fn invite(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    let message = text(c, "message", MAX_MESSAGE)?;
    let r = rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &Op::Follow(message)).await?;
    let (action, msg) = invite_action(r.outcome);
    Ok(Reply::data(json!({"action": action})).message(msg))
}

/// `displayName` 0–32 characters (empty clears it); friends only (404 otherwise).
pub async fn set_display_name(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    let name = text(c, "displayName", MAX_REMARK)?;
    let patch = Patch { remark: Some(name), ..Default::default() };
    rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &Op::Patch(patch, FRIENDS)).await?;
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
    let rows = friendship_rows(&rels.items, &reqs.items);
    let uids: Vec<UserId> = rows.iter().map(|r| r.uid).collect();
    let ties: Vec<(UserId, UserId)> = rows.iter().filter(|r| r.status == AGREED).map(|r| (r.uid, me)).collect();
    let loaded = privacy::load(db, &uids, &ties, vec![]).await?;
    let seen = loaded.seen_by(me);
    let out: Vec<Value> = rows.iter().map(|row| friendship_json(row, user_json(row.uid, &loaded, &seen))).collect();
    Ok(Reply::data(Value::Array(out)))
}

/// A friend's profile with my display name for them; 403 when not friends (as the original).
/// Both relations and the profile in one BatchGetItem.
pub async fn profile(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.path_param("friendId")?;
    let to = UserId::parse("friendId", &raw)?;
    let loaded = privacy::load(&c.ctx.db, &[to], &[(me, to), (to, me)], vec![]).await?;
    let r = loaded.relation(me, to).filter(|r| r.counts_as_friend());
    let Some(r) = r else {
        return Err(AppError::forbidden(format!("current user is not friend of user {raw}")));
    };
    Ok(Reply::data(json!({
        "displayName": r.remark,
        "user": user_json(to, &loaded, &loaded.seen_by(me)),
    })))
}

/// `user/remove_from_blacklist`: the original updates with no existence check (user:539-566),
/// so an unknown user or oneself answers 200 as a no-op; an undecodable id stays 400.
pub async fn unblock(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    if to == me {
        return Ok(Reply::empty());
    }
    match rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &Op::Unblock).await {
        Ok(_) | Err(AppError::NotFound(_)) => Ok(Reply::empty()),
        Err(e) => Err(e),
    }
}
