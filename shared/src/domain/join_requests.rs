//! Requests to join a private group (a room with `isNeedVerify = 1`): Minxing
//! `/api/v1/pendings/requests/{id}/approve|reject`. Stored by store/requests.rs, decided by
//! services::join_requests.
//!
//! The request id is `<cid>.<uid>.<at>` (conversation ids have no `.`): it decodes to the key,
//! so finding a request is one GetItem; asking again after a decision makes a newer `at`.

use crate::domain::chat::valid_id;
use crate::ids::UserId;

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";
/// Longest message a requester may attach.
pub const MAX_MESSAGE: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct JoinRequest {
    pub cid: String,
    pub uid: UserId,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    /// When it was asked (epoch ms); part of the id.
    pub at: i64,
    pub message: String,
    /// `createdAt` of the room it was asked for.
    pub room_at: i64,
    pub updated_at: i64,
    pub decided_by: Option<UserId>,
}

impl JoinRequest {
    pub fn id(&self) -> String {
        format!("{}.{}.{}", self.cid, self.uid, self.at)
    }
    pub fn is_pending(&self) -> bool {
        self.state == PENDING
    }
}

/// `<cid>.<uid>.<at>` → its parts; None for anything else (checked before building keys).
pub fn parse_id(id: &str) -> Option<(String, UserId, i64)> {
    let mut parts = id.rsplitn(3, '.');
    let at: i64 = parts.next()?.parse().ok()?;
    let uid: i64 = parts.next()?.parse().ok()?;
    let cid = parts.next()?;
    if !valid_id(cid) || uid <= 0 || at <= 0 {
        return None;
    }
    Some((cid.to_string(), UserId(uid), at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let r = JoinRequest {
            cid: "a1b2_c-3".into(),
            uid: UserId(10000001),
            state: PENDING.into(),
            at: 1_700_000_000_123,
            message: String::new(),
            room_at: 1,
            updated_at: 1,
            decided_by: None,
        };
        assert_eq!(r.id(), "a1b2_c-3.10000001.1700000000123");
        assert_eq!(parse_id(&r.id()), Some(("a1b2_c-3".to_string(), UserId(10000001), 1_700_000_000_123)));
        for bad in ["", "x", "a.b", "a.1", "a.b.1", "a.1.b", ".1.2", "a b.1.2", "a.b.1.2", "a.-1.2", "a.1.0"] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }
}
