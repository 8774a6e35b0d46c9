//! Per-user live events that are not friend changes (Xuanxuan notifications, …):
//! `EVENT#<uid>` / `<ts:013>#<id>` with `ev = "user"`, `evTo`, `frame` (JSON text), `ttl`
//! one day — the same shape as friend events (store/relations.rs). `delivery` posts the
//! frame to the user's live connections, so functions without `@connections` access
//! (chat, integrations) can reach sockets.

use super::{n, s, Db};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use serde_json::Value;

pub const EVENT_TTL_SECS: i64 = 86_400;

/// One event item per recipient: ⌈n/25⌉ BatchWriteItem.
pub async fn put_user_events(db: &Db, now_ms: i64, to: &[UserId], frame: &Value) -> AppResult<()> {
    let text = frame.to_string();
    let requests = to
        .iter()
        .map(|u| {
            let id = uuid::Uuid::new_v4().simple().to_string();
            let mut it = Db::key(format!("EVENT#{u}"), format!("{now_ms:013}#{id}"));
            it.insert("ev".into(), s("user"));
            it.insert("evTo".into(), n(u.0));
            it.insert("frame".into(), s(&text));
            it.insert("ttl".into(), n(now_ms / 1000 + EVENT_TTL_SECS));
            WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(it)).build().expect("item")).build()
        })
        .collect();
    super::batch_write(db, requests).await
}
