//! `files` endpoints: uploads to S3 and file records.
//! Routes: infra/template.yaml, `FilesFunction`.

use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::domain::files::FileRecord;
use shared::http::{serve, Call};
use shared::services::files::{self, download_url};
use shared::services::profiles::avatars;
use shared::{AppError, AppResult, Ctx, Reply};

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
    let rec = files::upload(c.ctx, me, &part.filename, &part.content_type, &part.bytes).await?;
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
    let (key, url) = avatars::upload_avatar(c.ctx, me, &part.content_type, &part.bytes, auto_save).await?;
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
