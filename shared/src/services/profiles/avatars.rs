//! Avatars: an absolute http(s) URL or an S3 key under the owner's prefix (`avatars/<uid>/`),
//! shown by every dialect as a loadable link. Uploads: a presigned PUT (SealTalk) checked
//! when set, or bytes sent to us (Minxing photos).

use super::{after_change, edit};
use crate::domain::users::Edit;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::profiles;
use crate::Ctx;
// Only the Minxing photo upload (files function) puts objects itself: the one use of the
// S3 client here; the rest goes through `ctx.objects`, so `users` does not link the client.
use aws_sdk_s3::primitives::ByteStream;
use std::time::Duration;

/// Image types an upload URL may be asked for (and an uploaded portrait must have).
pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];
/// Largest uploaded portrait image.
pub const MAX_IMAGE_BYTES: i64 = 5 * 1024 * 1024;
/// A presigned upload stays valid this long.
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);
/// Longest avatar URL or key a client may set.
pub const PORTRAIT_MAX: usize = 256;

/// A loadable avatar URL: absolute URLs as stored, S3 keys presigned (no network call).
pub async fn avatar_url(ctx: &Ctx, stored: Option<&str>) -> Option<String> {
    profiles::avatar_url(ctx, stored).await
}

/// The avatar of `uid` as a loadable link (None: no such account, or no avatar). One GetItem.
/// Shiku clients load avatars by user id (`downloadAvatarUrl` + `avatar/o/<uid % 10000>/<uid>.jpg`),
/// as the original's file server published them: anyone holding the id sees the picture.
pub async fn of_user(ctx: &Ctx, uid: UserId) -> AppResult<Option<String>> {
    let Some(u) = crate::store::users::get(&ctx.db, uid).await? else { return Ok(None) };
    Ok(avatar_url(ctx, u.avatar.as_deref()).await)
}

/// S3 key prefix of a user's avatars; only keys under it may be set as that user's avatar.
pub fn avatar_prefix(uid: UserId) -> String {
    format!("avatars/{uid}/")
}

fn fresh_key(me: UserId) -> String {
    format!("{}{}", avatar_prefix(me), uuid::Uuid::new_v4().simple())
}

/// A presigned PUT for a fresh key under my avatar prefix.
#[derive(Debug, Clone)]
pub struct Upload {
    pub key: String,
    /// The presigned PUT URL.
    pub put_url: String,
    pub content_type: String,
    /// Where the image will load from once uploaded.
    pub url: Option<String>,
}

/// Upload credentials: the URL signs the content type (default image/jpeg) and, when `size`
/// is given, the exact length; S3 refuses any other PUT. After the PUT, the key is set with
/// [`set_avatar`].
pub async fn upload_url(ctx: &Ctx, me: UserId, content_type: Option<String>, size: Option<i64>) -> AppResult<Upload> {
    let ct = content_type.unwrap_or_else(|| "image/jpeg".into()).to_ascii_lowercase();
    if !IMAGE_TYPES.contains(&ct.as_str()) {
        return Err(AppError::invalid("contentType", format!("one of {}", IMAGE_TYPES.join(", "))));
    }
    if size.is_some_and(|n| !(1..=MAX_IMAGE_BYTES).contains(&n)) {
        return Err(AppError::invalid("size", format!("between 1 and {MAX_IMAGE_BYTES} bytes")));
    }
    let key = fresh_key(me);
    let put_url = ctx.objects.presign_put(&key, &ct, size, UPLOAD_TTL).await?;
    let url = avatar_url(ctx, Some(&key)).await;
    Ok(Upload { key, put_url, content_type: ct, url })
}

/// Set my avatar to `uri` (field `field`): an http(s) URL, or the key of an upload made with
/// [`upload_url`] (under my own prefix, an image within the limit: one HeadObject).
pub async fn set_avatar(ctx: &Ctx, me: UserId, field: &str, uri: String) -> AppResult<()> {
    let is_url = (uri.starts_with("http://") || uri.starts_with("https://")) && uri.len() > 8;
    let is_own_key = uri.starts_with(&avatar_prefix(me))
        && uri.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
        && !uri.contains("..");
    let clean = !uri.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"'`".contains(c));
    if uri.len() > PORTRAIT_MAX || !clean || !(is_url || is_own_key) {
        return Err(AppError::invalid(field, "an http(s) URL or your uploaded image key"));
    }
    if is_own_key {
        check_uploaded_image(ctx, field, &uri).await?;
    }
    edit(ctx, me, &Edit { avatar: Some(uri), ..Default::default() }).await?;
    Ok(())
}

/// An uploaded portrait object must exist and be an image within the limit (S3 cannot bound
/// the size of a presigned PUT without it): one HeadObject; a refused object is deleted.
async fn check_uploaded_image(ctx: &Ctx, field: &str, key: &str) -> AppResult<()> {
    let Some(head) = ctx.objects.head(key).await? else {
        return Err(AppError::invalid(field, "nothing was uploaded to this key"));
    };
    let ct = head.content_type.unwrap_or_default().to_ascii_lowercase();
    let size = head.content_length.unwrap_or(0);
    if IMAGE_TYPES.contains(&ct.as_str()) && (1..=MAX_IMAGE_BYTES).contains(&size) {
        return Ok(());
    }
    if let Err(e) = ctx.objects.delete(key).await {
        tracing::warn!(key, error = %e, "could not delete a refused upload");
    }
    Err(AppError::invalid(field, format!("the upload must be an image of at most {MAX_IMAGE_BYTES} bytes")))
}

/// An avatar image sent to us (field `file`): stored at `avatars/<uid>/<id>`; with
/// `auto_save` the key becomes my avatar and the relations' copies follow (no live frame,
/// as before). Answers the key and its link.
pub async fn upload_avatar(
    ctx: &Ctx,
    me: UserId,
    content_type: &str,
    bytes: &[u8],
    auto_save: bool,
) -> AppResult<(String, String)> {
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "is empty"));
    }
    if !content_type.to_ascii_lowercase().starts_with("image/") {
        return Err(AppError::invalid("file", "must be an image"));
    }
    let key = fresh_key(me);
    ctx.s3
        .put_object()
        .bucket(&ctx.bucket)
        .key(&key)
        .content_type(content_type)
        .body(ByteStream::from(bytes.to_vec()))
        .send()
        .await?;
    if auto_save {
        let e = Edit { avatar: Some(key.clone()), ..Default::default() };
        let p = profiles::update(&ctx.db, me, ctx.now_ms(), &e).await?;
        after_change(ctx, &e, &p, false).await;
    }
    let url = avatar_url(ctx, Some(&key)).await.ok_or_else(|| AppError::internal("presign avatar"))?;
    Ok((key, url))
}
