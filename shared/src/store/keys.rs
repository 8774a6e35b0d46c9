//! Every DynamoDB key format of the single table, in one place (docs/data-model.md).
//! Store modules build keys only through these functions.

// ---- accounts: users, login names, tokens, codes, key pairs ----------------------------

/// Partition of everything a user owns: `USER#<uid>`.
pub fn user_pk(uid: crate::ids::UserId) -> String {
    format!("USER#{uid}")
}

/// The user's profile item (USER#<uid>/PROFILE): identity, profile fields, password hash.
pub const PROFILE_SK: &str = "PROFILE";
/// The user's settings item (USER#<uid>/SETTINGS).
pub const SETTINGS_SK: &str = "SETTINGS";
/// The user's last reported location (USER#<uid>/GEO).
pub const GEO_SK: &str = "GEO";

/// A login name's uniqueness record: `LOGIN#<kind:value>` / `LOGIN`, attribute `uid`.
/// `LOGIN#phonemd5:<md5>` holds both md5(area code + number) and md5(number) (seed 001
/// `/user/login`: "the telephone, MD5-encrypted"), so a hashed login is one GetItem either
/// way; a bare-number item carries `bare: true` and yields to an area-code one
/// (store/users.rs `create`).
pub fn login_pk(name: &crate::ids::LoginName) -> String {
    format!("LOGIN#{}", name.key())
}

/// GSI2 keys of the nickname index: `NICK#<first char>` / `<nickname lowercase>#<uid:012>`.
/// Empty nicknames are not indexed.
pub fn nick_index(nickname: &str, uid: crate::ids::UserId) -> Option<(String, String)> {
    let lower = nickname.trim().to_lowercase();
    let first = lower.chars().next()?;
    Some((nick_pk(first), format!("{lower}#{:012}", uid.0)))
}

/// GSI2 partition of the nicknames starting with `first`.
pub fn nick_pk(first: char) -> String {
    format!("NICK#{first}")
}

/// A profile change event: USER#<uid>/PROFILEEVT#<ms:013>#<id>.
pub fn profile_event_sk(now_ms: i64, id: &str) -> String {
    format!("PROFILEEVT#{now_ms:013}#{id}")
}

/// GSI1 partition of a geohash cell.
pub fn geo_cell_pk(cell: &str) -> String {
    format!("GEO#{cell}")
}

/// A key pair of a kind: USER#<uid>/KEY#<kind>.
pub fn keypair_sk(kind: &str) -> String {
    format!("KEY#{kind}")
}

/// A token record: TOKEN#<sha256 hex>/TOKEN.
pub fn token_pk(hash: &str) -> String {
    format!("TOKEN#{hash}")
}
pub const TOKEN_SK: &str = "TOKEN";

/// A phone's verification code record: `CODE#<area>:<number>`.
pub fn code_pk(phone: &crate::ids::Telephone) -> String {
    format!("CODE#{}:{}", phone.area, phone.number)
}

/// A verified-phone token record: `VTOKEN#<sha256 hex>`.
pub fn vtoken_pk(hash: &str) -> String {
    format!("VTOKEN#{hash}")
}

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

/// A tombstone of something `USER#<uid>` lost (store/gone.rs): `GONE#<kind>#<other>`, kind
/// `friend` (a friendship ended), `block` (an unblock), `group` (left, kicked, dismissed);
/// written in the transaction of the removal, `ttl` [`GONE_TTL_SECS`]. Read by SealTalk's
/// `/user/sync` with one Query on the prefix [`GONE_PREFIX`]; no list reads them.
pub fn gone_sk(kind: &str, other: &str) -> String {
    format!("{GONE_PREFIX}{kind}#{other}")
}
pub const GONE_PREFIX: &str = "GONE#";
/// Tombstones are kept 30 days: a client whose last sync is older must sync from 0.
pub const GONE_TTL_SECS: i64 = 30 * 86_400;

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

/// A conversation's (a room's) settings item: `CONV#<cid>/META`.
pub const META_SK: &str = "META";
/// Marker of a dismissed group (`CONV#<cid>/DISMISSED`); sorts before `MEMBER#`/`META`/`MSG#`.
pub const DISMISSED_SK: &str = "DISMISSED";
/// A user's group counter: `USER#<uid>/GROUPS`.
pub const GROUPS_SK: &str = "GROUPS";
/// GSI2 partition of the directory of every group (sort key: the conversation id).
pub const GROUPS_GSI2PK: &str = "GROUPS";
/// GSI1 partition of the public room directory (sort key: `<createdAt:013>`).
pub const PUBROOMS_GSI1PK: &str = "PUBROOMS";

/// GSI1 sort key of a public room: its creation time.
pub fn pubroom_gsi1sk(created_ms: i64) -> String {
    format!("{created_ms:013}")
}

/// A group event: `CONV#<cid>/EVT#<ms:013>#<id>`.
pub fn group_event_sk(now_ms: i64, id: &str) -> String {
    format!("EVT#{now_ms:013}#{id}")
}

/// The room call number counter: `COUNTER/room-call`.
pub fn room_call_counter() -> (&'static str, &'static str) {
    ("COUNTER", "room-call")
}

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

/// A favourite: USER#<uid>/FAV#<type>#<id>.
pub fn favorite_sk(kind: i64, id: &str) -> String {
    format!("FAV#{kind}#{id}")
}

/// Prefix of the favourites of one type, or of all (`FAV#`).
pub fn favorites_prefix(kind: Option<i64>) -> String {
    match kind {
        Some(k) => format!("FAV#{k}#"),
        None => "FAV#".to_string(),
    }
}
