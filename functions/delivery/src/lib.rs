//! DynamoDB Streams fan-out. Items marked with `ev` (the template's stream
//! filter passes only those) are pushed to the live WebSocket connections of
//! the users who should see them. Per batch: one member Query per
//! conversation, ⌈members/100⌉ BatchGetItem for connections, then PostToConnection.

use aws_lambda_events::dynamodb::Event;
use aws_sdk_dynamodb::types::AttributeValue;
use shared::push::{self, PushJob, PushSender};
use shared::realtime::{message_frame, push_to_users, recall_frame};
use shared::store::conversations::{self as convs, message_from, Message};
use shared::store::{connections, pushes, Item, ItemExt};
use shared::{AppResult, Ctx, UserId};
use std::collections::HashMap;

pub async fn handle(ctx: &Ctx, ev: Event) -> AppResult<()> {
    let mut members: HashMap<String, Vec<(UserId, bool)>> = HashMap::new();
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
                if !members.contains_key(&m.conversation_id) {
                    let list = convs::member_ids_with_dnd(&ctx.db, &m.conversation_id).await?;
                    members.insert(m.conversation_id.clone(), list);
                }
                let with_dnd = &members[&m.conversation_id];
                let to: Vec<UserId> = with_dnd.iter().map(|(u, _)| *u).collect();
                let stats = push_to_users(ctx, &to, &message_frame(&m)).await?;
                tracing::info!(cid = %m.conversation_id, seq = m.seq, sent = stats.sent, gone = stats.gone, "delivered");
                record_offline_pushes(ctx, with_dnd, &m).await?;
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
        let members = convs::member_ids(&ctx.db, &cid).await?;
        for m in &msgs {
            let stats = push_to_users(ctx, &members, &recall_frame(m)).await?;
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
    let mut to = convs::member_ids(&ctx.db, cid).await?;
    if let Some(AttributeValue::L(extra)) = item.get("alsoTo") {
        to.extend(extra.iter().filter_map(|v| v.as_n().ok()?.parse().ok()).map(UserId));
    }
    to.sort();
    to.dedup();
    let stats = push_to_users(ctx, &to, &frame).await?;
    tracing::info!(cid, sent = stats.sent, "group event delivered");
    Ok(())
}

/// Push jobs for members with no live connection (not the sender, not DND): room DND from
/// the member items, global and per-contact DND from one BatchGetItem (shared::push).
async fn record_offline_pushes(ctx: &Ctx, members: &[(UserId, bool)], m: &Message) -> AppResult<()> {
    let cid = m.conversation_id.as_str();
    let candidates: Vec<UserId> = members.iter().filter(|(u, dnd)| !dnd && *u != m.sender).map(|(u, _)| *u).collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let online = connections::of_users(&ctx.db, &candidates).await?;
    let offline: Vec<UserId> = candidates.into_iter().filter(|u| !online.contains_key(u)).collect();
    if offline.is_empty() {
        return Ok(());
    }
    let single = convs::single_peer(cid, m.sender).is_some();
    let muted = pushes::muted(&ctx.db, &offline, single.then_some(m.sender)).await?;
    let jobs: Vec<PushJob> = offline
        .iter()
        .filter(|u| !muted.contains(u))
        .map(|u| {
            let text = if m.kind == 1 { m.content.as_str() } else { "[new message]" };
            let mut j = PushJob::new(*u, "message", text, m.ts);
            j.from = Some(m.sender);
            j.conversation_id = Some(cid.to_string());
            j.seq = Some(m.seq);
            j.id = format!("m:{cid}:{}", m.seq);
            j
        })
        .collect();
    push::sender(ctx).send(&jobs).await
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
