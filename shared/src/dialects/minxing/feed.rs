//! Minxing JSON view of work-circle posts (docs/dialects.md "Minxing feed"): snake_case,
//! epoch-ms times, numeric ids.

use super::NETWORK_ID;
use crate::domain::feed::{Attachment, ReplySummary};
use crate::ids::UserId;
use crate::services::feed::Shown;
use crate::services::profiles::Card;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `{id, name, avatar_url}` of a sender (name empty when the account is gone).
pub fn sender_json(uid: UserId, cards: &HashMap<UserId, Card>) -> Value {
    match cards.get(&uid) {
        Some(c) => json!({"id": uid.0, "name": c.user.nickname, "avatar_url": c.avatar_url}),
        None => json!({"id": uid.0, "name": "", "avatar_url": null}),
    }
}

fn attachment_json(a: &Attachment, urls: &HashMap<String, String>) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "size": a.size,
        "content_type": a.content_type,
        "download_url": urls.get(&a.id),
    })
}

fn reply_json(r: &ReplySummary, thread_id: i64, cards: &HashMap<UserId, Card>) -> Value {
    json!({
        "id": r.id,
        "thread_id": thread_id,
        "sender_id": r.sender.0,
        "sender": sender_json(r.sender, cards),
        "body": r.body,
        "created_at": r.created_at,
    })
}

/// A post as one reader sees it; `last_replies` filled only when `extended`.
pub fn message_json(s: &Shown, cards: &HashMap<UserId, Card>, urls: &HashMap<String, String>, extended: bool) -> Value {
    let p = &s.post;
    let last: Vec<Value> = if extended && p.is_starter() {
        p.last_replies.iter().map(|r| reply_json(r, p.thread_id, cards)).collect()
    } else {
        vec![]
    };
    json!({
        "id": p.id,
        "thread_id": p.thread_id,
        "replied_to_id": p.replied_to_id,
        "sender_id": p.sender.0,
        "sender": sender_json(p.sender, cards),
        "group_id": p.group_id,
        "network_id": NETWORK_ID,
        "body": p.body,
        "attachments": p.attachments.iter().map(|a| attachment_json(a, urls)).collect::<Vec<_>>(),
        "likes_count": p.likes,
        "liked": s.liked,
        "bookmarked": s.bookmarked,
        "replies_count": p.replies,
        "last_replies": last,
        "created_at": p.created_at,
    })
}

/// `notification_counts`: one entry for the single network.
pub fn counts_json(unread_messages: i64, unseen_feed: i64, pending_requests: i64) -> Value {
    json!([{
        "network_id": NETWORK_ID,
        "unread_messages_count": unread_messages,
        "unseen_feed_count": unseen_feed,
        "pending_requests_count": pending_requests,
    }])
}
