//! Group conversations in the store: creation (META, owner and first members in one
//! transaction, never reusing a dismissed id), the `DISMISSED` marker, renames, and group
//! events (`GroupEvent`, written in the same transaction as the change they announce and
//! pushed by `delivery`). Rooms (store/rooms.rs, store/room_writes.rs) are these groups with
//! Shiku's settings. Who may join is decided above (services::rooms); this only writes.

use super::conversations::*;
use super::idempotency::TAKEN as IDEM_TAKEN;
use super::{applied, n, s, Db, Item, GSI2};
use crate::domain::idempotency::IdemKey;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;

pub use crate::domain::rooms::GroupEvent;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

/// Members besides the owner that a creating transaction holds: META, the check that the id
/// was never dismissed, the owner's member item and group counter, the event, and a member
/// item plus a group counter per member (100 items; a console creation's idempotency claim
/// takes the place of the never-dismissed check, which only client-chosen ids need).
pub const MAX_IN_CREATION: usize = 47;

/// Marker left by a dismissed group (`CONV#<cid>/DISMISSED`): its id is never used again, so
/// nobody reopens the partition that holds its messages. Sorts before `MEMBER#`/`META`/`MSG#`.
pub(crate) const DISMISSED: &str = super::keys::DISMISSED_SK;

/// Create a group conversation with its owner and initial members in one transaction. The
/// caller screened `members` (services::rooms: blacklists, caps); an owner at the group cap is
/// refused. META `memberCount` starts at the number of members written.
pub async fn create_group(db: &Db, now: i64, owner: UserId, name: &str, members: &[UserId]) -> AppResult<Conversation> {
    let meta = create_group_meta(db, now, (None, None), owner, name, members, Item::new(), None).await?;
    conv_from(&meta).ok_or_else(|| AppError::internal("conversation item"))
}

/// THE creation path: with a client-chosen id (Shiku `jid`: used when valid and never used
/// before — not by a live room, not by a dismissed one — otherwise a new one is generated) and
/// extra META attributes (room settings, store/room_writes.rs); `event` goes into the same
/// transaction. Answers the META item as written (no read after the write).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_group_meta(
    db: &Db,
    now: i64,
    (wanted_id, idem): (Option<&str>, Option<&IdemKey>),
    owner: UserId,
    name: &str,
    members: &[UserId],
    extra: Item,
    event: Option<&GroupEvent>,
) -> AppResult<Item> {
    let mut wanted = wanted_id.filter(|c| valid_id(c) && is_group(c));
    loop {
        let chosen = wanted.take();
        let cid = chosen.map(str::to_string).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let once = (&cid[..], chosen.is_some(), idem);
        match create_group_once(db, now, once, owner, name, members, extra.clone(), event).await {
            Err(AppError::Conflict(_)) if chosen.is_some() => continue,
            other => return other,
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn create_group_once(
    db: &Db,
    now: i64,
    (cid, chosen, idem): (&str, bool, Option<&IdemKey>),
    owner: UserId,
    name: &str,
    members: &[UserId],
    extra: Item,
    event: Option<&GroupEvent>,
) -> AppResult<Item> {
    use super::group_counts::{counter, too_many_groups};
    let cid = cid.to_string();
    let mut meta = extra;
    meta.extend(Db::key(pk(&cid), super::keys::META_SK));
    meta.insert("kind".into(), s("group"));
    meta.insert("name".into(), s(name));
    meta.insert("owner".into(), n(owner.0));
    meta.insert("lastSeq".into(), n(0));
    // Directory of all groups, private ones included, by creation time (Xuanxuan
    // getChatGroups, console roomList); dismissing deletes META, so it leaves with it.
    meta.insert("gsi2pk".into(), s(super::keys::GROUPS_GSI2PK));
    meta.insert("gsi2sk".into(), s(super::keys::groups_gsi2sk(now, &cid)));
    meta.insert("createdAt".into(), n(now));
    let mut all: Vec<UserId> = members.iter().copied().filter(|m| *m != owner).collect();
    all.sort();
    all.dedup();
    // One transaction holds at most 100 items; larger rooms add the rest in batches.
    if all.len() > MAX_IN_CREATION {
        return Err(AppError::invalid(
            "members",
            format!("at most {MAX_IN_CREATION} initial members; invite the rest afterwards"),
        ));
    }
    meta.insert("memberCount".into(), n(all.len() + 1));
    let mut everyone = vec![owner];
    everyone.extend(&all);
    // No live connections on the items: fan-out reads presence until the room is large and
    // stamped (store/live.rs).
    let item = |uid: UserId, role: &str| member_item(&cid, uid, role, now);
    let mut writes = vec![put(db, meta.clone(), Some("attribute_not_exists(pk)"))];
    if chosen {
        writes.push(not_dismissed(db, &cid));
    }
    let first_counter = writes.len() + 1;
    for (i, m) in everyone.iter().enumerate() {
        writes.push(put(db, item(*m, if i == 0 { "owner" } else { "member" }), None));
        writes.push(counter(db, *m, 1, true));
    }
    // A console creation's idempotency key, claimed for this room (store/idempotency.rs).
    let claim_at = idem.map(|k| {
        writes.push(super::idempotency::claim(db, k, &cid, now / 1000));
        writes.len() - 1
    });
    let events = event.map(|e| vec![e.clone()]).unwrap_or_default();
    match transact_why(db, writes, &cid, now, &events).await? {
        None => {}
        Some(i) if Some(i) == claim_at => return Err(AppError::Conflict(IDEM_TAKEN.into())),
        // The id is taken (only a client-chosen one can be): the caller generates one.
        Some(i) if i < first_counter - 1 => return Err(AppError::Conflict(format!("conversation {cid} exists"))),
        Some(i) if i == first_counter => return Err(too_many_groups(owner)),
        Some(_) => return Err(AppError::Conflict("a member joined too many groups meanwhile, try again".into())),
    }
    super::stats::add_rooms(db, 1).await;
    Ok(meta)
}

/// Condition of a creation with a client-chosen id: no group with this id was ever dismissed.
fn not_dismissed(db: &Db, cid: &str) -> TransactWriteItem {
    let check = aws_sdk_dynamodb::types::ConditionCheck::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), DISMISSED)))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("key and condition set");
    TransactWriteItem::builder().condition_check(check).build()
}

/// Every group conversation (GSI2 `GROUPS`), Query pages, no Scan.
pub async fn all_groups(db: &Db) -> AppResult<Vec<Conversation>> {
    let items = super::query_all(db, Some(GSI2), super::keys::GROUPS_GSI2PK.into(), None, None).await?;
    Ok(items.iter().filter_map(conv_from).collect())
}

/// Rename a group, with its event (one transaction).
pub async fn set_name(db: &Db, now: i64, cid: &str, name: &str, event: &GroupEvent) -> AppResult<()> {
    let upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), super::keys::META_SK)))
        .update_expression("SET #n = :n")
        .condition_expression("attribute_exists(pk) AND kind = :g")
        .expression_attribute_names("#n", "name")
        .expression_attribute_values(":n", s(name))
        .expression_attribute_values(":g", s("group"))
        .build()
        .expect("key and expressions set");
    let writes = vec![TransactWriteItem::builder().update(upd).build()];
    if transact(db, writes, cid, now, std::slice::from_ref(event)).await? {
        Ok(())
    } else {
        Err(AppError::not_found(format!("conversation {cid}")))
    }
}

/// Group events kept one day (delivery pushes them once).
pub const GROUP_EVENT_TTL_SECS: i64 = 86_400;

/// The event's item: `CONV#<cid>` / `EVT#<ts:013>#<id>`, `frame` (JSON text, delivery posts
/// it to the members at delivery time plus `alsoTo`), `ttl`.
fn event_item(ev: &GroupEvent, cid: &str, now_ms: i64) -> Item {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut it = Db::key(pk(cid), super::keys::group_event_sk(now_ms, &id));
    it.insert("ev".into(), s("group"));
    it.insert("cid".into(), s(cid));
    it.insert("frame".into(), s(event_frame(&ev.kind, cid, ev.by, now_ms, ev.extra.clone()).to_string()));
    it.insert("ttl".into(), n(now_ms / 1000 + GROUP_EVENT_TTL_SECS));
    if !ev.also_to.is_empty() {
        it.insert("alsoTo".into(), AttributeValue::L(ev.also_to.iter().map(|u| n(u.0)).collect()));
    }
    it
}

/// The event's Put, written in the SAME transaction as the change it reports, so members
/// never miss a change nor hear of one that did not happen; with it the audit entry's Put
/// when a console change made it.
pub(crate) fn event_puts(db: &Db, ev: &GroupEvent, cid: &str, now_ms: i64) -> Vec<TransactWriteItem> {
    let mut v = vec![put(db, event_item(ev, cid, now_ms), None)];
    v.extend(ev.audit.as_ref().map(|a| super::audit::put(db, a)));
    v
}

/// The frame of a group event: `{"event":"group","type",…}` with both `roomId` (Shiku) and
/// `groupId` (SealTalk) naming the conversation.
pub fn event_frame(kind: &str, cid: &str, by: UserId, now: i64, extra: serde_json::Value) -> serde_json::Value {
    let mut f =
        serde_json::json!({"event": "group", "type": kind, "roomId": cid, "groupId": cid, "by": by.0, "ts": now});
    if let (Some(o), serde_json::Value::Object(x)) = (f.as_object_mut(), extra) {
        o.extend(x);
    }
    f
}

/// Like [`transact`], telling which write's condition failed: Ok(None) written, Ok(Some(i))
/// the i-th of `writes` (or an event, i ≥ writes.len()) did not hold and nothing was written.
pub(crate) async fn transact_why(
    db: &Db,
    writes: Vec<TransactWriteItem>,
    cid: &str,
    now_ms: i64,
    events: &[GroupEvent],
) -> AppResult<Option<usize>> {
    let items = writes.into_iter().chain(events.iter().flat_map(|e| event_puts(db, e, cid, now_ms))).collect();
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(None),
        Err(e) => match super::failed_conditions(&e) {
            Some(failed) if !failed.is_empty() => Ok(Some(failed[0].0)),
            _ => Err(e.into()),
        },
    }
}

/// Run `writes` and the events' Puts as one transaction. Ok(false): a condition failed
/// (nothing was written, no event either).
pub(crate) async fn transact(
    db: &Db,
    writes: Vec<TransactWriteItem>,
    cid: &str,
    now_ms: i64,
    events: &[GroupEvent],
) -> AppResult<bool> {
    let items = writes.into_iter().chain(events.iter().flat_map(|e| event_puts(db, e, cid, now_ms))).collect();
    applied(db.client.transact_write_items().set_transact_items(Some(items)).send().await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn group_frames_name_the_room_in_both_dialects() {
        let f = event_frame("renamed", "abc", UserId(7), 5, json!({"name": "n"}));
        assert_eq!(
            f,
            json!({"event":"group","type":"renamed","roomId":"abc","groupId":"abc","by":7,"ts":5,"name":"n"})
        );
    }
}
