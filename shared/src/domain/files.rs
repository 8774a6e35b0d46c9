//! Uploaded files: a record pointing at an S3 object.

use crate::ids::UserId;

/// An upload: `s3_key` is where the bytes are, `name` the cleaned client file name.
#[derive(Debug, Clone)]
pub struct FileRecord {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub s3_key: String,
    pub owner: UserId,
    pub created_at: i64,
}
