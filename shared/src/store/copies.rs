//! Mass-send copies written in batches (services::broadcasts): one message from one sender
//! into many 1:1 conversations, without a send's per-copy round trips.
//!
//! - [`contexts`]: per recipient the conversation's META, the recipient's MEMBER item (room
//!   DND), their relation to the sender (blacklist, per-contact DND), their SETTINGS (global
//!   DND) and presence item: one consistent BatchGetItem per [`PER_READ`] recipients.
//! - [`write`]: per copy the META update (seq taken by a condition on the `lastSeq` just
//!   read, instead of an `ADD` returning it), the MSG item and its MID item — or, for a
//!   conversation that does not exist yet, META and both MEMBER items put as
//!   [`super::conversations::ensure_single_ocu`] puts them — packed into TransactWriteItems
//!   of up to 100 items. The MID item is the deterministic client id's claim, so a replayed
//!   page stores nothing twice. Copies are written WITHOUT `ev`: the stream filter leaves them
//!   to the caller, which delivers them itself (one presence read for all, no stream hop);
//!   a recall adds `ev` back (store/conversations.rs `recall`).

use super::conversations::{member_item, member_sk, pk, put, NewMessage};
use super::messages::{last_message_values, message_item, mid_item};
use super::{live, n, relations, s, settings, Db, Item, ItemExt};
use crate::domain::chat::{single_id, Message};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use futures_util::stream::{StreamExt, TryStreamExt};

/// Recipients per BatchGetItem (5 keys each, 100 keys a call).
pub const PER_READ: usize = 20;
/// BatchGetItem / TransactWriteItems calls in flight.
const IN_FLIGHT: usize = 8;
/// Items per TransactWriteItems (DynamoDB's limit).
const MAX_TX_ITEMS: usize = 100;
/// Transactions a copy may be carried over to (another copy of its transaction failed)
/// before the caller takes it through the ordinary send.
const MAX_ROUNDS: usize = 4;

/// What a copy to one recipient needs to know, read before writing.
#[derive(Debug, Clone)]
pub struct CopyContext {
    pub to: UserId,
    /// The 1:1 conversation's `lastSeq` (None: no conversation yet) and whether META
    /// names its public account (`ocu`).
    pub last_seq: Option<i64>,
    pub has_ocu: bool,
    /// The recipient blacklisted the sender: no copy.
    pub blocked: bool,
    /// No offline push: room DND on their MEMBER item, DND for the sender on their relation,
    /// or their global DND setting.
    pub no_push: bool,
    /// Live connection ids (presence item).
    pub conns: Vec<String>,
}

/// [`CopyContext`] of every recipient of `from`'s copies, in `tos` order.
pub async fn contexts(db: &Db, from: UserId, tos: &[UserId]) -> AppResult<Vec<CopyContext>> {
    // Owned chunks: a stream of borrowed slices makes the future's Send bound unprovable.
    let chunks: Vec<Vec<UserId>> = tos.chunks(PER_READ).map(<[UserId]>::to_vec).collect();
    let read: Vec<Vec<CopyContext>> = futures_util::stream::iter(chunks)
        .map(|chunk| async move {
            let mut keys = Vec::with_capacity(chunk.len() * 5);
            for to in &chunk {
                let cid = single_id(from, *to);
                keys.push(Db::key(pk(&cid), "META"));
                keys.push(Db::key(pk(&cid), member_sk(*to)));
                keys.push(relations::key(*to, from));
                keys.push(settings::key(*to));
                keys.push(live::presence_key(*to));
            }
            let items = super::batch_get_consistent(db, keys).await?;
            Ok::<_, crate::AppError>(chunk.iter().map(|to| context_of(&items, from, *to)).collect())
        })
        .buffered(IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(read.into_iter().flatten().collect())
}

fn context_of(items: &[Item], from: UserId, to: UserId) -> CopyContext {
    let cid = single_id(from, to);
    let find = |key: Item| items.iter().find(|it| it.get("pk") == key.get("pk") && it.get("sk") == key.get("sk"));
    let meta = find(Db::key(pk(&cid), "META"));
    let member = find(Db::key(pk(&cid), member_sk(to)));
    let relation = find(relations::key(to, from)).and_then(relations::rel_from);
    let setting = find(settings::key(to));
    let presence = find(live::presence_key(to));
    CopyContext {
        to,
        last_seq: meta.map(|m| m.i64("lastSeq").unwrap_or(0)),
        has_ocu: meta.is_some_and(|m| m.i64("ocu").is_some()),
        blocked: relation.as_ref().is_some_and(|r| r.blacklist),
        no_push: member.and_then(|m| m.i64("offlineNoPushMsg")) == Some(1)
            || relation.as_ref().is_some_and(|r| r.offline_no_push_msg)
            || settings::flag(setting, "offlineNoPushMsg") == 1,
        conns: presence.map(|p| p.strings("c")).unwrap_or_default(),
    }
}

/// One copy to write: the message (its client id set) into the 1:1 conversation of
/// `m.sender` and `ctx.to`.
#[derive(Debug, Clone)]
pub struct Copy {
    pub ctx: CopyContext,
    pub m: NewMessage,
    /// The sender is a public account (META `ocu`, set when missing).
    pub ocu: bool,
}

/// What became of a copy.
#[derive(Debug, Clone)]
pub enum Written {
    /// Stored now.
    Stored(Message),
    /// Its client id was stored before (a replayed page): nothing written.
    Earlier,
    /// The conversation changed since it was read (or its transaction kept conflicting):
    /// nothing written; the caller sends it the ordinary way.
    Changed,
}

/// Write `copies` ([`Written`] for each, in order): TransactWriteItems of up to 100 items,
/// [`IN_FLIGHT`] at once. A transaction cancelled by some of its copies' conditions settles
/// those copies and carries the others over to the next round.
pub async fn write(db: &Db, now: i64, copies: Vec<Copy>) -> AppResult<Vec<Written>> {
    let mut out: Vec<Option<Written>> = vec![None; copies.len()];
    let mut pending: Vec<usize> = (0..copies.len()).collect();
    for _ in 0..MAX_ROUNDS {
        if pending.is_empty() {
            break;
        }
        let txs = pack(&copies, &pending);
        let results: Vec<Vec<(usize, Option<Written>)>> = futures_util::stream::iter(txs)
            .map(|tx| transact(db, now, &copies, tx))
            .buffer_unordered(IN_FLIGHT)
            .try_collect()
            .await?;
        pending.clear();
        for (i, w) in results.into_iter().flatten() {
            match w {
                Some(w) => out[i] = Some(w),
                None => pending.push(i),
            }
        }
    }
    Ok(out.into_iter().map(|w| w.unwrap_or(Written::Changed)).collect())
}

/// Items a copy writes: 3 into an existing conversation, 5 when it makes the conversation.
fn items_of(c: &Copy) -> usize {
    if c.ctx.last_seq.is_some() {
        3
    } else {
        5
    }
}

/// `pending` copies grouped into transactions of at most [`MAX_TX_ITEMS`] items.
fn pack(copies: &[Copy], pending: &[usize]) -> Vec<Vec<usize>> {
    let mut txs: Vec<Vec<usize>> = vec![];
    let mut size = MAX_TX_ITEMS;
    for &i in pending {
        let k = items_of(&copies[i]);
        if size + k > MAX_TX_ITEMS {
            txs.push(vec![]);
            size = 0;
        }
        txs.last_mut().expect("pushed").push(i);
        size += k;
    }
    txs
}

/// One transaction of copies `tx`: (copy, outcome) for each; None = carried over.
async fn transact(db: &Db, now: i64, copies: &[Copy], tx: Vec<usize>) -> AppResult<Vec<(usize, Option<Written>)>> {
    let mut writes = vec![];
    // (copy, index of its first item, its MID item's index, the message item)
    let mut spans = vec![];
    for &i in &tx {
        let c = &copies[i];
        let cid = single_id(c.m.sender, c.ctx.to);
        let seq = c.ctx.last_seq.unwrap_or(0) + 1;
        let mid = c.m.client_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let first = writes.len();
        match c.ctx.last_seq {
            Some(last) => writes.push(meta_update(db, now, &cid, last, &c.m, c.ocu && !c.ctx.has_ocu)),
            None => {
                writes.push(put(db, new_meta(now, &cid, c), Some("attribute_not_exists(pk)")));
                writes.push(put(db, member_item(&cid, c.m.sender, "member", now), None));
                writes.push(put(db, member_item(&cid, c.ctx.to, "member", now), None));
            }
        }
        let mut it = message_item(&cid, seq, &mid, &c.m, now);
        // Delivered by the caller, not by the stream (module doc).
        it.remove("ev");
        writes.push(put(db, it.clone(), Some("attribute_not_exists(pk)")));
        writes.push(put(db, mid_item(&mid, &cid, seq, c.m.sender), Some("attribute_not_exists(pk)")));
        spans.push((i, first, writes.len() - 1, it));
    }
    let e = match db.client.transact_write_items().set_transact_items(Some(writes)).send().await {
        Ok(_) => {
            return Ok(spans
                .into_iter()
                .map(|(i, _, _, it)| {
                    let m = super::conversations::message_from(&it).expect("item just built");
                    (i, Some(Written::Stored(m)))
                })
                .collect())
        }
        Err(e) => e,
    };
    let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) = e.as_service_error() else {
        return Err(e.into());
    };
    let reasons = cancel.cancellation_reasons();
    if reasons.is_empty() {
        return Err(e.into());
    }
    let code = |k: usize| reasons.get(k).and_then(|r| r.code()).unwrap_or("None");
    let failed = |k: usize| code(k) != "None";
    // Something other than a condition or a conflict (throttling, validation): an error.
    if (0..reasons.len()).any(|k| failed(k) && code(k) != "ConditionalCheckFailed" && code(k) != "TransactionConflict")
    {
        return Err(e.into());
    }
    Ok(spans
        .into_iter()
        .map(|(i, first, mid_at, _)| {
            let outcome = if (first..=mid_at).all(|k| !failed(k)) {
                None
            } else if code(mid_at) == "ConditionalCheckFailed" {
                Some(Written::Earlier)
            } else {
                Some(Written::Changed)
            };
            (i, outcome)
        })
        .collect())
}

/// META of a conversation the copy makes, as `ensure_single_ocu` writes it, with the copy as
/// its first message.
fn new_meta(now: i64, cid: &str, c: &Copy) -> Item {
    let mut meta = Db::key(pk(cid), "META");
    if c.ocu {
        meta.insert("ocu".into(), n(c.m.sender.0));
    }
    meta.insert("kind".into(), s("single"));
    meta.insert("createdAt".into(), n(now));
    meta.insert("pair".into(), AttributeValue::L(vec![s(c.m.sender.to_string()), s(c.ctx.to.to_string())]));
    meta.insert("lastSeq".into(), n(1));
    for (attr, _, v) in last_message_values(now, &c.m) {
        meta.insert(attr.into(), v);
    }
    meta
}

/// The seq taken on an existing META: `lastSeq` moves from the value read to the next, with
/// the last-message summary (and `ocu` when the sender is a public account META lacks).
fn meta_update(db: &Db, now: i64, cid: &str, last: i64, m: &NewMessage, set_ocu: bool) -> TransactWriteItem {
    let mut expr = "SET lastSeq = :seq, lastTs = :t, lastPreview = :p, lastSender = :s".to_string();
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .condition_expression("lastSeq = :last")
        .expression_attribute_values(":last", n(last))
        .expression_attribute_values(":seq", n(last + 1));
    for (_, name, v) in last_message_values(now, m) {
        u = u.expression_attribute_values(name, v);
    }
    if set_ocu {
        expr.push_str(", ocu = :o");
        u = u.expression_attribute_values(":o", n(m.sender.0));
    }
    TransactWriteItem::builder().update(u.update_expression(expr).build().expect("key, expressions set")).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(last_seq: Option<i64>) -> Copy {
        Copy {
            ctx: CopyContext { to: UserId(2), last_seq, has_ocu: false, blocked: false, no_push: false, conns: vec![] },
            m: NewMessage { sender: UserId(1), kind: 1, content: "hi".into(), client_id: None, object_name: None },
            ocu: false,
        }
    }

    #[test]
    fn packs_copies_into_transactions_of_at_most_100_items() {
        // 25 new conversations (5 items) and 40 existing ones (3 items).
        let copies: Vec<Copy> = (0..65).map(|i| copy(if i < 25 { None } else { Some(3) })).collect();
        let pending: Vec<usize> = (0..65).collect();
        let txs = pack(&copies, &pending);
        let sizes: Vec<usize> = txs.iter().map(|t| t.iter().map(|i| items_of(&copies[*i])).sum()).collect();
        assert!(sizes.iter().all(|s| *s <= MAX_TX_ITEMS), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 25 * 5 + 40 * 3);
        assert_eq!(txs.concat(), pending, "every copy once, in order");
        assert_eq!(txs.len(), 3);
    }
}
