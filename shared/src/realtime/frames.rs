//! Every realtime frame, built here and nowhere else (docs/realtime.md lists them).

// ---- messages: new message, recall, sync ------------------------------------------------

// ---- group events: room created, members, settings, dismissed ---------------------------

// ---- relations: friend requests, friend added/removed, blocks ---------------------------

/// The frame of a friend event (`type` requested / accepted / added / deleted / unfollowed /
/// blacklisted / unblacklisted, docs/realtime.md) from `from` to `to`, plus `extra` fields.
pub fn friend_event(
    kind: &str,
    from: crate::ids::UserId,
    from_nickname: &str,
    to: crate::ids::UserId,
    now: i64,
    extra: &serde_json::Value,
) -> serde_json::Value {
    let mut f = serde_json::json!({
        "event": "friend",
        "type": kind,
        "from": from.0,
        "to": to.0,
        "fromNickname": from_nickname,
        "ts": now,
    });
    if let (Some(o), Some(x)) = (f.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            o.insert(k.clone(), v.clone());
        }
    }
    f
}

// ---- presence and signals: online, typing, read, session closed --------------------------
