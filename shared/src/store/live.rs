//! Live connection ids on the MEMBER items of large rooms (`conns`, a string set), so
//! delivering a message to a room of 1000 or 10 000 members is one member Query whatever the
//! number of connections in the table: no read per member, no Scan (docs/realtime.md
//! "Fan-out", "Scale"). Everyone else — 1:1 chats, rooms of at most [`LARGE_ROOM`] members,
//! members of a large room not stamped yet — is reached through their presence item
//! (`USER#<uid>/CONNS`, store/connections.rs): one BatchGetItem per 100 members at fan-out.
//!
//! A member item is *stamped* (`stampedAt`, GSI2 `UCONVL#<uid>` / cid) by the stamping job
//! of its room (services::live_members), started by delivery when it meets a large room
//! with unstamped members. `$connect` / `$disconnect` / 410 Gone add or remove the
//! connection on the user's stamped memberships only (one GSI2 Query + one UpdateItem per
//! large room), so a user in 2000 small groups connects with O(1) calls. The stamper writes
//! the stamp first and reads presence after, the connect writes presence first and queries
//! after, so each connection is seen by at least one side (except within the GSI2
//! propagation delay: fan-out reads the presence of members stamped in the last seconds
//! that show none, [`RECENT_STAMP_MS`]). A connection id left behind by a lost
//! `$disconnect` answers 410 at the next post and is removed then.

use super::keys::{conv_of_pk, conv_pk as pk, member_sk, stamp_gsi2sk, user_live_convs_gsi2};
use super::{applied, s, Db, Item, ItemExt, GSI2};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::stream::{StreamExt, TryStreamExt};
use std::collections::HashMap;

/// UpdateItems in flight when a connection is added to or removed from many rooms.
const IN_FLIGHT: usize = 16;

pub use crate::domain::chat::is_group;
pub use crate::domain::chat::{FanMember, LARGE_ROOM, RECENT_STAMP_MS};

fn fan_member(it: &Item) -> Option<FanMember> {
    Some(FanMember {
        uid: UserId(it.i64("uid")?),
        dnd: it.i64("offlineNoPushMsg") == Some(1),
        conns: it.strings("conns"),
        // Stamps written before the stamp time moved into gsi2sk kept it in `stampedAt`.
        stamped_at: it.str("gsi2sk").and_then(|t| t.parse().ok()).or_else(|| it.i64("stampedAt")),
    })
}

const MEMBER_PROJECTION: &str = "uid, offlineNoPushMsg, conns, gsi2sk, stampedAt, sk";

/// Members with their DND flag, stamp and (stamped) live connections: one Query page per
/// ~1 MB (a 1000-member room with a few connections each is one page).
pub async fn members(db: &Db, cid: &str) -> AppResult<Vec<FanMember>> {
    let items = super::query_all(db, None, pk(cid), Some("MEMBER#"), Some(MEMBER_PROJECTION)).await?;
    Ok(items.iter().filter_map(fan_member).collect())
}

/// Members whose sort key is between `from` and `to` (inclusive) with their sort keys, for
/// one part of a chunked fan-out (store/fanout.rs): one Query page per ~1 MB.
pub async fn member_range(db: &Db, cid: &str, from: &str, to: &str) -> AppResult<Vec<(String, FanMember)>> {
    let q = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND sk BETWEEN :a AND :b")
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":a", s(from))
        .expression_attribute_values(":b", s(to))
        .projection_expression(MEMBER_PROJECTION);
    let mut out = vec![];
    let mut pages = q.into_paginator().items().send();
    while let Some(it) = pages.next().await {
        let it = it?;
        if let (Some(sk), Some(m)) = (it.str("sk").map(str::to_string), fan_member(&it)) {
            out.push((sk, m));
        }
    }
    Ok(out)
}

/// One page of at most `limit` members after `cursor` (a member sort key), for the stamping
/// job: (members, the next cursor).
pub async fn member_page(
    db: &Db,
    cid: &str,
    cursor: Option<&str>,
    limit: i32,
) -> AppResult<(Vec<FanMember>, Option<String>)> {
    let mut q = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND begins_with(sk, :m)")
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":m", s("MEMBER#"))
        .projection_expression(MEMBER_PROJECTION)
        .limit(limit);
    if let Some(c) = cursor {
        q = q.exclusive_start_key("pk", s(pk(cid))).exclusive_start_key("sk", s(c));
    }
    let out = q.send().await?;
    let items = out.items.unwrap_or_default();
    let next = out.last_evaluated_key.and_then(|k| k.get("sk").and_then(|v| v.as_s().ok()).cloned());
    Ok((items.iter().filter_map(fan_member).collect(), next))
}

/// Rooms whose member item of `uid` is stamped (one GSI2 Query, keys only).
async fn stamped_rooms_of(db: &Db, uid: UserId) -> AppResult<Vec<String>> {
    let items = super::query_all(db, Some(GSI2), user_live_convs_gsi2(uid), None, Some("pk")).await?;
    Ok(items.iter().filter_map(|it| it.str("pk").and_then(conv_of_pk)).map(str::to_string).collect())
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

/// Add (`attach`) or remove a connection on every stamped membership of `uid`.
/// Returns the number of member items changed.
pub async fn set_on_groups(db: &Db, uid: UserId, conn_id: &str, attach: bool) -> AppResult<usize> {
    let rooms = stamped_rooms_of(db, uid).await?;
    let changed: Vec<bool> = futures_util::stream::iter(rooms)
        .map(|cid| async move { set_conns(db, &cid, uid, vec![conn_id.to_string()], attach).await })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(changed.into_iter().filter(|c| *c).count())
}

/// Stamp `uid`'s member item of room `cid` at `now` (ms): from now on `$connect` and
/// `$disconnect` keep its `conns`, starting with `conns` (their presence, read before).
/// False when the membership is gone.
pub async fn stamp(db: &Db, now: i64, cid: &str, uid: UserId, conns: &[String]) -> AppResult<bool> {
    let mut u = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), member_sk(uid))))
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":g", s(user_live_convs_gsi2(uid)))
        .expression_attribute_values(":t", s(stamp_gsi2sk(now)));
    let mut expr = "SET gsi2pk = :g, gsi2sk = :t".to_string();
    if !conns.is_empty() {
        expr.push_str(" ADD conns :s");
        u = u.expression_attribute_values(":s", AttributeValue::Ss(conns.to_vec()));
    } else {
        // Connections written before stamps existed are stale: start from presence.
        expr.push_str(" REMOVE conns");
    }
    applied(u.update_expression(expr).send().await)
}

/// After stamping `uids` of room `cid` (their items written with `known`, the presence read
/// before): read presence again and add connections made meanwhile (usually none, so no
/// write).
pub async fn attach_new_members(
    db: &Db,
    cid: &str,
    uids: &[UserId],
    known: &HashMap<UserId, Vec<String>>,
) -> AppResult<()> {
    if uids.is_empty() {
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

/// Live connections of `uids` now (consistent reads of their presence items): what a
/// stamp starts from.
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

/// [`of_users`] with strongly consistent reads (a stamp must see a connect that just happened).
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

#[cfg(test)]
mod tests {
    use super::*;

    /// DynamoDB's billed size of an item: attribute names plus values (a number is about one
    /// byte per two significant digits plus one).
    fn billed_size(it: &Item) -> usize {
        let value = |v: &AttributeValue| match v {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.trim_start_matches(['-', '0']).len().div_ceil(2) + 1,
            AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
            other => panic!("unexpected attribute {other:?}"),
        };
        it.iter().map(|(k, v)| k.len() + value(v)).sum()
    }

    /// A large room's fan-out reads every member item; bench (c) asks ≥ 10× fewer RCUs than
    /// the Scan design for 1000 members (277 RCU), so ≤ 27 RCU: ≤ ~220 bytes per member.
    #[test]
    fn a_stamped_member_with_one_connection_stays_small() {
        let (cid, uid, now) = ("0123456789abcdef0123456789abcdef", UserId(10_000_123), 1_764_400_000_000);
        let mut it = crate::store::conversations::member_item(cid, uid, "member", now);
        it.insert("gsi2pk".into(), s(user_live_convs_gsi2(uid)));
        it.insert("gsi2sk".into(), s(stamp_gsi2sk(now)));
        it.insert("conns".into(), AttributeValue::Ss(vec!["L0SM9cOFvHcCIhw0".into()]));
        let size = billed_size(&it);
        assert!(size <= 212, "stamped member item is {size} bytes");
        assert_eq!(fan_member(&it).and_then(|m| m.stamped_at), Some(now));
    }
}
