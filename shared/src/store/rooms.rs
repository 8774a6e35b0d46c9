//! Rooms: the Shiku `/room/*` and SealTalk `/group/*` view of group conversations.
//! A room IS a group conversation (store/conversations.rs): its settings live on the
//! `CONV#<cid>/META` item, per-member settings on `MEMBER#<uid>`. Added here:
//! - META: Shiku room fields (`desc`, `subject`, flags such as `isLook`/`showRead`/…,
//!   `talkTime` = mute all until (epoch seconds), `maxUserSize`, `call`, the current notice
//!   `notice*`, SealTalk `portrait`), `nameLc` (search), and while public (`isLook = 0`)
//!   GSI1 `PUBROOMS` / `<createdAt:013>` (GSI2 already holds the `GROUPS` directory).
//! - MEMBER: `nickname` (name in the room), `talkTime` (muted until, seconds),
//!   `offlineNoPushMsg`, `isOpenTopChat`/`openTopChatTime`, `modifyTime`.
//! - `ANNOUNCE#<noticeId>` notices (sorted before `MSG#`, so history Queries never see them).
//! - `COUNTER/room-call`: call identifiers.

use super::conversations::{self as convs, member_sk, pk, valid_id};
use super::{is_condition_failure, n, s, Db, Item, ItemExt, GSI1};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{ReturnValue, TransactWriteItem, Update};
use std::collections::HashMap;

pub use crate::error::refused::{
    ALL_MUTED as REFUSED_ALL_MUTED, MUTED as REFUSED_MUTED, ROOM_FULL as REFUSED_ROOM_FULL,
};

/// Join refused: the room needs an admin's invitation (`isNeedVerify = 1`).
pub use crate::error::refused::NEEDS_VERIFY as REFUSED_NEEDS_VERIFY;
/// How many members a creation transaction holds besides the owner.
const FIRST_BATCH: usize = super::groups::MAX_IN_CREATION;

pub use crate::domain::rooms::{
    flag_value, Changes, Field, NewRoom, Notice, Room, RoomMember, Settings, ADMIN, FLAGS, INTS, MAX_NOTICE, MAX_USERS,
    MEMBER, OWNER, TEXTS,
};

/// An item attribute as a setting (None: a type settings never use).
fn field_of(v: &AttributeValue) -> Option<Field> {
    Some(match v {
        AttributeValue::N(x) => match x.parse::<i64>() {
            Ok(i) => Field::Int(i),
            Err(_) => Field::Num(x.parse().ok()?),
        },
        AttributeValue::S(x) => Field::Text(x.clone()),
        AttributeValue::Bool(b) => Field::Bool(*b),
        AttributeValue::Ss(l) => Field::Texts(l.clone()),
        AttributeValue::L(l) => Field::Texts(l.iter().filter_map(|x| x.as_s().ok().cloned()).collect()),
        _ => return None,
    })
}

fn attr_of(f: &Field) -> AttributeValue {
    match f {
        Field::Int(v) => n(v),
        Field::Num(v) => n(v),
        Field::Text(v) => s(v),
        Field::Texts(l) => AttributeValue::L(l.iter().map(s).collect()),
        Field::Bool(b) => AttributeValue::Bool(*b),
    }
}

/// Settings as item attributes.
pub(crate) fn settings_item(settings: &Settings) -> Item {
    settings.iter().map(|(k, v)| (k.clone(), attr_of(v))).collect()
}

fn room_from(it: Item) -> Option<Room> {
    if it.str("sk") != Some("META") || it.str("kind") != Some("group") {
        return None;
    }
    let id = it.str("pk")?.strip_prefix("CONV#")?.to_string();
    let fields = it.iter().filter_map(|(k, v)| Some((k.clone(), field_of(v)?))).collect();
    Some(Room { id, fields })
}

fn member_from(it: &Item) -> Option<RoomMember> {
    if !it.str("sk")?.starts_with("MEMBER#") {
        return None;
    }
    let joined_at = it.i64("joinedAt").unwrap_or(0);
    Some(RoomMember {
        uid: UserId(it.i64("uid")?),
        role: it.string("role"),
        nickname: it.string("nickname"),
        talk_time: it.i64("talkTime").unwrap_or(0),
        offline_no_push: it.i64("offlineNoPushMsg").unwrap_or(0),
        top: it.i64("isOpenTopChat").unwrap_or(0),
        top_time: it.i64("openTopChatTime").unwrap_or(0),
        joined_at,
        modified_at: it.i64("modifyTime").unwrap_or(joined_at),
        read_seq: it.i64("readSeq").unwrap_or(0),
    })
}

fn room_not_found(cid: &str) -> AppError {
    AppError::not_found(format!("room {cid}"))
}

/// The room's META (None: unknown id, a 1:1 conversation, or dismissed).
pub async fn get(db: &Db, cid: &str) -> AppResult<Option<Room>> {
    if !valid_id(cid) {
        return Ok(None);
    }
    Ok(db.get(pk(cid), "META").await?.and_then(room_from))
}

pub async fn member(db: &Db, cid: &str, uid: UserId) -> AppResult<Option<RoomMember>> {
    if !valid_id(cid) {
        return Ok(None);
    }
    Ok(db.get(pk(cid), member_sk(uid)).await?.as_ref().and_then(member_from))
}

/// The room and the caller's membership in one consistent BatchGetItem; non-members and
/// unknown rooms get the same not-found.
pub async fn as_member(db: &Db, cid: &str, uid: UserId) -> AppResult<(Room, RoomMember)> {
    if !valid_id(cid) {
        return Err(room_not_found(cid));
    }
    let items =
        super::batch_get_consistent(db, vec![Db::key(pk(cid), "META"), Db::key(pk(cid), member_sk(uid))]).await?;
    let mut room = None;
    let mut me = None;
    for it in items {
        if let Some(m) = member_from(&it) {
            me = Some(m);
        } else if let Some(r) = room_from(it) {
            room = Some(r);
        }
    }
    match (room, me) {
        (Some(r), Some(m)) => Ok((r, m)),
        _ => Err(room_not_found(cid)),
    }
}

/// The room with every member: one Query over `MEMBER#…` through `META` (they sort next to
/// each other), one page per ~1 MB (a 1000-member room is one or two pages).
/// Members `me` may see in a member list: everyone, or with `showMember = 0` (unless `me` is
/// an owner/admin) only the owner, the admins and `me`. Every dialect's member list uses it.
pub fn visible(room: &Room, me: Option<&RoomMember>, members: &mut Vec<RoomMember>) {
    if room.flag("showMember") == 0 && !me.is_some_and(RoomMember::is_admin) {
        let uid = me.map(|m| m.uid);
        members.retain(|m| m.is_admin() || Some(m.uid) == uid);
    }
}

pub async fn with_members(db: &Db, cid: &str) -> AppResult<Option<(Room, Vec<RoomMember>)>> {
    if !valid_id(cid) {
        return Ok(None);
    }
    let mut room = None;
    let mut members = vec![];
    let mut pages = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND sk BETWEEN :a AND :b")
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":a", s("MEMBER#"))
        .expression_attribute_values(":b", s("META"))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send();
    while let Some(it) = pages.next().await {
        let it = it?;
        if let Some(m) = member_from(&it) {
            members.push(m);
        } else if let Some(r) = room_from(it) {
            room = Some(r);
        }
    }
    Ok(room.map(|r| (r, members)))
}

/// The room and its first `limit` members (descending: META first), one Query.
pub async fn head(db: &Db, cid: &str, limit: i32) -> AppResult<Option<(Room, Vec<RoomMember>)>> {
    if !valid_id(cid) {
        return Ok(None);
    }
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND sk BETWEEN :a AND :b")
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":a", s("MEMBER#"))
        .expression_attribute_values(":b", s("META"))
        .scan_index_forward(false)
        .consistent_read(true)
        .limit(limit.clamp(0, 1000) + 1)
        .send()
        .await?;
    let mut room = None;
    let mut members = vec![];
    for it in out.items.unwrap_or_default() {
        if let Some(m) = member_from(&it) {
            members.push(m);
        } else if let Some(r) = room_from(it) {
            room = Some(r);
        }
    }
    members.reverse();
    Ok(room.map(|r| (r, members)))
}

/// Which of `uids` are members (consistent BatchGetItem, ⌈n/100⌉ calls).
pub async fn members_among(db: &Db, cid: &str, uids: &[UserId]) -> AppResult<Vec<RoomMember>> {
    let keys = uids.iter().map(|u| Db::key(pk(cid), member_sk(*u))).collect();
    Ok(super::batch_get_consistent(db, keys).await?.iter().filter_map(member_from).collect())
}

/// Create a room: one transaction with the owner and the first 47 members, then the rest
/// in transactions of 49 ([`super::invites::add_members`]). `event` is written with the last
/// of these writes, when every member is in; its `userIds` name the members actually added
/// (users who blacklisted the owner, or are in too many groups, are left out:
/// store/invites.rs). An owner in too many groups is refused.
pub async fn create(db: &Db, now: i64, new: NewRoom, event: &GroupEvent) -> AppResult<Room> {
    let mut others: Vec<UserId> = new.members.iter().copied().filter(|u| *u != new.owner).collect();
    others.sort();
    others.dedup();
    let max = new.settings.get("maxUserSize").and_then(Field::int).unwrap_or(MAX_USERS).clamp(1, MAX_USERS);
    if others.len() as i64 + 1 > max {
        return Err(AppError::Refused {
            code: REFUSED_ROOM_FULL,
            message: format!("a room holds at most {max} members"),
        });
    }
    let others = super::invites::screen_new_room(db, new.owner, &others).await?;
    let mut event = event.clone();
    if event.extra.get("userIds").is_some() {
        event.extra["userIds"] = others.iter().map(|u| u.0).collect();
    }
    let mut extra = settings_item(&new.settings);
    extra.insert("maxUserSize".into(), n(max));
    extra.insert("ownerNick".into(), s(&new.owner_nickname));
    extra.insert("nameLc".into(), s(new.name.to_lowercase()));
    extra.insert("modifyTime".into(), n(now));
    extra.insert("modifier".into(), n(new.owner.0));
    if extra.i64("isLook").unwrap_or(0) == 0 {
        // Public directory (sort key = creation time; the room id is the item's pk).
        extra.insert("gsi1pk".into(), s("PUBROOMS"));
        extra.insert("gsi1sk".into(), s(format!("{now:013}")));
    }
    let (first, rest) = others.split_at(others.len().min(FIRST_BATCH));
    let in_creation = rest.is_empty().then_some(&event);
    let meta =
        super::groups::create_group_meta(db, now, new.id.as_deref(), new.owner, &new.name, first, extra, in_creation)
            .await?;
    let room = room_from(meta).ok_or_else(|| AppError::internal("room item"))?;
    if rest.is_empty() {
        return Ok(room);
    }
    let limits = (max, Some(first.len() as i64 + 1));
    super::invites::add_members(db, now, &room.id, rest, MEMBER, limits, super::invites::Announce::Last(&event))
        .await?;
    get(db, &room.id).await?.ok_or_else(|| AppError::internal("room vanished"))
}

/// Put a room in (or take it out of) the public room directory GSI1 `PUBROOMS`.
async fn set_public(db: &Db, cid: &str, created: i64, public: bool) -> AppResult<()> {
    let mut u = db.client.update_item().table_name(&db.table).set_key(Some(Db::key(pk(cid), "META")));
    u = if public {
        u.update_expression("SET gsi1pk = :p, gsi1sk = :s")
            .expression_attribute_values(":p", s("PUBROOMS"))
            .expression_attribute_values(":s", s(format!("{created:013}")))
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
    let (expr, mut names, mut values) = update_expr(&changes);
    names.insert("#kind".into(), "kind".into());
    values.insert(":g".into(), s("group"));
    let upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression(expr)
        .condition_expression("attribute_exists(pk) AND #kind = :g")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .expect("key and expressions set");
    if !super::groups::transact(db, vec![TransactWriteItem::builder().update(upd).build()], cid, now, events).await? {
        return Err(room_not_found(cid));
    }
    if let Some(public) = public {
        let room = get(db, cid).await?.ok_or_else(|| room_not_found(cid))?;
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
    let (expr, names, values) = update_expr(&changes);
    let upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), member_sk(uid))))
        .update_expression(expr)
        .condition_expression("attribute_exists(pk)")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .expect("key and expressions set");
    super::groups::transact(db, vec![TransactWriteItem::builder().update(upd).build()], cid, now, events).await
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
            .set_key(Some(Db::key(pk(cid), "META")))
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

pub use super::invites::{join, REFUSED_TOO_MANY_GROUPS};

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
        .set_key(Some(Db::key("COUNTER", "room-call")))
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
        .set_key(Some(Db::key(pk(&room.id), "META")))
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

/// Public rooms (`isLook = 0`), newest first: one Query page of GSI1 `PUBROOMS`. With
/// `name`, a filter on the lowercase name over that page (≤ 1 MB, the newest ~2000 rooms).
pub async fn public(db: &Db, limit: i32, name: Option<&str>) -> AppResult<Vec<Room>> {
    let mut q = db
        .client
        .query()
        .table_name(&db.table)
        .index_name(GSI1)
        .key_condition_expression("gsi1pk = :p")
        .expression_attribute_values(":p", s("PUBROOMS"))
        .scan_index_forward(false);
    match name {
        Some(nm) => {
            q = q.filter_expression("contains(nameLc, :q)").expression_attribute_values(":q", s(nm.to_lowercase()))
        }
        None => q = q.limit(limit.clamp(1, 5000)),
    }
    let out = q.send().await?;
    let mut rooms: Vec<Room> = out.items.unwrap_or_default().into_iter().filter_map(room_from).collect();
    rooms.truncate(limit.max(0) as usize);
    Ok(rooms)
}

/// Rooms of a user with their membership: Query GSI1 `UCONV#<uid>` (member items; 1:1
/// conversations are left out) + BatchGetItem of the rooms' META (100 per call).
pub async fn of_user(db: &Db, uid: UserId) -> AppResult<Vec<(Room, RoomMember)>> {
    let items = super::query_all(db, Some(GSI1), format!("UCONV#{uid}"), None, None).await?;
    let mine: Vec<(String, RoomMember)> = items
        .iter()
        .filter_map(|it| Some((it.str("gsi1sk")?.to_string(), it)))
        .filter(|(cid, _)| convs::is_group(cid))
        .filter_map(|(cid, it)| Some((cid, member_from(it)?)))
        .collect();
    let keys: Vec<Item> = mine.iter().map(|(cid, _)| Db::key(pk(cid), "META")).collect();
    let mut rooms: HashMap<String, Room> =
        super::batch_get(db, keys).await?.into_iter().filter_map(room_from).map(|r| (r.id.clone(), r)).collect();
    Ok(mine.into_iter().filter_map(|(cid, m)| rooms.remove(&cid).map(|r| (r, m))).collect())
}

pub use super::groups::{event_frame, GroupEvent};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn settings_survive_the_trip_through_attributes() {
        let fields = [Field::Int(3), Field::Num(1.5), "t".into(), Field::Texts(vec!["a".into()]), Field::Bool(true)];
        for f in fields {
            assert_eq!(field_of(&attr_of(&f)), Some(f));
        }
    }

    #[test]
    fn group_frames_name_the_room_in_both_dialects() {
        let f = event_frame("renamed", "abc", UserId(7), 5, json!({"name": "n"}));
        assert_eq!(
            f,
            json!({"event":"group","type":"renamed","roomId":"abc","groupId":"abc","by":7,"ts":5,"name":"n"})
        );
    }
}
