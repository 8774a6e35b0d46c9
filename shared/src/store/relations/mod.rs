//! Relations between two users (friend / follow / blacklist) and friend requests: DynamoDB
//! only (the types are `domain::relations`, the rules `services::relations`).
//!
//! One relation per ordered pair: `USER#<a>` / `REL#<b>` says how `a` stands to `b`:
//! `status` 0 stranger, 1 a follows b, 2 friends (both sides are 2), `blacklist` (a blocked b),
//! remark, per-chat flags, and b's nickname/avatar so lists need no per-friend reads.
//! Indexes (sparse, recomputed on every write):
//! - GSI1 `FANS#<b>` / `<a:012>` while a follows b (status ≥ 1): fans list = one Query.
//! - GSI2 `RELS#<a>` / `1#<b:012>` following only, `2#<b:012>` friend, `X#<b:012>` blocked,
//!   `P#<b:012>` subscribed to the public account b (`ocu`): friend list, following list,
//!   blacklist, subscriptions = one Query page each.
//!
//! A friend request from `f` to `t` is `USER#<t>` / `NEWFRIEND#<f>` (one per pair, state
//! pending/accepted/ignored) with GSI2 `NEWFRIENDS#<t>` / `<time:013>#<f:012>` (newest first),
//! see [`requests`].
//!
//! Every change reads the pair once ([`pair::load`]: one consistent BatchGetItem of both
//! profiles, both relations, both requests, the target's settings) and writes the result,
//! plus the live events, in one TransactWriteItems conditioned on the versions it read
//! ([`pair::commit`]). Profile and settings keys are the caller's (accounts), so this module
//! imports no other entity.

pub mod lists;
pub mod pair;
pub mod requests;

use super::keys::{fans_gsi1pk, fans_gsi1sk, rel_pk, rel_sk, rels_gsi2pk, rels_gsi2sk, SUBSCRIPTION_TAG};
use super::{is_condition_failure, n, s, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::AttributeValue;

// The types, where code has always found them.
pub use crate::domain::relations::{
    ListKind, Outcome, Patch, Relation, ReqState, Request, Status, FOLLOWING, FRIENDS, MAX_MESSAGE, MAX_REMARK,
    STRANGER, SYSTEM_UID,
};
pub use lists::{fans, list, Page};
pub use pair::{Read, Versions, Writes};
pub use requests::requests;

/// Live events (`EVENT#<uid>` items) are kept one day.
pub const EVENT_TTL_SECS: i64 = 86_400;

fn pk(uid: UserId) -> String {
    rel_pk(uid)
}

/// Key of `owner`'s relation to `other` (push DND checks read it in a BatchGetItem).
pub fn key(owner: UserId, other: UserId) -> Item {
    Db::key(pk(owner), rel_sk(other))
}

fn rel_item(r: &Relation) -> Item {
    let mut it = Db::key(pk(r.owner), rel_sk(r.other));
    it.insert("uid".into(), n(r.owner.0));
    it.insert("toUid".into(), n(r.other.0));
    it.insert("status".into(), n(r.status.code()));
    it.insert("blacklist".into(), AttributeValue::Bool(r.blacklist));
    it.insert("remarkName".into(), s(&r.remark));
    it.insert("toNickname".into(), s(&r.to_nickname));
    if let Some(a) = &r.to_avatar {
        it.insert("toAvatar".into(), s(a));
    }
    it.insert("createTime".into(), n(r.create_time));
    it.insert("modifyTime".into(), n(r.modify_time));
    it.insert("offlineNoPushMsg".into(), AttributeValue::Bool(r.offline_no_push_msg));
    it.insert("isOpenSnapchat".into(), AttributeValue::Bool(r.is_open_snapchat));
    it.insert("isOpenTopChat".into(), AttributeValue::Bool(r.is_open_top_chat));
    it.insert("chatRecordTimeOut".into(), n(r.chat_record_timeout));
    it.insert("ver".into(), n(r.ver));
    if r.ocu {
        it.insert("ocu".into(), AttributeValue::Bool(true));
    }
    if r.status >= FOLLOWING {
        it.insert("gsi1pk".into(), s(fans_gsi1pk(r.other)));
        it.insert("gsi1sk".into(), s(fans_gsi1sk(r.owner)));
    }
    let tag = if r.blacklist {
        Some("X")
    } else {
        match r.status {
            Status::Friends => Some("2"),
            Status::Following if r.ocu => Some(SUBSCRIPTION_TAG),
            Status::Following => Some("1"),
            Status::Stranger => None,
        }
    };
    if let Some(t) = tag {
        it.insert("gsi2pk".into(), s(rels_gsi2pk(r.owner)));
        it.insert("gsi2sk".into(), s(rels_gsi2sk(t, r.other)));
    }
    it
}

pub fn rel_from(it: &Item) -> Option<Relation> {
    Some(Relation {
        owner: UserId(it.i64("uid")?),
        other: UserId(it.i64("toUid")?),
        status: Status::from_code(it.i64("status")),
        blacklist: it.bool("blacklist").unwrap_or(false),
        remark: it.string("remarkName"),
        to_nickname: it.string("toNickname"),
        to_avatar: it.str("toAvatar").map(str::to_string),
        create_time: it.i64("createTime").unwrap_or(0),
        modify_time: it.i64("modifyTime").unwrap_or(0),
        offline_no_push_msg: it.bool("offlineNoPushMsg").unwrap_or(false),
        is_open_snapchat: it.bool("isOpenSnapchat").unwrap_or(false),
        is_open_top_chat: it.bool("isOpenTopChat").unwrap_or(false),
        chat_record_timeout: it.f64("chatRecordTimeOut").unwrap_or(-1.0),
        ver: it.i64("ver").unwrap_or(0),
        ocu: it.bool("ocu").unwrap_or(false),
    })
}

/// My relation to `other` (one GetItem).
pub async fn get(db: &Db, me: UserId, other: UserId) -> AppResult<Option<Relation>> {
    Ok(db.get(pk(me), rel_sk(other)).await?.as_ref().and_then(rel_from))
}

/// Has `owner` blacklisted `other`? (the 1:1 send path: one GetItem)
pub async fn is_blocked(db: &Db, owner: UserId, other: UserId) -> AppResult<bool> {
    Ok(get(db, owner, other).await?.is_some_and(|r| r.blacklist))
}

/// After `uid` renamed or changed avatar: refresh the denormalised copy on the relations of
/// everyone who follows or befriended `uid` (Query GSI1 `FANS#<uid>` + one UpdateItem each;
/// blacklist-only relations keep the old name until their next change). Returns how many.
pub async fn refresh_profile(db: &Db, uid: UserId, nickname: &str, avatar: Option<&str>) -> AppResult<usize> {
    let items = lists::fans(db, uid, None, None).await?.items;
    let mut done = 0;
    for r in items {
        let mut u = db
            .client
            .update_item()
            .table_name(&db.table)
            .set_key(Some(key(r.owner, uid)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":n", s(nickname))
            .expression_attribute_values(":one", n(1));
        // `ver` moves so a concurrent change (which rewrites the whole item) retries with the new name.
        u = match avatar {
            Some(a) => u
                .update_expression("SET toNickname = :n, toAvatar = :a ADD ver :one")
                .expression_attribute_values(":a", s(a)),
            None => u.update_expression("SET toNickname = :n REMOVE toAvatar ADD ver :one"),
        };
        match u.send().await {
            Ok(_) => done += 1,
            Err(e) if is_condition_failure(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keys_follow_the_state() {
        let mut r = Relation::new(UserId(1), UserId(2), "B", None, 0);
        assert!(!rel_item(&r).contains_key("gsi1pk"));
        r.status = FRIENDS;
        let it = rel_item(&r);
        assert_eq!(it.str("gsi1pk"), Some("FANS#2"));
        assert_eq!(it.str("gsi1sk"), Some("000000000001"));
        assert_eq!(it.str("gsi2pk"), Some("RELS#1"));
        assert_eq!(it.str("gsi2sk"), Some("2#000000000002"));
        r.blacklist = true;
        assert_eq!(rel_item(&r).str("gsi2sk"), Some("X#000000000002"));
        assert_eq!(rel_from(&rel_item(&r)).unwrap(), r);
        assert_eq!(key(UserId(1), UserId(2)).get("sk"), Some(&s("REL#2")));
        let sub = Relation { status: FOLLOWING, ocu: true, ..Relation::new(UserId(1), UserId(9), "Acc", None, 0) };
        let it = rel_item(&sub);
        assert_eq!((it.str("gsi2sk"), it.str("gsi1pk")), (Some("P#000000000009"), Some("FANS#9")));
        assert_eq!(rel_from(&it).unwrap(), sub);
    }
}
