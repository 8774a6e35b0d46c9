//! Minxing JSON views of rooms: a group (a room as `/api/v1/groups` renders it), its members
//! and the pending join requests. snake_case, epoch-ms timestamps.

use super::user_json;
use crate::domain::join_requests::JoinRequest;
use crate::domain::rooms::{Room, RoomMember};
use crate::services::privacy::Seen;
use crate::services::profiles::Card;
use serde_json::{json, Value};

/// Anyone may join at once (and see the members); otherwise joining is a request.
pub fn is_public(r: &Room) -> bool {
    r.flag("isNeedVerify") == 0
}

/// A group as seen by a member (`me`) or by someone outside it (None).
pub fn group_json(r: &Room, me: Option<&RoomMember>) -> Value {
    json!({
        "id": r.id,
        "name": r.name(),
        "description": r.text("desc"),
        "public": is_public(r),
        "creator_id": r.owner().0,
        "member_count": r.member_count(),
        "max_member_count": r.max_users(),
        "is_member": me.is_some(),
        "is_admin": me.is_some_and(RoomMember::is_admin),
        "role": me.map(|m| m.role.clone()),
        "created_at": r.created_at(),
        "updated_at": r.modified_at(),
    })
}

/// A join request (`type` `group_join`).
pub fn request_json(r: &JoinRequest) -> Value {
    json!({
        "id": r.id(),
        "type": "group_join",
        "group_id": r.cid,
        "user_id": r.uid.0,
        "status": r.state,
        "message": r.message,
        "decided_by": r.decided_by.map(|u| u.0),
        "created_at": r.at,
        "updated_at": r.updated_at,
    })
}

/// A user as the Minxing users endpoints render it (phone as `seen` allows).
pub fn card_json(card: &Card, seen: &Seen) -> Value {
    user_json(&card.shown(seen))
}

/// A member: the user (or just the id when the profile is gone), plus `role`
/// (owner/admin/member), `display_name` (name in the group) and `joined_at`.
pub fn member_json(m: &RoomMember, card: Option<&Card>, seen: &Seen) -> Value {
    let mut o = card.map(|c| card_json(c, seen)).unwrap_or_else(|| json!({"id": m.uid.0, "name": ""}));
    let display = if m.nickname.is_empty() { o["name"].clone() } else { json!(m.nickname) };
    o["display_name"] = display;
    o["role"] = json!(m.role);
    o["joined_at"] = json!(m.joined_at);
    o
}
