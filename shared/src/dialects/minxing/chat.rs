//! Minxing JSON views and request structs of chat.

use crate::domain::chat::{Conversation, Kind, Member, Message};
use serde_json::{json, Value};

/// A conversation. `user_ids` is both participants of a 1:1 chat; a group's members are not
/// on its META, so its views that show them add `user_ids` (created, detail, renamed, invited)
/// and lists leave it out (an empty list would say "nobody").
pub fn conversation_json(c: &Conversation, me: Option<&Member>) -> Value {
    let mut v = json!({
        "id": c.id,
        "conversation_type": if c.kind == Kind::Group { "group" } else { "private" },
        "title": c.name,
        "creator_id": c.owner.map(|u| u.0),
        "user_ids": c.pair.iter().map(|u| u.0).collect::<Vec<_>>(),
        "last_seq": c.last_seq,
        "last_message": if c.last_seq > 0 { json!({"body": c.last_preview, "sender_id": c.last_sender.map(|u| u.0), "created_at": c.last_ts}) } else { Value::Null },
        "unread_count": me.map(|m| (c.last_seq - m.read_seq).max(0)).unwrap_or(0),
        "created_at": c.created_at,
        "updated_at": c.last_ts.max(c.created_at),
    });
    if c.kind == Kind::Group {
        v.as_object_mut().map(|o| o.remove("user_ids"));
    }
    v
}

pub fn message_json(m: &Message) -> Value {
    json!({
        "id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "sender_id": m.sender.0,
        "body": if m.recalled { "" } else { m.content.as_str() },
        "message_type": m.kind,
        "recalled": m.recalled,
        "created_at": m.ts,
    })
}
