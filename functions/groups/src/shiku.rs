//! Shiku `/room/*`: the Room entity of the Shiku API (`id` = `jid` = the conversation id,
//! times in seconds, roles 1 creator / 2 admin / 3 member), form or query parameters.

use crate::{profiles, require_users, user_ids};
use serde_json::{json, Value};
use shared::dialects::shiku::codes;
use shared::dialects::shiku::rooms::{field_json, member_json, notice_json, role_code, room_json, settings, talk_time};
use shared::domain::rooms::{self as rooms, Changes, Field, GroupEvent, NewRoom, Settings, ADMIN, MEMBER};
use shared::http::Call;
use shared::ids::UserId;
use shared::params::Params;
use shared::services::rooms::{self as svc, require_admin};
use shared::{AppError, AppResult, Reply};
use std::collections::HashMap;

const MAX_NAME: usize = 64;
const MAX_MEMBER_NICK: usize = 32;
/// Members shown in `/room/get` (the whole list is `/room/member/list`).
const GET_MEMBERS: i32 = 100;

fn room_id(c: &Call<'_>) -> AppResult<String> {
    let cid = c.params.req_str("roomId")?;
    if !shared::domain::chat::valid_id(&cid) {
        return Err(AppError::not_found(format!("room {cid}")));
    }
    Ok(cid)
}

/// `/room/add`: `name`, optional `jid` (kept when valid and free), `text` = JSON list of
/// user ids to add, room settings. Answers the Room.
pub async fn add(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let name = c.params.str_max("name", MAX_NAME)?.or(c.params.str_max("roomName", MAX_NAME)?);
    let name = name.ok_or_else(|| AppError::missing("name"))?;
    let members: Vec<UserId> = user_ids(c, "text")?.into_iter().filter(|u| *u != me).collect();
    let settings = settings(&c.params)?;
    let max = settings.iter().find(|(k, _)| k == "maxUserSize").and_then(|(_, v)| v.as_ref()?.int());
    let max: i64 = max.unwrap_or(rooms::MAX_USERS);
    if members.len() as i64 >= max {
        return Err(AppError::Refused {
            code: codes::ROOM_FULL,
            message: format!("a room holds at most {max} members"),
        });
    }
    let mut found = require_users(c, &members).await?;
    let owner = svc::require_user(&c.ctx.db, me).await?;
    let now = c.ctx.now_ms();
    let new = NewRoom {
        id: c.params.str("jid")?,
        name: name.clone(),
        owner: me,
        owner_nickname: owner.nickname.clone(),
        members: members.clone(),
        settings: settings.into_iter().filter_map(|(k, v)| Some((k, v?))).collect(),
        idem: None,
    };
    let ids: Vec<i64> = members.iter().map(|u| u.0).collect();
    let ev = GroupEvent::new("created", me, json!({"name": name, "userIds": ids}));
    let room = svc::create_room(&c.ctx.db, now, new, &ev).await?;
    found.insert(me, owner);
    Ok(Reply::data(room_json(&room, Some(&svc::fresh_owner(me, now)), &[], &found, &[])))
}

/// `/room/delete`: the owner dismisses the room.
pub async fn delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    svc::dismiss(&c.ctx.db, c.ctx.now_ms(), me, &room_id(c)?).await?;
    Ok(Reply::empty())
}

/// `/room/update` (owner/admins): `roomName`, `notice` (posts a notice), `desc`, flags,
/// `talkTime` (mute all until, seconds), `chatRecordTimeOut`, `maxUserSize` (not below the
/// member count).
pub async fn update(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let db = &c.ctx.db;
    let (room, mine) = svc::as_admin(db, &cid, me).await?;
    let mut ch = settings(&c.params)?;
    let name = c.params.str_max("roomName", MAX_NAME)?.or(c.params.str_max("name", MAX_NAME)?);
    if let Some(nm) = &name {
        ch.push(("name".into(), Some(Field::from(nm.as_str()))));
    }
    let notice = c.params.str_max("notice", rooms::MAX_NOTICE)?;
    svc::check_capacity(&room, &ch)?;
    let now = c.ctx.now_ms();
    if !ch.is_empty() {
        let changed: serde_json::Map<String, Value> = ch
            .iter()
            .filter(|(k, _)| k != "name" && k != "talkTime")
            .map(|(k, v)| (k.clone(), v.as_ref().map(field_json).unwrap_or(Value::Null)))
            .collect();
        let mut events = vec![];
        if let Some(nm) = name {
            events.push(GroupEvent::new("renamed", me, json!({"name": nm})));
        }
        if let Some((_, Some(t))) = ch.iter().find(|(k, _)| k == "talkTime") {
            events.push(GroupEvent::new("muted", me, json!({"talkTime": field_json(t)})));
        }
        if !changed.is_empty() {
            events.push(GroupEvent::new("updated", me, json!({"settings": changed})));
        }
        svc::update_settings(db, now, me, &cid, ch, &events).await?;
    }
    if let Some(text) = notice {
        svc::post_notice(&c.ctx.db, c.ctx.now_ms(), me, &mine, &cid, &text).await?;
    }
    Ok(Reply::empty())
}

/// `/room/transfer`: `toUserId` (a member) becomes owner; answers the Room.
pub async fn transfer(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let to = UserId::parse("toUserId", &c.params.req_str("toUserId")?)?;
    svc::transfer(&c.ctx.db, c.ctx.now_ms(), me, &cid, to).await?;
    let (room, mine) = svc::as_member(&c.ctx.db, &cid, me).await?;
    let profiles = profiles(c, &[me]).await?;
    Ok(Reply::data(room_json(&room, Some(&mine), &[], &profiles, &[])))
}

/// `/room/get`: the Room with `member` (me), the first 100 `members` (owner/admins and me
/// only when `showMember = 0`) and the 10 newest `notices`. One Query for the room and
/// members, one for notices (in parallel), one BatchGetItem of profiles.
pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let db = &c.ctx.db;
    let (head, notices) = tokio::join!(svc::head_as_seen_by(db, &cid, me, GET_MEMBERS), svc::notices(db, &cid, 10));
    let (room, mine, members) = head?;
    let mut uids: Vec<UserId> = members.iter().map(|m| m.uid).collect();
    uids.push(me);
    let profiles = profiles(c, &uids).await?;
    Ok(Reply::data(room_json(&room, Some(&mine), &members, &profiles, &notices?)))
}

/// `/room/list`: public rooms (`isLook = 0`), newest first; `roomName` searches names
/// (case-insensitive substring); `pageIndex`/`pageSize` (10). One Query.
pub async fn list(c: &Call<'_>) -> AppResult<Reply> {
    c.session().await?;
    let size = c.params.i64_in("pageSize", 1, 100, 10)?;
    let index = c.params.i64_in("pageIndex", 0, 500, 0)?;
    let name = c.params.str_max("roomName", MAX_NAME)?;
    let rooms = svc::public(&c.ctx.db, ((index + 1) * size) as i32, name.as_deref()).await?;
    let none = HashMap::new();
    let out: Vec<Value> =
        rooms.iter().skip((index * size) as usize).map(|r| room_json(r, None, &[], &none, &[])).collect();
    Ok(Reply::data(Value::Array(out)))
}

/// The `member` object parameter (JSON text) merged over the flat parameters.
fn member_params(c: &Call<'_>) -> AppResult<Params> {
    let mut p = c.params.clone();
    if let Some(raw) = c.params.str("member")? {
        let v: Value = serde_json::from_str(&raw).map_err(|_| AppError::invalid("member", "must be a JSON object"))?;
        let Value::Object(o) = v else {
            return Err(AppError::invalid("member", "must be a JSON object"));
        };
        for (k, v) in o {
            p.set(&k, v);
        }
    }
    Ok(p)
}

/// `/room/member/update`: with `text` (JSON list of user ids) invites them; otherwise updates
/// one member (`userId`, default me): `nickname` (own, or by admins), `talkTime` (admins mute a
/// member until, seconds; 0 lifts; the owner and, except by the owner, admins cannot be muted).
pub async fn member_update(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let invited = user_ids(c, "text")?;
    if !invited.is_empty() {
        svc::invite(&c.ctx.db, c.ctx.now_ms(), me, &cid, &invited).await?;
        return Ok(Reply::empty());
    }
    let p = member_params(c)?;
    let target = match p.str("userId")? {
        Some(u) => UserId::parse("userId", &u)?,
        None => me,
    };
    let nickname = p.str_max("nickname", MAX_MEMBER_NICK)?;
    let talk = p.i64("talkTime")?.map(talk_time).transpose()?;
    if nickname.is_none() && talk.is_none() {
        return Err(AppError::missing("text"));
    }
    let db = &c.ctx.db;
    let (_, mine) = svc::as_member(db, &cid, me).await?;
    let theirs = if target == me {
        mine.clone()
    } else {
        require_admin(&mine)?;
        svc::member(db, &cid, target).await?.ok_or_else(|| AppError::not_found(format!("member {target}")))?
    };
    if talk.is_some() {
        svc::may_mute(&mine, &theirs)?;
    }
    let mut ch: Changes = vec![];
    if let Some(nk) = &nickname {
        ch.push(("nickname".into(), Some(Field::from(nk.as_str()))));
    }
    if let Some(t) = talk {
        ch.push(("talkTime".into(), Some(Field::Int(t))));
    }
    let now = c.ctx.now_ms();
    let mut events = vec![];
    if let Some(t) = talk {
        events.push(GroupEvent::new("muted", me, json!({"userId": target.0, "talkTime": t})));
    }
    if let Some(nk) = nickname {
        events.push(GroupEvent::new("member", me, json!({"userId": target.0, "nickname": nk})));
    }
    if !svc::update_member(db, now, &cid, target, ch, &events).await? {
        return Err(AppError::not_found(format!("member {target}")));
    }
    Ok(Reply::empty())
}

/// `/room/member/delete`: `userId` = me leaves; anyone else is removed (owner/admins).
pub async fn member_delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let target = UserId::parse("userId", &c.params.req_str("userId")?)?;
    if target == me {
        svc::leave(&c.ctx.db, c.ctx.now_ms(), me, &cid).await?;
    } else {
        svc::kick(&c.ctx.db, c.ctx.now_ms(), me, &cid, &[target]).await?;
    }
    Ok(Reply::empty())
}

/// `/room/member/get`: one member (`userId`, default me) of a room I am in.
pub async fn member_get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let target = match c.params.str("userId")? {
        Some(u) => UserId::parse("userId", &u)?,
        None => me,
    };
    let db = &c.ctx.db;
    let (room, mine) = svc::as_member(db, &cid, me).await?;
    let theirs = if target == me {
        mine.clone()
    } else {
        svc::member(db, &cid, target).await?.ok_or_else(|| AppError::not_found(format!("member {target}")))?
    };
    // `showMember = 0`: plain members see only the owner, the admins and themselves.
    let mut shown = vec![theirs];
    svc::visible(&room, Some(&mine), &mut shown);
    let theirs = shown.pop().ok_or_else(|| AppError::not_found(format!("member {target}")))?;
    let profile = svc::user(db, target).await?;
    Ok(Reply::data(member_json(&cid, &theirs, profile.as_ref())))
}

/// `/room/member/list`: every member (owner, admins, then by joining time); `keyword` filters
/// on nickname or id. One Query (room + members, ~1 MB per page: 1000 members = 1–2 pages)
/// and ⌈members/100⌉ BatchGetItem of profiles. `showMember = 0`: ordinary members see the
/// owner, the admins and themselves.
pub async fn member_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let keyword = c.params.str_max("keyword", MAX_NAME)?.map(|k| k.to_lowercase());
    let not_found = || AppError::not_found(format!("room {cid}"));
    let (_, _, mut members) = svc::members_as_seen_by(&c.ctx.db, &cid, me).await?.ok_or_else(not_found)?;
    let uids: Vec<UserId> = members.iter().map(|m| m.uid).collect();
    let profiles = profiles(c, &uids).await?;
    members.sort_by_key(|m| (role_code(m), m.joined_at, m.uid));
    let out: Vec<Value> = members
        .iter()
        .map(|m| member_json(&cid, m, profiles.get(&m.uid)))
        .filter(|v| match &keyword {
            None => true,
            Some(k) => {
                v["nickname"].as_str().unwrap_or("").to_lowercase().contains(k.as_str())
                    || v["userId"].to_string().contains(k.as_str())
            }
        })
        .collect();
    Ok(Reply::data(Value::Array(out)))
}

/// `/room/notice/list`: notices newest first (`pageSize`, default 50).
pub async fn notice_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let size = c.params.i64_in("pageSize", 1, 200, 50)?;
    svc::as_member(&c.ctx.db, &cid, me).await?;
    let list = svc::notices(&c.ctx.db, &cid, size as i32).await?;
    Ok(Reply::data(list.iter().map(|n| notice_json(&cid, n)).collect()))
}

/// `/room/notice/delete` (owner/admins): `noticeId`.
pub async fn notice_delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let id = c.params.req_str("noticeId")?;
    svc::delete_notice(&c.ctx.db, c.ctx.now_ms(), me, &cid, &id).await?;
    Ok(Reply::empty())
}

/// `/room/get/call`: the room's call identifier, allocated on first use.
pub async fn get_call(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let (call, video) = svc::call_id(&c.ctx.db, me, &cid).await?;
    Ok(Reply::data(json!({"roomId": cid, "call": call, "videoMeetingNo": video})))
}

/// `/room/join`: join by id (`type` is accepted and ignored); joining twice changes nothing.
pub async fn join(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    svc::join(&c.ctx.db, c.ctx.now_ms(), me, &room_id(c)?).await?;
    Ok(Reply::empty())
}

/// `/room/leave`.
pub async fn leave(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    svc::leave(&c.ctx.db, c.ctx.now_ms(), me, &room_id(c)?).await?;
    Ok(Reply::empty())
}

/// `/room/list/his`: my rooms, newest first; `type` 0 all, 1 owned, 2 joined;
/// `pageIndex`/`pageSize` (all when absent). One GSI1 Query (my memberships, 1:1 chats
/// included) + ⌈rooms/100⌉ BatchGetItem of the rooms.
pub async fn list_his(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let kind = c.params.i64_in("type", 0, 2, 0)?;
    let mut mine = svc::of_user(&c.ctx.db, me).await?;
    mine.retain(|(_, m)| match kind {
        1 => m.is_owner(),
        2 => !m.is_owner(),
        _ => true,
    });
    mine.sort_by_key(|(r, _)| std::cmp::Reverse((r.created_at(), r.id.clone())));
    if c.params.raw("pageSize").is_some() || c.params.raw("pageIndex").is_some() {
        let size = c.params.i64_in("pageSize", 1, 1000, 10)? as usize;
        let index = c.params.i64_in("pageIndex", 0, 100_000, 0)? as usize;
        mine = mine.into_iter().skip(index.saturating_mul(size)).take(size).collect();
    }
    let none = HashMap::new();
    let out: Vec<Value> = mine.iter().map(|(r, m)| room_json(r, Some(m), &[], &none, &[])).collect();
    Ok(Reply::data(Value::Array(out)))
}

/// `/room/set/admin` (owner): `touserId`, `type` 2 admin / 3 member.
pub async fn set_admin(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let raw = c.params.str("touserId")?.or(c.params.str("toUserId")?).ok_or_else(|| AppError::missing("touserId"))?;
    let target = UserId::parse("touserId", &raw)?;
    let role = match c.params.req_i64("type")? {
        2 => ADMIN,
        3 => MEMBER,
        _ => return Err(AppError::invalid("type", "2 (admin) or 3 (member); ownership moves with /room/transfer")),
    };
    let shiku_role = if role == ADMIN { 2 } else { 3 };
    let ev = GroupEvent::new("admin", me, json!({"userId": target.0, "role": shiku_role}));
    svc::set_role(&c.ctx.db, c.ctx.now_ms(), me, &cid, target, role, &ev).await?;
    Ok(Reply::empty())
}

/// `/room/member/setOfflineNoPushMsg`: my DND (`type` 0) or pin (`type` 1) for the room.
pub async fn set_offline_no_push(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let on = c.params.i64("offlineNoPushMsg")?.ok_or_else(|| AppError::missing("offlineNoPushMsg"))?;
    if !(0..=1).contains(&on) {
        return Err(AppError::invalid("offlineNoPushMsg", "must be 0 or 1"));
    }
    if let Some(u) = c.params.str("userId")? {
        if UserId::parse("userId", &u)? != me {
            return Err(AppError::forbidden("only your own settings"));
        }
    }
    let now = c.ctx.now_ms();
    let ch: Changes = match c.params.i64_in("type", 0, 1, 0)? {
        0 => vec![("offlineNoPushMsg".into(), Some(Field::Int(on)))],
        _ => vec![
            ("isOpenTopChat".into(), Some(Field::Int(on))),
            ("openTopChatTime".into(), Some(Field::Int(if on == 1 { now / 1000 } else { 0 }))),
        ],
    };
    if let Some(m) = svc::set_my_settings(&c.ctx.db, now, me, &cid, ch).await? {
        let profile = svc::user(&c.ctx.db, me).await?;
        return Ok(Reply::data(member_json(&cid, &m, profile.as_ref())));
    }
    Err(AppError::not_found(format!("room {cid}")))
}

/// `/room/copyRoom` (owner/admins): a new room with the same name, settings and members,
/// owned by the caller. Answers the new Room.
pub async fn copy(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = room_id(c)?;
    let db = &c.ctx.db;
    let not_found = || AppError::not_found(format!("room {cid}"));
    let (room, mine, members) = svc::members_as_seen_by(db, &cid, me).await?.ok_or_else(not_found)?;
    require_admin(&mine)?;
    let mut settings = Settings::new();
    let mut keys: Vec<&str> = rooms::FLAGS.iter().map(|(f, _)| *f).collect();
    keys.extend(rooms::INTS);
    keys.extend(rooms::TEXTS.iter().map(|(f, _)| *f));
    keys.extend(["longitude", "latitude", "chatRecordTimeOut", "maxUserSize", "tags", "portrait"]);
    for k in keys {
        if let Some(v) = room.field(k) {
            settings.insert(k.to_string(), v.clone());
        }
    }
    let owner = svc::require_user(db, me).await?;
    let now = c.ctx.now_ms();
    let others: Vec<UserId> = members.iter().map(|m| m.uid).filter(|u| *u != me).collect();
    let new = NewRoom {
        id: None,
        name: room.name(),
        owner: me,
        owner_nickname: owner.nickname.clone(),
        members: others.clone(),
        settings,
        idem: None,
    };
    let ids: Vec<i64> = others.iter().map(|u| u.0).collect();
    let ev = GroupEvent::new("created", me, json!({"name": room.name(), "userIds": ids, "copyOf": cid}));
    let copy = svc::create_room(db, now, new, &ev).await?;
    let profiles = HashMap::from([(me, owner)]);
    Ok(Reply::data(room_json(&copy, Some(&svc::fresh_owner(me, now)), &[], &profiles, &[])))
}
