//! Shiku JSON views of files: a room share (`/room/share/*`) and copyFile's answer.

use crate::domain::files::FileRecord;
use crate::services::files::link;
use serde_json::{json, Value};

/// A share `{shareId, roomId, name, url, size, type, userId, nickname, time}`: `shareId` a
/// string, `url` stable (ours) or the external link, `time` epoch seconds.
pub fn share_json(base: &str, f: &FileRecord) -> Value {
    json!({
        "shareId": f.id,
        "roomId": f.room.clone().unwrap_or_default(),
        "name": f.name,
        "url": link(base, f),
        "size": f.size,
        "type": f.share_type,
        "userId": f.owner.0,
        "nickname": f.nickname,
        "time": f.created_at / 1000,
    })
}

/// copyFile: `{url, urls}` (`url` the first copy's stable URL).
pub fn copies_json(base: &str, copies: &[FileRecord]) -> Value {
    let urls: Vec<String> = copies.iter().map(|f| link(base, f)).collect();
    json!({"url": urls.first().cloned().unwrap_or_default(), "urls": urls})
}
