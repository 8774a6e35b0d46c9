//! The Minxing work circle (docs/data-model.md "feed"):
//! - `FEED#<mid>/META`: the post (sender, body, group, thread, reply-to, attachments copied
//!   from their file records, `likes`, `replies`, `lastReplies`), GSI1 `UFEED#<uid>` /
//!   `<mid:016>`; a group starter also GSI2 `FEEDGRP#<gid>` / `<mid:016>`; a starter carries
//!   `ev = feed` so the stream fan-out (functions/delivery) writes the followers' inbox refs.
//! - `FEED#<mid>/NET`: ref of a network-visible starter (no group or a public room), GSI2
//!   `FEEDNET#1` / `<mid:016>`.
//! - `FEED#<root>/REPLY#<mid:016>`: a reply's ref in its thread (with a copy of the reply
//!   for `lastReplies`); the reply's own META holds its likes.
//! - `USER#<uid>/LIKE#<mid:016>` (GSI1 `LIKES#<mid>` / `<uid:012>`), `USER#<uid>/BOOKMARK#…`,
//!   `USER#<uid>/FEEDCID#<client id>` (idempotent posting), `USER#<uid>/FEEDSEEN`.
//! - `FEEDIN#<uid>/<mid:016>`: following inbox refs (inbox.rs).
//!
//! Reads gather everything a page needs in one BatchGetItem ([`load`]).

pub mod inbox;
pub mod writes;

use super::keys::{
    attachment_key, bookmark_sk, conv_pk, feed_pk, feed_sort, feedgrp_gsi2pk, like_sk, member_sk, rel_pk, rel_sk,
    ufeed_gsi1pk, user_pk, BOOKMARK_PREFIX, FEEDBIG_PK, FEEDBIG_SK, FEEDNET_GSI2PK, FEEDSEEN_SK, FEED_META_SK,
    LIKE_PREFIX,
};
use super::{files, n, relations, rooms, s, Db, Item, ItemExt, GSI1, GSI2};
use crate::domain::feed::{Mark, Post, ReplySummary, RoomAccess};
use crate::domain::files::FileRecord;
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

pub(crate) fn replies_text(r: &[ReplySummary]) -> String {
    let v: Vec<Value> =
        r.iter().map(|r| json!({"id": r.id, "sender": r.sender.0, "body": r.body, "at": r.created_at})).collect();
    Value::Array(v).to_string()
}

fn replies_of(text: Option<&str>) -> Vec<ReplySummary> {
    let Some(v) = text.and_then(|t| serde_json::from_str::<Value>(t).ok()) else { return vec![] };
    v.as_array()
        .map(|l| {
            l.iter()
                .filter_map(|r| {
                    Some(ReplySummary {
                        id: r["id"].as_i64()?,
                        sender: UserId(r["sender"].as_i64()?),
                        body: r["body"].as_str().unwrap_or_default().to_string(),
                        created_at: r["at"].as_i64().unwrap_or(0),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The META item of a post (with its index keys; `ev = feed` on starters).
pub(crate) fn post_item(p: &Post) -> Item {
    let mut it = Db::key(feed_pk(p.id), FEED_META_SK);
    it.insert("mid".into(), n(p.id));
    it.insert("thread".into(), n(p.thread_id));
    if let Some(r) = p.replied_to_id {
        it.insert("replyTo".into(), n(r));
    }
    it.insert("sender".into(), n(p.sender.0));
    if let Some(g) = &p.group_id {
        it.insert("gid".into(), s(g));
        it.insert("privateGroup".into(), AttributeValue::Bool(p.private_group));
    }
    it.insert("body".into(), s(&p.body));
    if !p.attachments.is_empty() {
        it.insert("attachments".into(), s(files::attachments_text(&p.attachments)));
    }
    it.insert("likes".into(), n(0));
    it.insert("replies".into(), n(0));
    it.insert("createdAt".into(), n(p.created_at));
    it.insert("gsi1pk".into(), s(ufeed_gsi1pk(p.sender)));
    it.insert("gsi1sk".into(), s(feed_sort(p.id)));
    if p.is_starter() {
        it.insert("ev".into(), s("feed"));
        if let Some(g) = &p.group_id {
            it.insert("gsi2pk".into(), s(feedgrp_gsi2pk(g)));
            it.insert("gsi2sk".into(), s(feed_sort(p.id)));
        }
    }
    it
}

pub fn post_from(it: &Item) -> Option<Post> {
    if it.str("sk") != Some(FEED_META_SK) || !it.str("pk")?.starts_with("FEED#") {
        return None;
    }
    let id = it.i64("mid")?;
    Some(Post {
        id,
        thread_id: it.i64("thread").unwrap_or(id),
        replied_to_id: it.i64("replyTo"),
        sender: UserId(it.i64("sender")?),
        group_id: it.str("gid").map(str::to_string),
        private_group: it.bool("privateGroup").unwrap_or(false),
        body: it.string("body"),
        attachments: files::attachments_of(it.str("attachments")),
        likes: it.i64("likes").unwrap_or(0).max(0),
        replies: it.i64("replies").unwrap_or(0).max(0),
        last_replies: replies_of(it.str("lastReplies")),
        created_at: it.i64("createdAt").unwrap_or(0),
    })
}

/// What one BatchGetItem should read for a page (or a check).
#[derive(Default, Debug)]
pub struct Need {
    /// Posts whose META to read.
    pub posts: Vec<i64>,
    /// Posts whose like and bookmark markers (of the reader) to read.
    pub marks: Vec<i64>,
    /// Rooms whose META and the reader's MEMBER item to read.
    pub rooms: Vec<String>,
    /// Users whose relation (the reader's `REL#<uid>`) to read.
    pub follows: Vec<UserId>,
    /// File records (attachments).
    pub files: Vec<String>,
    /// Profiles.
    pub users: Vec<UserId>,
    /// The reader's seen mark and the list of authors pulled on read.
    pub following_meta: bool,
}

/// What [`load`] found.
#[derive(Default, Debug)]
pub struct Loaded {
    pub posts: HashMap<i64, Post>,
    pub liked: HashSet<i64>,
    pub bookmarked: HashSet<i64>,
    pub rooms: HashMap<String, RoomAccess>,
    /// Users the reader follows (status ≥ 1) and has not blocked.
    pub follows: HashSet<UserId>,
    pub files: Vec<FileRecord>,
    pub profiles: Vec<crate::domain::users::UserProfile>,
    /// The reader's seen mark (0: never; read with `following_meta`).
    pub seen: i64,
    /// Authors pulled on read (read with `following_meta`).
    pub bigs: Vec<UserId>,
}

/// Everything in `need`, for reader `me`: one consistent BatchGetItem per 100 keys (a page of
/// 20 is one call), none when nothing is needed.
pub async fn load(db: &Db, me: UserId, need: &Need) -> AppResult<Loaded> {
    let mut keys: Vec<Item> = vec![];
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut add = |pk: String, sk: String| {
        if seen.insert((pk.clone(), sk.clone())) {
            keys.push(Db::key(pk, sk));
        }
    };
    for m in &need.posts {
        add(feed_pk(*m), FEED_META_SK.into());
    }
    for m in &need.marks {
        add(user_pk(me), like_sk(*m));
        add(user_pk(me), bookmark_sk(*m));
    }
    for g in &need.rooms {
        if crate::domain::chat::valid_id(g) {
            add(conv_pk(g), "META".into());
            add(conv_pk(g), member_sk(me));
        }
    }
    for u in &need.follows {
        if *u != me {
            add(rel_pk(me), rel_sk(*u));
        }
    }
    for f in &need.files {
        let (pk, sk) = attachment_key(f);
        add(pk, sk.into());
    }
    for u in &need.users {
        add(user_pk(*u), "PROFILE".into());
    }
    if need.following_meta {
        add(user_pk(me), FEEDSEEN_SK.into());
        add(FEEDBIG_PK.into(), FEEDBIG_SK.into());
    }
    let mut out = Loaded::default();
    for g in &need.rooms {
        out.rooms.insert(g.clone(), RoomAccess::default());
    }
    if keys.is_empty() {
        return Ok(out);
    }
    let me_pk = user_pk(me);
    for it in super::batch_get_consistent(db, keys).await? {
        let (pk, sk) = (it.string("pk"), it.string("sk"));
        if let Some(p) = post_from(&it) {
            out.posts.insert(p.id, p);
        } else if sk == "PROFILE" {
            if let Some(p) = super::profiles::from_item(&it) {
                out.profiles.push(p);
            }
        } else if pk == me_pk && sk == FEEDSEEN_SK {
            out.seen = it.i64("seen").unwrap_or(0);
        } else if pk == FEEDBIG_PK && sk == FEEDBIG_SK {
            out.bigs = it.strings("uids").iter().filter_map(|u| u.parse().ok()).map(UserId).collect();
        } else if pk == me_pk && sk.starts_with(LIKE_PREFIX) {
            if let Ok(m) = sk[LIKE_PREFIX.len()..].parse() {
                out.liked.insert(m);
            }
        } else if pk == me_pk && sk.starts_with(BOOKMARK_PREFIX) {
            if let Ok(m) = sk[BOOKMARK_PREFIX.len()..].parse() {
                out.bookmarked.insert(m);
            }
        } else if pk == me_pk && sk.starts_with("REL#") {
            if let Some(r) = relations::rel_from(&it) {
                if r.status >= crate::domain::relations::FOLLOWING && !r.blacklist {
                    out.follows.insert(r.other);
                }
            }
        } else if let Some(cid) = pk.strip_prefix("CONV#") {
            let Some(acc) = out.rooms.get_mut(cid) else { continue };
            if let Some(m) = rooms::member_from(&it) {
                acc.member = true;
                acc.admin = m.is_admin();
            } else if let Some(r) = rooms::room_from(it.clone()) {
                acc.exists = true;
                acc.public = r.flag("isNeedVerify") == 0;
            }
        } else if pk.starts_with("FILE#") {
            if let Some(f) = files::from_item(&it) {
                out.files.push(f);
            }
        }
    }
    // A MEMBER item without its room (a dismissed room) opens nothing.
    for acc in out.rooms.values_mut() {
        if !acc.exists {
            *acc = RoomAccess::default();
        }
    }
    Ok(out)
}

/// Where a list reads from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Network-visible starters (GSI2 `FEEDNET#1`: refs).
    Network,
    /// A group's starters (GSI2 `FEEDGRP#<gid>`: posts).
    Group(String),
    /// A user's posts, starters and replies (GSI1 `UFEED#<uid>`: posts).
    User(UserId),
    /// The reader's likes or bookmarks (`USER#<uid>` `LIKE#`/`BOOKMARK#`: markers).
    Marks(UserId, Mark),
    /// The reader's following inbox (`FEEDIN#<uid>`: refs).
    Inbox(UserId),
}

/// One entry of a page: the post id, the post when the index item is the post itself, the
/// ref's sender (refs carry it) when known.
#[derive(Debug, Clone)]
pub struct Row {
    pub mid: i64,
    pub post: Option<Post>,
    pub sender: Option<UserId>,
    pub group: Option<String>,
}

/// A page of a list, newest first: ids below `older_than` (or above `newer_than`), `limit`
/// entries. One Query. `more`: the Query stopped before the partition's end.
pub async fn page(
    db: &Db,
    src: &Source,
    older_than: Option<i64>,
    newer_than: Option<i64>,
    limit: i32,
    now_secs: i64,
) -> AppResult<(Vec<Row>, bool)> {
    let (index, pk_attr, sk_attr, pk_val, prefix) = match src {
        Source::Network => (Some(GSI2), "gsi2pk", "gsi2sk", FEEDNET_GSI2PK.to_string(), ""),
        Source::Group(g) => (Some(GSI2), "gsi2pk", "gsi2sk", feedgrp_gsi2pk(g), ""),
        Source::User(u) => (Some(GSI1), "gsi1pk", "gsi1sk", ufeed_gsi1pk(*u), ""),
        Source::Marks(u, Mark::Like) => (None, "pk", "sk", user_pk(*u), LIKE_PREFIX),
        Source::Marks(u, Mark::Bookmark) => (None, "pk", "sk", user_pk(*u), BOOKMARK_PREFIX),
        Source::Inbox(u) => (None, "pk", "sk", super::keys::feedin_pk(*u), ""),
    };
    let mut q = db
        .client
        .query()
        .table_name(&db.table)
        .set_index_name(index.map(str::to_string))
        .scan_index_forward(false)
        .limit(limit)
        .expression_attribute_values(":p", s(pk_val));
    let lo = format!("{prefix}{}", newer_than.map(|m| feed_sort(m + 1)).unwrap_or_else(|| "0".repeat(16)));
    let hi = match older_than {
        Some(m) if m > 0 => format!("{prefix}{}", feed_sort(m - 1)),
        Some(_) => return Ok((vec![], false)),
        None => format!("{prefix}{}", "9".repeat(16)),
    };
    if lo > hi {
        // newer_than ≥ older_than: nothing between (DynamoDB refuses an empty BETWEEN).
        return Ok((vec![], false));
    }
    q = q
        .key_condition_expression(format!("{pk_attr} = :p AND {sk_attr} BETWEEN :lo AND :hi"))
        .expression_attribute_values(":lo", s(lo))
        .expression_attribute_values(":hi", s(hi));
    let out = q.send().await?;
    let more = out.last_evaluated_key.is_some();
    let mut rows = vec![];
    for it in out.items.unwrap_or_default() {
        if super::expired(&it, now_secs) {
            continue;
        }
        let sort_attr = if index.is_some() { sk_attr } else { "sk" };
        let Some(mid) = it.str(sort_attr).and_then(|v| v[prefix.len()..].parse::<i64>().ok()) else { continue };
        let post = post_from(&it);
        let sender = it.i64("sender").map(UserId);
        let group = it.str("gid").map(str::to_string);
        rows.push(Row { mid, post, sender, group });
    }
    Ok((rows, more))
}

/// One post (consistent GetItem).
pub async fn get(db: &Db, mid: i64) -> AppResult<Option<Post>> {
    Ok(db.get(feed_pk(mid), FEED_META_SK).await?.as_ref().and_then(post_from))
}

/// A page of a thread's replies, oldest first, after reply `after` (None: from the first).
/// One Query of `FEED#<root>` `REPLY#…` refs. `more`: more replies may follow.
pub async fn replies(db: &Db, root: i64, after: Option<i64>, limit: i32) -> AppResult<(Vec<i64>, bool)> {
    let lo = super::keys::feed_reply_sk(after.map(|a| a + 1).unwrap_or(0));
    let hi = super::keys::feed_reply_sk(crate::domain::feed::MAX_ID);
    if lo > hi {
        return Ok((vec![], false));
    }
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND sk BETWEEN :lo AND :hi")
        .expression_attribute_values(":p", s(feed_pk(root)))
        .expression_attribute_values(":lo", s(lo))
        .expression_attribute_values(":hi", s(hi))
        .projection_expression("mid")
        .limit(limit)
        .send()
        .await?;
    let ids = out.items.unwrap_or_default().iter().filter_map(|it| it.i64("mid")).collect();
    Ok((ids, out.last_evaluated_key.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::Change;
    use crate::domain::feed::Attachment;
    use crate::store::stream::decode;

    fn post(id: i64, thread: i64) -> Post {
        Post {
            id,
            thread_id: thread,
            replied_to_id: (id != thread).then_some(thread),
            sender: UserId(7),
            group_id: Some("g1".into()),
            private_group: true,
            body: "hi".into(),
            attachments: vec![Attachment {
                id: "f1".into(),
                name: "a.txt".into(),
                content_type: "text/plain".into(),
                size: 3,
                s3_key: "files/f1".into(),
            }],
            likes: 0,
            replies: 0,
            last_replies: vec![],
            created_at: 1,
        }
    }

    #[test]
    fn a_post_item_reads_back_and_only_starters_fan_out() {
        let p = post(2048, 2048);
        assert_eq!(post_from(&post_item(&p)), Some(p.clone()));
        match decode("INSERT", post_item(&p), Item::new()) {
            Change::Feed(got) => assert_eq!(got, p),
            other => panic!("a starter fans out: {other:?}"),
        }
        // A like changes the META (MODIFY): nothing to deliver.
        assert!(matches!(decode("MODIFY", post_item(&p), post_item(&p)), Change::Nothing));
        let reply = post(4096, 2048);
        assert!(matches!(decode("INSERT", post_item(&reply), Item::new()), Change::NoRule(None)));
        assert!(!post_item(&reply).contains_key("gsi2pk"), "replies are not in the group's starters");
    }
}
