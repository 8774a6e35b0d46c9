//! Every DynamoDB key format of the single table, in one place (docs/data-model.md).
//! Store modules build keys only through these functions.

// ---- accounts: users, login names, tokens, codes, key pairs ----------------------------

// ---- relations: friends, follows, blacklists, requests ---------------------------------

// ---- rooms: META, members, invites, join requests, events ------------------------------

// ---- chat: conversations, messages, connections, live events ---------------------------

/// Partition of a conversation: META, MEMBER#, MSG#, HIDE#, DISMISSED.
pub fn conv_pk(cid: &str) -> String {
    format!("CONV#{cid}")
}

pub fn member_sk(uid: crate::ids::UserId) -> String {
    format!("MEMBER#{uid}")
}

pub fn msg_sk(seq: i64) -> String {
    format!("MSG#{seq:012}")
}

/// A member's "deleted for me" marker of one message.
pub fn hide_sk(uid: crate::ids::UserId, seq: i64) -> String {
    format!("HIDE#{uid}#{seq:012}")
}

/// A user's conversations (GSI1 partition of MEMBER items).
pub fn user_convs_gsi1(uid: crate::ids::UserId) -> String {
    format!("UCONV#{uid}")
}

/// Message id claim: `MID#<id>` / `MID`.
pub fn mid_pk(mid: &str) -> String {
    format!("MID#{mid}")
}

/// A user's presence item (set `c` of live connection ids): `USER#<uid>` / `CONNS`.
pub fn presence(uid: crate::ids::UserId) -> (String, &'static str) {
    (format!("USER#{uid}"), "CONNS")
}

/// A WebSocket connection record: `CONN#<id>` / `CONN`.
pub fn conn_pk(id: &str) -> String {
    format!("CONN#{id}")
}

// ---- other: limits, apps, config, files, favorites, pushes, geo ------------------------
