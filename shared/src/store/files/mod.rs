//! Files (docs/data-model.md "Files"): `FILE#<fid>/META` is the one record of uploads, Shiku
//! room shares, Minxing group files, attachments and copies. GSI1 `UFILES#<uid>` /
//! `<createdAt:015>#<fid>` lists a user's files, GSI2 `GFILES#<roomId>` / `<createdAt:013>#<fid>`
//! a room's, both newest first. `ttl` (epoch s) passed = absent on read. Follows:
//! `USER#<uid>/FOLLOWFILE#<fid>` (follows.rs); reads of rooms, follows and files in one
//! BatchGetItem (load.rs). Large uploads reserve `FILE#<fid>/PENDING` first (pending.rs).

mod follows;
mod load;
mod pending;

pub use follows::{follow, follow_in_room, follows_page, unfollow, FollowOutcome};
pub use load::{load, Loaded, RoomSeen};
pub use pending::{complete, get_pending, put_pending};

use super::keys::{file_pk, gfiles_gsi2pk, gfiles_gsi2sk, ufiles_gsi1pk, ufiles_gsi1sk, FILE_SK};
use super::{expired, n, s, Db, Item, ItemExt, GSI1, GSI2};
use crate::domain::feed::Attachment;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::ReturnValue;
use serde_json::{json, Value};
use std::collections::HashMap;

pub use crate::domain::files::{valid_id, FilePage, FileRecord, Vis};

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Attachments (feed posts, mails) as the JSON text kept on their item: `[{id, name, type,
/// size, key}]`, and back (a malformed text reads as none).
pub(crate) fn attachments_text(a: &[Attachment]) -> String {
    let v: Vec<Value> = a
        .iter()
        .map(|f| json!({"id": f.id, "name": f.name, "type": f.content_type, "size": f.size, "key": f.s3_key}))
        .collect();
    Value::Array(v).to_string()
}

pub(crate) fn attachments_of(text: Option<&str>) -> Vec<Attachment> {
    let Some(Value::Array(l)) = text.and_then(|t| serde_json::from_str::<Value>(t).ok()) else { return vec![] };
    l.iter()
        .map(|f| Attachment {
            id: f["id"].as_str().unwrap_or_default().to_string(),
            name: f["name"].as_str().unwrap_or_default().to_string(),
            content_type: f["type"].as_str().unwrap_or_default().to_string(),
            size: f["size"].as_i64().unwrap_or(0),
            s3_key: f["key"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// The record of an item (None: not a file, or its `ttl` passed at `now_s`).
pub fn from_item_at(it: &Item, now_s: i64) -> Option<FileRecord> {
    if expired(it, now_s) || it.str("sk") != Some(FILE_SK) {
        return None;
    }
    Some(FileRecord {
        id: it.str("pk")?.strip_prefix("FILE#")?.to_string(),
        name: it.string("name"),
        content_type: it.string("contentType"),
        size: it.i64("size").unwrap_or(0),
        s3_key: it.string("s3key"),
        owner: UserId(it.i64("owner")?),
        created_at: it.i64("createdAt").unwrap_or(0),
        room: it.str("room").map(str::to_string),
        vis: it.str("vis").and_then(Vis::parse).unwrap_or_default(),
        url: it.str("url").map(str::to_string),
        share_type: it.i64("shareType").unwrap_or(0),
        ttl: it.i64("ttl"),
        nickname: it.string("nickname"),
    })
}

pub fn from_item(it: &Item) -> Option<FileRecord> {
    from_item_at(it, now_secs())
}

pub(crate) fn key(fid: &str) -> Item {
    Db::key(file_pk(fid), FILE_SK)
}

pub(crate) fn item(f: &FileRecord) -> Item {
    let mut it = key(&f.id);
    it.insert("name".into(), s(&f.name));
    it.insert("contentType".into(), s(&f.content_type));
    it.insert("size".into(), n(f.size));
    it.insert("s3key".into(), s(&f.s3_key));
    it.insert("owner".into(), n(f.owner.0));
    it.insert("createdAt".into(), n(f.created_at));
    it.insert("vis".into(), s(f.vis.as_str()));
    it.insert("gsi1pk".into(), s(ufiles_gsi1pk(f.owner)));
    it.insert("gsi1sk".into(), s(ufiles_gsi1sk(f.created_at, &f.id)));
    if let Some(room) = &f.room {
        it.insert("room".into(), s(room));
        it.insert("gsi2pk".into(), s(gfiles_gsi2pk(room)));
        it.insert("gsi2sk".into(), s(gfiles_gsi2sk(f.created_at, &f.id)));
    }
    if let Some(url) = &f.url {
        it.insert("url".into(), s(url));
    }
    if f.share_type != 0 {
        it.insert("shareType".into(), n(f.share_type));
    }
    if let Some(t) = f.ttl {
        it.insert("ttl".into(), n(t));
    }
    if !f.nickname.is_empty() {
        it.insert("nickname".into(), s(&f.nickname));
    }
    it
}

/// Create a record (ids are unique: a duplicate is an error). One PutItem.
pub async fn put(db: &Db, f: &FileRecord) -> AppResult<()> {
    db.client
        .put_item()
        .table_name(&db.table)
        .set_item(Some(item(f)))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await?;
    Ok(())
}

/// Create several records (copyFile): one BatchWriteItem per 25 (ids are fresh).
pub async fn put_many(db: &Db, files: &[FileRecord]) -> AppResult<()> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let reqs = files
        .iter()
        .map(|f| {
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item(f))).build().expect("item set"))
                .build()
        })
        .collect();
    super::batch_write(db, reqs).await
}

/// A live record (None: unknown, malformed id, or expired). One GetItem.
pub async fn get(db: &Db, id: &str) -> AppResult<Option<FileRecord>> {
    get_at(db, id, now_secs()).await
}

pub async fn get_at(db: &Db, id: &str, now_s: i64) -> AppResult<Option<FileRecord>> {
    if !valid_id(id) {
        return Ok(None);
    }
    Ok(db.get(file_pk(id), FILE_SK).await?.as_ref().and_then(|it| from_item_at(it, now_s)))
}

/// Delete a record; answers it as it was (None: already gone). One DeleteItem.
pub async fn delete(db: &Db, id: &str) -> AppResult<Option<FileRecord>> {
    if !valid_id(id) {
        return Ok(None);
    }
    let out = db
        .client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(key(id)))
        .return_values(ReturnValue::AllOld)
        .send()
        .await?;
    Ok(out.attributes.as_ref().and_then(|it| from_item_at(it, i64::MIN)))
}

/// Which list a page reads.
#[derive(Debug, Clone)]
pub enum Listing<'a> {
    /// A user's files (GSI1 `UFILES#<uid>`).
    Owner(UserId),
    /// A room's files (GSI2 `GFILES#<roomId>`), optionally only those before `before_ms` and
    /// by one uploader.
    Room { room: &'a str, before_ms: Option<i64>, uploader: Option<UserId> },
}

/// Longest run of records with the same `createdAt` a cursor can skip.
const MAX_SAME_MS: u64 = 100_000;

/// A cursor is a position, never an id (a page may end on a record the caller does not see):
/// `<createdAt ms>.<n>` = after the first `n` records created at that millisecond (in index
/// order), i.e. every record created after it is behind us.
fn parse_cursor(cursor: &str) -> AppResult<(i64, u64)> {
    let bad = || AppError::invalid("cursor", "unknown cursor");
    let (ts, k) = cursor.split_once('.').ok_or_else(bad)?;
    let digits = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(ts, 15) || !digits(k, 6) {
        return Err(bad());
    }
    let (ts, k) = (ts.parse::<i64>().map_err(|_| bad())?, k.parse::<u64>().map_err(|_| bad())?);
    if k == 0 || k > MAX_SAME_MS {
        return Err(bad());
    }
    Ok((ts, k))
}

/// `createdAt` of an index sort key `<ms digits>#<fid>`.
fn sk_ms(sk: &str) -> Option<i64> {
    sk.split('#').next()?.parse().ok()
}

/// One page of a listing, newest first: `skip` records passed over first (Shiku page index),
/// then up to `limit`. Reads Query pages until the page is full (one Query unless a filter
/// or expired records thin it out). The next cursor is a position ([`parse_cursor`]).
pub async fn page(
    db: &Db,
    listing: Listing<'_>,
    cursor: Option<&str>,
    skip: usize,
    limit: usize,
    now_s: i64,
) -> AppResult<FilePage> {
    let (index, pk_attr, sk_attr, partition, width) = match &listing {
        Listing::Owner(uid) => (GSI1, "gsi1pk", "gsi1sk", ufiles_gsi1pk(*uid), 15),
        Listing::Room { room, .. } => (GSI2, "gsi2pk", "gsi2sk", gfiles_gsi2pk(room), 13),
    };
    let clamp = |ms: i64| ms.clamp(0, if width == 13 { 9_999_999_999_999 } else { 999_999_999_999_999 });
    // Upper bound (exclusive) of the sort key, and the records at the cursor's ms to skip.
    let mut bound: Option<String> = None;
    let (mut pos_ts, mut pos_k) = (i64::MIN, 0u64);
    if let Some(c) = cursor {
        let (ts, k) = parse_cursor(c)?;
        // '$' sorts after '#': every record of that millisecond is still in range.
        bound = Some(format!("{:0width$}$", clamp(ts)));
        (pos_ts, pos_k) = (ts, k);
    }
    if let Listing::Room { before_ms: Some(b), .. } = &listing {
        let b = format!("{:0width$}", clamp(*b));
        if bound.as_ref().is_none_or(|x| b < *x) {
            bound = Some(b);
        }
    }
    let mut to_skip = pos_k;
    let want = skip + limit;
    let mut got: Vec<FileRecord> = vec![];
    let mut start: Option<Item> = None;
    let mut more;
    loop {
        let mut q = db
            .client
            .query()
            .table_name(&db.table)
            .index_name(index)
            .scan_index_forward(false)
            .limit((want - got.len() + to_skip as usize).clamp(1, 1000) as i32)
            .expression_attribute_values(":p", s(&partition))
            .set_exclusive_start_key(start.take());
        let mut cond = format!("{pk_attr} = :p");
        if let Some(b) = &bound {
            cond.push_str(&format!(" AND {sk_attr} < :b"));
            q = q.expression_attribute_values(":b", s(b));
        }
        if let Listing::Room { uploader: Some(u), .. } = &listing {
            q = q
                .filter_expression("#o = :o")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":o", n(u.0));
        }
        let out = q.key_condition_expression(cond).send().await?;
        let items = out.items();
        let mut consumed = 0;
        for it in items {
            if got.len() >= want {
                break;
            }
            consumed += 1;
            let ms = it.str(sk_attr).and_then(sk_ms).unwrap_or(i64::MIN);
            if to_skip > 0 && ms == pos_ts {
                to_skip -= 1;
                continue;
            }
            to_skip = 0;
            if ms == pos_ts {
                pos_k += 1;
            } else {
                (pos_ts, pos_k) = (ms, 1);
            }
            if let Some(f) = from_item_at(it, now_s) {
                got.push(f);
            }
        }
        more = consumed < items.len() || out.last_evaluated_key.is_some();
        start = out.last_evaluated_key;
        if start.is_none() || got.len() >= want {
            break;
        }
    }
    let items: Vec<FileRecord> = got.into_iter().skip(skip).collect();
    let next = (more && pos_k > 0).then(|| format!("{pos_ts}.{pos_k}"));
    Ok(FilePage { items, next })
}

/// The S3 key of a file record a stream REMOVE record reports (a TTL expiry by DynamoDB, or
/// any delete): every record owns its object, so the object goes too. None for anything else
/// (reservations `PENDING`, links without an object, other items).
pub fn removed_object(rec: &aws_lambda_events::dynamodb::EventRecord) -> Option<String> {
    if rec.event_name != "REMOVE" {
        return None;
    }
    let old: Item = rec.change.old_image.clone().into();
    if !old.str("pk")?.starts_with("FILE#") || old.str("sk")? != FILE_SK || old.str("url").is_some() {
        return None;
    }
    old.str("s3key").filter(|k| k.starts_with("files/")).map(str::to_string)
}

/// Records by id, live ones only, one BatchGetItem per 100 (none for none).
pub async fn many(db: &Db, ids: &[String], now_s: i64) -> AppResult<HashMap<String, FileRecord>> {
    let keys: Vec<Item> = ids.iter().filter(|i| valid_id(i)).map(|i| key(i)).collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(super::batch_get(db, keys)
        .await?
        .iter()
        .filter_map(|it| from_item_at(it, now_s))
        .map(|f| (f.id.clone(), f))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ttl: Option<i64>) -> FileRecord {
        FileRecord {
            id: "1700000000000abcdefabcdefabcdefabcdefab".into(),
            name: "a.txt".into(),
            content_type: "text/plain".into(),
            size: 3,
            s3_key: "files/x".into(),
            owner: UserId(7),
            created_at: 1_700_000_000_000,
            room: Some("r1".into()),
            vis: Vis::Group,
            url: None,
            share_type: 2,
            ttl,
            nickname: "N".into(),
        }
    }

    #[test]
    fn a_passed_ttl_reads_as_absent() {
        let it = item(&rec(Some(1000)));
        assert!(from_item_at(&it, 999).is_some());
        assert!(from_item_at(&it, 1000).is_none(), "ttl reached = gone");
        let back = from_item_at(&item(&rec(None)), i64::MAX).unwrap();
        assert_eq!(
            (back.room.as_deref(), back.vis, back.share_type, back.nickname.as_str()),
            (Some("r1"), Vis::Group, 2, "N")
        );
        assert_eq!(it["gsi2pk"].as_s().unwrap(), "GFILES#r1");
        assert_eq!(it["gsi2sk"].as_s().unwrap(), "1700000000000#1700000000000abcdefabcdefabcdefabcdefab");
    }

    #[test]
    fn cursors_are_positions() {
        assert_eq!(parse_cursor("1700000000000.3").unwrap(), (1_700_000_000_000, 3));
        for bad in ["", "1", "1.0", "x.1", "1.x", "1.1.1", "-1.1", "1234567890123456.1", "1.1234567"] {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }
}
