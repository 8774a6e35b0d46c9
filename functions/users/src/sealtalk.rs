//! SealTalk: nickname and portrait, IM/upload tokens, user lookups. Ids are
//! strings; text inputs are HTML-escaped on input as the original server does.

use crate::View;
use aws_sdk_s3::presigning::PresigningConfig;
use serde_json::{json, Value};
use shared::auth::token_from_request;
use shared::dialects::sealtalk::users::{self as sealtalk_users, Fields};
use shared::dialects::sealtalk_escape as escape_html;
use shared::http::Call;
use shared::ids::{LoginName, Telephone};
use shared::store::{lookups, profiles, users};
use shared::{AppError, AppResult, Reply, UserId};
use std::time::Duration;

pub const NICKNAME_MAX: usize = 32;
pub const PORTRAIT_MAX: usize = 256;
/// A presigned upload (get_image_token) stays valid this long.
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);

fn user_json(v: &View) -> Value {
    sealtalk_users::user_json(v.user.uid, Some(&v.user), v.avatar_url.as_deref(), Fields::Basic)
}

fn parse_id(name: &str, raw: &str) -> AppResult<UserId> {
    UserId::parse(name, raw)
}

pub async fn set_nickname(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.params.req_str("nickname")?;
    if raw.chars().count() > NICKNAME_MAX || raw.chars().any(char::is_control) {
        return Err(AppError::invalid("nickname", format!("1-{NICKNAME_MAX} characters")));
    }
    let edit = profiles::Edit { nickname: Some(escape_html(&raw)), ..Default::default() };
    let it = profiles::update(&c.ctx.db, me, c.ctx.now_ms(), &edit).await?;
    crate::propagate_profile(c.ctx, &edit, &it).await;
    Ok(Reply::empty())
}

/// `portraitUri`: an http(s) URL, or the `key` of an upload made with
/// get_image_token (an S3 key under the caller's own avatar prefix).
pub async fn set_portrait_uri(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let uri = c.params.req_str("portraitUri")?;
    let is_url = (uri.starts_with("http://") || uri.starts_with("https://")) && uri.len() > 8;
    let is_own_key = uri.starts_with(&profiles::avatar_prefix(me))
        && uri.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
        && !uri.contains("..");
    let clean = !uri.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"'`".contains(c));
    if uri.len() > PORTRAIT_MAX || !clean || !(is_url || is_own_key) {
        return Err(AppError::invalid("portraitUri", "an http(s) URL or your uploaded image key"));
    }
    if is_own_key {
        check_uploaded_image(c, &uri).await?;
    }
    let edit = profiles::Edit { avatar: Some(uri), ..Default::default() };
    let it = profiles::update(&c.ctx.db, me, c.ctx.now_ms(), &edit).await?;
    crate::propagate_profile(c.ctx, &edit, &it).await;
    Ok(Reply::empty())
}

/// The IM token: our session token, usable on the WebSocket API.
pub async fn get_token(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let token = token_from_request(c.dialect, &c.req, &c.params).ok_or(AppError::TokenMissing)?;
    Ok(Reply::data(json!({"userId": me.to_string(), "token": token})))
}

/// Image types an upload URL may be asked for (and a portrait object must have).
pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];
/// Largest portrait image.
pub const MAX_IMAGE_BYTES: i64 = 5 * 1024 * 1024;

/// Upload credentials: a presigned S3 PUT for a fresh key under the caller's avatar prefix
/// (`target: "s3"`); after the PUT, pass `key` to set_portrait_uri. The URL signs the
/// content type (`contentType`, default image/jpeg: the PUT must send it as `headers` says)
/// and, when the client gives `size`, the exact length; S3 refuses any other PUT.
pub async fn get_image_token(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let ct = c.params.str("contentType")?.unwrap_or_else(|| "image/jpeg".into()).to_ascii_lowercase();
    if !IMAGE_TYPES.contains(&ct.as_str()) {
        return Err(AppError::invalid("contentType", format!("one of {}", IMAGE_TYPES.join(", "))));
    }
    let size = c.params.i64("size")?;
    if size.is_some_and(|n| !(1..=MAX_IMAGE_BYTES).contains(&n)) {
        return Err(AppError::invalid("size", format!("between 1 and {MAX_IMAGE_BYTES} bytes")));
    }
    let key = format!("{}{}", profiles::avatar_prefix(me), uuid::Uuid::new_v4().simple());
    let cfg = PresigningConfig::expires_in(UPLOAD_TTL).map_err(AppError::internal)?;
    let put = c
        .ctx
        .s3
        .put_object()
        .bucket(&c.ctx.bucket)
        .key(&key)
        .content_type(&ct)
        .set_content_length(size)
        .presigned(cfg)
        .await
        .map_err(AppError::internal)?;
    let url = profiles::avatar_url(c.ctx, Some(&key)).await;
    Ok(Reply::data(json!({
        "target": "s3",
        "domain": c.ctx.bucket,
        "token": put.uri(),
        "method": "PUT",
        "headers": {"Content-Type": ct},
        "maxSize": MAX_IMAGE_BYTES,
        "key": key,
        "url": url,
    })))
}

/// An uploaded portrait object must exist and be an image within the limit (S3 cannot bound
/// the size of a presigned PUT without it): one HeadObject; a refused object is deleted.
async fn check_uploaded_image(c: &Call<'_>, key: &str) -> AppResult<()> {
    let head = c.ctx.s3.head_object().bucket(&c.ctx.bucket).key(key).send().await;
    let head = match head {
        Ok(h) => h,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {
            return Err(AppError::invalid("portraitUri", "nothing was uploaded to this key"))
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let ct = head.content_type().unwrap_or_default().to_ascii_lowercase();
    let size = head.content_length().unwrap_or(0);
    if IMAGE_TYPES.contains(&ct.as_str()) && (1..=MAX_IMAGE_BYTES).contains(&size) {
        return Ok(());
    }
    if let Err(e) = c.ctx.s3.delete_object().bucket(&c.ctx.bucket).key(key).send().await {
        tracing::warn!(key, error = %e, "could not delete a refused upload");
    }
    Err(AppError::invalid("portraitUri", format!("the upload must be an image of at most {MAX_IMAGE_BYTES} bytes")))
}

/// `id` repeated (or a comma list), at most 100: one BatchGetItem; unknown ids left out.
pub async fn batch(c: &Call<'_>) -> AppResult<Reply> {
    c.session().await?;
    let raw = c.params.list("id")?;
    if raw.is_empty() {
        return Err(AppError::missing("id"));
    }
    if raw.len() > 100 {
        return Err(AppError::invalid("id", "at most 100 ids"));
    }
    let uids = raw.iter().map(|r| parse_id("id", r)).collect::<AppResult<Vec<_>>>()?;
    let items = profiles::get_many(&c.ctx.db, &uids).await?;
    let views = View::many(c.ctx, items).await?;
    Ok(Reply::data(Value::Array(views.iter().map(user_json).collect())))
}

pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    c.session().await?;
    let uid = parse_id("id", &c.path_param("id")?)?;
    let v = crate::require_profile(c.ctx, uid).await?;
    Ok(Reply::data(user_json(&v)))
}

/// Find by telephone; 404 for unknown numbers and for people who turned
/// `phoneSearch` off (indistinguishable). Each lookup uses the caller's allowance
/// (store/lookups.rs, shared with Shiku getByAccount): over it → `{code: 5000}`.
pub async fn find(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let phone = Telephone::parse(Some(&c.path_param("region")?), &c.path_param("phone")?)?;
    lookups::take(&c.ctx.db, me, c.ctx.now_secs()).await?;
    let nf = || AppError::not_found("user");
    let uid = users::find_login(&c.ctx.db, &LoginName::Phone(phone)).await?.ok_or_else(nf)?;
    let it = profiles::get(&c.ctx.db, uid).await?.ok_or_else(nf)?;
    if uid != me && !shared::services::accounts::found_by_phone(me, &it) {
        return Err(nf());
    }
    let v = View::of(c.ctx, it).await?;
    Ok(Reply::data(user_json(&v)))
}

/// Everything that changed since `version` (epoch ms; 0 = all): my profile,
/// friends, blacklist, groups and their members — SealTalk's offline catch-up.
/// Costs: session, profile, two relation Queries, one membership Query + META
/// BatchGetItem, then one member Query per group that changed.
pub async fn sync(c: &Call<'_>) -> AppResult<Reply> {
    use shared::store::conversations::{self as convs, Kind};
    use shared::store::relations::{self as rel, ListKind};
    let me = c.session().await?.uid;
    let raw = c.path_param("version")?;
    let since: i64 = raw
        .parse()
        .ok()
        .filter(|v| *v >= 0)
        .ok_or_else(|| AppError::invalid("version", "must be a timestamp in ms"))?;
    let db = &c.ctx.db;
    let mine = crate::require_profile(c.ctx, me).await?;
    let (following, blocked, rooms) = tokio::try_join!(
        rel::list(db, me, ListKind::Following, None, None),
        rel::list(db, me, ListKind::Blacklist, None, None),
        convs::of_user(db, me),
    )?;
    let mut version = since;
    let mut bump = |t: i64| version = version.max(t);
    let user = (mine.updated_at() > since).then(|| {
        bump(mine.updated_at());
        let mut u = user_json(&mine);
        u["timestamp"] = json!(mine.updated_at());
        u
    });
    let friends: Vec<Value> = following
        .items
        .iter()
        .filter(|r| r.modify_time > since)
        .map(|r| {
            bump(r.modify_time);
            json!({"friendId": r.other.to_string(), "displayName": r.remark, "status": if r.status == 2 { 20 } else { 10 }, "timestamp": r.modify_time})
        })
        .collect();
    let blacklist: Vec<Value> = blocked
        .items
        .iter()
        .filter(|r| r.modify_time > since)
        .map(|r| {
            bump(r.modify_time);
            json!({"friendId": r.other.to_string(), "status": true, "timestamp": r.modify_time})
        })
        .collect();
    let mut groups = vec![];
    let mut group_members = vec![];
    for (conv, m) in rooms.iter().filter(|(conv, _)| conv.kind == Kind::Group) {
        let changed = conv.created_at.max(m.joined_at);
        if changed <= since {
            continue;
        }
        bump(changed);
        let role = if m.role == "owner" { 0 } else { 1 };
        groups.push(json!({
            "groupId": conv.id, "displayName": "", "role": role, "isDeleted": false,
            "group": {"id": conv.id, "name": conv.name, "portraitUri": "", "timestamp": conv.created_at},
        }));
        // One Query (META + members); showMember = 0 hides plain members as in every member list.
        let Some((room, mut members)) = shared::store::rooms::with_members(db, &conv.id).await? else {
            continue;
        };
        let mine = members.iter().find(|x| x.uid == m.uid).cloned();
        shared::services::rooms::visible(&room, mine.as_ref(), &mut members);
        for member in members {
            group_members.push(json!({
                "groupId": conv.id, "memberId": member.uid.to_string(), "displayName": "",
                "role": if member.role == "owner" { 0 } else { 1 }, "isDeleted": false, "timestamp": member.joined_at,
            }));
        }
    }
    Ok(Reply::data(json!({
        "version": version,
        "user": user,
        "blacklist": blacklist,
        "friends": friends,
        "groups": groups,
        "group_members": group_members,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(escape_html("<a>hi</a> & 'x'"), "&lt;a&gt;hi&lt;/a&gt; &amp; &#39;x&#39;");
    }
}
