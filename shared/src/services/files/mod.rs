//! Files (docs/dialects.md "Files"): one record for uploads, Shiku room shares, Minxing group
//! files, attachments and copies (store/files). The object first, then the record (a record
//! never points at a missing object); no two records share an S3 key (shares of our files and
//! copies are S3 CopyObject), so deleting a record deletes its object. Downloads: the stable
//! capability URL `/files/{fid}` (302 to a fresh presigned GET) or presigned links.
//! Who sees a file: its owner; everyone when `vis = network`; for a file of a room, whoever
//! sees the room (members, anyone for a public room: `isNeedVerify = 0` and `isLook = 0`).
//! Shiku share routes ask for membership whatever the room (shares.rs); Minxing lists and
//! follows (lists.rs).

mod large;
mod lists;
mod shares;

pub use large::{complete_upload, presign_upload, LargeUpload, MAX_LARGE};
pub use lists::{follow, followed_by_me, in_group, unfollow, uploaded_by, Listed};
pub use shares::{add_share, copy, delete_share, find_shares, get_share, NewShare};

use crate::domain::feed::Attachment;
use crate::domain::files::{valid_id, FileRecord, Vis};
use crate::domain::rooms::Room;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::files::{self, Loaded, RoomSeen};
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

/// A new file id: `<ms:013><24 hex>`, time-ordered, 96 random bits (unguessable: the id is
/// the capability of `/files/{fid}`).
pub fn new_id(now_ms: i64) -> String {
    let r: [u8; 12] = rand::random();
    let hex: String = r.iter().map(|b| format!("{b:02x}")).collect();
    format!("{:013}{hex}", now_ms.clamp(0, 9_999_999_999_999))
}

/// S3 key of a file's object.
pub fn object_key(fid: &str) -> String {
    format!("files/{fid}")
}

/// A fresh record of mine (no room, private, no object yet: `s3_key` set, bytes to come).
pub fn fresh(ctx: &Ctx, me: UserId, name: &str, content_type: &str, size: i64) -> FileRecord {
    let now = ctx.now_ms();
    let id = new_id(now);
    FileRecord {
        s3_key: object_key(&id),
        id,
        name: clean_name(name),
        content_type: content_type.to_string(),
        size,
        owner: me,
        created_at: now,
        room: None,
        vis: Vis::Private,
        url: None,
        share_type: 0,
        ttl: None,
        nickname: String::new(),
    }
}

/// The HTTP API base of this deployment (no trailing slash): the configured one, else
/// `https://<request domain>`. Stable file URLs are `<base>/files/<fid>`.
pub fn api_base(ctx: &Ctx, request_domain: Option<&str>) -> String {
    match (&ctx.settings.public.api_url, request_domain) {
        (Some(u), _) => u.trim_end_matches('/').to_string(),
        (None, Some(d)) => format!("https://{d}"),
        (None, None) => String::new(),
    }
}

/// The stable capability URL of a file of ours.
pub fn stable_url(base: &str, fid: &str) -> String {
    format!("{base}/files/{fid}")
}

/// The link clients get: the external URL of a link record, else its stable URL.
pub fn link(base: &str, f: &FileRecord) -> String {
    f.url.clone().unwrap_or_else(|| stable_url(base, &f.id))
}

/// The file id of one of our stable URLs (`<base>/files/<fid>`, same scheme, host and port);
/// None for any other URL.
pub fn our_file_id(base: &str, url: &str) -> Option<String> {
    let rest = url.strip_prefix(base)?.strip_prefix("/files/")?;
    let fid = rest.split(['?', '#']).next().unwrap_or("");
    valid_id(fid).then(|| fid.to_string())
}

/// A record of mine by id, with its owner (the feed attaches only the caller's own files).
/// None: unknown or expired. One GetItem.
pub async fn get(ctx: &Ctx, fid: &str) -> AppResult<Option<FileRecord>> {
    files::get_at(&ctx.db, fid, ctx.now_secs()).await
}

/// `GET /files/{fid}`: a fresh presigned GET of a live file of ours (None: unknown, expired,
/// or an external link). One GetItem.
pub async fn capability(ctx: &Ctx, fid: &str) -> AppResult<Option<String>> {
    match get(ctx, fid).await? {
        Some(f) if f.has_object() => Ok(Some(download_url(ctx, &f).await?)),
        _ => Ok(None),
    }
}

/// Public for Minxing outsiders: open and listed (what Minxing's `public` group sets).
pub fn room_is_public(r: &Room) -> bool {
    r.flag("isNeedVerify") == 0 && r.flag("isLook") == 0
}

/// Whether `me` sees a room (member, or public).
pub fn sees_room(r: &RoomSeen) -> bool {
    r.member.is_some() || r.room.as_ref().is_some_and(room_is_public)
}

/// Whether `me` sees `f`, its room's access being in `loaded`.
pub fn visible(f: &FileRecord, me: UserId, loaded: &Loaded) -> bool {
    if f.owner == me || f.vis == Vis::Network {
        return true;
    }
    match &f.room {
        Some(r) => loaded.rooms.get(r).is_some_and(sees_room),
        None => false,
    }
}

/// Where an upload goes: a room (Minxing `group_id`: a member, `allowUploadFile = 0` → owner
/// and admins only), and who sees it without one.
pub struct UploadTo<'a> {
    pub group: Option<&'a str>,
    pub vis: Vis,
}

/// Store an upload of mine (`files/<id>` in S3, then its record); empty files are refused.
/// In a room: one BatchGetItem first (room + my membership; unknown/not mine → not-found).
pub async fn upload(
    ctx: &Ctx,
    me: UserId,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
    to: UploadTo<'_>,
) -> AppResult<FileRecord> {
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "is empty"));
    }
    let mut rec = fresh(ctx, me, filename, content_type, bytes.len() as i64);
    place(ctx, me, &mut rec, &to).await?;
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

/// Put a new record where `to` says: a room (a member; `allowUploadFile`; one BatchGetItem)
/// or its visibility.
async fn place(ctx: &Ctx, me: UserId, rec: &mut FileRecord, to: &UploadTo<'_>) -> AppResult<()> {
    rec.vis = to.vis;
    if let Some(g) = to.group {
        let l = files::load(&ctx.db, me, &[g.to_string()], &[], &[], false, ctx.now_secs()).await?;
        let seen = l.rooms.get(g).cloned().unwrap_or_default();
        let (Some(room), Some(mine)) = (seen.room, seen.member) else {
            return Err(AppError::not_found(format!("group {g}")));
        };
        may_upload(&room, &mine)?;
        rec.room = Some(g.to_string());
        rec.vis = Vis::Group;
    }
    Ok(())
}

/// `allowUploadFile = 0`: only the owner and admins add files to the room.
pub fn may_upload(room: &Room, mine: &crate::domain::rooms::RoomMember) -> AppResult<()> {
    if room.flag("allowUploadFile") == 0 && !mine.is_admin() {
        return Err(AppError::forbidden("only the room owner or an admin may upload files here"));
    }
    Ok(())
}

/// Copy our object `from` to a new record's key (never two records on one key). One CopyObject.
pub async fn copy_object(ctx: &Ctx, from: &str, to: &str) -> AppResult<()> {
    ctx.s3.copy_object().bucket(&ctx.bucket).copy_source(format!("{}/{from}", ctx.bucket)).key(to).send().await?;
    Ok(())
}

/// Delivery: the object of a file record that left the table (TTL expiry, or a delete whose
/// object delete already ran: S3 deletes are repeat-safe). One DeleteObject.
pub async fn delete_removed_object(ctx: &Ctx, rec: &aws_lambda_events::dynamodb::EventRecord) -> AppResult<bool> {
    let Some(key) = files::removed_object(rec) else { return Ok(false) };
    ctx.s3.delete_object().bucket(&ctx.bucket).key(&key).send().await?;
    tracing::info!(key, "object of a removed file record deleted");
    Ok(true)
}

/// Delete a record, then its object (a failed object delete leaves an orphan object, never a
/// dangling record). DeleteItem + DeleteObject.
pub async fn delete(ctx: &Ctx, fid: &str) -> AppResult<()> {
    if let Some(old) = files::delete(&ctx.db, fid).await? {
        if old.has_object() {
            ctx.s3.delete_object().bucket(&ctx.bucket).key(&old.s3_key).send().await?;
        }
    }
    Ok(())
}

/// A presigned download link (attachment, with the file's name) valid for [`DOWNLOAD_TTL`].
/// A presigning configuration valid for `d`.
fn download_ttl_cfg(d: Duration) -> AppResult<PresigningConfig> {
    PresigningConfig::expires_in(d).map_err(AppError::internal)
}

/// The attachments named by `ids` among `files` (read by the caller), in order, repeats
/// dropped: only `me`'s own records; someone else's file is as unknown as a missing one (404).
pub fn own_attachments(files: &[FileRecord], me: UserId, ids: &[String]) -> AppResult<Vec<Attachment>> {
    let mut out: Vec<Attachment> = vec![];
    for id in ids {
        let f = files
            .iter()
            .find(|f| &f.id == id && f.owner == me)
            .ok_or_else(|| AppError::not_found(format!("file {id}")))?;
        if !out.iter().any(|a| &a.id == id) {
            out.push(Attachment {
                id: f.id.clone(),
                name: f.name.clone(),
                content_type: f.content_type.clone(),
                size: f.size,
                s3_key: f.s3_key.clone(),
            });
        }
    }
    Ok(out)
}

/// A presigned GET of an S3 key for [`DOWNLOAD_TTL`] (no network call); None for an empty key.
pub async fn presign_get(ctx: &Ctx, s3_key: &str) -> Option<String> {
    if s3_key.is_empty() {
        return None;
    }
    let cfg = PresigningConfig::expires_in(DOWNLOAD_TTL).ok()?;
    let req = ctx.s3.get_object().bucket(&ctx.bucket).key(s3_key).presigned(cfg).await.ok()?;
    Some(req.uri().to_string())
}

/// An external link record answers its link.
pub async fn download_url(ctx: &Ctx, f: &FileRecord) -> AppResult<String> {
    if let Some(u) = &f.url {
        return Ok(u.clone());
    }
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

    #[test]
    fn ids_are_time_ordered_with_96_random_bits() {
        let (a, b) = (new_id(1_700_000_000_000), new_id(1_700_000_000_001));
        assert_eq!((a.len(), &a[..13]), (37, "1700000000000"));
        assert!(a < b && valid_id(&a) && a[13..].bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(new_id(5)[13..], new_id(5)[13..]);
    }

    #[test]
    fn only_our_stable_urls_name_our_files() {
        let base = "https://api.example.com";
        let fid = "1700000000000abcdefabcdefabcdefabcdefab";
        assert_eq!(our_file_id(base, &format!("{base}/files/{fid}")).as_deref(), Some(fid));
        assert_eq!(our_file_id(base, &format!("{base}/files/{fid}?x=1")).as_deref(), Some(fid));
        for other in [
            format!("https://evil.example.com/files/{fid}"),
            format!("{base}.evil.com/files/{fid}"),
            format!("{base}/files/../x"),
            format!("{base}/files/"),
            format!("{base}/other/{fid}"),
        ] {
            assert_eq!(our_file_id(base, &other), None, "{other}");
        }
    }

    #[test]
    fn external_links_are_http_with_a_host() {
        assert!(shares::is_external("https://e.com/a.pdf"));
        assert!(shares::is_external("HTTP://e.com"));
        for bad in ["ftp://e.com", "https://", "https:///x", "javascript:x", "https://e.com/a b", "https://e.com/\n"] {
            assert!(!shares::is_external(bad), "{bad}");
        }
        assert!(!shares::is_external(&format!("https://e.com/{}", "a".repeat(1100))));
    }
}
