//! Offline push jobs, one item per notification for all its recipients (a 1000-member room
//! that is all offline costs one write per message, not 1000): `PUSHQ#<shard>` /
//! `<ts:013>#<id>#<part>`, 16 shards by job id so no partition runs hot, `ttl` 7 days. A job
//! is recorded for recipients who had no live WebSocket connection when something for them
//! happened (a message, a Shiku `/tigase/notify|push|baiduPush`, a Xuanxuan notification).
//! `shared::push::TableSender` writes them; a provider worker (APNs, FCM, JPush: all take
//! multi-recipient sends) would read the shards in time order or replace the sender.
//!
//! Job ids are deterministic where the cause is (`m:<cid>:<seq>` for messages), so a
//! stream batch delivered twice records the same job twice: one item.

use super::{n, relations, s, settings, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use std::collections::HashSet;

pub const PUSH_TTL_SECS: i64 = 7 * 86_400;
/// Push text is cut to this many characters (providers limit payloads to a few KB).
pub const MAX_BODY_CHARS: usize = 256;
/// Queue partitions.
pub const SHARDS: u32 = 16;
/// Recipients per item (≈ 15 KB of ids; a bigger audience takes several parts).
const PART: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct PushJob {
    /// Every recipient of this notification.
    pub to: Vec<UserId>,
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
    /// A job with no recipients yet (`to` is filled by whoever decides who is offline).
    pub fn new(kind: &str, body: &str, ts: i64) -> PushJob {
        PushJob {
            to: vec![],
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

/// FNV-1a of the job id: the same job always lands in the same shard (idempotent rewrites).
fn shard(id: &str) -> u32 {
    super::keys::fnv1a32(id) % SHARDS
}

fn items(j: &PushJob) -> Vec<Item> {
    j.to.chunks(PART)
        .enumerate()
        .map(|(part, to)| {
            let mut it = Db::key(format!("PUSHQ#{}", shard(&j.id)), format!("{:013}#{}#{part}", j.ts, j.id));
            it.insert("to".into(), AttributeValue::L(to.iter().map(|u| n(u.0)).collect()));
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
        })
        .collect()
}

fn from_item(it: &Item) -> Option<PushJob> {
    let to = match it.get("to") {
        Some(AttributeValue::L(v)) => v.iter().filter_map(|x| x.as_n().ok()?.parse().ok()).map(UserId).collect(),
        _ => return None,
    };
    Some(PushJob {
        to,
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

/// Write jobs: one item per job (per 1000 recipients), ⌈items/25⌉ BatchWriteItem.
pub async fn record(db: &Db, jobs: &[PushJob]) -> AppResult<()> {
    let requests = jobs
        .iter()
        .filter(|j| !j.to.is_empty())
        .flat_map(items)
        .map(|it| {
            let put = PutRequest::builder().set_item(Some(it)).build().expect("item set");
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    super::batch_write(db, requests).await
}

/// Jobs addressed to `uid`, newest first (expired ones left out). An operator's view, not a
/// request path: the newest `limit` items of each of the 16 shards, filtered.
pub async fn list(db: &Db, uid: UserId, now_secs: i64, limit: i32) -> AppResult<Vec<PushJob>> {
    let mut out = vec![];
    for shard in 0..SHARDS {
        let page = db
            .client
            .query()
            .table_name(&db.table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(format!("PUSHQ#{shard}")))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 500))
            .send()
            .await?;
        out.extend(
            page.items()
                .iter()
                .filter(|it| !super::expired(it, now_secs))
                .filter_map(from_item)
                .filter(|j| j.to.contains(&uid)),
        );
    }
    out.sort_by_key(|j| std::cmp::Reverse(j.ts));
    out.truncate(limit.max(0) as usize);
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_item_per_thousand_recipients_in_a_stable_shard() {
        let mut j = PushJob::new("message", "hi", 1_700_000_000_000);
        j.id = "m:abc:7".into();
        j.to = (1..=2500).map(UserId).collect();
        let its = items(&j);
        assert_eq!(its.len(), 3);
        assert!(its.iter().all(|it| it.str("pk") == Some(format!("PUSHQ#{}", shard("m:abc:7")).as_str())));
        let back: Vec<UserId> = its.iter().flat_map(|it| from_item(it).unwrap().to).collect();
        assert_eq!(back, j.to);
        assert!(shard("m:abc:7") < SHARDS);
        assert_ne!((0..64).map(|i| shard(&format!("m:c:{i}"))).collect::<HashSet<_>>().len(), 1, "jobs spread");
    }
}
