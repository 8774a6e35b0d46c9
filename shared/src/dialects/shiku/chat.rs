//! Shiku JSON views and request structs of chat.

use crate::domain::chat::Message;
use crate::ids::UserId;
use serde_json::{json, Value};

/// A message as a Shiku `/tigase/*` history record, shaped like the Tigase message archive
/// (`_id`, `body`, `sender`, `receiver`, `ts`, `type`, …); `receiver` for 1:1 chats.
pub fn record(m: &Message, receiver: Option<UserId>) -> Value {
    let body = if m.recalled { "" } else { m.content.as_str() };
    let mut r = json!({
        "_id": m.id,
        "messageId": m.id,
        "body": body,
        "content": body,
        "message": "",
        "direction": 0,
        "sender": m.sender.0,
        "fromUserId": m.sender.0,
        "sender_jid": format!("{}@im", m.sender.0),
        "ts": m.ts,
        "timeSend": m.ts / 1000,
        "type": m.kind,
        "contentType": m.kind,
        "seq": m.seq,
        "isRecall": i32::from(m.recalled),
    });
    match receiver {
        Some(to) => {
            r["receiver"] = json!(to.0);
            r["toUserId"] = json!(to.0);
            r["receiver_jid"] = json!(format!("{}@im", to.0));
        }
        None => {
            r["room_jid_id"] = json!(m.conversation_id);
            r["room_jid"] = json!(format!("{}@muc.im", m.conversation_id));
            r["event_type"] = json!(1);
        }
    }
    r
}
