//! SealTalk `/sealtalk/friendship/*` and the blacklist routes of `/sealtalk/user/*`, in the
//! original server's shapes: friendship status 10 requesting, 11 requested, 20 friends,
//! 21 ignored; ids as strings; `updatedAt` ISO 8601; text fields HTML-escaped on input.
//! The original is rongcloud/sealtalk-server `dev`, src/routes/friendship.coffee (cited
//! `friendship:N`); docs/dialects.md (SealTalk friendship) lists what we keep different.

use serde_json::{json, Value};
use shared::dialects::sealtalk::relations::{
    blacklist_json, friendship_json, friendship_rows, invite_action, ADDED, AGREED, NOTHING,
};
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

/// The original's `Utility.xss(text, max)` (util.coffee:114-121): escaped; when the raw text
/// has at most `max` characters but the escaped one more, it is cut to `max` (even inside an
/// entity, as the original does). Absent = "".
fn xss(c: &Call<'_>, name: &str, max: usize) -> AppResult<String> {
    let raw = c.params.str(name)?.unwrap_or_default();
    let out = escape(&raw);
    if raw.chars().count() <= max && out.chars().count() > max {
        return Ok(out.chars().take(max).collect());
    }
    Ok(out)
}

/// `text` must have at most `max` characters (the original checks the escaped text).
fn at_most(name: &str, text: String, max: usize) -> AppResult<String> {
    if text.chars().count() > max {
        return Err(AppError::invalid(name, format!("longer than {max} characters")));
    }
    Ok(text)
}

/// "Unknown friend user or invalid status." (404): the original's answer for every state the
/// friendship routes do not accept, yourself included (we store no self-friendship).
fn unknown_friend(to: UserId) -> AppError {
    AppError::not_found(format!("friend user {to} (unknown friend user or invalid status)"))
}

/// `region`/`phone` only as `seen` allows (shared::privacy); "" otherwise.
fn user_json(uid: UserId, loaded: &Loaded, seen: &Seen) -> Value {
    let (u, phone_seen) = loaded.user_seen(uid, seen);
    let u = u.as_ref();
    let phone = u.and_then(|u| u.telephone.as_ref()).filter(|_| phone_seen);
    let fields = shared::dialects::sealtalk::users::Fields::Contact(phone);
    shared::dialects::sealtalk::users::user_json(uid, u, u.and_then(|u| u.avatar.as_deref()), fields)
}

/// `friendship/agree` (a pending request), `friendship/ignore` (a pending request),
/// `friendship/delete` (a friend): 404 in any other state, yourself included.
pub async fn friendship_op(c: &Call<'_>, op: Op) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    if to == me {
        return Err(unknown_friend(to));
    }
    rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &op).await?;
    Ok(Reply::empty())
}

/// `[{id, nickname, portraitUri, updatedAt, user: {id, nickname, portraitUri}}]`.
pub async fn blacklist(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let list = rel::list(&c.ctx.db, me, ListKind::Blacklist, None, None).await?.items;
    Ok(Reply::data(list.iter().map(blacklist_json).collect()))
}

/// `result.action` (friendship:58-237): "Sent" (a request waits for `agree`, whatever the
/// friend's `friendsVerify`), "Added" (they had asked me or follow me; also inviting yourself,
/// though no self-friendship is stored), "None" (my request is still inside its re-send window,
/// or the friend blacklisted me: not revealed). Already friends → 400. Unknown user → 404
/// (kept: the original would write rows for any id).
pub async fn invite(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    let message = at_most("message", xss(c, "message", MAX_MESSAGE)?, MAX_MESSAGE)?;
    let (action, msg) = if to == me {
        ADDED
    } else {
        match rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &Op::Invite(message)).await {
            Ok(r) => invite_action(r.outcome, to)?,
            Err(AppError::Refused { code: rel::REFUSED_BLOCKED, .. }) => NOTHING,
            Err(e) => return Err(e),
        }
    };
    Ok(Reply::data(json!({"action": action})).message(msg))
}

/// `displayName` (friendship:355-383): xss(…, 64), then "" (clears it) or 1–32 characters of
/// the escaped text; friends only (404 otherwise).
pub async fn set_display_name(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    let name = at_most("displayName", xss(c, "displayName", MAX_MESSAGE)?, MAX_REMARK)?;
    if to == me {
        return Err(unknown_friend(to));
    }
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

/// A friend's profile with my display name for them; 403 when not friends, including an id
/// that does not parse (friendship:461-462). Both relations and the profile in one BatchGetItem.
pub async fn profile(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.path_param("friendId")?;
    let not_friend = || AppError::forbidden(format!("current user is not friend of user {raw}"));
    let to = UserId::parse("friendId", &raw).map_err(|_| not_friend())?;
    let loaded = privacy::load(&c.ctx.db, &[to], &[(me, to), (to, me)], vec![]).await?;
    let r = loaded.relation(me, to).filter(|r| r.counts_as_friend());
    let Some(r) = r else {
        return Err(not_friend());
    };
    Ok(Reply::data(json!({
        "displayName": r.remark,
        "user": user_json(to, &loaded, &loaded.seen_by(me)),
    })))
}

/// `user/add_to_blacklist`: an unknown user → 404 (user:513); oneself → 200 with nothing stored
/// (the original upserts a self row and answers 200, user:506-536; a self-block means nothing).
pub async fn block(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = friend_id(c)?;
    if to == me {
        return Ok(Reply::empty());
    }
    rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &Op::Block).await?;
    Ok(Reply::empty())
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
