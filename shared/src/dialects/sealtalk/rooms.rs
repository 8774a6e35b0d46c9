//! Sealtalk JSON views and request structs of rooms.

use super::iso;
use crate::domain::rooms::{DismissedRoom, Room, RoomMember, ADMIN, OWNER};
use serde_json::{json, Value};

/// SealTalk member role: 0 creator, 1 member, 2 manager.
pub fn role_code(m: &RoomMember) -> i64 {
    match m.role.as_str() {
        OWNER => 0,
        ADMIN => 2,
        _ => 1,
    }
}

/// `GET /group/{id}`: `{id, name, portraitUri, memberCount, maxMemberCount, creatorId, bulletin,
/// deletedAt, timestamp}`.
pub fn group_json(r: &Room) -> Value {
    json!({
        "id": r.id,
        "name": r.name(),
        "portraitUri": r.text("portrait"),
        "memberCount": r.member_count(),
        "maxMemberCount": r.max_users(),
        "creatorId": r.owner().to_string(),
        "bulletin": r.notice().map(|x| x.text).unwrap_or_default(),
        "deletedAt": Value::Null,
        "timestamp": r.modified_at(),
    })
}

/// A dismissed group as the original answers it (`deletedAt` set, no members).
pub fn dismissed_json(d: &DismissedRoom) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "portraitUri": d.portrait,
        "memberCount": 0,
        "maxMemberCount": d.max_users,
        "creatorId": d.owner.to_string(),
        "bulletin": d.bulletin,
        "deletedAt": iso(d.at),
        "timestamp": d.at,
    })
}
