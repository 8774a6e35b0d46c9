//! Delivery: what the Streams fan-out (functions/delivery) needs and the rule of who gets an
//! offline push for a message. The handler orders the posts; the rules live here.

use crate::domain::chat::{single_peer, FanMember, Message};
use crate::domain::events::Change;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::push::{self, PushJob, PushSender};
use crate::store::{live, pushes, relations, stream, users};
use crate::Ctx;
use aws_lambda_events::dynamodb::EventRecord;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// A stream record, decoded (no DynamoDB call).
pub fn change(rec: &EventRecord) -> Change {
    stream::decode_record(rec)
}

/// The members of `cid` as fan-out needs them (store/live.rs: one Query page per ~1 MB).
pub async fn members(ctx: &Ctx, cid: &str) -> AppResult<Vec<FanMember>> {
    live::members(&ctx.db, cid).await
}

/// Who hears a user's profile change: everyone who follows or befriended them (one Query on
/// GSI1 `FANS#<uid>`).
pub async fn profile_audience(ctx: &Ctx, uid: UserId) -> AppResult<Vec<UserId>> {
    let fans = relations::fans(&ctx.db, uid, None, None).await?;
    Ok(fans.items.iter().map(|r| r.owner).collect())
}

/// Who gets an offline push for `m`: members with no live connection, not the sender, not
/// room-DND (`f.dnd`) and not `muted` (global or per-contact DND, blacklist).
pub fn offline_audience(
    members: &[FanMember],
    online: &HashSet<UserId>,
    muted: &HashSet<UserId>,
    m: &Message,
) -> Vec<UserId> {
    members
        .iter()
        .filter(|f| !f.dnd && f.uid != m.sender && !online.contains(&f.uid) && !muted.contains(&f.uid))
        .map(|f| f.uid)
        .collect()
}

/// Push jobs for members with no live connection (see [`offline_audience`]): room DND from
/// the member items, global and per-contact DND from one BatchGetItem per conversation (group)
/// or per sender (1:1) for the whole batch, then one job per message, every offline member as
/// its audience: ⌈messages/25⌉ BatchWriteItem. `part`: these members are one part of a
/// chunked fan-out (services::fanout), whose job ids carry the part.
pub async fn record_offline_pushes(
    ctx: &Ctx,
    cid: &str,
    members: &[FanMember],
    live: &[(UserId, String)],
    msgs: &[Message],
    part: Option<u32>,
) -> AppResult<()> {
    let online: HashSet<UserId> = live.iter().map(|(u, _)| *u).collect();
    let single = single_peer(cid, msgs[0].sender).is_some();
    // DND depends on the sender only in 1:1 chats.
    let mut muted_by: HashMap<Option<UserId>, HashSet<UserId>> = HashMap::new();
    let mut jobs = vec![];
    for m in msgs {
        let any_offline = members.iter().any(|f| !f.dnd && f.uid != m.sender && !online.contains(&f.uid));
        if !any_offline {
            continue;
        }
        let from = single.then_some(m.sender);
        let muted = match muted_by.entry(from) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let everyone_offline: Vec<UserId> =
                    members.iter().filter(|f| !f.dnd && !online.contains(&f.uid)).map(|f| f.uid).collect();
                e.insert(pushes::muted(&ctx.db, &everyone_offline, from).await?)
            }
        };
        let text = if m.kind == 1 { m.content.as_str() } else { "[new message]" };
        let mut job = PushJob::new("message", text, m.ts);
        job.to = offline_audience(members, &online, muted, m);
        job.from = Some(m.sender);
        job.conversation_id = Some(cid.to_string());
        job.seq = Some(m.seq);
        job.id = match part {
            None => format!("m:{cid}:{}", m.seq),
            Some(k) => format!("m:{cid}:{}:{k}", m.seq),
        };
        jobs.push(job);
    }
    push::sender(ctx).send(&jobs).await
}

/// A batch's failure to answer: `(i, e)` unless `failed` already names an earlier record (the
/// stream retries from the earliest one).
pub fn keep_earliest(failed: &mut Option<(usize, AppError)>, i: usize, e: AppError) {
    if failed.as_ref().is_none_or(|(f, _)| i < *f) {
        *failed = Some((i, e));
    }
}

/// Recipients of a direct push (Shiku `/tigase/notify`, `baiduPush`, `push`).
pub enum Recipients<'a> {
    /// One named user: one GetItem.
    One(UserId),
    /// A list: ⌈n/100⌉ BatchGetItem.
    Many(&'a [UserId]),
}

/// Every recipient of a direct push must exist (404 `user <id>` for the first one missing).
pub async fn require_recipients(ctx: &Ctx, to: Recipients<'_>) -> AppResult<()> {
    match to {
        Recipients::One(uid) => {
            users::require(&ctx.db, uid).await?;
        }
        Recipients::Many(uids) => {
            let found = users::get_many(&ctx.db, uids).await?;
            if let Some(missing) = uids.iter().find(|u| !found.iter().any(|f| f.uid == **u)) {
                return Err(AppError::not_found(format!("user {missing}")));
            }
        }
    }
    Ok(())
}

/// A direct push from `me`: one job for those of `to` with no live connection and no DND
/// (global, or for `me`) who did not blacklist `me` (shared::push::offline_job).
pub async fn direct_push(ctx: &Ctx, me: UserId, to: &[UserId], kind: &str, body: &str, ts: i64) -> AppResult<()> {
    let mut job = PushJob::new(kind, body, ts);
    job.from = Some(me);
    push::offline_job(ctx, to, Some(me), job).await?;
    Ok(())
}

/// Count messages delivered in a stream batch on the dashboard's per-day counters (one
/// UpdateItem per day the batch's messages were sent on, usually one). A failure is logged,
/// not returned: a statistic is not worth redelivering a batch for.
pub async fn count_delivered(ctx: &Ctx, sent_ms: &[i64]) {
    let mut days: std::collections::BTreeMap<String, i64> = Default::default();
    for ms in sent_ms {
        *days.entry(crate::clock::utc_day(*ms)).or_default() += 1;
    }
    for (day, count) in days {
        if let Err(e) = crate::store::stats::add_messages(&ctx.db, &day, count).await {
            tracing::warn!(day, count, error = %e, "message counter not updated");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fan(uid: i64, dnd: bool) -> FanMember {
        FanMember { uid: UserId(uid), dnd, conns: vec![], stamped_at: None }
    }

    #[test]
    fn offline_audience_leaves_out_sender_online_dnd_and_muted() {
        let members = [fan(1, false), fan(2, false), fan(3, true), fan(4, false), fan(5, false)];
        let online: HashSet<UserId> = [UserId(2)].into();
        let muted: HashSet<UserId> = [UserId(4)].into();
        let m = Message {
            conversation_id: "g1".into(),
            seq: 1,
            id: "m".into(),
            sender: UserId(1),
            kind: 1,
            content: "hi".into(),
            ts: 1,
            recalled: false,
            object_name: None,
        };
        assert_eq!(offline_audience(&members, &online, &muted, &m), vec![UserId(5)]);
    }
}
