//! DynamoDB Streams fan-out. Items marked with `ev` (the template's stream
//! filter passes only those) are pushed to the live WebSocket connections of
//! the users who should see them. Per batch: one member Query per
//! conversation, ⌈members/100⌉ BatchGetItem for connections, then PostToConnection.

use aws_lambda_events::dynamodb::Event;
use aws_sdk_dynamodb::types::AttributeValue;
use shared::realtime::{message_frame, push_to_users};
use shared::store::conversations::{self as convs, message_from};
use shared::store::{Item, ItemExt};
use shared::{AppResult, Ctx, UserId};
use std::collections::HashMap;

pub async fn handle(ctx: &Ctx, ev: Event) -> AppResult<()> {
    let mut members: HashMap<String, Vec<UserId>> = HashMap::new();
    for rec in ev.records {
        if rec.event_name != "INSERT" {
            continue;
        }
        let item: Item = HashMap::<String, AttributeValue>::from(rec.change.new_image);
        match item.str("ev") {
            Some("message") => {
                let Some(m) = message_from(&item) else {
                    continue;
                };
                if !members.contains_key(&m.conversation_id) {
                    let list = convs::members(&ctx.db, &m.conversation_id).await?;
                    members.insert(m.conversation_id.clone(), list.into_iter().map(|x| x.uid).collect());
                }
                let to = &members[&m.conversation_id];
                let stats = push_to_users(ctx, to, &message_frame(&m)).await?;
                tracing::info!(cid = %m.conversation_id, seq = m.seq, sent = stats.sent, gone = stats.gone, "delivered");
            }
            // Friend changes (store/relations.rs): one recipient, the frame stored ready to send.
            Some("friend") => {
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
