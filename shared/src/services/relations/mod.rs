//! Relations between two users: friend, follow, block, requests, remark — the one place these
//! rules live, called by every dialect (Shiku `/friends/*`, SealTalk `friendship/*`, Minxing
//! subscriptions).
//!
//! A change reads the pair once (`store::relations::pair::load`), decides with a pure rule
//! ([`rules`]) and writes everything, plus the live events, in one transaction conditioned on
//! the versions it read (optimistic concurrency, retried on a lost race): two DynamoDB calls
//! when something changes, one when nothing does.

pub mod rules;

use crate::domain::relations::{Op, Outcome, Relation};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::realtime::frames;
use crate::store::relations::pair::{self, Versions, Writes};
use crate::store::users::{self, User};
use crate::store::{profiles, settings, Db};
use std::collections::HashMap;

pub use crate::domain::relations::{ListKind, Patch, ReqState, Request, Status};
/// Tombstones (kinds `gone::FRIEND`, `BLOCK`, `GROUP`), read by [`gone_since`].
pub use crate::store::gone::{self, Gone};
pub use crate::store::relations::{fans, get, is_blocked, list, refresh_profile, requests, Page};
pub use rules::{Edit, Pair, REFUSED_BLOCKED, REFUSED_BY_TARGET};

/// The result of a change: what happened and my relation to the other afterwards.
#[derive(Debug, Clone)]
pub struct Changed {
    pub outcome: Outcome,
    pub mine: Option<Relation>,
    pub other: User,
}

/// Apply one [`Op`] of `me` on their relation with `other`.
pub async fn apply(db: &Db, now: i64, me: UserId, other: UserId, op: &Op) -> AppResult<Changed> {
    change(db, now, me, other, |p, now| rules::decide(p, now, op)).await
}

/// Read the pair, decide with `op`, write the result; retried when a concurrent change wins.
/// Unknown `other` → NotFound; `other == me` → InvalidParam. Two calls when something changes
/// (BatchGetItem + TransactWriteItems), one when nothing does.
pub async fn change<F>(db: &Db, now: i64, me: UserId, other: UserId, op: F) -> AppResult<Changed>
where
    F: Fn(&Pair, i64) -> AppResult<Edit>,
{
    if me == other {
        return Err(AppError::invalid("toUserId", "cannot be yourself"));
    }
    for _ in 0..4 {
        let p = load(db, me, other).await?;
        let edit = op(&p, now)?;
        let outcome = edit.outcome.unwrap_or(Outcome::Done);
        let gone = [(&p.mine, &edit.mine), (&p.theirs, &edit.theirs)]
            .into_iter()
            .filter_map(|(before, after)| Some((before.as_ref()?, after.as_ref()?)))
            .flat_map(|(before, after)| tombstones(before, after.as_ref(), now))
            .collect();
        let events = edit
            .events
            .iter()
            .map(|(to, kind, extra)| {
                (*to, frames::friend_event(kind, p.me.uid, &p.me.nickname, *to, now, extra).to_string())
            })
            .collect();
        let w = Writes {
            mine: edit.mine,
            theirs: edit.theirs,
            req_to_me: edit.req_to_me,
            req_to_them: edit.req_to_them,
            events,
            gone,
        };
        let v = Versions {
            me,
            other,
            mine: p.mine.as_ref().map(|r| r.ver),
            theirs: p.theirs.as_ref().map(|r| r.ver),
            req_to_me: p.req_to_me.as_ref().map(|r| r.ver),
            req_to_them: p.req_to_them.as_ref().map(|r| r.ver),
        };
        if pair::commit(db, now, &v, &w).await? {
            let mine = match w.mine {
                Some(x) => x,
                None => p.mine,
            };
            return Ok(Changed { outcome, mine, other: p.other });
        }
    }
    Err(AppError::Conflict("the relation changed concurrently; try again".into()))
}

/// What `before.owner` lost when their relation became `after` (None: deleted): a friendship
/// that ended, a block that was lifted. SealTalk's sync reports them (friend status 30,
/// blacklist `status:false`); no list reads them.
pub fn tombstones(before: &Relation, after: Option<&Relation>, now: i64) -> Vec<(UserId, Gone)> {
    let mut out = vec![];
    let tomb = |kind: &str| Gone {
        kind: kind.to_string(),
        other: before.other.to_string(),
        at: now,
        name: after.map_or(&before.to_nickname, |a| &a.to_nickname).clone(),
        avatar: after.map_or(&before.to_avatar, |a| &a.to_avatar).clone(),
        role: String::new(),
    };
    if before.status == Status::Friends && after.is_none_or(|a| a.status != Status::Friends) {
        out.push((before.owner, tomb(gone::FRIEND)));
    }
    if before.blacklist && after.is_none_or(|a| !a.blacklist) {
        out.push((before.owner, tomb(gone::BLOCK)));
    }
    out
}

/// Every tombstone of `me` newer than `since` (one Query): what SealTalk's sync reports as
/// removed (ended friendships, unblocks, groups left).
pub async fn gone_since(db: &Db, me: UserId, since: i64, now_secs: i64) -> AppResult<Vec<Gone>> {
    gone::of_user(db, me, since, now_secs).await
}

/// The pair as read (one consistent BatchGetItem): unknown `me` or `other` → NotFound.
async fn load(db: &Db, me: UserId, other: UserId) -> AppResult<Pair> {
    let r = pair::load(db, me, other, [profiles::key(me), profiles::key(other)], settings::key(other)).await?;
    let Some(me_u) = r.me_profile.as_ref().and_then(users::from_item) else {
        return Err(AppError::not_found(format!("user {me}")));
    };
    let Some(other_u) = r.other_profile.as_ref().and_then(users::from_item) else {
        return Err(AppError::not_found(format!("user {other}")));
    };
    Ok(Pair {
        me: me_u,
        other: other_u,
        mine: r.mine,
        theirs: r.theirs,
        req_to_me: r.req_to_me,
        req_to_them: r.req_to_them,
        other_verify: r.other_verify,
        other_allows: r.other_allows,
    })
}

/// Nicknames of many users by id (⌈n/100⌉ BatchGetItem calls, none for an empty list);
/// unknown users are absent.
pub async fn nicknames(db: &Db, uids: &[UserId]) -> AppResult<HashMap<UserId, String>> {
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::get_many(db, uids).await?.into_iter().map(|u| (u.uid, u.nickname)).collect())
}

/// Pageable lists on top of a cursor list (`pageIndex`/`pageSize`): one Query of
/// (pageIndex+1)·pageSize items, the earlier pages dropped.
pub fn page_slice<T>(mut items: Vec<T>, page_index: usize, page_size: usize) -> Vec<T> {
    let start = (page_index * page_size).min(items.len());
    let mut rest = items.split_off(start);
    rest.truncate(page_size);
    rest
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod page_tests {
    use super::*;

    #[test]
    fn pages() {
        assert_eq!(page_slice(vec![1, 2, 3, 4, 5], 1, 2), vec![3, 4]);
        assert!(page_slice(vec![1, 2], 3, 2).is_empty());
    }
}
