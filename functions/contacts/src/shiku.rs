//! Shiku `/friends/*`: `Friends` records (`userId`, `toUserId`, `toNickname`, `remarkName`,
//! `status` 0/1/2, `blacklist` 0/1, times in seconds, …). `/friends/attention/add` answers
//! `resultCode 1` with `data.type` 1–4 (what Shiku clients read; docs/dialects.md), refusals are
//! error result codes 1100801 / 1100802.

use serde_json::{json, Value};
use shared::dialects::shiku::relations::{add_type, fan_json, friend_json, matches, new_friend_json, ADD_FAILED};
use shared::domain::relations::{ListKind, Op, Patch, Relation, FOLLOWING, SYSTEM_UID};
use shared::http::Call;
use shared::ids::UserId;
use shared::services::relations::{self as rel, page_slice};
use shared::{AppError, AppResult, Reply};

/// At most this many ids per `/friends/attention/batchAdd`.
const MAX_BATCH: usize = 100;
/// pageIndex·pageSize is bounded so any page stays one Query.
const MAX_OFFSET: i64 = 5000;

fn to_user(c: &Call<'_>) -> AppResult<UserId> {
    UserId::parse("toUserId", &c.params.req_str("toUserId")?)
}

/// `userId` parameters may only name the caller: contact lists are private.
fn own(c: &Call<'_>, me: UserId) -> AppResult<()> {
    if let Some(u) = c.params.str("userId")? {
        if UserId::parse("userId", &u)? != me {
            return Err(AppError::forbidden("only your own contacts are visible"));
        }
    }
    Ok(())
}

/// (limit for the Query, pageIndex, pageSize) when the client pages; None = whole list.
fn paging(c: &Call<'_>, default_size: Option<i64>) -> AppResult<Option<(usize, usize)>> {
    let size = c.params.i64("pageSize")?.or(default_size);
    let index = c.params.i64("pageIndex")?;
    if size.is_none() && index.is_none() {
        return Ok(None);
    }
    let size = size.unwrap_or(20);
    let index = index.unwrap_or(0);
    if !(1..=500).contains(&size) {
        return Err(AppError::invalid("pageSize", "must be between 1 and 500"));
    }
    if index < 0 || index.checked_mul(size).is_none_or(|o| o > MAX_OFFSET) {
        return Err(AppError::invalid("pageIndex", format!("pageIndex·pageSize must be 0..{MAX_OFFSET}")));
    }
    Ok(Some((index as usize, size as usize)))
}

async fn relations(c: &Call<'_>, me: UserId, kind: ListKind, page: Option<(usize, usize)>) -> AppResult<Vec<Relation>> {
    let limit = page.map(|(i, s)| (i + 1) * s);
    let items = rel::list(&c.ctx.db, me, kind, None, limit).await?.items;
    Ok(match page {
        Some((i, s)) => page_slice(items, i, s),
        None => items,
    })
}

pub async fn attention_add(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = to_user(c)?;
    let r = rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &Op::Follow(String::new())).await?;
    Ok(Reply::data(json!({"type": add_type(r.outcome), "toUserId": to.0})))
}

/// Follows each listed user; unknown users, yourself and users who blacklisted you are
/// skipped and reported with type 5 (the Shiku client's "follow failed").
pub async fn attention_batch_add(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let ids = c.params.list("toUserIds")?;
    if ids.is_empty() {
        return Err(AppError::missing("toUserIds"));
    }
    if ids.len() > MAX_BATCH {
        return Err(AppError::invalid("toUserIds", format!("at most {MAX_BATCH} ids")));
    }
    let mut uids = ids.iter().map(|s| UserId::parse("toUserIds", s)).collect::<AppResult<Vec<_>>>()?;
    uids.dedup();
    let mut out = vec![];
    let follow = Op::Follow(String::new());
    for to in uids {
        let t = match rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &follow).await {
            Ok(r) => add_type(r.outcome),
            Err(AppError::Refused { .. } | AppError::NotFound(_) | AppError::InvalidParam { .. }) => ADD_FAILED,
            Err(e) => return Err(e),
        };
        out.push(json!({"toUserId": to.0, "type": t}));
    }
    Ok(Reply::data(Value::Array(out)))
}

/// `/friends/add` (Shiku calls it to add a friend, after the other passed verification or
/// directly: the same rules as attention/add), `/friends/attention/delete`, `/friends/delete`,
/// `/friends/blacklist/add`, `/friends/blacklist/delete`: `op` on my relation with `toUserId`,
/// empty reply.
pub async fn relation_op(c: &Call<'_>, op: Op) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = to_user(c)?;
    rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &op).await?;
    Ok(Reply::empty())
}

/// Befriend the system account (10000, the only one accepted).
pub async fn add_system(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = match c.params.str("toUserId")? {
        Some(s) => UserId::parse("toUserId", &s)?,
        None => SYSTEM_UID,
    };
    if to != SYSTEM_UID {
        return Err(AppError::invalid("toUserId", "only the system account 10000"));
    }
    let r = rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &Op::Follow(String::new())).await?;
    Ok(Reply::data(json!({"type": add_type(r.outcome)})))
}

async fn patch(c: &Call<'_>, patch: Patch) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = to_user(c)?;
    let r = rel::apply(&c.ctx.db, c.ctx.now_ms(), me, to, &Op::Patch(patch, FOLLOWING)).await?;
    Ok(Reply::data(r.mine.as_ref().map(friend_json).unwrap_or(Value::Null)))
}

/// `chatRecordTimeOut`: days (1 hour = 0.04), -1 = forever.
pub async fn update(c: &Call<'_>) -> AppResult<Reply> {
    let t = c.params.f64("chatRecordTimeOut")?;
    if t.is_some_and(|t| t != -1.0 && !(t > 0.0 && t <= 36500.0)) {
        return Err(AppError::invalid("chatRecordTimeOut", "-1 or a number of days"));
    }
    patch(c, Patch { chat_record_timeout: t, ..Default::default() }).await
}

/// `remarkName` (an empty value clears the remark).
pub async fn remark(c: &Call<'_>) -> AppResult<Reply> {
    if c.params.raw("remarkName").is_none() {
        return Err(AppError::missing("remarkName"));
    }
    let remark = c.params.str_max("remarkName", 64)?.unwrap_or_default();
    patch(c, Patch { remark: Some(remark), ..Default::default() }).await
}

/// `type` 0 no push (DND), 1 burn after reading, 2 pin the chat; `offlineNoPushMsg` 0/1.
pub async fn offline_no_push(c: &Call<'_>) -> AppResult<Reply> {
    let on = match c.params.req_i64("offlineNoPushMsg")? {
        0 => false,
        1 => true,
        _ => return Err(AppError::invalid("offlineNoPushMsg", "must be 0 or 1")),
    };
    let mut p = Patch::default();
    match c.params.i64_in("type", 0, 2, 0)? {
        0 => p.offline_no_push_msg = Some(on),
        1 => p.is_open_snapchat = Some(on),
        _ => p.is_open_top_chat = Some(on),
    }
    patch(c, p).await
}

pub async fn blacklist(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let list = relations(c, me, ListKind::Blacklist, paging(c, None)?).await?;
    Ok(Reply::data(list.iter().map(friend_json).collect()))
}

/// Fans: one Query of GSI1 `FANS#<me>`, one BatchGetItem for their nicknames (none if no fans).
pub async fn fans(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    own(c, me)?;
    let page = paging(c, None)?;
    let limit = page.map(|(i, s)| (i + 1) * s);
    let mut items = rel::fans(&c.ctx.db, me, None, limit).await?.items;
    if let Some((i, s)) = page {
        items = page_slice(items, i, s);
    }
    let uids: Vec<UserId> = items.iter().map(|r| r.owner).collect();
    let nicknames = rel::nicknames(&c.ctx.db, &uids).await?;
    let out: Vec<Value> = items.iter().map(|r| fan_json(me, r, nicknames.get(&r.owner).map(String::as_str))).collect();
    Ok(Reply::data(Value::Array(out)))
}

/// `status` 0 (default) everyone I follow, friends included; 1 one-way follows; 2 friends.
pub async fn attention_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    own(c, me)?;
    let kind = match c.params.i64_in("status", 0, 2, 0)? {
        1 => ListKind::FollowOnly,
        2 => ListKind::Friends,
        _ => ListKind::Following,
    };
    let list = relations(c, me, kind, paging(c, None)?).await?;
    Ok(Reply::data(list.iter().map(friend_json).collect()))
}

/// My relation to `toUserId`; none (or another user's `userId`) is not found.
pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let to = to_user(c)?;
    if let Some(u) = c.params.str("userId")? {
        if UserId::parse("userId", &u)? != me {
            return Err(AppError::not_found(format!("friend {to}")));
        }
    }
    let r = rel::get(&c.ctx.db, me, to).await?.ok_or_else(|| AppError::not_found(format!("friend {to}")))?;
    Ok(Reply::data(friend_json(&r)))
}

/// All friends (one Query), optionally filtered by `keyword` (nickname, remark or id).
pub async fn list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    own(c, me)?;
    let keyword = c.params.str_max("keyword", 64)?;
    let page = paging(c, None)?;
    let list = match (&keyword, page) {
        (None, p) => relations(c, me, ListKind::Friends, p).await?,
        (Some(_), p) => {
            let all: Vec<Relation> =
                relations(c, me, ListKind::Friends, None).await?.into_iter().filter(|r| matches(r, &keyword)).collect();
            match p {
                Some((i, s)) => page_slice(all, i, s),
                None => all,
            }
        }
    };
    Ok(Reply::data(list.iter().map(friend_json).collect()))
}

/// Friends page by page (`pageIndex` from 0, `pageSize` default 20), optional `keyword`.
pub async fn page(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    own(c, me)?;
    let keyword = c.params.str_max("keyword", 64)?;
    let (i, s) = paging(c, Some(20))?.unwrap_or((0, 20));
    let list = if keyword.is_some() {
        let all: Vec<Relation> =
            relations(c, me, ListKind::Friends, None).await?.into_iter().filter(|r| matches(r, &keyword)).collect();
        page_slice(all, i, s)
    } else {
        relations(c, me, ListKind::Friends, Some((i, s))).await?
    };
    Ok(Reply::data(list.iter().map(friend_json).collect()))
}

/// `type` "friendList": ids of friends and one-way follows; "blackList": blacklisted ids.
pub async fn friends_and_attention(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    own(c, me)?;
    let kind = match c.params.req_str("type")?.as_str() {
        "friendList" => ListKind::Following,
        "blackList" => ListKind::Blacklist,
        _ => return Err(AppError::invalid("type", "friendList or blackList")),
    };
    let list = relations(c, me, kind, None).await?;
    Ok(Reply::data(list.iter().map(|r| json!(r.other.0)).collect()))
}

/// Friend requests I received, newest first (`pageIndex` 0, `pageSize` 10 by default).
pub async fn new_friends(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    own(c, me)?;
    let (i, s) = paging(c, Some(10))?.unwrap_or((0, 10));
    let items = rel::requests(&c.ctx.db, me, None, Some((i + 1) * s)).await?.items;
    Ok(Reply::data(page_slice(items, i, s).iter().map(new_friend_json).collect()))
}
