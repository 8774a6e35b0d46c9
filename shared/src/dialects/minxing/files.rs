//! Minxing JSON views of files (`/api/v1/uploaded_files…`): snake_case, epoch ms.

use crate::domain::files::FileRecord;
use crate::services::files::link;
use serde_json::{json, Value};

/// A file: `download_url` a presigned link valid for an hour (an external link as is), `url`
/// the stable one, `group_id` its room (or null), `followed` by the caller.
pub fn file_json(base: &str, f: &FileRecord, download_url: &str, followed: bool) -> Value {
    json!({
        "id": f.id,
        "name": f.name,
        "content_type": f.content_type,
        "size": f.size,
        "user_id": f.owner.0,
        "created_at": f.created_at,
        "download_url": download_url,
        "url": link(base, f),
        "group_id": f.room,
        "visibility": f.vis.as_str(),
        "followed": followed,
    })
}
