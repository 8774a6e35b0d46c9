//! Shiku "courses" (`/course/add`): a named recording of messages of a room, kept per user:
//! `USER#<uid>` / `COURSE#<id>` with `courseName`, `roomJid`, `messageIds` (list), `createTime`.

use super::{n, s, users, Db};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::AttributeValue;

pub use crate::domain::chat::MAX_COURSE_MESSAGES as MAX_MESSAGES;

/// Store a course; returns its id (one PutItem).
pub async fn add(
    db: &Db,
    uid: UserId,
    name: &str,
    room: &str,
    message_ids: &[String],
    create_time: i64,
) -> AppResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut it = Db::key(users::pk(uid), format!("COURSE#{id}"));
    it.insert("courseId".into(), s(&id));
    it.insert("userId".into(), n(uid.0));
    it.insert("courseName".into(), s(name));
    it.insert("roomJid".into(), s(room));
    it.insert("messageIds".into(), AttributeValue::L(message_ids.iter().map(s).collect()));
    it.insert("createTime".into(), n(create_time));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(id)
}
