//! Minxing JSON views of relations: following = subscribing to a user; friends are mutual
//! subscriptions.

use crate::domain::relations::{Outcome, Relation, FRIENDS};
use serde_json::{json, Value};

pub fn subscription_json(r: &Relation) -> Value {
    json!({
        "id": r.other.0,
        "user_id": r.other.0,
        "name": r.to_nickname,
        "display_name": if r.remark.is_empty() { &r.to_nickname } else { &r.remark },
        "avatar_url": r.to_avatar,
        "relation": if r.status == FRIENDS { "friend" } else { "following" },
        "subscribed_at": r.create_time,
        "updated_at": r.modify_time,
    })
}

/// Does a subscribe leave a friend request waiting for the user's verification?
pub fn request_pending(o: Outcome) -> bool {
    o == Outcome::Requested || o == Outcome::AlreadyFollowing
}

/// HTTP status of a subscribe: 201 when something new happened, 200 when it already existed.
pub fn subscribe_status(o: Outcome) -> u16 {
    match o {
        Outcome::Requested | Outcome::Friends | Outcome::Subscribed => 201,
        _ => 200,
    }
}
