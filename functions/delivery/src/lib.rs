//! DynamoDB Streams fan-out. Items marked with `ev` (the template's stream
//! filter passes those, and removed file records, whose S3 object is deleted)
//! are pushed to the live WebSocket connections of the users who should see them. Records are handled in stream order; per
//! batch and conversation, however many of its records the batch holds: one
//! member Query page per ~1 MB (projected to uid, DND flag and, for groups, the
//! members' live connection ids; a 1000-member room is one page), read at the
//! conversation's first record and reused, then PostToConnection (64 in flight)
//! for each record. A 1:1 chat reads its two presence items instead (one
//! BatchGetItem). A 1000-member room: 1 DynamoDB call before the posts.
//!
//! Partial batch response (ReportBatchItemFailures): the first record whose
//! delivery fails (a DynamoDB error; a 410 Gone is normal) stops the batch and
//! its sequence number is answered, so Lambda retries from it and the records
//! before it are not sent again. When the very first record fails the answer is
//! a function error instead, so the event source (BisectBatchOnFunctionError)
//! splits the batch and a record that keeps failing ends up alone, given up
//! after MaximumRetryAttempts without holding back the records after it.
//!
//! A room with more members than the chunk size (services::fanout) is not posted here: its
//! messages are written as parts, one per member range (`ev = fanout`), which come back on
//! the stream and are delivered in parallel (a batch's parts concurrently; on AWS also across
//! invocations, ParallelizationFactor), each reading only its own members.
//!
//! Job items (`ev = job`, services::jobs) are worked here too: one page per record (a
//! mass send: ≤ 200 copies, 32 in flight), each checkpoint's MODIFY triggering the next.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use shared::domain::chat::FanChunk;
use shared::domain::chat::{FanMember, Message};
use shared::domain::events::Change;
use shared::realtime::{
    connection_targets, member_targets, message_frame_within, push_to_targets, push_to_users, recall_frame, FanOut,
    MAX_WS_MESSAGE,
};
use shared::services::{delivery, fanout};
use shared::{AppError, AppResult, Ctx, UserId};
use std::collections::HashMap;

/// One conversation's fan-out state within a batch: read at its first record, reused after.
struct Conv {
    members: Vec<FanMember>,
    /// Live connections; those that answered 410 are dropped as the batch goes on. Read at
    /// once unless the room fans out in parts, then only for a recall or group event.
    targets: Option<Vec<(UserId, String)>>,
    /// A room over the chunk size: its messages are written as parts (services::fanout).
    ranges: Option<fanout::Ranges>,
    /// Messages read but not posted yet: posted in seq order at the end of the batch (or
    /// before the conversation's next recall or group event), whatever their stream order.
    pending: Vec<Message>,
    /// Messages posted in this batch (their offline push jobs are recorded at the end).
    posted: Vec<Message>,
    /// Index of the conversation's first message in the batch.
    first: usize,
}

impl Conv {
    /// The live connections, read on first use.
    async fn targets(&mut self, ctx: &Ctx, cid: &str) -> AppResult<Vec<(UserId, String)>> {
        match self.targets.take() {
            Some(t) => Ok(t),
            None => member_targets(ctx, cid, &self.members).await,
        }
    }

    /// Post the pending messages, in seq order (a chunked room: write their parts).
    async fn flush(&mut self, ctx: &Ctx) -> AppResult<()> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|m| m.seq);
        if let (Some(ranges), Some(m)) = (&self.ranges, pending.first()) {
            let cid = m.conversation_id.clone();
            if let Err(e) = fanout::split(ctx, &cid, &pending, ranges).await {
                self.pending = pending;
                return Err(e);
            }
            let (members, parts) = (self.members.len(), ranges.len());
            tracing::info!(cid, messages = pending.len(), members, parts, "split into parts");
            self.posted.extend(pending);
            return Ok(());
        }
        for m in pending {
            let (frame, _) = message_frame_within(&m, MAX_WS_MESSAGE);
            let targets = self.targets(ctx, &m.conversation_id).await?;
            let (stats, live) = push_to_targets(ctx, targets, &frame).await;
            tally(&stats);
            self.targets = Some(live);
            let (members, sent, gone) = (self.members.len(), stats.sent, stats.gone);
            tracing::info!(cid = m.conversation_id, seq = m.seq, members, sent, gone, "delivered");
            self.posted.push(m);
        }
        Ok(())
    }
}

type Convs = HashMap<String, Conv>;

async fn conv<'a>(ctx: &Ctx, convs: &'a mut Convs, cid: &str) -> AppResult<&'a mut Conv> {
    if !convs.contains_key(cid) {
        let members = delivery::members(ctx, cid).await?;
        let ranges = fanout::ranges(ctx, cid, &members);
        let targets = match ranges {
            Some(_) => None,
            None => Some(member_targets(ctx, cid, &members).await?),
        };
        // A large room with unstamped members: their stamping job (one Put when it starts).
        shared::services::live_members::start_if_needed(ctx, cid, &members).await?;
        let c = Conv { members, targets, ranges, pending: vec![], posted: vec![], first: usize::MAX };
        convs.insert(cid.to_string(), c);
    }
    Ok(convs.get_mut(cid).expect("inserted"))
}

tokio::task_local! {
    /// Posts made and connections found gone while one batch is handled (its log line).
    static TALLY: std::cell::Cell<(usize, usize)>;
}

/// Count one fan-out's posts on the batch's log line.
fn tally(stats: &FanOut) {
    let _ = TALLY.try_with(|t| {
        let (posts, gone) = t.get();
        t.set((posts + stats.sent, gone + stats.gone));
    });
}

/// One stream batch, with one structured log line `"message":"batch"` (JSON on Lambda):
/// `records`, `posts` (PostToConnection calls answered, every fan-out of the batch: messages,
/// recalls, group, friend and profile events; job pages post through their own services and
/// are not counted), `gone` (connections that answered 410), `outcome` (`ok`, `partial`: a
/// record to retry from, `error`: a function error), `ddb_calls` and `ms`. Never a record's
/// content.
pub async fn handle(ctx: &Ctx, ev: Event) -> AppResult<DynamoDbEventResponse> {
    let started = std::time::Instant::now();
    let records = ev.records.len();
    let work = TALLY.scope(std::cell::Cell::new((0, 0)), async move {
        // Boxed: the batch future is large (debug builds overflow a worker's stack otherwise).
        let out = Box::pin(handle_batch(ctx, ev)).await;
        (out, TALLY.with(|t| t.get()))
    });
    let ((out, (posts, gone)), calls) = shared::metrics::counted(Box::pin(work)).await;
    let ms = started.elapsed().as_millis() as u64;
    match &out {
        Ok(r) if r.batch_item_failures.is_empty() => {
            tracing::info!(records, posts, gone, outcome = "ok", ddb_calls = calls, ms, "batch")
        }
        Ok(_) => tracing::warn!(records, posts, gone, outcome = "partial", ddb_calls = calls, ms, "batch"),
        Err(e) => {
            let error = e.to_string();
            tracing::error!(records, posts, gone, outcome = "error", ddb_calls = calls, ms, error, "batch")
        }
    }
    out
}

/// The batch in stream order; see the module doc for the answer. `Err` is a function error.
async fn handle_batch(ctx: &Ctx, ev: Event) -> AppResult<DynamoDbEventResponse> {
    let mut convs: Convs = HashMap::new();
    let mut parts: Vec<(usize, FanChunk)> = vec![];
    let mut failed: Option<(usize, AppError)> = None;
    for (i, rec) in ev.records.iter().enumerate() {
        if let Err(e) = deliver_record(ctx, &mut convs, &mut parts, i, rec).await {
            failed = Some((i, e));
            break;
        }
    }
    // Every record before a failure is done: post the messages read so far.
    for c in convs.values_mut() {
        if let Err(e) = c.flush(ctx).await {
            delivery::keep_earliest(&mut failed, c.first, e);
        }
    }
    // Parts of chunked rooms' fan-outs, in parallel (services::fanout).
    if !parts.is_empty() {
        let (stats, part_failed) = fanout::deliver(ctx, parts).await;
        tally(&stats);
        if let Some((i, e)) = part_failed {
            delivery::keep_earliest(&mut failed, i, e);
        }
    }
    let sent: Vec<i64> = convs.values().flat_map(|c| c.posted.iter().map(|m| m.ts)).collect();
    delivery::count_delivered(ctx, &sent).await;
    // Offline push jobs of what was posted (ids are per message: a retry rewrites the same job).
    let mut posted: Vec<(&String, &Conv)> = convs.iter().filter(|(_, c)| !c.posted.is_empty()).collect();
    posted.sort_by_key(|(_, c)| c.first);
    for (cid, c) in posted {
        // A chunked room's parts record their members' pushes.
        let Some(targets) = c.targets.as_ref().filter(|_| c.ranges.is_none()) else { continue };
        if let Err(e) = delivery::record_offline_pushes(ctx, cid, &c.members, targets, &c.posted, None).await {
            delivery::keep_earliest(&mut failed, c.first, e);
            break;
        }
    }
    answer(&ev.records, failed)
}

/// The partial batch response for a failure at record `i` (none: every record done).
fn answer(records: &[EventRecord], failed: Option<(usize, AppError)>) -> AppResult<DynamoDbEventResponse> {
    let mut res = DynamoDbEventResponse::default();
    let Some((i, e)) = failed else { return Ok(res) };
    let seq = records[i].change.sequence_number.clone();
    tracing::warn!(record = i, records = records.len(), ?seq, error = %e, "delivery failed; the batch is retried from this record");
    match seq {
        // The first record: nothing was done, fail the invocation so the event source bisects.
        _ if i == 0 => Err(e),
        Some(seq) => {
            let mut f = DynamoDbBatchItemFailure::default();
            f.item_identifier = Some(seq);
            res.batch_item_failures.push(f);
            Ok(res)
        }
        None => Err(e),
    }
}

/// One stream record. An error means "retry from here"; records that can never be
/// delivered (unreadable frames, unknown kinds) are skipped, not failed.
async fn deliver_record(
    ctx: &Ctx,
    convs: &mut Convs,
    parts: &mut Vec<(usize, FanChunk)>,
    i: usize,
    rec: &EventRecord,
) -> AppResult<()> {
    // A file record that left the table (TTL expiry): its S3 object goes too (services::files).
    if shared::services::files::delete_removed_object(ctx, rec).await? {
        return Ok(());
    }
    match delivery::change(rec) {
        // A message that just became a tombstone (conversations::recall): `recall` frames.
        Change::Recalled(m) => {
            let c = conv(ctx, convs, &m.conversation_id).await?;
            c.flush(ctx).await?;
            let targets = c.targets(ctx, &m.conversation_id).await?;
            let (stats, live) = push_to_targets(ctx, targets, &recall_frame(&m)).await;
            tally(&stats);
            c.targets = Some(live);
            tracing::info!(cid = m.conversation_id, seq = m.seq, sent = stats.sent, "recall delivered");
        }
        Change::Message(m) => {
            let c = conv(ctx, convs, &m.conversation_id).await?;
            c.first = c.first.min(i);
            c.pending.push(m);
        }
        // Group changes (conversations::group_event): the members now, plus `alsoTo`.
        Change::Group { cid, frame, also_to } => deliver_group_event(ctx, convs, &cid, &frame, also_to).await?,
        // Friend changes (store/relations.rs) and per-user events (store/events.rs, e.g.
        // Xuanxuan notifications): one recipient, the frame stored ready to send.
        Change::UserEvent { to, frame } => {
            let Ok(frame) = serde_json::from_str::<serde_json::Value>(&frame) else {
                tracing::warn!(to, "unreadable friend event frame");
                return Ok(());
            };
            let stats = push_to_users(ctx, &[UserId(to)], &frame).await?;
            tally(&stats);
            tracing::info!(to, sent = stats.sent, gone = stats.gone, "friend event delivered");
        }
        // Nickname/avatar changes (store/profiles.rs): to everyone who follows or befriended the user.
        Change::Profile { uid, frame } => deliver_profile_change(ctx, uid, &frame).await?,
        // A new feed thread starter: its readers' following inbox refs (services::feed::following).
        Change::Feed(post) => {
            let to = shared::services::feed::following::fan_out(ctx, &post).await?;
            tracing::info!(mid = post.id, to, "feed fanned out");
        }
        // A running job (services::jobs): its next page, then its checkpoint (whose MODIFY
        // brings the page after). A replayed record re-runs a page that stores nothing twice.
        Change::Job(job) => match job.kind {
            shared::domain::jobs::JobKind::Broadcast => {
                shared::services::broadcasts::step(ctx, &job).await?;
            }
            // The operator console's sends (services::console_sends).
            shared::domain::jobs::JobKind::ConsoleSend | shared::domain::jobs::JobKind::ConsolePush => {
                shared::services::console_sends::step(ctx, &job).await?;
            }
            // Stamping a large room's members (services::live_members).
            shared::domain::jobs::JobKind::LiveMembers => {
                shared::services::live_members::step(ctx, &job).await?;
            }
        },
        // A part of a chunked room's fan-out: delivered with the batch's other parts, in
        // parallel, once the records before it are done.
        Change::Fanout(part) => parts.push((i, part)),
        Change::NoRule(other) => tracing::debug!(?other, "no delivery rule"),
        Change::Nothing => {}
    }
    Ok(())
}

async fn deliver_group_event(
    ctx: &Ctx,
    convs: &mut Convs,
    cid: &str,
    frame: &str,
    also_to: Vec<UserId>,
) -> AppResult<()> {
    let Ok(frame) = serde_json::from_str::<serde_json::Value>(frame) else {
        tracing::warn!(cid, "unreadable group event frame");
        return Ok(());
    };
    let c = conv(ctx, convs, cid).await?;
    c.flush(ctx).await?;
    // Who just left, was removed, or every former member of a dismissed room: their presence.
    let mut gone = also_to;
    gone.retain(|u| !c.members.iter().any(|m| m.uid == *u));
    gone.sort();
    gone.dedup();
    let mut targets = connection_targets(ctx, &gone).await?;
    targets.extend(c.targets(ctx, cid).await?);
    let (stats, mut live) = push_to_targets(ctx, targets, &frame).await;
    tally(&stats);
    // The members' live connections stay for the conversation's next records.
    live.retain(|(u, _)| gone.binary_search(u).is_err());
    c.targets = Some(live);
    tracing::info!(cid, sent = stats.sent, "group event delivered");
    Ok(())
}

/// One profile event item → `{"event":"friend","type":"profile",…}` to the user's fans
/// (one Query on GSI1 `FANS#<uid>`, then the usual connection lookup).
async fn deliver_profile_change(ctx: &Ctx, uid: i64, frame: &str) -> AppResult<()> {
    let Ok(frame) = serde_json::from_str::<serde_json::Value>(frame) else {
        tracing::warn!(uid, "unreadable profile event frame");
        return Ok(());
    };
    let to = delivery::profile_audience(ctx, UserId(uid)).await?;
    let stats = push_to_users(ctx, &to, &frame).await?;
    tally(&stats);
    tracing::info!(uid, sent = stats.sent, "profile change delivered");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A context whose DynamoDB refuses every call at once (no retries).
    fn no_db() -> Ctx {
        let mut ctx = Ctx::local(&shared::LocalConfig {
            table: "t".into(),
            bucket: "b".into(),
            ddb_endpoint: "http://127.0.0.1:9".into(),
            s3_endpoint: "http://127.0.0.1:9".into(),
            ws_management_endpoint: "http://127.0.0.1:9".into(),
            lambda_timeouts: false,
        });
        let conf = ctx
            .db
            .client
            .config()
            .to_builder()
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .build();
        ctx.db.client = aws_sdk_dynamodb::Client::from_conf(conf);
        ctx
    }

    fn record(seq: u32, name: &str, new: Value, old: Value) -> Value {
        json!({"eventID": format!("e{seq}"), "eventName": name, "eventSource": "aws:dynamodb", "eventVersion": "1.1",
            "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:dynamodb:us-east-1:0:table/t/stream/s",
            "dynamodb": {"Keys": {}, "SequenceNumber": format!("{seq}"), "SizeBytes": 1, "StreamViewType": "NEW_AND_OLD_IMAGES",
                "ApproximateCreationDateTime": 1, "NewImage": new, "OldImage": old}})
    }

    fn message(seq: u32) -> Value {
        let img = json!({"cid": {"S": "c1"}, "seq": {"N": seq.to_string()}, "mid": {"S": format!("m{seq}")},
            "sender": {"N": "1"}, "type": {"N": "1"}, "content": {"S": "hi"}, "ts": {"N": "1"}, "ev": {"S": "message"}});
        record(seq, "INSERT", img, json!({}))
    }

    fn event(records: Vec<Value>) -> Event {
        serde_json::from_value(json!({ "Records": records })).unwrap()
    }

    #[tokio::test]
    async fn answers_the_first_record_that_failed() {
        // Records that need no DynamoDB are done; the message needs its members: it fails.
        let edit = json!({"ev": {"S": "message"}, "recalled": {"BOOL": false}});
        let ev = event(vec![
            record(100, "MODIFY", edit.clone(), edit),
            record(200, "INSERT", json!({"ev": {"S": "other"}}), json!({})),
            message(300),
            message(400),
        ]);
        let res = handle(&no_db(), ev).await.unwrap();
        let ids: Vec<_> = res.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
        assert_eq!(ids, [Some("300".to_string())]);
        let wire = serde_json::to_value(&res).unwrap();
        assert_eq!(wire, json!({"batchItemFailures": [{"itemIdentifier": "300"}]}));
    }

    #[tokio::test]
    async fn a_failing_first_record_is_a_function_error() {
        // So the event source bisects the batch instead of retrying it whole forever.
        assert!(handle(&no_db(), event(vec![message(1), message(2)])).await.is_err());
    }

    #[tokio::test]
    async fn nothing_failed_is_an_empty_answer() {
        let ev = event(vec![
            record(1, "INSERT", json!({"ev": {"S": "other"}}), json!({})),
            record(2, "REMOVE", json!({}), json!({})),
        ]);
        let res = handle(&no_db(), ev).await.unwrap();
        assert!(res.batch_item_failures.is_empty());
    }
}
