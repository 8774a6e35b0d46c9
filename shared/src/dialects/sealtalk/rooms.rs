//! Sealtalk JSON views and request structs of rooms.

use crate::domain::rooms::{RoomMember, ADMIN, OWNER};

/// SealTalk member role: 0 creator, 1 member, 2 manager.
pub fn role_code(m: &RoomMember) -> i64 {
    match m.role.as_str() {
        OWNER => 0,
        ADMIN => 2,
        _ => 1,
    }
}
