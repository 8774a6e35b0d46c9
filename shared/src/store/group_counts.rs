//! Conditional counters of group membership, moved in the same transaction as the MEMBER
//! items they count: every user's group counter (`USER#<uid>/GROUPS` `groupCount`, capped at
//! [`max_groups`]) and a group's META `memberCount` (capped by the room's capacity).

use super::keys;
use super::{n, Db, Item, ItemExt};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

/// Join or creation refused: the user is in [`max_groups`] groups already.
pub use crate::error::refused::TOO_MANY_GROUPS as REFUSED_TOO_MANY_GROUPS;

/// Most groups one user may be in (env `MAX_GROUPS_PER_USER`, default 2000): it bounds the
/// per-group work of `$connect`. The counter's condition holds it, so the store knows it.
pub fn max_groups() -> i64 {
    static CAP: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *CAP.get_or_init(|| {
        std::env::var("MAX_GROUPS_PER_USER").ok().and_then(|v| v.parse().ok()).filter(|v| *v > 0).unwrap_or(2000)
    })
}

/// The refusal of a counter that is at [`max_groups`].
pub fn too_many_groups(uid: UserId) -> AppError {
    AppError::Refused {
        code: REFUSED_TOO_MANY_GROUPS,
        message: format!("user {uid} is in {} groups already", max_groups()),
    }
}

pub(crate) fn groups_key(uid: UserId) -> Item {
    Db::key(keys::user_pk(uid), keys::GROUPS_SK)
}

/// The user's group counter moved by `delta`; `capped`: only while below [`max_groups`].
pub(crate) fn counter(db: &Db, uid: UserId, delta: i64, capped: bool) -> TransactWriteItem {
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(groups_key(uid)))
        .update_expression("ADD groupCount :d")
        .expression_attribute_values(":d", n(delta));
    if capped {
        u = u
            .condition_expression("attribute_not_exists(groupCount) OR groupCount < :cap")
            .expression_attribute_values(":cap", n(max_groups()));
    }
    TransactWriteItem::builder().update(u.build().expect("key and expression set")).build()
}

/// How many groups the user is in (one GetItem).
pub async fn group_count(db: &Db, uid: UserId) -> AppResult<i64> {
    Ok(db.get(keys::user_pk(uid), keys::GROUPS_SK).await?.and_then(|it| it.i64("groupCount")).unwrap_or(0))
}

/// Set the counter (operators and tests; the request paths only move it).
pub async fn set_group_count(db: &Db, uid: UserId, count: i64) -> AppResult<()> {
    let mut it = groups_key(uid);
    it.insert("groupCount".into(), n(count));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(())
}

/// META `memberCount` moved by `delta`, only while the group exists and, with `max`, while
/// it stays within `max` members (joins, invitations, leaves all count through this).
pub(crate) fn member_count(db: &Db, cid: &str, delta: i64, max: Option<i64>) -> TransactWriteItem {
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(keys::conv_pk(cid), keys::META_SK)))
        .update_expression("ADD memberCount :n")
        .expression_attribute_values(":n", n(delta));
    u = match max {
        Some(max) => u
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(memberCount) OR memberCount <= :room)",
            )
            .expression_attribute_values(":room", n(max - delta)),
        None => u.condition_expression("attribute_exists(pk)"),
    };
    TransactWriteItem::builder().update(u.build().expect("key and expressions set")).build()
}
