//! Shiku views of rooms: the Room entity (`id` = `jid` = the conversation id, times in
//! seconds, roles 1 creator / 2 admin / 3 member), members, notices, and the room settings
//! Shiku clients send as form or query parameters.

use crate::domain::rooms::{
    flag_value, Changes, Field, Notice, Room, RoomMember, ADMIN, FLAGS, INTS, MAX_USERS, OWNER, TEXTS,
};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::params::Params;
use crate::store::users::User;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Shiku role: 1 creator, 2 admin, 3 member.
pub fn role_code(m: &RoomMember) -> i64 {
    match m.role.as_str() {
        OWNER => 1,
        ADMIN => 2,
        _ => 3,
    }
}

/// A setting as JSON (what `updated` group events carry).
pub fn field_json(v: &Field) -> Value {
    match v {
        Field::Int(x) => json!(x),
        // As the number was stored: "5" reads back as 5, not 5.0.
        Field::Num(x) => x.to_string().parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(x)),
        Field::Text(x) => json!(x),
        Field::Texts(l) => json!(l),
        Field::Bool(b) => json!(b),
    }
}

pub fn secs(ms: i64) -> i64 {
    ms / 1000
}

pub fn notice_json(cid: &str, n: &Notice) -> Value {
    json!({"id": n.id, "roomId": cid, "text": n.text, "userId": n.by.0, "nickname": n.nickname, "time": secs(n.time)})
}

pub fn member_json(cid: &str, m: &RoomMember, profile: Option<&User>) -> Value {
    let nickname = if m.nickname.is_empty() {
        profile.map(|p| p.nickname.clone()).unwrap_or_default()
    } else {
        m.nickname.clone()
    };
    json!({
        "roomId": cid,
        "userId": m.uid.0,
        "nickname": nickname,
        "role": role_code(m),
        "sub": 1,
        "talkTime": m.talk_time,
        "offlineNoPushMsg": m.offline_no_push,
        "isOpenTopChat": m.top,
        "openTopChatTime": m.top_time,
        "active": secs(m.joined_at),
        "createTime": secs(m.joined_at),
        "modifyTime": secs(m.modified_at),
        "call": "",
    })
}

/// The Shiku Room entity. `members` are rendered as given (callers decide how many).
pub fn room_json(
    r: &Room,
    me: Option<&RoomMember>,
    members: &[RoomMember],
    profiles: &HashMap<UserId, User>,
    notices: &[Notice],
) -> Value {
    let notice = r.notice();
    let mut o = json!({
        "id": r.id,
        "jid": r.id,
        "name": r.name(),
        "desc": r.text("desc"),
        "subject": r.text("subject"),
        "category": r.int("category"),
        "tags": r.tags(),
        "call": r.text("call"),
        "videoMeetingNo": r.text("videoMeetingNo"),
        "notice": notice.as_ref().map(|x| notice_json(&r.id, x)).unwrap_or_else(|| json!({"time": 0, "modifyTime": 0})),
        "notices": notices.iter().map(|x| notice_json(&r.id, x)).collect::<Vec<_>>(),
        "userSize": r.member_count(),
        "maxUserSize": r.max_users(),
        "countryId": r.int("countryId"),
        "provinceId": r.int("provinceId"),
        "cityId": r.int("cityId"),
        "areaId": r.int("areaId"),
        "longitude": r.f64("longitude"),
        "latitude": r.f64("latitude"),
        "userId": r.owner().0,
        "nickname": r.text("ownerNick"),
        "createTime": secs(r.created_at()),
        "modifier": r.modifier().map(|u| u.0).unwrap_or(r.owner().0),
        "modifyTime": secs(r.modified_at()),
        "s": 1,
        "talkTime": r.talk_time(),
        "chatRecordTimeOut": r.chat_record_timeout(),
        "isAttritionNotice": 1,
        "portraitUri": r.text("portrait"),
        "members": members.iter().map(|m| member_json(&r.id, m, profiles.get(&m.uid))).collect::<Vec<_>>(),
    });
    for (f, _) in FLAGS {
        o[*f] = json!(r.flag(f));
    }
    if let Some(m) = me {
        o["member"] = member_json(&r.id, m, profiles.get(&m.uid));
    }
    o
}

/// Room settings given as parameters (creation, update): flags 0/1, region ids, texts,
/// coordinates, `talkTime` (seconds; milliseconds are converted), `chatRecordTimeOut`
/// (-1 or days), `maxUserSize` (1–1000), `tags`.
pub fn settings(p: &Params) -> AppResult<Changes> {
    let mut ch: Changes = vec![];
    for (f, _) in FLAGS {
        if let Some(v) = p.i64(f)? {
            ch.push((f.to_string(), Some(flag_value(f, v)?)));
        }
    }
    for f in INTS {
        if let Some(v) = p.i64(f)? {
            if !(0..=i64::from(i32::MAX)).contains(&v) {
                return Err(AppError::invalid(f, "must be a non-negative integer"));
            }
            ch.push((f.to_string(), Some(Field::from(v))));
        }
    }
    for (f, max) in TEXTS {
        if let Some(v) = p.str_max(f, *max)? {
            ch.push((f.to_string(), Some(Field::from(v))));
        }
    }
    for (f, lim) in [("longitude", 180.0), ("latitude", 90.0)] {
        if let Some(v) = p.f64(f)? {
            if !(-lim..=lim).contains(&v) {
                return Err(AppError::invalid(f, format!("must be between -{lim} and {lim}")));
            }
            ch.push((f.to_string(), Some(Field::from(v))));
        }
    }
    if let Some(t) = p.i64("talkTime")? {
        ch.push(("talkTime".into(), Some(Field::Int(talk_time(t)?))));
    }
    if let Some(v) = p.f64("chatRecordTimeOut")? {
        if v != -1.0 && v < 0.0 {
            return Err(AppError::invalid("chatRecordTimeOut", "-1 or a number of days"));
        }
        ch.push(("chatRecordTimeOut".into(), Some(Field::from(v))));
    }
    if let Some(v) = p.i64("maxUserSize")? {
        if !(1..=MAX_USERS).contains(&v) {
            return Err(AppError::invalid("maxUserSize", format!("must be between 1 and {}", MAX_USERS)));
        }
        ch.push(("maxUserSize".into(), Some(Field::from(v))));
    }
    let tags = p.list("tags")?;
    if !tags.is_empty() {
        if tags.len() > 10 || tags.iter().any(|t| t.chars().count() > 20) {
            return Err(AppError::invalid("tags", "at most 10 tags of 20 characters"));
        }
        ch.push(("tags".into(), Some(Field::Texts(tags))));
    }
    Ok(ch)
}

/// Mute-until time in epoch seconds (0 lifts it); milliseconds are accepted and converted.
pub fn talk_time(t: i64) -> AppResult<i64> {
    match t {
        t if t < 0 => Err(AppError::invalid("talkTime", "must not be negative")),
        t if t > 100_000_000_000 => Ok(t / 1000),
        t => Ok(t),
    }
}
