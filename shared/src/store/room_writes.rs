//! Writes of rooms (store/rooms.rs holds the item ↔ Room conversions and the reads): room
//! creation with Shiku's settings, settings changes (META, with the public directory), member
//! settings, roles, ownership transfer, call numbers. No rules: services::rooms decides.

use super::conversations::{member_sk, pk};
use super::groups::GroupEvent;
use super::rooms::{attr_of, member_from, room_from, room_not_found, settings_item};
use super::{is_condition_failure, keys, n, s, Db, Item, ItemExt};
use crate::domain::rooms::{Changes, Field, NewRoom, Room, RoomMember, MEMBER, OWNER};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};
use std::collections::HashMap;

/// How many members a creation transaction holds besides the owner.
pub const FIRST_BATCH: usize = super::groups::MAX_IN_CREATION;

/// Create a room: one transaction with the owner and the first [`FIRST_BATCH`] members, then
/// the rest in transactions of 49 ([`super::invites::add_members`]). The caller screened
/// `others` (services::rooms::create_room) and fixed the capacity `max`; `event` is written
/// with the last of these writes, when every member is in. An owner at the group cap is refused.
pub async fn create(
    db: &Db,
    now: i64,
    new: &NewRoom,
    (others, max): (&[UserId], i64),
    event: &GroupEvent,
) -> AppResult<Room> {
    let mut extra = settings_item(&new.settings);
    extra.insert("maxUserSize".into(), n(max));
    extra.insert("ownerNick".into(), s(&new.owner_nickname));
    extra.insert("nameLc".into(), s(new.name.to_lowercase()));
    extra.insert("modifyTime".into(), n(now));
    extra.insert("modifier".into(), n(new.owner.0));
    if extra.i64("isLook").unwrap_or(0) == 0 {
        // Public directory (sort key = creation time; the room id is the item's pk).
        extra.insert("gsi1pk".into(), s(keys::PUBROOMS_GSI1PK));
        extra.insert("gsi1sk".into(), s(keys::pubroom_gsi1sk(now)));
    }
    let (first, rest) = others.split_at(others.len().min(FIRST_BATCH));
    let in_creation = rest.is_empty().then_some(event);
    let meta = super::groups::create_group_meta(
        db,
        now,
        (new.id.as_deref(), new.idem.as_ref()),
        new.owner,
        &new.name,
        first,
        extra,
        in_creation,
    )
    .await?;
    let room = room_from(meta).ok_or_else(|| AppError::internal("room item"))?;
    if rest.is_empty() {
        return Ok(room);
    }
    let limits = (max, Some(first.len() as i64 + 1));
    super::invites::add_members(db, now, &room.id, rest, MEMBER, limits, super::invites::Announce::Last(event)).await?;
    super::rooms::get(db, &room.id).await?.ok_or_else(|| AppError::internal("room vanished"))
}

/// Put a room in (or take it out of) the public room directory GSI1 `PUBROOMS`.
async fn set_public(db: &Db, cid: &str, created: i64, public: bool) -> AppResult<()> {
    let mut u = db.client.update_item().table_name(&db.table).set_key(Some(Db::key(pk(cid), keys::META_SK)));
    u = if public {
        u.update_expression("SET gsi1pk = :p, gsi1sk = :s")
            .expression_attribute_values(":p", s(keys::PUBROOMS_GSI1PK))
            .expression_attribute_values(":s", s(keys::pubroom_gsi1sk(created)))
    } else {
        u.update_expression("REMOVE gsi1pk, gsi1sk")
    };
    u.condition_expression("attribute_exists(pk)").send().await?;
    Ok(())
}

fn update_expr(changes: &Changes) -> (String, HashMap<String, String>, HashMap<String, AttributeValue>) {
    let mut sets = vec![];
    let mut removes = vec![];
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    for (i, (k, v)) in changes.iter().enumerate() {
        names.insert(format!("#a{i}"), k.clone());
        match v {
            Some(v) => {
                sets.push(format!("#a{i} = :v{i}"));
                values.insert(format!(":v{i}"), attr_of(v));
            }
            None => removes.push(format!("#a{i}")),
        }
    }
    let mut expr = String::new();
    if !sets.is_empty() {
        expr.push_str(&format!("SET {}", sets.join(", ")));
    }
    if !removes.is_empty() {
        expr.push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    (expr, names, values)
}

/// Change room settings with their events (one transaction). `isLook` changes move the room
/// in or out of the public directory (one more read and write); `name` updates `nameLc`.
pub async fn update(
    db: &Db,
    now: i64,
    cid: &str,
    by: UserId,
    mut changes: Changes,
    events: &[GroupEvent],
) -> AppResult<()> {
    if let Some((_, Some(Field::Text(name)))) = changes.iter().find(|(k, _)| k == "name") {
        let lc = name.to_lowercase();
        changes.push(("nameLc".into(), Some(Field::Text(lc))));
    }
    let public = changes.iter().find(|(k, _)| k == "isLook").and_then(|(_, v)| v.as_ref()).map(|v| v.int() == Some(0));
    changes.push(("modifyTime".into(), Some(Field::Int(now))));
    changes.push(("modifier".into(), Some(Field::Int(by.0))));
    let key = Db::key(pk(cid), keys::META_SK);
    let upd = changes_update(db, key, &changes, "attribute_exists(pk) AND #kind = :g", true);
    if !super::groups::transact(db, vec![upd], cid, now, events).await? {
        return Err(room_not_found(cid));
    }
    if let Some(public) = public {
        let room = super::rooms::get(db, cid).await?.ok_or_else(|| room_not_found(cid))?;
        set_public(db, cid, room.created_at(), public).await?;
    }
    Ok(())
}

/// A member's own settings nobody else is told about (DND, pin): one UpdateItem, the member
/// as written; None when not a member.
pub async fn set_member_settings(
    db: &Db,
    now: i64,
    cid: &str,
    uid: UserId,
    mut changes: Changes,
) -> AppResult<Option<RoomMember>> {
    changes.push(("modifyTime".into(), Some(Field::Int(now))));
    let (expr, names, values) = update_expr(&changes);
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), member_sk(uid))))
        .update_expression(expr)
        .condition_expression("attribute_exists(pk)")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match r {
        Ok(o) => Ok(o.attributes.as_ref().and_then(member_from)),
        Err(e) if is_condition_failure(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Change a member's settings the room sees (nickname, talkTime) with their events (one
/// transaction). Ok(false): not a member.
pub async fn update_member(
    db: &Db,
    now: i64,
    cid: &str,
    uid: UserId,
    mut changes: Changes,
    events: &[GroupEvent],
) -> AppResult<bool> {
    changes.push(("modifyTime".into(), Some(Field::Int(now))));
    let upd = changes_update(db, Db::key(pk(cid), member_sk(uid)), &changes, "attribute_exists(pk)", false);
    super::groups::transact(db, vec![upd], cid, now, events).await
}

/// `changes` applied to `key` under `cond`, for a transaction; `group`: `cond` names
/// `#kind = :g` (the item is a group's).
fn changes_update(db: &Db, key: Item, changes: &Changes, cond: &str, group: bool) -> TransactWriteItem {
    let (expr, mut names, mut values) = update_expr(changes);
    if group {
        names.insert("#kind".into(), "kind".into());
        values.insert(":g".into(), s("group"));
    }
    let upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(key))
        .update_expression(expr)
        .condition_expression(cond)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .expect("key and expressions set");
    TransactWriteItem::builder().update(upd).build()
}

/// Make a member an admin or an ordinary member again (never the owner; that is a transfer).
/// Ok(false): not a member, or the owner.
pub async fn set_role(db: &Db, now: i64, cid: &str, uid: UserId, role: &str, event: &GroupEvent) -> AppResult<bool> {
    let write = tx_update(
        db,
        Db::key(pk(cid), member_sk(uid)),
        "SET #r = :r, modifyTime = :t",
        "attribute_exists(pk) AND #r <> :o",
        vec![(":r", s(role)), (":o", s(OWNER)), (":t", n(now))],
    );
    super::groups::transact(db, vec![write], cid, now, std::slice::from_ref(event)).await
}

fn tx_update(db: &Db, key: Item, expr: &str, cond: &str, values: Vec<(&str, AttributeValue)>) -> TransactWriteItem {
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(key))
        .update_expression(expr)
        .condition_expression(cond)
        .expression_attribute_names("#r", "role");
    for (k, v) in values {
        u = u.expression_attribute_values(k, v);
    }
    TransactWriteItem::builder().update(u.build().expect("table and key set")).build()
}

/// Hand the room to another member in one transaction: META `owner` (conditioned on the
/// current owner), the new owner's role, the old owner becomes an ordinary member.
/// Ok(false): `from` is not the owner any more or `to` is not a member.
pub async fn transfer(
    db: &Db,
    now: i64,
    cid: &str,
    (from, to): (UserId, UserId),
    to_nick: &str,
    event: &GroupEvent,
) -> AppResult<bool> {
    let meta = {
        let u = Update::builder()
            .table_name(&db.table)
            .set_key(Some(Db::key(pk(cid), keys::META_SK)))
            .update_expression("SET #o = :to, ownerNick = :nick, modifyTime = :t, modifier = :from")
            .condition_expression("#o = :from")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":to", n(to.0))
            .expression_attribute_values(":from", n(from.0))
            .expression_attribute_values(":nick", s(to_nick))
            .expression_attribute_values(":t", n(now))
            .build()
            .expect("table and key set");
        TransactWriteItem::builder().update(u).build()
    };
    let writes = vec![
        meta,
        tx_update(
            db,
            Db::key(pk(cid), member_sk(to)),
            "SET #r = :o, modifyTime = :t, talkTime = :z",
            "attribute_exists(pk)",
            vec![(":o", s(OWNER)), (":t", n(now)), (":z", n(0))],
        ),
        tx_update(
            db,
            Db::key(pk(cid), member_sk(from)),
            "SET #r = :m, modifyTime = :t",
            "attribute_exists(pk)",
            vec![(":m", s(MEMBER)), (":t", n(now))],
        ),
    ];
    super::groups::transact(db, writes, cid, now, std::slice::from_ref(event)).await
}

/// The room's call identifier, allocated once: `COUNTER/room-call` ADD 1, then META
/// `SET call = if_not_exists(call, …)` (a concurrent first call keeps the winner's number).
pub async fn call_id(db: &Db, room: &Room) -> AppResult<(String, String)> {
    if let Some(call) = room.call() {
        return Ok(call);
    }
    let out = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some({
            let (p, k) = keys::room_call_counter();
            Db::key(p, k)
        }))
        .update_expression("ADD #v :one")
        .expression_attribute_names("#v", "value")
        .expression_attribute_values(":one", n(1))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await?;
    let k = out.attributes.as_ref().and_then(|a| a.i64("value")).ok_or_else(|| AppError::internal("call counter"))?;
    let out = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(&room.id), keys::META_SK)))
        .update_expression("SET #c = if_not_exists(#c, :c), videoMeetingNo = if_not_exists(videoMeetingNo, :v)")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_names("#c", "call")
        .expression_attribute_values(":c", s((300_000 + k).to_string()))
        .expression_attribute_values(":v", s((350_000 + k).to_string()))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .map_err(|e| if is_condition_failure(&e) { room_not_found(&room.id) } else { e.into() })?;
    let a = out.attributes.unwrap_or_default();
    Ok((a.string("call"), a.string("videoMeetingNo")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_expressions_set_and_remove() {
        let (e, names, values) = update_expr(&vec![
            ("name".into(), Some("x".into())),
            ("noticeId".into(), None),
            ("isLook".into(), Some(Field::Int(1))),
        ]);
        assert_eq!(e, "SET #a0 = :v0, #a2 = :v2 REMOVE #a1");
        assert_eq!(names["#a1"], "noticeId");
        assert_eq!(values.len(), 2);
        assert_eq!(values[":v2"], n(1));
    }
}
