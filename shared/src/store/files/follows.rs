//! Followed files: `USER#<uid>/FOLLOWFILE#<fid>` (`createdAt`). File ids are time-ordered,
//! so a descending Query of the prefix lists the newest files first.

use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::keys::{conv_pk, followfile_sk, member_sk, user_pk, FOLLOWFILE_PREFIX};
use crate::store::{applied, failed_conditions, n, s, Db, Item, ItemExt};
use aws_sdk_dynamodb::types::{ConditionCheck, Put, ReturnValue, TransactWriteItem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowOutcome {
    New,
    Existing,
    /// The room check failed: `me` is not a member (the caller decides whether that matters).
    NotMember,
}

fn follow_item(me: UserId, fid: &str, now_ms: i64) -> Item {
    let mut it = Db::key(user_pk(me), followfile_sk(fid));
    it.insert("createdAt".into(), n(now_ms));
    it
}

/// Follow a file; true when the follow is new. One conditional PutItem.
pub async fn follow(db: &Db, me: UserId, fid: &str, now_ms: i64) -> AppResult<bool> {
    applied(
        db.client
            .put_item()
            .table_name(&db.table)
            .set_item(Some(follow_item(me, fid, now_ms)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await,
    )
}

/// Follow a file of `room` only while `me` is a member: one TransactWriteItems (a membership
/// ConditionCheck and the conditional follow Put).
pub async fn follow_in_room(db: &Db, me: UserId, fid: &str, room: &str, now_ms: i64) -> AppResult<FollowOutcome> {
    let check = ConditionCheck::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(conv_pk(room), member_sk(me))))
        .condition_expression("attribute_exists(pk)")
        .build()
        .map_err(AppError::internal)?;
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(follow_item(me, fid, now_ms)))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(AppError::internal)?;
    let r = db
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .transact_items(TransactWriteItem::builder().put(put).build())
        .send()
        .await;
    match r {
        Ok(_) => Ok(FollowOutcome::New),
        Err(e) => match failed_conditions(&e) {
            Some(failed) if failed.iter().any(|(i, _)| *i == 0) => Ok(FollowOutcome::NotMember),
            Some(failed) if !failed.is_empty() => Ok(FollowOutcome::Existing),
            _ => Err(e.into()),
        },
    }
}

/// Stop following; true when there was a follow. One DeleteItem.
pub async fn unfollow(db: &Db, me: UserId, fid: &str) -> AppResult<bool> {
    let out = db
        .client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(user_pk(me), followfile_sk(fid))))
        .return_values(ReturnValue::AllOld)
        .send()
        .await?;
    Ok(out.attributes.is_some())
}

/// One page of the ids of the files `me` follows, newest file first; the cursor is the last
/// id of the previous page. One Query.
pub async fn follows_page(
    db: &Db,
    me: UserId,
    cursor: Option<&str>,
    limit: usize,
) -> AppResult<(Vec<String>, Option<String>)> {
    let start = match cursor {
        None => None,
        Some(c) if super::valid_id(c) => Some(Db::key(user_pk(me), followfile_sk(c))),
        Some(_) => return Err(AppError::invalid("cursor", "unknown cursor")),
    };
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND begins_with(sk, :f)")
        .expression_attribute_values(":p", s(user_pk(me)))
        .expression_attribute_values(":f", s(FOLLOWFILE_PREFIX))
        .scan_index_forward(false)
        .limit(limit as i32)
        .set_exclusive_start_key(start)
        .send()
        .await?;
    let ids: Vec<String> =
        out.items().iter().filter_map(|it| it.str("sk")?.strip_prefix(FOLLOWFILE_PREFIX).map(str::to_string)).collect();
    let next = match (&out.last_evaluated_key, ids.last()) {
        (Some(_), Some(last)) if ids.len() == limit => Some(last.clone()),
        _ => None,
    };
    Ok((ids, next))
}
