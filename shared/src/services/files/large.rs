//! Uploads larger than a Lambda payload (6 MB; multipart through the function stays for
//! ≤ 4.5 MiB): a presigned S3 PUT signing the content type and the exact length, reserved as
//! `FILE#<fid>/PENDING` for the hour the URL lives; the completion call checks the object
//! (HeadObject: present, same length and type) and creates the record in one transaction.

use super::{download_ttl_cfg, fresh, place, UploadTo};
use crate::domain::files::FileRecord;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::files;
use crate::Ctx;

/// Largest presigned upload (bytes).
pub const MAX_LARGE: i64 = 1 << 30;
/// A presigned PUT (and its reservation) lives this long (seconds).
const UPLOAD_SECS: i64 = 3600;

/// What the client needs for the PUT.
#[derive(Debug, Clone)]
pub struct LargeUpload {
    pub file: FileRecord,
    pub put_url: String,
    /// Epoch ms after which the URL (and the reservation) is dead.
    pub expires_at: i64,
}

/// `type/subtype`, ≤ 100 printable ASCII characters, no spaces or separators S3 would mangle.
fn valid_content_type(ct: &str) -> bool {
    ct.len() <= 100
        && ct.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && ct.bytes().all(|b| b.is_ascii_alphanumeric() || b"/.+-_".contains(&b))
}

/// Reserve a file and presign its PUT. One PutItem (+ one BatchGetItem in a room).
pub async fn presign_upload(
    ctx: &Ctx,
    me: UserId,
    name: &str,
    content_type: &str,
    size: i64,
    to: UploadTo<'_>,
) -> AppResult<LargeUpload> {
    let ct = content_type.to_ascii_lowercase();
    if !valid_content_type(&ct) {
        return Err(AppError::invalid("content_type", "a MIME type such as application/pdf"));
    }
    if !(1..=MAX_LARGE).contains(&size) {
        return Err(AppError::invalid("size", format!("between 1 and {MAX_LARGE} bytes")));
    }
    let mut rec = fresh(ctx, me, name, &ct, size);
    place(ctx, me, &mut rec, &to).await?;
    let expires_s = ctx.now_secs() + UPLOAD_SECS;
    files::put_pending(&ctx.db, &rec, expires_s).await?;
    let cfg = download_ttl_cfg(std::time::Duration::from_secs(UPLOAD_SECS as u64))?;
    let put = ctx
        .s3
        .put_object()
        .bucket(&ctx.bucket)
        .key(&rec.s3_key)
        .content_type(&ct)
        .content_length(size)
        .presigned(cfg)
        .await
        .map_err(AppError::internal)?;
    Ok(LargeUpload { file: rec, put_url: put.uri().to_string(), expires_at: expires_s * 1000 })
}

/// Complete a presigned upload of mine: the object must be there with the signed length and
/// type (else 400, and a wrong object is deleted). Repeat-safe: a completed file answers again.
/// GetItem + HeadObject + TransactWriteItems (+ BatchGetItem in a room: still a member).
pub async fn complete_upload(ctx: &Ctx, me: UserId, fid: &str) -> AppResult<(FileRecord, bool)> {
    let not_found = || AppError::not_found(format!("file {fid}"));
    let Some(rec) = files::get_pending(&ctx.db, fid, ctx.now_secs()).await?.filter(|r| r.owner == me) else {
        return match super::get(ctx, fid).await? {
            Some(done) if done.owner == me => Ok((done, false)),
            _ => Err(not_found()),
        };
    };
    if let Some(room) = &rec.room {
        let to = UploadTo { group: Some(room), vis: rec.vis };
        let mut check = rec.clone();
        place(ctx, me, &mut check, &to).await?;
    }
    let head = match ctx.s3.head_object().bucket(&ctx.bucket).key(&rec.s3_key).send().await {
        Ok(h) => h,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {
            return Err(AppError::invalid("file_id", "nothing was uploaded yet"))
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let ct = head.content_type().unwrap_or_default().to_ascii_lowercase();
    if head.content_length() != Some(rec.size) || ct != rec.content_type {
        if let Err(e) = ctx.s3.delete_object().bucket(&ctx.bucket).key(&rec.s3_key).send().await {
            tracing::warn!(key = rec.s3_key, error = %e, "could not delete a refused upload");
        }
        return Err(AppError::invalid("file_id", "the uploaded object does not match the signed length and type"));
    }
    if !files::complete(&ctx.db, &rec).await? {
        return match super::get(ctx, fid).await? {
            Some(done) if done.owner == me => Ok((done, false)),
            _ => Err(not_found()),
        };
    }
    Ok((rec, true))
}
