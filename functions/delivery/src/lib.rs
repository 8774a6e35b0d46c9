//! DynamoDB Streams fan-out. Items marked with `ev` (the template's stream
//! filter passes only those) are pushed to the live WebSocket connections of
//! the users who should see them. Per batch and conversation, however many of
//! its messages the batch holds: one member Query page per ~1 MB (projected to
//! uid, DND flag and, for groups, the members' live connection ids; a
//! 1000-member room is one page), then PostToConnection (64 in flight) for
//! each message in seq order. A 1:1 chat reads its two presence items instead
//! (one BatchGetItem). A 1000-member room: 1 DynamoDB call before the posts.

use aws_lambda_events::dynamodb::Event;
use aws_sdk_dynamodb::types::AttributeValue;
use shared::push::{self, PushJob, PushSender};
use shared::realtime::{
    connection_targets, member_targets, message_frame, push_to_targets, push_to_users, recall_frame,
};
use shared::store::conversations::{self as convs, message_from, Message};
use shared::store::live::{self, FanMember};
use shared::store::pushes;
use shared::store::{Item, ItemExt};
use shared::{AppResult, Ctx, UserId};
use std::collections::HashMap;

pub async fn handle(ctx: &Ctx, ev: Event) -> AppResult<()> {
    // Messages grouped by conversation (first-seen order), each group in stream order.
    let mut order: Vec<String> = vec![];
    let mut messages: HashMap<String, Vec<Message>> = HashMap::new();
    let mut recalls: Vec<Message> = vec![];
    for rec in ev.records {
        let item: Item = HashMap::<String, AttributeValue>::from(rec.change.new_image);
        if rec.event_name == "MODIFY" {
            // A message that just became a tombstone (conversations::recall): `recall` frames.
            let old: Item = HashMap::<String, AttributeValue>::from(rec.change.old_image);
            if let Some(m) = recalled_now(&old, &item) {
                recalls.push(m);
            }
            continue;
        }
        if rec.event_name != "INSERT" {
            continue;
        }
        match item.str("ev") {
            Some("message") => {
                let Some(m) = message_from(&item) else {
                    continue;
                };
                if !messages.contains_key(&m.conversation_id) {
                    order.push(m.conversation_id.clone());
                }
                messages.entry(m.conversation_id.clone()).or_default().push(m);
            }
            // Group changes (conversations::group_event): the members now, plus `alsoTo`.
            Some("group") => deliver_group_event(ctx, &item).await?,
            // Friend changes (store/relations.rs) and per-user events (store/events.rs, e.g.
            // Xuanxuan notifications): one recipient, the frame stored ready to send.
            Some("friend" | "user") => {
                let (Some(to), Some(frame)) = (item.i64("evTo"), item.str("frame")) else {
                    continue;
                };
                let Ok(frame) = serde_json::from_str::<serde_json::Value>(frame) else {
                    tracing::warn!(to, "unreadable friend event frame");
                    continue;
                };
                let stats = push_to_users(ctx, &[UserId(to)], &frame).await?;
                tracing::info!(to, sent = stats.sent, gone = stats.gone, "friend event delivered");
            }
            // Nickname/avatar changes (store/profiles.rs): to everyone who follows or befriended the user.
            Some("profile") => deliver_profile_change(ctx, &item).await?,
            other => tracing::debug!(?other, "no delivery rule"),
        }
    }
    for cid in order {
        let mut msgs = messages.remove(&cid).unwrap_or_default();
        msgs.sort_by_key(|m| m.seq);
        deliver_messages(ctx, &cid, &msgs).await?;
    }
    deliver_recalls(ctx, recalls).await
}

/// The message of a MODIFY whose `recalled` flipped to true (None for any other change).
fn recalled_now(old: &Item, new: &Item) -> Option<Message> {
    if new.str("ev") != Some("message") || old.bool("recalled") == Some(true) || new.bool("recalled") != Some(true) {
        return None;
    }
    message_from(new)
}

/// `{"event":"recall",…}` to every member's connections (one member Query per conversation).
async fn deliver_recalls(ctx: &Ctx, recalls: Vec<Message>) -> AppResult<()> {
    let mut by_conv: HashMap<String, Vec<Message>> = HashMap::new();
    for m in recalls {
        by_conv.entry(m.conversation_id.clone()).or_default().push(m);
    }
    for (cid, msgs) in by_conv {
        let members = live::members(&ctx.db, &cid).await?;
        let mut targets = member_targets(ctx, &cid, &members).await?;
        for m in &msgs {
            let (stats, live) = push_to_targets(ctx, targets, &recall_frame(m)).await;
            targets = live;
            tracing::info!(cid, seq = m.seq, sent = stats.sent, "recall delivered");
        }
    }
    Ok(())
}

async fn deliver_group_event(ctx: &Ctx, item: &Item) -> AppResult<()> {
    let (Some(cid), Some(frame)) = (item.str("cid"), item.str("frame")) else {
        return Ok(());
    };
    let Ok(frame) = serde_json::from_str::<serde_json::Value>(frame) else {
        tracing::warn!(cid, "unreadable group event frame");
        return Ok(());
    };
    let members = live::members(&ctx.db, cid).await?;
    let mut targets = member_targets(ctx, cid, &members).await?;
    // Who just left, was removed, or every former member of a dismissed room: their presence.
    if let Some(AttributeValue::L(extra)) = item.get("alsoTo") {
        let mut gone: Vec<UserId> = extra.iter().filter_map(|v| v.as_n().ok()?.parse().ok()).map(UserId).collect();
        gone.retain(|u| !members.iter().any(|m| m.uid == *u));
        gone.sort();
        gone.dedup();
        targets.extend(connection_targets(ctx, &gone).await?);
    }
    let (stats, _) = push_to_targets(ctx, targets, &frame).await;
    tracing::info!(cid, sent = stats.sent, "group event delivered");
    Ok(())
}

/// Push jobs for members with no live connection (not the sender, not DND): room DND from
/// the member items, global and per-contact DND from one BatchGetItem (shared::push).
async fn record_offline_pushes(
    ctx: &Ctx,
    cid: &str,
    members: &[FanMember],
    live: &[(UserId, String)],
    msgs: &[Message],
) -> AppResult<()> {
    let online: std::collections::HashSet<UserId> = live.iter().map(|(u, _)| *u).collect();
    let single = convs::single_peer(cid, msgs[0].sender).is_some();
    // DND depends on the sender only in 1:1 chats: one lookup per conversation (group) or
    // per sender (1:1) for the whole batch, not one per message.
    let mut muted_by: HashMap<Option<UserId>, std::collections::HashSet<UserId>> = HashMap::new();
    let mut jobs = vec![];
    for m in msgs {
        let offline: Vec<UserId> =
            members.iter().filter(|f| !f.dnd && f.uid != m.sender && !online.contains(&f.uid)).map(|f| f.uid).collect();
        if offline.is_empty() {
            continue;
        }
        let from = single.then_some(m.sender);
        let muted = match muted_by.entry(from) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let everyone_offline: Vec<UserId> =
                    members.iter().filter(|f| !f.dnd && !online.contains(&f.uid)).map(|f| f.uid).collect();
                e.insert(pushes::muted(&ctx.db, &everyone_offline, from).await?)
            }
        };
        let text = if m.kind == 1 { m.content.as_str() } else { "[new message]" };
        let mut job = PushJob::new("message", text, m.ts);
        job.to = offline.into_iter().filter(|u| !muted.contains(u)).collect();
        job.from = Some(m.sender);
        job.conversation_id = Some(cid.to_string());
        job.seq = Some(m.seq);
        job.id = format!("m:{cid}:{}", m.seq);
        jobs.push(job);
    }
    // One job per message, every offline member as its audience: ⌈messages/25⌉ BatchWriteItem.
    push::sender(ctx).send(&jobs).await?;
    Ok(())
}

/// One conversation's messages of a batch: members and their connections are
/// read once, then each message is posted to every connection, in seq order.
async fn deliver_messages(ctx: &Ctx, cid: &str, msgs: &[Message]) -> AppResult<()> {
    let members = live::members(&ctx.db, cid).await?;
    let mut targets = member_targets(ctx, cid, &members).await?;
    for m in msgs {
        let (stats, live) = push_to_targets(ctx, targets, &message_frame(m)).await;
        targets = live;
        tracing::info!(cid, seq = m.seq, members = members.len(), sent = stats.sent, gone = stats.gone, "delivered");
    }
    if !msgs.is_empty() {
        record_offline_pushes(ctx, cid, &members, &targets, msgs).await?;
    }
    Ok(())
}

/// One profile event item → `{"event":"friend","type":"profile",…}` to the user's fans
/// (one Query on GSI1 `FANS#<uid>`, then the usual connection lookup).
async fn deliver_profile_change(ctx: &Ctx, item: &Item) -> AppResult<()> {
    let (Some(uid), Some(frame)) = (item.i64("uid"), item.str("frame")) else {
        return Ok(());
    };
    let Ok(frame) = serde_json::from_str::<serde_json::Value>(frame) else {
        tracing::warn!(uid, "unreadable profile event frame");
        return Ok(());
    };
    let fans = shared::store::relations::fans(&ctx.db, UserId(uid), None, None).await?;
    let to: Vec<UserId> = fans.items.iter().map(|r| r.owner).collect();
    let stats = push_to_users(ctx, &to, &frame).await?;
    tracing::info!(uid, sent = stats.sent, "profile change delivered");
    Ok(())
}
