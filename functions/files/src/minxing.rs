//! Minxing `/api/v1/uploaded_files…`, `/api/v1/photos`, `/api/v1/subscriptions/uploaded_files`.

use super::base;
use serde_json::{json, Value};
use shared::dialects::minxing::files::file_json;
use shared::domain::files::{valid_id, FileRecord, Vis, DEFAULT_PAGE, MAX_NAME, MAX_PAGE};
use shared::http::Call;
use shared::ids::UserId;
use shared::services::files::{self, download_url, Listed, UploadTo};
use shared::services::profiles::avatars;
use shared::{AppError, AppResult, Reply};

async fn one(c: &Call<'_>, f: &FileRecord, followed: bool) -> AppResult<Value> {
    Ok(file_json(&base(c), f, &download_url(c.ctx, f).await?, followed))
}

/// Multipart upload (field `file`, or the first file part): object first, then the record, so
/// a record never points at a missing object. `group_id`: into that group (member;
/// `allowUploadFile = 0` → owner/admins), visible to whoever sees the group; else
/// `visibility` `private` (default: me only) or `network` (everyone).
pub async fn upload(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (group, vis) = target(c)?;
    let part = c.params.file("file").or_else(|| c.params.files.first()).ok_or_else(|| AppError::missing("file"))?;
    let to = UploadTo { group: group.as_deref(), vis };
    let rec = files::upload(c.ctx, me, &part.filename, &part.content_type, &part.bytes, to).await?;
    Ok(Reply::data(one(c, &rec, false).await?).status(201))
}

/// Where a new file goes: `group_id` (a room) or `visibility` (private, network).
fn target(c: &Call<'_>) -> AppResult<(Option<String>, Vis)> {
    let group = c.params.str("group_id")?;
    if let Some(g) = &group {
        if !shared::domain::chat::valid_id(g) || !shared::domain::chat::is_group(g) {
            return Err(AppError::not_found(format!("group {g}")));
        }
    }
    let vis = match c.params.str("visibility")?.as_deref() {
        None | Some("private") => Vis::Private,
        Some("network") => Vis::Network,
        Some(_) => return Err(AppError::invalid("visibility", "private or network")),
    };
    Ok((group, vis))
}

/// `POST /api/v1/uploaded_files/presigned` (files over the multipart limit): `name`,
/// `content_type`, `size` (1 B – 1 GiB), `group_id` / `visibility` as for uploads. 201
/// `{id, name, content_type, size, group_id, visibility, upload_url, method, headers,
/// expires_at}`: PUT the bytes to `upload_url` with exactly `headers` within the hour, then
/// `POST /api/v1/uploaded_files/{id}/complete`.
pub async fn presign(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let name = c.params.str_max("name", MAX_NAME)?.ok_or_else(|| AppError::missing("name"))?;
    let ct = c.params.str_max("content_type", 100)?.ok_or_else(|| AppError::missing("content_type"))?;
    let size = c.params.req_i64("size")?;
    let (group, vis) = target(c)?;
    let up = files::presign_upload(c.ctx, me, &name, &ct, size, UploadTo { group: group.as_deref(), vis }).await?;
    let f = &up.file;
    Ok(Reply::data(json!({
        "id": f.id,
        "name": f.name,
        "content_type": f.content_type,
        "size": f.size,
        "group_id": f.room,
        "visibility": f.vis.as_str(),
        "upload_url": up.put_url,
        "method": "PUT",
        "headers": {"Content-Type": f.content_type, "Content-Length": f.size.to_string()},
        "expires_at": up.expires_at,
    }))
    .status(201))
}

/// `POST /api/v1/uploaded_files/{file_id}/complete`: the PUT is done; 201 with the file (200
/// when already completed); nothing uploaded or a different length/type: 400.
pub async fn complete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let fid = file_id(c)?;
    let (rec, new) = files::complete_upload(c.ctx, me, &fid).await?;
    Ok(Reply::data(one(c, &rec, false).await?).status(if new { 201 } else { 200 }))
}

/// Minxing avatar upload (multipart field `file`, or the first file part; an
/// image): stored at `avatars/<uid>/<id>` in S3. With `auto_save` (default true)
/// the key becomes the profile's avatar, shown by every dialect as a presigned URL.
pub async fn upload_avatar(c: &Call<'_>) -> AppResult<Reply> {
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

/// `limit` (1–100, 20) and the opaque `cursor` of the previous page.
fn paging(c: &Call<'_>) -> AppResult<(Option<String>, usize)> {
    let limit = c.params.i64_in("limit", 1, MAX_PAGE, DEFAULT_PAGE)? as usize;
    let cursor = c.params.str_max("cursor", 100)?;
    Ok((cursor, limit))
}

async fn render(c: &Call<'_>, l: Listed) -> AppResult<Reply> {
    let mut items = Vec::with_capacity(l.items.len());
    for (f, followed) in &l.items {
        items.push(one(c, f, *followed).await?);
    }
    Ok(Reply::data(json!({"items": items, "next_cursor": l.next})))
}

/// `GET /api/v1/uploaded_files/uploaded_by_me`: my files, newest first.
pub async fn uploaded_by_me(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (cursor, limit) = paging(c)?;
    render(c, files::uploaded_by(c.ctx, me, me, cursor.as_deref(), limit).await?).await
}

/// `GET /api/v1/uploaded_files/uploaded_by/{user_id}` (`current` = me): another's files only
/// where I see them (`network`, or in a room I see).
pub async fn uploaded_by(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.path_param("user_id")?;
    let uid = match raw.as_str() {
        "current" => me,
        s => UserId(s.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| AppError::invalid("user_id", "a user id"))?),
    };
    let (cursor, limit) = paging(c)?;
    render(c, files::uploaded_by(c.ctx, me, uid, cursor.as_deref(), limit).await?).await
}

/// `GET /api/v1/uploaded_files/in_group/{group_id}`: the group's files (= its Shiku shares);
/// a group I do not see: 404.
pub async fn in_group(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = c.path_param("group_id")?;
    if !shared::domain::chat::valid_id(&gid) {
        return Err(AppError::not_found(format!("group {gid}")));
    }
    let (cursor, limit) = paging(c)?;
    render(c, files::in_group(c.ctx, me, &gid, cursor.as_deref(), limit).await?).await
}

/// `GET /api/v1/uploaded_files/followed_by_me`: files I follow that I still see.
pub async fn followed_by_me(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (cursor, limit) = paging(c)?;
    render(c, files::followed_by_me(c.ctx, me, cursor.as_deref(), limit).await?).await
}

fn file_id(c: &Call<'_>) -> AppResult<String> {
    let fid = c.path_param("file_id")?;
    if !valid_id(&fid) {
        return Err(AppError::not_found(format!("file {fid}")));
    }
    Ok(fid)
}

/// `POST /api/v1/subscriptions/uploaded_files/{file_id}`: 201 new, 200 already followed;
/// unknown or invisible 404.
pub async fn follow(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let fid = file_id(c)?;
    let new = files::follow(c.ctx, me, &fid).await?;
    Ok(Reply::data(json!({"file_id": fid, "followed": true})).status(if new { 201 } else { 200 }))
}

/// `DELETE /api/v1/subscriptions/uploaded_files/{file_id}`: 204, repeat-safe.
pub async fn unfollow(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let fid = file_id(c)?;
    files::unfollow(c.ctx, me, &fid).await?;
    Ok(Reply::empty())
}
