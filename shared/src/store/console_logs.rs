//! Console message logs (`/console/chat_logs_all`, `/console/groupchat_logs_all` and their
//! `/del`): the live (not recalled) messages of one conversation in a time window, newest
//! first, and the audit entry a log deletion writes before its tombstones.

use super::conversations::message_from;
use super::keys::{conv_pk, msg_sk};
use super::{n, s, Db, Item};
use crate::domain::audit::AuditEntry;
use crate::domain::chat::Message;
use crate::error::AppResult;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

const MAX_SEQ: i64 = 999_999_999_999;
/// Items one follow-up Query evaluates when the window's matches are not all in the first.
const STEP: i32 = 500;

/// A time window in epoch milliseconds (both ends included; None = open).
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// The newest `want` live messages of `cid` in `w`, newest first, and whether more may
/// exist (a further match was seen, or the read stopped at `max_eval` evaluated items).
/// The first Query evaluates `want + 1` items (enough when the window reaches the newest
/// messages: 1 Query); follow-ups evaluate [`STEP`] items each until `max_eval`.
pub async fn live_in_window(
    db: &Db,
    cid: &str,
    w: Window,
    want: usize,
    max_eval: usize,
) -> AppResult<(Vec<Message>, bool)> {
    let mut found: Vec<Message> = vec![];
    let mut start: Option<Item> = None;
    let (mut evaluated, mut limit) = (0usize, (want + 1).min(i32::MAX as usize) as i32);
    loop {
        let out = db
            .client
            .query()
            .table_name(&db.table)
            .key_condition_expression("pk = :p AND sk BETWEEN :lo AND :hi")
            .filter_expression("ts BETWEEN :s AND :e AND (attribute_not_exists(recalled) OR recalled = :f)")
            .expression_attribute_values(":p", s(conv_pk(cid)))
            .expression_attribute_values(":lo", s(msg_sk(0)))
            .expression_attribute_values(":hi", s(msg_sk(MAX_SEQ)))
            .expression_attribute_values(":s", n(w.start_ms.unwrap_or(0)))
            .expression_attribute_values(":e", n(w.end_ms.unwrap_or(i64::MAX)))
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .scan_index_forward(false)
            .set_exclusive_start_key(start.take())
            .limit(limit)
            .send()
            .await?;
        evaluated += out.scanned_count().max(0) as usize;
        found.extend(out.items().iter().filter_map(message_from));
        let last: Option<HashMap<String, AttributeValue>> = out.last_evaluated_key().cloned();
        if found.len() > want {
            found.truncate(want);
            return Ok((found, true));
        }
        match last {
            None => return Ok((found, false)),
            Some(_) if evaluated >= max_eval => return Ok((found, true)),
            Some(k) => start = Some(k),
        }
        limit = STEP;
    }
}

/// The audit entry of a log deletion as its own transaction, written BEFORE the tombstones
/// (no audit, no action): one TransactWriteItems.
pub async fn put_audit(db: &Db, entry: &AuditEntry) -> AppResult<()> {
    db.client.transact_write_items().transact_items(super::audit::put(db, entry)).send().await?;
    Ok(())
}
