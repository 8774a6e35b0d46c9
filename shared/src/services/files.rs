//! Uploaded files: the object first, then the record (a record never points at a missing
//! object); downloads through short-lived presigned links.

use crate::domain::files::FileRecord;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::files;
use crate::Ctx;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use std::time::Duration;

/// Download links stay valid for an hour; clients ask again for a fresh one.
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(3600);

/// Keep names printable and path-free; the S3 key never uses the raw name.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.trim().is_empty() {
        "file".into()
    } else {
        name
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Store an upload of mine (`files/<id>` in S3, then its record); empty files are refused.
pub async fn upload(ctx: &Ctx, me: UserId, filename: &str, content_type: &str, bytes: &[u8]) -> AppResult<FileRecord> {
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "is empty"));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let rec = FileRecord {
        s3_key: format!("files/{id}"),
        id,
        name: clean_name(filename),
        content_type: content_type.to_string(),
        size: bytes.len() as i64,
        owner: me,
        created_at: ctx.now_ms(),
    };
    ctx.s3
        .put_object()
        .bucket(&ctx.bucket)
        .key(&rec.s3_key)
        .content_type(&rec.content_type)
        .body(ByteStream::from(bytes.to_vec()))
        .send()
        .await?;
    files::put(&ctx.db, &rec).await?;
    Ok(rec)
}

/// A presigned download link (attachment, with the file's name) valid for [`DOWNLOAD_TTL`].
pub async fn download_url(ctx: &Ctx, f: &FileRecord) -> AppResult<String> {
    let cfg = PresigningConfig::expires_in(DOWNLOAD_TTL).map_err(AppError::internal)?;
    let req = ctx
        .s3
        .get_object()
        .bucket(&ctx.bucket)
        .key(&f.s3_key)
        .response_content_disposition(format!("attachment; filename*=UTF-8''{}", urlencode(&f.name)))
        .presigned(cfg)
        .await
        .map_err(AppError::internal)?;
    Ok(req.uri().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_control_chars() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\a b.txt"), "a b.txt");
        assert_eq!(clean_name("\u{0}\n"), "file");
        assert_eq!(urlencode("a b/é"), "a%20b%2F%C3%A9");
    }
}
