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
/// GSI2 partition of the directory of every group (sort key: [`groups_gsi2sk`]).
pub const GROUPS_GSI2PK: &str = "GROUPS";
/// GSI2 sort key of a group in the directory: `<createdAt:013>#<cid>` (newest first when
/// read backwards: the console's room list).
pub fn groups_gsi2sk(created_ms: i64, cid: &str) -> String {
    format!("{created_ms:013}#{cid}")
}
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

/// Live WebSocket connections: `COUNTER/online` (store/connections.rs).
pub fn online_counter() -> (&'static str, &'static str) {
    ("COUNTER", "online")
}

/// Shards of the live-connections counter (`COUNTER/online#<nn>`): a reconnect storm spreads
/// its increments over them instead of one hot item; the dashboard sums them (and the
/// unsharded `COUNTER/online` of older deployments).
pub const ONLINE_SHARDS: u32 = 16;

/// FNV-1a (32 bits): the stable hash shard keys are chosen by (this counter, push queues).
pub fn fnv1a32(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}

/// One shard of the live-connections counter, chosen by the connection id.
pub fn online_counter_shard(conn_id: &str) -> (&'static str, String) {
    ("COUNTER", format!("online#{:02}", fnv1a32(conn_id) % ONLINE_SHARDS))
}

/// Every shard's key of the live-connections counter.
pub fn online_counter_shards() -> Vec<(&'static str, String)> {
    (0..ONLINE_SHARDS).map(|i| ("COUNTER", format!("online#{i:02}"))).collect()
}

/// Accounts ever created, the user id sequence: `COUNTER/user` (store/users.rs).
pub fn user_counter() -> (&'static str, &'static str) {
    ("COUNTER", "user")
}

/// Messages delivered on a UTC day (store/stats.rs): `COUNTER/msg#<yyyymmdd>`.
pub fn messages_day_counter(day: &str) -> (&'static str, String) {
    ("COUNTER", format!("msg#{day}"))
}

/// Live groups (every dialect's rooms; store/stats.rs): `COUNTER/rooms`.
pub fn rooms_counter() -> (&'static str, &'static str) {
    ("COUNTER", "rooms")
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

/// One part of a large room's chunked fan-out (store/fanout.rs): a partition per room part,
/// the message's [`msg_sk`] as sort key, so a part's messages keep their order on the stream
/// while the parts are delivered in parallel.
pub fn fanout_pk(cid: &str, part: u32) -> String {
    format!("FANOUT#{cid}#{part}")
}

/// A member's "deleted for me" marker of one message.
pub fn hide_sk(uid: crate::ids::UserId, seq: i64) -> String {
    format!("HIDE#{uid}#{seq:012}")
}

/// A user's conversations (GSI1 partition of MEMBER items).
pub fn user_convs_gsi1(uid: crate::ids::UserId) -> String {
    format!("UCONV#{uid}")
}

/// A user's stamped memberships of large rooms (sparse GSI2 partition of MEMBER items whose
/// `conns` `$connect`/`$disconnect` keep; store/live.rs), sort key [`stamp_gsi2sk`].
pub fn user_live_convs_gsi2(uid: crate::ids::UserId) -> String {
    format!("UCONVL#{uid}")
}

/// GSI2 sort key of a stamped member item: the stamp time (ms, 13 digits). The room id is
/// the item's `pk` (every index holds the table keys), and the stamp time has no other
/// attribute: a large room's fan-out is billed on its member items' size (issue #16 (c)).
pub fn stamp_gsi2sk(stamped_ms: i64) -> String {
    format!("{stamped_ms:013}")
}

/// The conversation id of a `CONV#<cid>` partition key.
pub fn conv_of_pk(pk: &str) -> Option<&str> {
    pk.strip_prefix("CONV#")
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

// ---- files: records, their user/room indexes, follows ------------------------------------

/// A file record: `FILE#<fid>` / [`FILE_SK`].
pub fn file_pk(fid: &str) -> String {
    format!("FILE#{fid}")
}

pub const FILE_SK: &str = "META";

/// GSI1 of a file: the uploader's files, `UFILES#<uid>` / `<createdAt:015>#<fid>`.
pub fn ufiles_gsi1pk(uid: crate::ids::UserId) -> String {
    format!("UFILES#{uid}")
}

pub fn ufiles_gsi1sk(created_ms: i64, fid: &str) -> String {
    format!("{created_ms:015}#{fid}")
}

/// GSI2 of a file shared in a room: `GFILES#<roomId>` / `<createdAt:013>#<fid>`.
pub fn gfiles_gsi2pk(room: &str) -> String {
    format!("GFILES#{room}")
}

pub fn gfiles_gsi2sk(created_ms: i64, fid: &str) -> String {
    format!("{created_ms:013}#{fid}")
}

/// A followed file: `USER#<uid>` / `FOLLOWFILE#<fid>` (ids are time-ordered: newest last).
pub fn followfile_sk(fid: &str) -> String {
    format!("{FOLLOWFILE_PREFIX}{fid}")
}

pub const FOLLOWFILE_PREFIX: &str = "FOLLOWFILE#";

/// A reserved large upload (presigned PUT not completed yet): `FILE#<fid>` / `PENDING`.
pub const FILE_PENDING_SK: &str = "PENDING";

// ---- feed: Minxing work circle (store/feed/) -------------------------------------------

/// A post's partition: `FEED#<mid>` (its `META`; a starter also holds its `NET` ref and its
/// replies' `REPLY#<mid:016>` refs).
pub fn feed_pk(mid: i64) -> String {
    format!("FEED#{mid}")
}

/// The post item: `FEED#<mid>/META`.
pub const FEED_META_SK: &str = "META";
/// A network-visible starter's ref: `FEED#<mid>/NET`, GSI2 [`FEEDNET_GSI2PK`] / `<mid:016>`.
pub const FEED_NET_SK: &str = "NET";
/// GSI2 partition of the network feed (one network).
pub const FEEDNET_GSI2PK: &str = "FEEDNET#1";

/// The sort form of a post id: 16 digits (ids are < 2^53 < 10^16).
pub fn feed_sort(mid: i64) -> String {
    format!("{mid:016}")
}

/// A reply's ref in its thread: `FEED#<root>/REPLY#<mid:016>`.
pub fn feed_reply_sk(mid: i64) -> String {
    format!("REPLY#{mid:016}")
}

/// Prefix of a thread's reply refs.
pub const FEED_REPLY_PREFIX: &str = "REPLY#";

/// GSI1 partition of a user's posts: `UFEED#<uid>` / `<mid:016>`.
pub fn ufeed_gsi1pk(uid: crate::ids::UserId) -> String {
    format!("UFEED#{uid}")
}

/// GSI2 partition of a group's starters: `FEEDGRP#<gid>` / `<mid:016>`.
pub fn feedgrp_gsi2pk(gid: &str) -> String {
    format!("FEEDGRP#{gid}")
}

/// A user's like of a post: `USER#<uid>/LIKE#<mid:016>`, GSI1 `LIKES#<mid>` / `<uid:012>`.
pub fn like_sk(mid: i64) -> String {
    format!("LIKE#{mid:016}")
}

/// A user's bookmark of a post: `USER#<uid>/BOOKMARK#<mid:016>`.
pub fn bookmark_sk(mid: i64) -> String {
    format!("BOOKMARK#{mid:016}")
}

pub const LIKE_PREFIX: &str = "LIKE#";
pub const BOOKMARK_PREFIX: &str = "BOOKMARK#";

pub fn likes_gsi1pk(mid: i64) -> String {
    format!("LIKES#{mid}")
}

/// A posting client id, claimed in the post's transaction: `USER#<uid>/FEEDCID#<client id>`.
pub fn feed_client_sk(client_id: &str) -> String {
    format!("FEEDCID#{client_id}")
}

/// A user's following inbox: `FEEDIN#<uid>` / `<mid:016>` (fan-out refs, `ttl` 180 days).
pub fn feedin_pk(uid: crate::ids::UserId) -> String {
    format!("FEEDIN#{uid}")
}

/// The newest following post a user has seen: `USER#<uid>/FEEDSEEN`.
pub const FEEDSEEN_SK: &str = "FEEDSEEN";

/// A file record read for an attachment (store/files.rs owns the item): `FILE#<fid>/META`.
pub fn attachment_key(fid: &str) -> (String, &'static str) {
    (file_pk(fid), FILE_SK)
}

/// Authors with too many fans to fan out (pulled on read instead): one item `FEEDBIG/LIST`,
/// string set `uids`, optional `maxFanout` (the threshold; default domain::feed::MAX_FANOUT).
pub const FEEDBIG_PK: &str = "FEEDBIG";
pub const FEEDBIG_SK: &str = "LIST";

// ---- org directory: companies, departments, employees ---------------------------------

/// Partition of one company: `ORG#<cid>` holding `META`, `DEPT#<n>`, `EMP#<uid>` (the whole
/// tree is one Query; ids carry the company id, so every by-id call lands here).
pub fn org_pk(cid: crate::domain::org::CompanyId) -> String {
    format!("ORG#{cid}")
}
/// The company item: `ORG#<cid>/META` (the conversations' META_SK spelling).
pub const ORG_META_SK: &str = "META";
/// A department: `ORG#<cid>/DEPT#<n:06>`.
pub fn org_dept_sk(n: i64) -> String {
    format!("DEPT#{n:06}")
}
pub const ORG_DEPT_PREFIX: &str = "DEPT#";
/// An employee: `ORG#<cid>/EMP#<uid:012>`.
pub fn org_emp_sk(uid: crate::ids::UserId) -> String {
    format!("EMP#{:012}", uid.0)
}
pub const ORG_EMP_PREFIX: &str = "EMP#";
/// GSI1 of an employee item: `UORG#<uid>` / `<cid:012>` (a user's companies).
pub fn org_user_gsi1pk(uid: crate::ids::UserId) -> String {
    format!("UORG#{uid}")
}
pub fn org_user_gsi1sk(cid: crate::domain::org::CompanyId) -> String {
    format!("{:012}", cid.0)
}
/// GSI2 of an employee item: `DEPTEMP#<did>` / `<uid:012>` (a department's employees).
pub fn org_dept_gsi2pk(did: crate::domain::org::DeptId) -> String {
    format!("DEPTEMP#{did}")
}
pub fn org_dept_gsi2sk(uid: crate::ids::UserId) -> String {
    format!("{:012}", uid.0)
}
/// The company id counter: `COUNTER/company`.
pub fn company_counter() -> (&'static str, &'static str) {
    ("COUNTER", "company")
}

// ---- mail (Minxing): a mail and its participants' copies -------------------------------

/// A mail's partition: `MAIL#<id>` holding `META` (the mail, written last: the commit point)
/// and one `RCPT#<uid>` per participant.
pub fn mail_pk(id: &str) -> String {
    format!("MAIL#{id}")
}
pub const MAIL_META_SK: &str = "META";
/// A participant's copy (read flag, box `in` | `sent`): `MAIL#<id>/RCPT#<uid>`.
pub fn mail_rcpt_sk(uid: crate::ids::UserId) -> String {
    format!("RCPT#{uid}")
}
/// GSI1 of a copy: `MAILBOX#<uid>` / `<createdAt:013>#<id>` (a user's mails, newest last).
pub fn mailbox_gsi1pk(uid: crate::ids::UserId) -> String {
    format!("MAILBOX#{uid}")
}
pub fn mailbox_gsi1sk(created_ms: i64, id: &str) -> String {
    format!("{created_ms:013}#{id}")
}

// ---- public accounts: OCU records, directory, subscriptions, the /mp inbox ------------

/// A public account's record: `USER#<uid>/OCU` (description, menu tree, `listed`).
pub const OCU_SK: &str = "OCU";
/// GSI1 of a listed OCU record: `OCUS` / `<uid:012>` (Minxing's directory, one Query page).
pub const OCUS_GSI1PK: &str = "OCUS";
pub fn ocus_gsi1sk(uid: crate::ids::UserId) -> String {
    format!("{:012}", uid.0)
}
/// GSI2 sort key tag of a subscription (a follow of a public account) under `RELS#<a>`:
/// `P#<ocu:012>`, outside the friend (`2#`) and follow (`1#`) ranges.
pub const SUBSCRIPTION_TAG: &str = "P";
/// GSI1 of a message sent to a public account by someone else: `MPIN#<ocu>` /
/// `<ts:013>#<cid>#<seq:012>` (the account's inbox, `/mp/msg`, newest first).
pub fn mpin_gsi1pk(ocu: crate::ids::UserId) -> String {
    format!("MPIN#{ocu}")
}
pub fn mpin_gsi1sk(ts: i64, cid: &str, seq: i64) -> String {
    format!("{ts:013}#{cid}#{seq:012}")
}

// ---- jobs: resumable work paged by the stream worker (mass sends, console broadcasts) ----

/// A job: `JOB#<id>` / `META` (kind, payload, checkpoint, counts, `ev = job`).
pub fn job_pk(id: &str) -> String {
    format!("JOB#{id}")
}
pub const JOB_SK: &str = "META";
/// GSI1 of a job: `JOBS#<owner>` / `<list>#<created ms:013>#<id>` (an owner's jobs of one
/// list, newest first with one Query).
pub fn jobs_gsi1pk(owner: crate::ids::UserId) -> String {
    format!("JOBS#{owner}")
}
pub fn jobs_gsi1sk(list: &str, created_ms: i64, id: &str) -> String {
    format!("{list}#{created_ms:013}#{id}")
}
pub fn jobs_gsi1_prefix(list: &str) -> String {
    format!("{list}#")
}

// ---- wallet (issue 14): balance, transactions, journal, used withdrawal secrets ---------

/// The user's wallet: USER#<uid>/WALLET (balance, total, ver; fen).
pub const WALLET_SK: &str = "WALLET";
/// A wallet transaction of the user: USER#<uid>/TX#<ms:013>#<txid>.
pub fn wallet_tx_sk(now_ms: i64, txid: &str) -> String {
    format!("{WALLET_TX_PREFIX}{now_ms:013}#{txid}")
}
pub const WALLET_TX_PREFIX: &str = "TX#";
/// The day's double-entry journal: JOURNAL#<yyyymmdd> (UTC) / <ms:013>#<txid>#<leg>.
pub fn journal_pk(now_ms: i64) -> String {
    format!("JOURNAL#{}", crate::clock::utc_day(now_ms))
}
pub fn journal_sk(now_ms: i64, txid: &str, leg: usize) -> String {
    format!("{now_ms:013}#{txid}#{leg}")
}
/// A used withdrawal secret: USER#<uid>/PAYSECRET#<sha256 hex> (with `ttl`).
pub fn pay_secret_sk(hash: &str) -> String {
    format!("PAYSECRET#{hash}")
}

// ---- operator console: audit trail ------------------------------------------------------

/// One console mutation: `AUDIT#<yyyymmdd>` (UTC day) / `<ts ms:013>#<rand>`.
pub fn audit_pk(day: &str) -> String {
    format!("AUDIT#{day}")
}
pub fn audit_sk(at_ms: i64, rand: u32) -> String {
    format!("{at_ms:013}#{rand:08x}")
}

// ---- operator console: idempotency keys ---------------------------------------------------

/// A console creation's idempotency key: `IDEM#<operator>#<route>#<key>` / `IDEM` (`result`:
/// the id made, `ttl` = claim + 24 h).
pub fn idem_pk(operator: crate::ids::UserId, route: &str, key: &str) -> String {
    format!("IDEM#{operator}#{route}#{key}")
}
pub const IDEM_SK: &str = "IDEM";
