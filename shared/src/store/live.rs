//! Live connection ids on group MEMBER items (`conns`, a string set), so delivering a group
//! message is one member Query whatever the number of connections in the table: no read per
//! member, no Scan (docs/realtime.md "Fan-out"). 1:1 conversations keep using the two users'
//! presence items (`USER#<uid>/CONNS`, store/connections.rs).
//!
//! Kept in step from both sides. `$connect` / `$disconnect` / 410 Gone add or remove the
//! connection on every group membership of the user (one GSI1 Query + one UpdateItem per
//! group). A member added to a group gets the connections the user has at that moment (one
//! consistent BatchGetItem of presence per 100 added). Each side writes first and reads
//! after, so a join racing a connect is seen by at least one of them (except within the GSI1
//! propagation delay, see docs/realtime.md). A connection id left behind by a lost
//! `$disconnect` answers 410 at the next post and is removed then.

use super::keys::{conv_pk as pk, member_sk};
use super::{applied, Db, Item, ItemExt, GSI1};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::stream::{StreamExt, TryStreamExt};
use std::collections::HashMap;

/// UpdateItems in flight when a connection is added to or removed from many groups.
const IN_FLIGHT: usize = 16;

pub use crate::domain::chat::is_group;
pub use crate::domain::chat::{FanMember, RECENT_JOIN_MS};

/// Members with their DND flag and live connections: one Query page per ~1 MB
/// (a 1000-member room with a few connections each is one page).
pub async fn members(db: &Db, cid: &str) -> AppResult<Vec<FanMember>> {
    let items =
        super::query_all(db, None, pk(cid), Some("MEMBER#"), Some("uid, offlineNoPushMsg, conns, joinedAt")).await?;
    Ok(items
        .iter()
        .filter_map(|it| {
            Some(FanMember {
                uid: UserId(it.i64("uid")?),
                dnd: it.i64("offlineNoPushMsg") == Some(1),
                conns: it.strings("conns"),
                joined_at: it.i64("joinedAt").unwrap_or(0),
            })
        })
        .collect())
}

/// Group ids the user is a member of (one GSI1 Query, keys only).
async fn groups_of(db: &Db, uid: UserId) -> AppResult<Vec<String>> {
    let items = super::query_all(db, Some(GSI1), super::keys::user_convs_gsi1(uid), None, Some("gsi1sk")).await?;
    Ok(items.iter().filter_map(|it| it.str("gsi1sk")).filter(|c| is_group(c)).map(str::to_string).collect())
}

/// ADD (or DELETE) connection ids on one member item, only if the membership exists.
async fn set_conns(db: &Db, cid: &str, uid: UserId, conns: Vec<String>, attach: bool) -> AppResult<bool> {
    let action = if attach { "ADD" } else { "DELETE" };
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), member_sk(uid))))
        .update_expression(format!("{action} conns :c"))
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":c", AttributeValue::Ss(conns))
        .send()
        .await;
    applied(r)
}

/// Add (`attach`) or remove a connection on every group membership of `uid`.
/// Returns the number of member items changed.
pub async fn set_on_groups(db: &Db, uid: UserId, conn_id: &str, attach: bool) -> AppResult<usize> {
    let groups = groups_of(db, uid).await?;
    let changed: Vec<bool> = futures_util::stream::iter(groups)
        .map(|cid| async move { set_conns(db, &cid, uid, vec![conn_id.to_string()], attach).await })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(changed.into_iter().filter(|c| *c).count())
}

/// Live connections of `uids` now (consistent reads of their presence items): written into
/// new member items, so an event in the same transaction reaches them.
pub async fn presence_of(db: &Db, uids: &[UserId]) -> AppResult<HashMap<UserId, Vec<String>>> {
    of_users_consistent(db, uids).await
}

/// A user's presence item `USER#<uid>` / `CONNS` (the set `c` of connection ids, store/connections.rs).
pub fn presence_key(uid: UserId) -> Item {
    let (pk, sk) = super::keys::presence(uid);
    Db::key(pk, sk)
}

/// Connection ids of each user that has any (⌈users/100⌉ BatchGetItem calls,
/// up to 10 in flight at once, all on the caller's task).
pub async fn of_users(db: &Db, uids: &[UserId]) -> AppResult<HashMap<UserId, Vec<String>>> {
    of_users_with(db, uids, false).await
}

/// [`of_users`] with strongly consistent reads (a join must see a connect that just happened).
pub async fn of_users_consistent(db: &Db, uids: &[UserId]) -> AppResult<HashMap<UserId, Vec<String>>> {
    of_users_with(db, uids, true).await
}

async fn of_users_with(db: &Db, uids: &[UserId], consistent: bool) -> AppResult<HashMap<UserId, Vec<String>>> {
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    let keys: Vec<Item> = uids.iter().map(|u| presence_key(*u)).collect();
    let chunks: Vec<Vec<Item>> = keys.chunks(100).map(<[Item]>::to_vec).collect();
    let pages: Vec<Vec<Item>> = futures_util::stream::iter(chunks)
        .map(|keys| async move {
            if consistent {
                super::batch_get_consistent(db, keys).await
            } else {
                super::batch_get(db, keys).await
            }
        })
        .buffer_unordered(10)
        .try_collect()
        .await?;
    Ok(pages
        .iter()
        .flatten()
        .filter_map(|it| {
            let uid = UserId(it.i64("uid")?);
            let c = it.strings("c");
            (!c.is_empty()).then_some((uid, c))
        })
        .collect())
}

/// A new member item of group `cid` with the connections `live` knows for its user.
pub fn with_conns(mut item: Item, cid: &str, uid: UserId, live: &HashMap<UserId, Vec<String>>) -> Item {
    if let Some(c) = live.get(&uid).filter(|_| is_group(cid)) {
        item.insert("conns".into(), AttributeValue::Ss(c.clone()));
    }
    item
}

/// After `uids` were added to group `cid` (their items written with `known`, the presence read
/// before the write): read presence again and add connections made meanwhile (usually none,
/// so no write).
pub async fn attach_new_members(
    db: &Db,
    cid: &str,
    uids: &[UserId],
    known: &HashMap<UserId, Vec<String>>,
) -> AppResult<()> {
    if !is_group(cid) || uids.is_empty() {
        return Ok(());
    }
    let now = presence_of(db, uids).await?;
    let newer: Vec<(UserId, Vec<String>)> = now
        .into_iter()
        .filter_map(|(uid, conns)| {
            let old = known.get(&uid);
            let fresh: Vec<String> = conns.into_iter().filter(|c| !old.is_some_and(|o| o.contains(c))).collect();
            (!fresh.is_empty()).then_some((uid, fresh))
        })
        .collect();
    futures_util::stream::iter(newer)
        .map(|(uid, conns)| async move { set_conns(db, cid, uid, conns, true).await })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<Vec<bool>>()
        .await?;
    Ok(())
}
