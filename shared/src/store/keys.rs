//! Every DynamoDB key format of the single table, in one place (docs/data-model.md).
//! Store modules build keys only through these functions.

// ---- accounts: users, login names, tokens, codes, key pairs ----------------------------

// ---- relations: friends, follows, blacklists, requests ---------------------------------

/// Relations and friend requests live in their owner's user partition: `USER#<owner>` (the
/// user pk of the accounts section, spelled here so relations need not import accounts).
pub fn rel_pk(owner: crate::ids::UserId) -> String {
    format!("USER#{owner}")
}

/// Sort key of `owner`'s relation to `other`: `REL#<other>`.
pub fn rel_sk(other: crate::ids::UserId) -> String {
    format!("REL#{other}")
}

/// Sort key of the friend request from `from` (under the recipient): `NEWFRIEND#<from>`.
pub fn friend_req_sk(from: crate::ids::UserId) -> String {
    format!("NEWFRIEND#{from}")
}

/// GSI1 of a relation while its owner follows `other`: `FANS#<other>` / `<owner:012>`.
pub fn fans_gsi1pk(other: crate::ids::UserId) -> String {
    format!("FANS#{other}")
}

pub fn fans_gsi1sk(owner: crate::ids::UserId) -> String {
    format!("{:012}", owner.0)
}

/// GSI2 of a listed relation: `RELS#<owner>` / `<tag>#<other:012>` (tag 1 following, 2 friend,
/// X blocked).
pub fn rels_gsi2pk(owner: crate::ids::UserId) -> String {
    format!("RELS#{owner}")
}

pub fn rels_gsi2sk(tag: &str, other: crate::ids::UserId) -> String {
    format!("{tag}#{:012}", other.0)
}

/// GSI2 of a friend request: `NEWFRIENDS#<to>` / `<modifyTime:013>#<from:012>` (newest first).
pub fn friend_reqs_gsi2pk(to: crate::ids::UserId) -> String {
    format!("NEWFRIENDS#{to}")
}

pub fn friend_reqs_gsi2sk(modify_time: i64, from: crate::ids::UserId) -> String {
    format!("{modify_time:013}#{:012}", from.0)
}

/// A friend live event: `EVENT#<to>` / `<now:013>#<id>`.
pub fn friend_event_key(to: crate::ids::UserId, now: i64, id: &str) -> (String, String) {
    (format!("EVENT#{to}"), format!("{now:013}#{id}"))
}

/// Telephone lookup allowance (store::lookups): `LOOKUP#<uid>` / `H#<epoch hour>`, `D#<epoch day>`.
pub fn lookup_pk(uid: crate::ids::UserId) -> String {
    format!("LOOKUP#{uid}")
}

pub fn lookup_hour_sk(hour: i64) -> String {
    format!("H#{hour}")
}

pub fn lookup_day_sk(day: i64) -> String {
    format!("D#{day}")
}

// ---- rooms: META, members, invites, join requests, events ------------------------------

// ---- chat: conversations, messages, connections, live events ---------------------------

// ---- other: limits, apps, config, files, favorites, pushes, geo ------------------------
