//! Conversations (1:1 and group) with their members and messages, all under
//! one partition CONV#<id>: META (name, lastSeq, last message summary),
//! MEMBER#<uid> (role, read pointer), MSG#<seq> (one per message) and
//! CMID#<client id> (idempotency of resends).
//! Unread = lastSeq - readSeq, so a send never writes per-member items.

use super::{applied, is_condition_failure, n, s, Db, Item, ItemExt, GSI1, GSI2};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Single,
    Group,
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub kind: Kind,
    pub name: String,
    pub owner: Option<UserId>,
    pub last_seq: i64,
    pub last_ts: i64,
    pub last_preview: String,
    pub last_sender: Option<UserId>,
    pub created_at: i64,
    /// Both participants of a 1:1 conversation (empty for groups: query members).
    pub pair: Vec<UserId>,
    /// Room setting `showRead` (1/true): read receipts are pushed to the other members.
    pub show_read: bool,
    /// SealTalk screen-capture notification (0 off, 1 on), one value per conversation.
    pub screen_capture: i64,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub uid: UserId,
    pub role: String,
    pub read_seq: i64,
    pub joined_at: i64,
    /// Messages up to this seq are hidden for this member (conversation "deleted for me").
    pub cleared_seq: i64,
    /// How many single messages this member hid ("delete own copy"); 0 = no HIDE# Query needed.
    pub hidden_count: i64,
    /// Room DND (`offlineNoPushMsg` = 1 on the MEMBER item): no offline push jobs.
    pub offline_no_push: bool,
    /// Muted until this time (epoch seconds, Shiku member `talkTime`; 0 = not muted).
    pub talk_time: i64,
}

impl Member {
    /// Owner or admin of a room (may recall others' messages, remove members, rename).
    pub fn is_admin(&self) -> bool {
        self.role == "owner" || self.role == "admin"
    }
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender: UserId,
    /// Shiku message type: 1 text, 2 image, 3 voice, 4 location, 5 gif, 6 video, 8 card, 9 file, 10 notice.
    pub kind: i64,
    pub content: String,
    /// Client message id; resending the same id stores nothing new.
    pub client_id: Option<String>,
    /// SealTalk/RongCloud object name (`RC:TxtMsg`, `ST:ConNtf`, `XX:Notify`…); None for plain sends.
    pub object_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub conversation_id: String,
    pub seq: i64,
    pub id: String,
    pub sender: UserId,
    pub kind: i64,
    pub content: String,
    pub ts: i64,
    pub recalled: bool,
    pub object_name: Option<String>,
}

pub const MAX_CONTENT: usize = 64 * 1024;

pub fn pk(cid: &str) -> String {
    format!("CONV#{cid}")
}

pub fn member_sk(uid: UserId) -> String {
    format!("MEMBER#{uid}")
}

fn msg_sk(seq: i64) -> String {
    format!("MSG#{seq:012}")
}

/// The 1:1 conversation of two people has a fixed id, so every dialect finds the same one.
pub fn single_id(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("s_{lo}_{hi}")
}

/// Group conversations; 1:1 ids are `s_<a>_<b>` ([`single_id`]).
pub fn is_group(cid: &str) -> bool {
    !cid.starts_with("s_")
}

/// The other participant of a 1:1 conversation id `s_<a>_<b>` (None for groups / non-participants).
pub fn single_peer(cid: &str, me: UserId) -> Option<UserId> {
    let (a, b) = cid.strip_prefix("s_")?.split_once('_')?;
    let (a, b) = (UserId(a.parse().ok()?), UserId(b.parse().ok()?));
    if me == a {
        Some(b)
    } else if me == b {
        Some(a)
    } else {
        None
    }
}

/// Conversation ids are client-supplied path segments: check before building keys.
pub fn valid_id(cid: &str) -> bool {
    !cid.is_empty() && cid.len() <= 80 && cid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn conv_from(it: &Item) -> Option<Conversation> {
    let id = it.str("pk")?.strip_prefix("CONV#")?.to_string();
    Some(Conversation {
        kind: if it.str("kind") == Some("group") { Kind::Group } else { Kind::Single },
        name: it.string("name"),
        owner: it.i64("owner").map(UserId),
        last_seq: it.i64("lastSeq").unwrap_or(0),
        last_ts: it.i64("lastTs").unwrap_or(0),
        last_preview: it.string("lastPreview"),
        last_sender: it.i64("lastSender").map(UserId),
        created_at: it.i64("createdAt").unwrap_or(0),
        pair: it.strings("pair").iter().filter_map(|x| x.parse().ok()).map(UserId).collect(),
        show_read: it.i64("showRead") == Some(1) || it.bool("showRead") == Some(true),
        screen_capture: it.i64("screenCapture").unwrap_or(0),
        id,
    })
}

fn member_from(it: &Item) -> Option<Member> {
    Some(Member {
        uid: UserId(it.i64("uid")?),
        role: it.string("role"),
        read_seq: it.i64("readSeq").unwrap_or(0),
        joined_at: it.i64("joinedAt").unwrap_or(0),
        cleared_seq: it.i64("clearedSeq").unwrap_or(0),
        hidden_count: it.i64("hiddenCount").unwrap_or(0),
        offline_no_push: it.i64("offlineNoPushMsg").unwrap_or(0) == 1,
        talk_time: it.i64("talkTime").unwrap_or(0),
    })
}

pub fn message_from(it: &Item) -> Option<Message> {
    Some(Message {
        conversation_id: it.str("cid")?.to_string(),
        seq: it.i64("seq")?,
        id: it.str("mid")?.to_string(),
        sender: UserId(it.i64("sender")?),
        kind: it.i64("type").unwrap_or(1),
        content: it.string("content"),
        ts: it.i64("ts").unwrap_or(0),
        recalled: it.bool("recalled").unwrap_or(false),
        object_name: it.str("objectName").map(str::to_string),
    })
}

fn put(db: &Db, it: Item, cond: Option<&str>) -> TransactWriteItem {
    let mut p = Put::builder().table_name(&db.table).set_item(Some(it));
    if let Some(c) = cond {
        p = p.condition_expression(c);
    }
    TransactWriteItem::builder().put(p.build().expect("table and item set")).build()
}

/// A MEMBER item as every join writes it (store/rooms.rs puts it in its join transaction).
pub fn member_item(cid: &str, uid: UserId, role: &str, now: i64) -> Item {
    let mut it = Db::key(pk(cid), member_sk(uid));
    it.insert("uid".into(), n(uid.0));
    it.insert("role".into(), s(role));
    it.insert("readSeq".into(), n(0));
    it.insert("joinedAt".into(), n(now));
    // A user's conversations (recent list, room list) via GSI1.
    it.insert("gsi1pk".into(), s(format!("UCONV#{uid}")));
    it.insert("gsi1sk".into(), s(cid));
    it
}

pub async fn get(db: &Db, cid: &str) -> AppResult<Option<Conversation>> {
    if !valid_id(cid) {
        return Ok(None);
    }
    Ok(db.get(pk(cid), "META").await?.as_ref().and_then(conv_from))
}

/// The 1:1 conversation of `a` and `b`, created on first use (idempotent).
pub async fn ensure_single(db: &Db, now: i64, a: UserId, b: UserId) -> AppResult<Conversation> {
    let cid = single_id(a, b);
    if let Some(c) = get(db, &cid).await? {
        return Ok(c);
    }
    let mut meta = Db::key(pk(&cid), "META");
    meta.insert("kind".into(), s("single"));
    meta.insert("lastSeq".into(), n(0));
    meta.insert("createdAt".into(), n(now));
    meta.insert("pair".into(), AttributeValue::L(vec![s(a.to_string()), s(b.to_string())]));
    let mut tx = db.client.transact_write_items().transact_items(put(db, meta, Some("attribute_not_exists(pk)")));
    let mut uids = vec![a];
    if b != a {
        uids.push(b);
    }
    for uid in uids {
        tx = tx.transact_items(put(db, member_item(&cid, uid, "member", now), None));
    }
    match tx.send().await {
        Ok(_) => {}
        // Lost a race with the other side creating it: theirs is the same conversation.
        Err(e) if is_condition_failure(&e) => {}
        Err(e) => return Err(e.into()),
    }
    get(db, &cid).await?.ok_or_else(|| AppError::internal("conversation vanished"))
}

/// Members besides the owner that a creating transaction holds (META, owner, event: 100 items).
pub const MAX_IN_CREATION: usize = 97;

/// Create a group conversation with its owner and initial members in one transaction.
pub async fn create_group(db: &Db, now: i64, owner: UserId, name: &str, members: &[UserId]) -> AppResult<Conversation> {
    create_group_with(db, now, None, owner, name, members, Item::new(), None).await
}

/// [`create_group`] with a client-chosen id (Shiku `jid`: used when valid and free, otherwise a
/// new one is generated) and extra META attributes (room settings, store/rooms.rs).
/// META `memberCount` starts at the number of members written; `event` goes into the same
/// transaction.
#[allow(clippy::too_many_arguments)]
pub async fn create_group_with(
    db: &Db,
    now: i64,
    wanted_id: Option<&str>,
    owner: UserId,
    name: &str,
    members: &[UserId],
    extra: Item,
    event: Option<&GroupEvent>,
) -> AppResult<Conversation> {
    let mut wanted = wanted_id.filter(|c| valid_id(c) && is_group(c));
    loop {
        let cid = wanted.take().map(str::to_string).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        match create_group_once(db, now, &cid, owner, name, members, extra.clone(), event).await {
            Err(AppError::Conflict(_)) if wanted_id.is_some() => continue,
            other => return other,
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn create_group_once(
    db: &Db,
    now: i64,
    cid: &str,
    owner: UserId,
    name: &str,
    members: &[UserId],
    extra: Item,
    event: Option<&GroupEvent>,
) -> AppResult<Conversation> {
    let cid = cid.to_string();
    let mut meta = extra;
    meta.extend(Db::key(pk(&cid), "META"));
    meta.insert("kind".into(), s("group"));
    meta.insert("name".into(), s(name));
    meta.insert("owner".into(), n(owner.0));
    meta.insert("lastSeq".into(), n(0));
    // Directory of all groups (Xuanxuan getChatGroups, admin room list).
    meta.insert("gsi2pk".into(), s("GROUPS"));
    meta.insert("gsi2sk".into(), s(&cid));
    meta.insert("createdAt".into(), n(now));
    let mut all: Vec<UserId> = members.iter().copied().filter(|m| *m != owner).collect();
    all.sort();
    all.dedup();
    // One transaction holds at most 100 items; larger rooms add the rest in batches.
    if all.len() > MAX_IN_CREATION {
        return Err(AppError::invalid(
            "members",
            format!("at most {MAX_IN_CREATION} initial members; invite the rest afterwards"),
        ));
    }
    meta.insert("memberCount".into(), n(all.len() + 1));
    let mut everyone = all.clone();
    everyone.push(owner);
    let live = super::live::presence_of(db, &everyone).await?;
    let item = |uid: UserId, role: &str| super::live::with_conns(member_item(&cid, uid, role, now), &cid, uid, &live);
    let mut tx = db
        .client
        .transact_write_items()
        .transact_items(put(db, meta, Some("attribute_not_exists(pk)")))
        .transact_items(put(db, item(owner, "owner"), None));
    for m in &all {
        tx = tx.transact_items(put(db, item(*m, "member"), None));
    }
    if let Some(ev) = event {
        tx = tx.transact_items(ev.put(db, &cid, now));
    }
    match tx.send().await {
        Ok(_) => {}
        // Only a client-chosen id can be taken (the caller then generates one).
        Err(e) if is_condition_failure(&e) => return Err(AppError::Conflict(format!("conversation {cid} exists"))),
        Err(e) => return Err(e.into()),
    }
    super::live::attach_new_members(db, &cid, &everyone, &live).await?;
    get(db, &cid).await?.ok_or_else(|| AppError::internal("conversation vanished"))
}

pub async fn member(db: &Db, cid: &str, uid: UserId) -> AppResult<Option<Member>> {
    if !valid_id(cid) {
        return Ok(None);
    }
    Ok(db.get(pk(cid), member_sk(uid)).await?.as_ref().and_then(member_from))
}

/// Membership is the authorization for reading and writing a conversation.
pub async fn require_member(db: &Db, cid: &str, uid: UserId) -> AppResult<Member> {
    member(db, cid, uid).await?.ok_or_else(|| AppError::not_found(format!("conversation {cid}")))
}

/// All members, one Query page per ~1 MB (a 1000-member room is one or two pages).
pub async fn members(db: &Db, cid: &str) -> AppResult<Vec<Member>> {
    let items = super::query_all(db, None, pk(cid), Some("MEMBER#"), None).await?;
    Ok(items.iter().filter_map(member_from).collect())
}

/// Member ids only (delivery fan-out): the same Query pages as [`members`]
/// (a 1000-member room is one page), projected to `uid` so less is sent back.
pub async fn member_ids(db: &Db, cid: &str) -> AppResult<Vec<UserId>> {
    let items = super::query_all(db, None, pk(cid), Some("MEMBER#"), Some("uid")).await?;
    Ok(items.iter().filter_map(|it| it.i64("uid")).map(UserId).collect())
}

fn preview(m: &NewMessage) -> String {
    match m.kind {
        1 => m.content.chars().take(64).collect(),
        2 => "[image]".into(),
        3 => "[voice]".into(),
        4 => "[location]".into(),
        6 => "[video]".into(),
        9 => "[file]".into(),
        _ => m.content.chars().take(64).collect(),
    }
}

/// Store a message from a member: allocate the next seq, write the message.
/// Returns the stored message and whether it was a resend of an earlier one.
pub async fn send(db: &Db, now: i64, cid: &str, m: NewMessage) -> AppResult<(Message, bool)> {
    store_message(db, now, cid, m, true).await
}

/// A message from a service (Xuanxuan notifyMSG, the system account) that is not a member:
/// no membership or blacklist check; the caller has authorised it.
pub async fn send_as_service(db: &Db, now: i64, cid: &str, m: NewMessage) -> AppResult<(Message, bool)> {
    store_message(db, now, cid, m, false).await
}

async fn store_message(db: &Db, now: i64, cid: &str, m: NewMessage, as_member: bool) -> AppResult<(Message, bool)> {
    if m.content.len() > MAX_CONTENT {
        return Err(AppError::invalid("content", format!("longer than {MAX_CONTENT} bytes")));
    }
    if let Some(id) = &m.client_id {
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(AppError::invalid("messageId", "1-64 letters, digits, '-' or '_'"));
        }
    }
    if let Some(o) = &m.object_name {
        if o.is_empty() || o.len() > 32 || !o.bytes().all(|b| b.is_ascii_alphanumeric() || b == b':' || b == b'_') {
            return Err(AppError::invalid("objectName", "1-32 letters, digits, ':' or '_'"));
        }
    }
    let sender = if as_member { Some(require_member(db, cid, m.sender).await?) } else { None };
    // Room mutes (Shiku talkTime, epoch seconds): the member's own from the member item just
    // read; the room's "mute all" in the condition of the META update below (no extra read on
    // success; one GetItem on a refusal, to tell "muted" from "gone"). Owners/admins may talk.
    let now_secs = now / 1000;
    if sender.as_ref().is_some_and(|s| s.talk_time > now_secs) {
        return Err(AppError::Refused { code: REFUSED_MUTED, message: "you are muted in this room".into() });
    }
    // The client id is claimed before a seq is taken, so racing resends never burn a seq
    // (a gap would count as unread forever). A resend is answered before any other check.
    let claim = match &m.client_id {
        Some(id) => match claim_client_id(db, now, cid, id, m.sender).await? {
            Claimed::Stored(prev) => return Ok((prev, true)),
            Claimed::Mine(token) => Some((id.as_str(), token)),
        },
        None => None,
    };
    let stored = async {
        // 1:1: the peer may have blacklisted the sender (the id names both, no META read).
        if let Some(peer) = single_peer(cid, m.sender).filter(|_| as_member) {
            if super::relations::is_blocked(db, peer, m.sender).await? {
                return Err(AppError::forbidden("blocked"));
            }
        }
        store_claimed(db, now, cid, &m, sender.as_ref(), claim.as_ref().map(|(_, t)| t.as_str())).await
    }
    .await;
    if let (Err(_), Some((id, token))) = (&stored, &claim) {
        release_claim(db, cid, id, token).await;
    }
    stored.map(|msg| (msg, false))
}

/// Take a seq and write the message (and settle the client-id claim) in one transaction.
async fn store_claimed(
    db: &Db,
    now: i64,
    cid: &str,
    m: &NewMessage,
    sender: Option<&Member>,
    claim: Option<&str>,
) -> AppResult<Message> {
    let now_secs = now / 1000;
    let check_mute_all = sender.is_some_and(|s| !s.is_admin());
    let mut update = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression("ADD lastSeq :one SET lastTs = :t, lastPreview = :p, lastSender = :s")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":t", n(now))
        .expression_attribute_values(":p", s(preview(m)))
        .expression_attribute_values(":s", n(m.sender.0))
        .return_values(ReturnValue::UpdatedNew);
    if check_mute_all {
        update = update
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(talkTime) OR talkTime <= :now)")
            .expression_attribute_values(":now", n(now_secs));
    }
    let out = match update.send().await {
        Ok(o) => o,
        Err(e) if is_condition_failure(&e) => {
            let muted = check_mute_all
                && db.get(pk(cid), "META").await?.is_some_and(|meta| meta.i64("talkTime").unwrap_or(0) > now_secs);
            return Err(if muted {
                AppError::Refused { code: REFUSED_ALL_MUTED, message: "the room is muted".into() }
            } else {
                AppError::not_found(format!("conversation {cid}"))
            });
        }
        Err(e) => return Err(e.into()),
    };
    let seq = out.attributes.as_ref().and_then(|a| a.i64("lastSeq")).ok_or_else(|| AppError::internal("seq"))?;
    let mid = m.client_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let mut it = Db::key(pk(cid), msg_sk(seq));
    it.insert("cid".into(), s(cid));
    it.insert("seq".into(), n(seq));
    it.insert("mid".into(), s(&mid));
    it.insert("sender".into(), n(m.sender.0));
    it.insert("type".into(), n(m.kind));
    it.insert("content".into(), s(&m.content));
    it.insert("ts".into(), n(now));
    if let Some(o) = &m.object_name {
        it.insert("objectName".into(), s(o));
    }
    // Marks items the delivery function pushes (stream filter in the template).
    it.insert("ev".into(), s("message"));
    it.insert("gsi2pk".into(), s(format!("MSGID#{mid}")));
    it.insert("gsi2sk".into(), s(cid));
    let mut tx = db.client.transact_write_items().transact_items(put(db, it.clone(), Some("attribute_not_exists(pk)")));
    if let (Some(id), Some(token)) = (&m.client_id, claim) {
        let settle = Update::builder()
            .table_name(&db.table)
            .set_key(Some(Db::key(pk(cid), cmid_sk(id))))
            .update_expression("SET seq = :seq REMOVE claim, claimedAt")
            .condition_expression("claim = :tok")
            .expression_attribute_values(":seq", n(seq))
            .expression_attribute_values(":tok", s(token))
            .build()
            .expect("key, expressions set");
        tx = tx.transact_items(TransactWriteItem::builder().update(settle).build());
    }
    match tx.send().await {
        Ok(_) => Ok(message_from(&it).expect("item just built")),
        // Only a lease taken over after CLAIM_LEASE_MS (or a seq reused by hand) gets here.
        Err(e) if is_condition_failure(&e) => {
            Err(AppError::Conflict("the message changed meanwhile, try again".into()))
        }
        Err(e) => Err(e.into()),
    }
}

fn cmid_sk(client_id: &str) -> String {
    format!("CMID#{client_id}")
}

/// How long a client-id claim may stay without its message before a resend takes it over
/// (its sender died between claiming and storing).
const CLAIM_LEASE_MS: i64 = 10_000;

enum Claimed {
    /// This request owns the client id (the claim token settles or releases it).
    Mine(String),
    /// An earlier send stored it: answer with that message.
    Stored(Message),
}

/// Claim `client_id` in the conversation (one conditional Put when new). A racing send of the
/// same id waits, briefly, for the winner's message and answers with it.
async fn claim_client_id(db: &Db, now: i64, cid: &str, client_id: &str, sender: UserId) -> AppResult<Claimed> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut wait_ms = 5;
    for _ in 0..12 {
        let mut c = Db::key(pk(cid), cmid_sk(client_id));
        c.insert("sender".into(), n(sender.0));
        c.insert("claim".into(), s(&token));
        c.insert("claimedAt".into(), n(now));
        let put = db
            .client
            .put_item()
            .table_name(&db.table)
            .set_item(Some(c))
            .condition_expression(
                "attribute_not_exists(pk) OR (attribute_not_exists(seq) AND sender = :u AND claimedAt < :stale)",
            )
            .expression_attribute_values(":u", n(sender.0))
            .expression_attribute_values(":stale", n(now - CLAIM_LEASE_MS));
        // On a lost race the failure carries the existing claim (no extra GetItem).
        let existing = match put
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await
        {
            Ok(_) => return Ok(Claimed::Mine(token)),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(f)) => match f.item() {
                    Some(old) => Some(old.clone()),
                    None => db.get(pk(cid), cmid_sk(client_id)).await?,
                },
                _ => return Err(e.into()),
            },
        };
        if let Some(c) = existing {
            if c.i64("sender") != Some(sender.0) {
                return Err(AppError::Conflict(format!("message id {client_id} is already used")));
            }
            if let Some(seq) = c.i64("seq") {
                let prev = db.get(pk(cid), msg_sk(seq)).await?.as_ref().and_then(message_from);
                return prev.map(Claimed::Stored).ok_or_else(|| AppError::internal("message of a settled client id"));
            }
            // Still being stored by a racing request.
            tokio::time::sleep(std::time::Duration::from_millis(wait_ms)).await;
            wait_ms = (wait_ms * 2).min(200);
        }
    }
    Err(AppError::Conflict(format!("message id {client_id} is being stored; retry")))
}

/// Give a claim back after a failed send, so the client's retry can store it.
async fn release_claim(db: &Db, cid: &str, client_id: &str, token: &str) {
    let r = db
        .client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), cmid_sk(client_id))))
        .condition_expression("claim = :tok")
        .expression_attribute_values(":tok", s(token))
        .send()
        .await;
    if let Err(e) = applied(r) {
        // The lease lets a later resend take it over anyway.
        tracing::warn!(error = %e, cid, client_id, "could not release a client-id claim");
    }
}

/// One page of history: newest first below `before` (exclusive), or oldest
/// first above `after` (exclusive, for sync). One Query per page.
pub async fn history(
    db: &Db,
    cid: &str,
    before: Option<i64>,
    after: Option<i64>,
    limit: i32,
) -> AppResult<Vec<Message>> {
    let (cond, forward, bound) = match (after, before) {
        (Some(a), _) => ("pk = :p AND sk > :b", true, msg_sk(a)),
        (None, Some(b)) => ("pk = :p AND sk BETWEEN :lo AND :b", false, msg_sk(b - 1)),
        (None, None) => ("pk = :p AND sk BETWEEN :lo AND :b", false, msg_sk(999_999_999_999)),
    };
    let mut q = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression(cond)
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":b", s(bound))
        .scan_index_forward(forward)
        .limit(limit.clamp(1, 500));
    if after.is_none() {
        q = q.expression_attribute_values(":lo", s(msg_sk(0)));
    } else {
        // sk > MSG#a would also match later sort keys of other prefixes; none sort after MSG#.
    }
    let out = q.send().await?;
    Ok(out.items().iter().filter_map(message_from).collect())
}

/// A message by its id (Shiku `getMessage`), via GSI2.
pub async fn by_id(db: &Db, mid: &str) -> AppResult<Option<Message>> {
    if mid.is_empty() || mid.len() > 64 {
        return Ok(None);
    }
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .index_name(GSI2)
        .key_condition_expression("gsi2pk = :p")
        .expression_attribute_values(":p", s(format!("MSGID#{mid}")))
        .limit(1)
        .send()
        .await?;
    Ok(out.items().first().and_then(message_from))
}

/// Conversations a user belongs to (GSI1), with their META in batches of 100.
pub async fn of_user(db: &Db, uid: UserId) -> AppResult<Vec<(Conversation, Member)>> {
    let items = super::query_all(db, Some(GSI1), format!("UCONV#{uid}"), None, None).await?;
    let memberships: Vec<(String, Member)> =
        items.iter().filter_map(|it| Some((it.str("gsi1sk")?.to_string(), member_from(it)?))).collect();
    let keys: Vec<Item> = memberships.iter().map(|(cid, _)| Db::key(pk(cid), "META")).collect();
    let metas = super::batch_get(db, keys).await?;
    let mut by_id: std::collections::HashMap<String, Conversation> =
        metas.iter().filter_map(conv_from).map(|c| (c.id.clone(), c)).collect();
    Ok(memberships.into_iter().filter_map(|(cid, m)| by_id.remove(&cid).map(|c| (c, m))).collect())
}

/// Move a member's read pointer forward (never back). True when it moved.
pub async fn mark_read(db: &Db, cid: &str, uid: UserId, seq: i64) -> AppResult<bool> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), member_sk(uid))))
        .update_expression("SET readSeq = :s")
        .condition_expression("attribute_exists(pk) AND readSeq < :s")
        .expression_attribute_values(":s", n(seq))
        .send()
        .await;
    applied(r)
}

/// Every group conversation (GSI2 `GROUPS`), Query pages, no Scan.
pub async fn all_groups(db: &Db) -> AppResult<Vec<Conversation>> {
    let items = super::query_all(db, Some(GSI2), "GROUPS".into(), None, None).await?;
    Ok(items.iter().filter_map(conv_from).collect())
}

/// Shiku `resultCode`s of room refusals (HTTP 403 in the other dialects, docs/errors.md).
pub const REFUSED_ROOM_FULL: i64 = 1100901;
pub const REFUSED_MUTED: i64 = 1100902;
pub const REFUSED_ALL_MUTED: i64 = 1100903;

/// Add members (joins, invitations) within a room's capacity (`memberCount + n <= max`,
/// refused with [`REFUSED_ROOM_FULL`] otherwise). Callers pass only non-members.
/// Up to [`MAX_IN_ONE_ADD`] members: one transaction takes the places, writes the member items
/// (each only if absent) and `event`. More (a 1000-member room filled at once): one conditional
/// UpdateItem reserves the places, the items go out in BatchWriteItem chunks of 25 (the
/// reservation is given back if they fail), then `event` alone.
pub async fn add_members_within(
    db: &Db,
    now: i64,
    cid: &str,
    uids: &[UserId],
    role: &str,
    max: i64,
    event: Option<&GroupEvent>,
) -> AppResult<usize> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let mut uids: Vec<UserId> = uids.to_vec();
    uids.sort();
    uids.dedup();
    if uids.is_empty() {
        return Ok(0);
    }
    let count = uids.len() as i64;
    let full = || AppError::Refused { code: REFUSED_ROOM_FULL, message: format!("the room is full ({max} members)") };
    if count > max {
        return Err(full());
    }
    let live = super::live::presence_of(db, &uids).await?;
    let item = |uid: UserId| super::live::with_conns(member_item(cid, uid, role, now), cid, uid, &live);
    if uids.len() <= MAX_IN_ONE_ADD {
        let mut writes = vec![member_count(db, cid, count, Some(max))];
        writes.extend(uids.iter().map(|u| put(db, item(*u), Some("attribute_not_exists(pk)"))));
        if !transact(db, writes, cid, now, event.map(std::slice::from_ref).unwrap_or_default()).await? {
            // Full, gone, or someone joined meanwhile: tell which.
            return Err(match get(db, cid).await? {
                None => AppError::not_found(format!("conversation {cid}")),
                Some(_) if !memberships_of(db, cid, &uids).await?.is_empty() => {
                    AppError::Conflict("membership changed meanwhile, try again".into())
                }
                Some(_) => full(),
            });
        }
    } else {
        if !transact(db, vec![member_count(db, cid, count, Some(max))], cid, now, &[]).await? {
            return Err(full());
        }
        let requests = uids
            .iter()
            .map(|u| {
                let put = PutRequest::builder().set_item(Some(item(*u))).build().expect("item set");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        if let Err(e) = super::batch_write(db, requests).await {
            if let Err(undo) = transact(db, vec![member_count(db, cid, -count, None)], cid, now, &[]).await {
                tracing::warn!(cid, error = %undo, "could not give back reserved room places");
            }
            return Err(e);
        }
        if let Some(ev) = event {
            transact(db, vec![], cid, now, std::slice::from_ref(ev)).await?;
        }
    }
    super::live::attach_new_members(db, cid, &uids, &live).await?;
    Ok(uids.len())
}

/// META `memberCount` moved by `delta`, only while the group exists and, with `max`, while
/// it stays within `max` members (joins, invitations, leaves all count through this).
pub(crate) fn member_count(db: &Db, cid: &str, delta: i64, max: Option<i64>) -> TransactWriteItem {
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression("ADD memberCount :n")
        .expression_attribute_values(":n", n(delta));
    u = match max {
        Some(max) => u
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(memberCount) OR memberCount <= :room)",
            )
            .expression_attribute_values(":room", n(max - delta)),
        None => u.condition_expression("attribute_exists(pk)"),
    };
    TransactWriteItem::builder().update(u.build().expect("key and expressions set")).build()
}

/// Members added in one transaction by [`add_members_within`] (with the place reservation and the event).
pub const MAX_IN_ONE_ADD: usize = 98;

/// Which of `uids` are members of `cid` (one consistent BatchGetItem per 100).
async fn memberships_of(db: &Db, cid: &str, uids: &[UserId]) -> AppResult<Vec<UserId>> {
    let keys = uids.iter().map(|u| Db::key(pk(cid), member_sk(*u))).collect();
    Ok(super::batch_get_consistent(db, keys).await?.iter().filter_map(|it| it.i64("uid")).map(UserId).collect())
}

/// Remove members (leave, kick) with their `event`, in one transaction per 98 (each chunk
/// carries its own copy of the event). Ok(false): one of them was not a member (nothing of
/// that chunk was written).
pub async fn remove_members(db: &Db, now: i64, cid: &str, uids: &[UserId], event: &GroupEvent) -> AppResult<bool> {
    use aws_sdk_dynamodb::types::Delete;
    for chunk in uids.chunks(MAX_IN_ONE_ADD) {
        let mut writes: Vec<TransactWriteItem> = chunk
            .iter()
            .map(|u| {
                let del = Delete::builder()
                    .table_name(&db.table)
                    .set_key(Some(Db::key(pk(cid), member_sk(*u))))
                    .condition_expression("attribute_exists(pk)")
                    .build()
                    .expect("key set");
                TransactWriteItem::builder().delete(del).build()
            })
            .collect();
        writes.push(member_count(db, cid, -(chunk.len() as i64), None));
        if !transact(db, writes, cid, now, std::slice::from_ref(event)).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Remove one member with its event. Returns false when they were not a member.
pub async fn remove_member(db: &Db, now: i64, cid: &str, uid: UserId, event: &GroupEvent) -> AppResult<bool> {
    remove_members(db, now, cid, &[uid], event).await
}

/// A message by seq (one GetItem).
pub async fn message(db: &Db, cid: &str, seq: i64) -> AppResult<Option<Message>> {
    if !valid_id(cid) || seq <= 0 {
        return Ok(None);
    }
    Ok(db.get(pk(cid), msg_sk(seq)).await?.as_ref().and_then(message_from))
}

/// Recall a message for everyone: the MSG item becomes a tombstone (`recalled = true`,
/// content cleared) by one conditional UpdateItem — only by its sender unless `admin`.
/// The stream MODIFY makes `delivery` push a `recall` frame. Recalling a tombstone again
/// answers it unchanged. If it was the conversation's last message, the preview follows.
pub async fn recall(db: &Db, now: i64, cid: &str, seq: i64, by: UserId, admin: bool) -> AppResult<Message> {
    let mut cond = "attribute_exists(pk) AND (attribute_not_exists(recalled) OR recalled = :f)".to_string();
    if !admin {
        cond.push_str(" AND sender = :by");
    }
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), msg_sk(seq))))
        .update_expression("SET recalled = :t, content = :e, recalledBy = :by, recalledAt = :now")
        .condition_expression(cond)
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .expression_attribute_values(":f", AttributeValue::Bool(false))
        .expression_attribute_values(":e", s(""))
        .expression_attribute_values(":by", n(by.0))
        .expression_attribute_values(":now", n(now))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    let m = match r {
        Ok(out) => out.attributes.as_ref().and_then(message_from).ok_or_else(|| AppError::internal("recall"))?,
        Err(e) if is_condition_failure(&e) => {
            let m = message(db, cid, seq).await?.ok_or_else(|| AppError::not_found(format!("message {seq}")))?;
            if m.sender != by && !admin {
                return Err(AppError::forbidden("only the sender or a room admin may recall a message"));
            }
            return Ok(m);
        }
        Err(e) => return Err(e.into()),
    };
    let preview = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression("SET lastPreview = :p")
        .condition_expression("lastSeq = :s")
        .expression_attribute_values(":p", s("[recalled]"))
        .expression_attribute_values(":s", n(seq))
        .send()
        .await;
    match preview {
        Ok(_) => {}
        Err(e) if is_condition_failure(&e) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(m)
}

fn hide_sk(uid: UserId, seq: i64) -> String {
    format!("HIDE#{uid}#{seq:012}")
}

/// "Delete my copy" (Shiku deleteMsg delete=1): a HIDE# marker per (member, message) and
/// `hiddenCount` on the member item, so history reads look for markers only when there are some.
pub async fn hide_for(db: &Db, cid: &str, uid: UserId, seqs: &[i64]) -> AppResult<()> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    if seqs.is_empty() {
        return Ok(());
    }
    let requests = seqs
        .iter()
        .map(|q| {
            let mut it = Db::key(pk(cid), hide_sk(uid, *q));
            it.insert("seq".into(), n(*q));
            let put = PutRequest::builder().set_item(Some(it)).build().expect("item set");
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    super::batch_write(db, requests).await?;
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), member_sk(uid))))
        .update_expression("ADD hiddenCount :n")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":n", n(seqs.len()))
        .send()
        .await;
    if applied(r)? {
        Ok(())
    } else {
        Err(AppError::not_found(format!("conversation {cid}")))
    }
}

/// Drop what `member` deleted for themselves: everything up to `cleared_seq`, and single
/// messages hidden with [`hide_for`] (one Query over the page's seq range, only when the
/// member ever hid one).
pub async fn visible_to(db: &Db, cid: &str, member: &Member, mut msgs: Vec<Message>) -> AppResult<Vec<Message>> {
    msgs.retain(|m| m.seq > member.cleared_seq);
    if member.hidden_count <= 0 || msgs.is_empty() {
        return Ok(msgs);
    }
    let lo = msgs.iter().map(|m| m.seq).min().unwrap_or(0);
    let hi = msgs.iter().map(|m| m.seq).max().unwrap_or(0);
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND sk BETWEEN :lo AND :hi")
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":lo", s(hide_sk(member.uid, lo)))
        .expression_attribute_values(":hi", s(hide_sk(member.uid, hi)))
        .projection_expression("seq")
        .send()
        .await?;
    let hidden: std::collections::HashSet<i64> = out.items().iter().filter_map(|it| it.i64("seq")).collect();
    msgs.retain(|m| !hidden.contains(&m.seq));
    Ok(msgs)
}

/// Hide the whole conversation up to `seq` for one member (Minxing "delete for me" of a 1:1 chat).
pub async fn clear_for(db: &Db, cid: &str, uid: UserId, seq: i64) -> AppResult<()> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), member_sk(uid))))
        .update_expression("SET clearedSeq = :s")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":s", n(seq))
        .send()
        .await;
    if applied(r)? {
        Ok(())
    } else {
        Err(AppError::not_found(format!("conversation {cid}")))
    }
}

/// Rename a group, with its event (one transaction).
pub async fn set_name(db: &Db, now: i64, cid: &str, name: &str, event: &GroupEvent) -> AppResult<()> {
    let upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression("SET #n = :n")
        .condition_expression("attribute_exists(pk) AND kind = :g")
        .expression_attribute_names("#n", "name")
        .expression_attribute_values(":n", s(name))
        .expression_attribute_values(":g", s("group"))
        .build()
        .expect("key and expressions set");
    let writes = vec![TransactWriteItem::builder().update(upd).build()];
    if transact(db, writes, cid, now, std::slice::from_ref(event)).await? {
        Ok(())
    } else {
        Err(AppError::not_found(format!("conversation {cid}")))
    }
}

/// SealTalk screen-capture notification state of a conversation (META `screenCapture`).
pub async fn set_screen_capture(db: &Db, cid: &str, status: i64) -> AppResult<()> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression("SET screenCapture = :s")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":s", n(status))
        .send()
        .await;
    if applied(r)? {
        Ok(())
    } else {
        Err(AppError::not_found(format!("conversation {cid}")))
    }
}

/// Dismiss a group: its META goes with the event (to every former member) in one
/// transaction, then the member items in BatchWriteItem chunks of 25 (a room without META is
/// gone for every reader, so a failure there leaves nothing visible). Returns the former
/// members; not found when the group is already gone.
pub async fn dismiss(db: &Db, now: i64, cid: &str, event: GroupEvent) -> AppResult<Vec<UserId>> {
    use aws_sdk_dynamodb::types::{Delete, DeleteRequest, WriteRequest};
    let uids = member_ids(db, cid).await?;
    let meta = Delete::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .condition_expression("attribute_exists(pk)")
        .build()
        .expect("key set");
    let writes = vec![TransactWriteItem::builder().delete(meta).build()];
    if !transact(db, writes, cid, now, &[event.also_to(&uids)]).await? {
        return Err(AppError::not_found(format!("conversation {cid}")));
    }
    let requests = uids
        .iter()
        .map(|u| {
            WriteRequest::builder()
                .delete_request(
                    DeleteRequest::builder().set_key(Some(Db::key(pk(cid), member_sk(*u)))).build().expect("key"),
                )
                .build()
        })
        .collect();
    super::batch_write(db, requests).await?;
    Ok(uids)
}

/// Group events kept one day (delivery pushes them once).
pub const GROUP_EVENT_TTL_SECS: i64 = 86_400;

/// A group change's event (`ev = "group"`), written in the SAME transaction as the change it
/// reports, so members never miss a change nor hear of one that did not happen. `delivery`
/// posts its frame to the conversation's members at delivery time plus `also_to` (people who
/// just left or were removed, or every former member of a dismissed group).
/// Item: `CONV#<cid>` / `EVT#<ts:013>#<id>`, `frame` (JSON text), `ttl`.
#[derive(Debug, Clone)]
pub struct GroupEvent {
    pub kind: String,
    pub by: UserId,
    pub extra: serde_json::Value,
    pub also_to: Vec<UserId>,
}

impl GroupEvent {
    pub fn new(kind: &str, by: UserId, extra: serde_json::Value) -> GroupEvent {
        GroupEvent { kind: kind.to_string(), by, extra, also_to: vec![] }
    }

    pub fn also_to(mut self, uids: &[UserId]) -> GroupEvent {
        self.also_to = uids.to_vec();
        self
    }

    /// The frame members receive (docs/realtime.md).
    pub fn frame(&self, cid: &str, now: i64) -> serde_json::Value {
        event_frame(&self.kind, cid, self.by, now, self.extra.clone())
    }

    fn item(&self, cid: &str, now_ms: i64) -> Item {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut it = Db::key(pk(cid), format!("EVT#{now_ms:013}#{id}"));
        it.insert("ev".into(), s("group"));
        it.insert("cid".into(), s(cid));
        it.insert("frame".into(), s(self.frame(cid, now_ms).to_string()));
        it.insert("ttl".into(), n(now_ms / 1000 + GROUP_EVENT_TTL_SECS));
        if !self.also_to.is_empty() {
            it.insert("alsoTo".into(), AttributeValue::L(self.also_to.iter().map(|u| n(u.0)).collect()));
        }
        it
    }

    /// The Put that goes into the change's transaction.
    pub(crate) fn put(&self, db: &Db, cid: &str, now_ms: i64) -> TransactWriteItem {
        put(db, self.item(cid, now_ms), None)
    }
}

/// The frame of a group event: `{"event":"group","type",…}` with both `roomId` (Shiku) and
/// `groupId` (SealTalk) naming the conversation.
pub fn event_frame(kind: &str, cid: &str, by: UserId, now: i64, extra: serde_json::Value) -> serde_json::Value {
    let mut f =
        serde_json::json!({"event": "group", "type": kind, "roomId": cid, "groupId": cid, "by": by.0, "ts": now});
    if let (Some(o), serde_json::Value::Object(x)) = (f.as_object_mut(), extra) {
        o.extend(x);
    }
    f
}

/// Run `writes` and the events' Puts as one transaction. Ok(false): a condition failed
/// (nothing was written, no event either).
pub(crate) async fn transact(
    db: &Db,
    writes: Vec<TransactWriteItem>,
    cid: &str,
    now_ms: i64,
    events: &[GroupEvent],
) -> AppResult<bool> {
    let items = writes.into_iter().chain(events.iter().map(|e| e.put(db, cid, now_ms))).collect();
    applied(db.client.transact_write_items().set_transact_items(Some(items)).send().await)
}

/// The caller's MEMBER items of several conversations in one BatchGetItem per 100
/// (multi-conversation sync); conversations they are not in are absent from the map.
pub async fn memberships(
    db: &Db,
    uid: UserId,
    cids: &[String],
) -> AppResult<std::collections::HashMap<String, Member>> {
    let keys: Vec<Item> = cids.iter().filter(|c| valid_id(c)).map(|c| Db::key(pk(c), member_sk(uid))).collect();
    let items = super::batch_get_consistent(db, keys).await?;
    Ok(items
        .iter()
        .filter_map(|it| {
            let cid = it.str("pk")?.strip_prefix("CONV#")?.to_string();
            Some((cid, member_from(it)?))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ids_name_both_people_and_are_not_groups() {
        let cid = single_id(UserId(9), UserId(2));
        assert_eq!(cid, "s_2_9");
        assert_eq!((single_peer(&cid, UserId(2)), single_peer(&cid, UserId(9))), (Some(UserId(9)), Some(UserId(2))));
        assert_eq!(single_peer(&cid, UserId(3)), None);
        assert!(!is_group(&cid));
        assert!(is_group("5f0c1d2e3a4b5c6d7e8f901234567890"));
    }
}
