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
use super::{n, s, Db, Item, ItemExt, GSI1};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub use crate::error::refused::{
    ALL_MUTED as REFUSED_ALL_MUTED, MUTED as REFUSED_MUTED, ROOM_FULL as REFUSED_ROOM_FULL,
};

/// Join refused: the room needs an admin's invitation (`isNeedVerify = 1`).
pub use crate::error::refused::NEEDS_VERIFY as REFUSED_NEEDS_VERIFY;

pub use crate::domain::rooms::{
    flag_value, Changes, DismissedRoom, Field, NewRoom, Notice, Room, RoomMember, Settings, ADMIN, FLAGS, INTS,
    MAX_NOTICE, MAX_USERS, MEMBER, OWNER, TEXTS,
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

pub(crate) fn attr_of(f: &Field) -> AttributeValue {
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

pub(crate) fn room_from(it: Item) -> Option<Room> {
    if it.str("sk") != Some("META") || it.str("kind") != Some("group") {
        return None;
    }
    let id = it.str("pk")?.strip_prefix("CONV#")?.to_string();
    let fields = it.iter().filter_map(|(k, v)| Some((k.clone(), field_of(v)?))).collect();
    Some(Room { id, fields })
}

pub(crate) fn member_from(it: &Item) -> Option<RoomMember> {
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

pub(crate) fn room_not_found(cid: &str) -> AppError {
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

/// The room and its first `limit` members (the highest ids, answered ascending), one Query.
pub async fn head(db: &Db, cid: &str, limit: i32) -> AppResult<Option<(Room, Vec<RoomMember>)>> {
    let Some((room, mut members, _)) = head_page(db, cid, 0, limit.clamp(0, 1000) as usize).await? else {
        return Ok(None);
    };
    members.reverse();
    Ok(Some((room, members)))
}

/// The room and one page of its members by id, descending (META sorts after `MEMBER#`, so it
/// comes first): one consistent Query reading `offset + limit + 2` items, the first `offset`
/// members skipped; answers whether more follow. None: no such live room.
pub async fn head_page(
    db: &Db,
    cid: &str,
    offset: usize,
    limit: usize,
) -> AppResult<Option<(Room, Vec<RoomMember>, bool)>> {
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
        .expression_attribute_values(":b", s(super::keys::META_SK))
        .scan_index_forward(false)
        .consistent_read(true)
        .limit(i32::try_from(offset + limit + 2).unwrap_or(i32::MAX))
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
    let Some(room) = room else { return Ok(None) };
    let more = members.len() > offset + limit;
    Ok(Some((room, members.into_iter().skip(offset).take(limit).collect(), more)))
}

/// Which of `uids` are members (consistent BatchGetItem, ⌈n/100⌉ calls).
pub async fn members_among(db: &Db, cid: &str, uids: &[UserId]) -> AppResult<Vec<RoomMember>> {
    let keys = uids.iter().map(|u| Db::key(pk(cid), member_sk(*u))).collect();
    Ok(super::batch_get_consistent(db, keys).await?.iter().filter_map(member_from).collect())
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
/// The METAs of the rooms among `cids` (unknown, malformed and 1:1 ids absent): BatchGetItem
/// of 100 keys.
pub async fn many(db: &Db, cids: &[String]) -> AppResult<HashMap<String, Room>> {
    let keys: Vec<Item> = cids.iter().filter(|c| valid_id(c)).map(|c| Db::key(pk(c), "META")).collect();
    Ok(super::batch_get(db, keys).await?.into_iter().filter_map(room_from).map(|r| (r.id.clone(), r)).collect())
}

pub async fn of_user(db: &Db, uid: UserId) -> AppResult<Vec<(Room, RoomMember)>> {
    let items = super::query_all(db, Some(GSI1), super::keys::user_convs_gsi1(uid), None, None).await?;
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

pub use super::groups::GroupEvent;

/// The `DISMISSED` marker of `room`, dismissed at `now` by `by`: the id is never used again
/// (creation is conditioned on its absence) and former members may still read what it was.
pub(crate) fn dismissed_item(cid: &str, room: &Room, members: &[UserId], now: i64, by: UserId) -> Item {
    let mut it = Db::key(pk(cid), super::keys::DISMISSED_SK);
    it.insert("at".into(), n(now));
    it.insert("by".into(), n(by.0));
    it.insert("name".into(), s(room.name()));
    it.insert("portrait".into(), s(room.text("portrait")));
    it.insert("owner".into(), n(room.owner().0));
    it.insert("maxUserSize".into(), n(room.max_users()));
    it.insert("bulletin".into(), s(room.notice().map(|x| x.text).unwrap_or_default()));
    if !members.is_empty() {
        it.insert("was".into(), AttributeValue::Ns(members.iter().map(|u| u.0.to_string()).collect()));
    }
    it
}

/// What is left of a dismissed group (None: never dismissed, or unknown). One GetItem.
pub async fn dismissed(db: &Db, cid: &str) -> AppResult<Option<DismissedRoom>> {
    if !valid_id(cid) {
        return Ok(None);
    }
    let Some(it) = db.get(pk(cid), super::keys::DISMISSED_SK).await? else {
        return Ok(None);
    };
    let members = match it.get("was") {
        Some(AttributeValue::Ns(v)) => v.iter().filter_map(|x| x.parse().ok()).map(UserId).collect(),
        _ => vec![],
    };
    Ok(Some(DismissedRoom {
        id: cid.to_string(),
        at: it.i64("at").unwrap_or(0),
        by: UserId(it.i64("by").unwrap_or(0)),
        name: it.string("name"),
        portrait: it.string("portrait"),
        owner: UserId(it.i64("owner").unwrap_or(0)),
        max_users: it.i64("maxUserSize").unwrap_or(0),
        bulletin: it.string("bulletin"),
        members,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_the_trip_through_attributes() {
        let fields = [Field::Int(3), Field::Num(1.5), "t".into(), Field::Texts(vec!["a".into()]), Field::Bool(true)];
        for f in fields {
            assert_eq!(field_of(&attr_of(&f)), Some(f));
        }
    }
}
