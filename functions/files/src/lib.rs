//! `files` endpoints: uploads to S3 and file records.
//! Routes: infra/template.yaml, `FilesFunction`.

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::http::{serve, Call};
use shared::store::files::{self, FileRecord};
use shared::{AppError, AppResult, Ctx, Reply};
use std::time::Duration;

/// Download links stay valid for an hour; clients ask again for a fresh one.
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(3600);

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        ("POST", "/api/v1/uploaded_files") => upload(&c).await,
        ("POST", "/api/v1/photos") => upload_avatar(&c).await,
        _ => Err(c.not_found()),
    }
}

/// Keep names printable and path-free; the S3 key never uses the raw name.
fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.trim().is_empty() {
        "file".into()
    } else {
        name
    }
}

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

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn file_json(ctx: &Ctx, f: &FileRecord) -> AppResult<Value> {
    Ok(json!({
        "id": f.id,
        "name": f.name,
        "content_type": f.content_type,
        "size": f.size,
        "user_id": f.owner.0,
        "created_at": f.created_at,
        "download_url": download_url(ctx, f).await?,
    }))
}

/// Multipart upload (field `file`, or the first file part): object first, then
/// the record, so a record never points at a missing object.
async fn upload(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let part = c.params.file("file").or_else(|| c.params.files.first()).ok_or_else(|| AppError::missing("file"))?;
    if part.bytes.is_empty() {
        return Err(AppError::invalid("file", "is empty"));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let rec = FileRecord {
        s3_key: format!("files/{id}"),
        id,
        name: clean_name(&part.filename),
        content_type: part.content_type.clone(),
        size: part.bytes.len() as i64,
        owner: me,
        created_at: c.ctx.now_ms(),
    };
    c.ctx
        .s3
        .put_object()
        .bucket(&c.ctx.bucket)
        .key(&rec.s3_key)
        .content_type(&rec.content_type)
        .body(ByteStream::from(part.bytes.clone()))
        .send()
        .await?;
    files::put(&c.ctx.db, &rec).await?;
    Ok(Reply::data(file_json(c.ctx, &rec).await?).status(201))
}

/// Minxing avatar upload (multipart field `file`, or the first file part; an
/// image): stored at `avatars/<uid>/<id>` in S3. With `auto_save` (default true)
/// the key becomes the profile's avatar, shown by every dialect as a presigned URL.
async fn upload_avatar(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let auto_save = match c.params.str("auto_save")?.as_deref() {
        None | Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(_) => return Err(AppError::invalid("auto_save", "true or false")),
    };
    let part = c.params.file("file").or_else(|| c.params.files.first()).ok_or_else(|| AppError::missing("file"))?;
    if part.bytes.is_empty() {
        return Err(AppError::invalid("file", "is empty"));
    }
    if !part.content_type.to_ascii_lowercase().starts_with("image/") {
        return Err(AppError::invalid("file", "must be an image"));
    }
    let key = format!("{}{}", shared::store::profiles::avatar_prefix(me), uuid::Uuid::new_v4().simple());
    c.ctx
        .s3
        .put_object()
        .bucket(&c.ctx.bucket)
        .key(&key)
        .content_type(&part.content_type)
        .body(ByteStream::from(part.bytes.clone()))
        .send()
        .await?;
    if auto_save {
        let edit = shared::store::profiles::Edit { avatar: Some(key.clone()), ..Default::default() };
        let it = shared::store::profiles::update(&c.ctx.db, me, c.ctx.now_ms(), &edit).await?;
        // Followers' relations carry a copy of the avatar (store/relations.rs).
        let nickname = it.get("nickname").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        if let Err(e) = shared::store::relations::refresh_profile(&c.ctx.db, me, &nickname, Some(&key)).await {
            tracing::warn!(error = %e, "could not refresh relations after an avatar change");
        }
    }
    let url = shared::store::profiles::avatar_url(c.ctx, Some(&key))
        .await
        .ok_or_else(|| AppError::internal("presign avatar"))?;
    Ok(Reply::data(json!({
        "avatar_url": url,
        "url": url,
        "key": key,
        "size": part.bytes.len(),
        "content_type": part.content_type,
        "auto_save": auto_save,
    }))
    .status(201))
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
