//! Offline push jobs: `PUSH#<uid>` / `<ts:013>#<id>`, `ttl` 7 days. A job is recorded
//! for a recipient who had no live WebSocket connection when something for them
//! happened (a message, a Shiku `/tigase/notify|push|baiduPush`, a Xuanxuan
//! notification). `shared::push::TableSender` writes them; a real provider
//! (APNs, FCM, Baidu) would read them or replace the sender.
//!
//! Job ids are deterministic where the cause is (`m:<cid>:<seq>` for messages), so a
//! stream batch delivered twice records the same job twice: one item.

use super::{n, relations, s, settings, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use std::collections::HashSet;

pub const PUSH_TTL_SECS: i64 = 7 * 86_400;
/// Push text is cut to this many characters (providers limit payloads to a few KB).
pub const MAX_BODY_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct PushJob {
    pub to: UserId,
    pub from: Option<UserId>,
    /// `message`, `notify` (Shiku /tigase/notify, Xuanxuan), `push`, `baidu`.
    pub kind: String,
    pub title: String,
    pub body: String,
    pub conversation_id: Option<String>,
    pub seq: Option<i64>,
    /// Epoch ms.
    pub ts: i64,
    pub id: String,
}

impl PushJob {
    pub fn new(to: UserId, kind: &str, body: &str, ts: i64) -> PushJob {
        PushJob {
            to,
            from: None,
            kind: kind.to_string(),
            title: String::new(),
            body: body.chars().take(MAX_BODY_CHARS).collect(),
            conversation_id: None,
            seq: None,
            ts,
            id: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

fn pk(uid: UserId) -> String {
    format!("PUSH#{uid}")
}

fn item(j: &PushJob) -> Item {
    let mut it = Db::key(pk(j.to), format!("{:013}#{}", j.ts, j.id));
    it.insert("to".into(), n(j.to.0));
    if let Some(f) = j.from {
        it.insert("from".into(), n(f.0));
    }
    it.insert("kind".into(), s(&j.kind));
    it.insert("title".into(), s(&j.title));
    it.insert("body".into(), s(&j.body));
    if let Some(c) = &j.conversation_id {
        it.insert("cid".into(), s(c));
    }
    if let Some(q) = j.seq {
        it.insert("seq".into(), n(q));
    }
    it.insert("ts".into(), n(j.ts));
    it.insert("jobId".into(), s(&j.id));
    it.insert("ttl".into(), n(j.ts / 1000 + PUSH_TTL_SECS));
    it
}

fn from_item(it: &Item) -> Option<PushJob> {
    Some(PushJob {
        to: UserId(it.i64("to")?),
        from: it.i64("from").map(UserId),
        kind: it.string("kind"),
        title: it.string("title"),
        body: it.string("body"),
        conversation_id: it.str("cid").map(str::to_string),
        seq: it.i64("seq"),
        ts: it.i64("ts").unwrap_or(0),
        id: it.string("jobId"),
    })
}

/// Write jobs: ⌈jobs/25⌉ BatchWriteItem.
pub async fn record(db: &Db, jobs: &[PushJob]) -> AppResult<()> {
    let requests = jobs
        .iter()
        .map(|j| {
            let put = PutRequest::builder().set_item(Some(item(j))).build().expect("item set");
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    super::batch_write(db, requests).await
}

/// A user's pending jobs, newest first (one Query page; expired ones left out).
pub async fn list(db: &Db, uid: UserId, now_secs: i64, limit: i32) -> AppResult<Vec<PushJob>> {
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s(pk(uid)))
        .scan_index_forward(false)
        .limit(limit.clamp(1, 500))
        .send()
        .await?;
    Ok(out.items().iter().filter(|it| !super::expired(it, now_secs)).filter_map(from_item).collect())
}

/// Who of `recipients` wants no push: the global setting `offlineNoPushMsg` = 1 (SETTINGS),
/// or, when `from` is given (1:1 chats, direct pushes), DND for that person on the
/// recipient's relation (`USER#<to>/REL#<from>`.offlineNoPushMsg) or `from` blacklisted by
/// the recipient. One BatchGetItem per 50 recipients.
pub async fn muted(db: &Db, recipients: &[UserId], from: Option<UserId>) -> AppResult<HashSet<UserId>> {
    let mut keys = Vec::with_capacity(recipients.len() * 2);
    for r in recipients {
        keys.push(settings::key(*r));
        if let Some(f) = from.filter(|f| f != r) {
            keys.push(relations::key(*r, f));
        }
    }
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let items = super::batch_get(db, keys).await?;
    let mut out = HashSet::new();
    for it in items {
        let sk = it.str("sk").unwrap_or_default();
        let owner = it.str("pk").and_then(|p| p.strip_prefix("USER#")).and_then(|u| u.parse().ok()).map(UserId);
        let Some(owner) = owner else { continue };
        let on = if sk == settings::SK {
            settings::flag(Some(&it), "offlineNoPushMsg") == 1
        } else {
            // DND for this person, or this person is blacklisted by the recipient.
            relations::rel_from(&it).is_some_and(|r| r.offline_no_push_msg || r.blacklist)
        };
        if on {
            out.insert(owner);
        }
    }
    Ok(out)
}
