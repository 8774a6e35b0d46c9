//! Chunked fan-out of large rooms (store/fanout.rs, docs/realtime.md "Chunked fan-out"):
//! delivery meets a message of a room over the context's chunk size and writes its parts
//! instead of posting ([`split`]); the parts come back on the stream and are delivered in
//! parallel ([`deliver`]), each reading only its members, their connections and the
//! messages, then posting and recording its members' offline pushes.

use crate::domain::chat::{FanChunk, FanMember, Message};
use crate::error::{AppError, AppResult};
use crate::realtime::{member_targets, message_frame_within, push_to_targets, FanOut, MAX_WS_MESSAGE};
use crate::services::delivery;
use crate::store::{fanout, live};
use crate::Ctx;

/// Member ranges, one per part (store/fanout.rs `bounds`).
pub type Ranges = Vec<(Option<String>, Option<String>)>;

/// The ranges when `cid` fans out in parts (a room with more members than
/// `ctx.settings.fanout_chunk`); None: delivered whole.
pub fn ranges(ctx: &Ctx, cid: &str, members: &[FanMember]) -> Option<Ranges> {
    let chunk = ctx.settings.fanout_chunk;
    (chunk > 0 && live::is_group(cid) && members.len() > chunk).then(|| fanout::bounds(members, chunk))
}

/// The parts of `msgs` (one per message and range): ⌈parts/25⌉ BatchWriteItem.
pub async fn split(ctx: &Ctx, cid: &str, msgs: &[Message], ranges: &Ranges) -> AppResult<usize> {
    fanout::write(&ctx.db, ctx.now_secs(), cid, msgs, ranges).await
}

/// Deliver the parts of one stream batch (`(record index, part)`): those of the same room
/// part and range together (their members read once, their messages posted in seq order),
/// the groups concurrently. Err: the smallest record index whose group failed.
pub async fn deliver(ctx: &Ctx, parts: Vec<(usize, FanChunk)>) -> (FanOut, Option<(usize, AppError)>) {
    let mut groups: Vec<Vec<(usize, FanChunk)>> = vec![];
    for (i, p) in parts {
        let same = |g: &&mut Vec<(usize, FanChunk)>| {
            let q = &g[0].1;
            q.cid == p.cid && q.part == p.part && q.from == p.from && q.to == p.to
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => g.push((i, p)),
            None => groups.push(vec![(i, p)]),
        }
    }
    let runs = groups.into_iter().map(|g| async move {
        let first = g.iter().map(|(i, _)| *i).min().unwrap_or(0);
        let seqs: Vec<i64> = g.iter().map(|(_, p)| p.seq).collect();
        (first, deliver_part(ctx, &g[0].1, &seqs).await)
    });
    let mut total = FanOut::default();
    let mut failed: Option<(usize, AppError)> = None;
    for (first, r) in futures_util::future::join_all(runs).await {
        match r {
            Ok(stats) => total += stats,
            Err(e) => delivery::keep_earliest(&mut failed, first, e),
        }
    }
    (total, failed)
}

/// One part's messages `seqs`: its members (one Query), their connections (stamped members
/// carry them; presence reads for the others), the messages (one BatchGetItem), the posts in
/// seq order, then the offline push jobs of its members.
async fn deliver_part(ctx: &Ctx, part: &FanChunk, seqs: &[i64]) -> AppResult<FanOut> {
    let members = fanout::members(&ctx.db, part).await?;
    let mut targets = member_targets(ctx, &part.cid, &members).await?;
    let mut msgs = fanout::messages(&ctx.db, &part.cid, seqs).await?;
    // Recalled meanwhile: its recall frame went to every member already.
    msgs.retain(|m| !m.recalled);
    let mut total = FanOut::default();
    for m in &msgs {
        let (frame, _) = message_frame_within(m, MAX_WS_MESSAGE);
        let (stats, live) = push_to_targets(ctx, std::mem::take(&mut targets), &frame).await;
        targets = live;
        total += stats;
        tracing::info!(
            cid = part.cid,
            seq = m.seq,
            part = part.part,
            members = members.len(),
            sent = stats.sent,
            "part delivered"
        );
    }
    if !msgs.is_empty() {
        delivery::record_offline_pushes(ctx, &part.cid, &members, &targets, &msgs, Some(part.part)).await?;
    }
    Ok(total)
}
