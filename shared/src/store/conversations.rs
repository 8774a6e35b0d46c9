//! Conversations (1:1 and group) with their members and messages, all under
//! one partition CONV#<id>: META (name, lastSeq, last message summary),
//! MEMBER#<uid> (role, read pointer), MSG#<seq> (one per message), DISMISSED (a dismissed
//! group's marker). Storing messages: store/messages.rs; membership writes: store/invites.rs.
//! Unread = lastSeq - readSeq, so a send never writes per-member items.

use super::keys::hide_sk;
use super::{applied, is_condition_failure, n, s, Db, Item, ItemExt, GSI1};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};

pub use crate::domain::chat::{
    is_group, single_id, single_peer, valid_id, Conversation, Kind, Member, Message, NewMessage, MAX_CONTENT,
};

pub(crate) use super::keys::msg_sk;
pub use super::keys::{conv_pk as pk, member_sk};

pub(crate) fn conv_from(it: &Item) -> Option<Conversation> {
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
        ocu: it.i64("ocu").map(UserId),
        ocu_in: it.i64("ocuIn").is_some_and(|v| v > 0),
        id,
    })
}

pub(crate) fn member_from(it: &Item) -> Option<Member> {
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

pub(crate) fn put(db: &Db, it: Item, cond: Option<&str>) -> TransactWriteItem {
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
    // No `readSeq` until the first read (absent = 0): a large room's fan-out reads every
    // member item and is billed on their size (issue #16 (c)).
    it.insert("joinedAt".into(), n(now));
    // A user's conversations (recent list, room list) via GSI1.
    it.insert("gsi1pk".into(), s(super::keys::user_convs_gsi1(uid)));
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
pub async fn ensure_single(db: &Db, now: i64, a: UserId, b: UserId) -> AppResult<(Conversation, bool)> {
    ensure_single_ocu(db, now, a, b, None).await
}

/// [`ensure_single`] where the caller knows one side is the public account `ocu`: META
/// carries `ocu` (set on an older conversation that lacks it: one more UpdateItem, once), so
/// every later send to the account is indexed for its inbox at no extra call.
pub async fn ensure_single_ocu(
    db: &Db,
    now: i64,
    a: UserId,
    b: UserId,
    ocu: Option<UserId>,
) -> AppResult<(Conversation, bool)> {
    let cid = single_id(a, b);
    let ocu = ocu.filter(|o| *o == a || *o == b);
    if let Some(mut c) = get(db, &cid).await? {
        if let (Some(o), None) = (ocu, c.ocu) {
            db.client
                .update_item()
                .table_name(&db.table)
                .set_key(Some(Db::key(pk(&cid), "META")))
                .update_expression("SET ocu = :o")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":o", n(o.0))
                .send()
                .await?;
            c.ocu = Some(o);
        }
        return Ok((c, false));
    }
    let mut meta = Db::key(pk(&cid), "META");
    if let Some(o) = ocu {
        meta.insert("ocu".into(), n(o.0));
    }
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
    let created = match tx.send().await {
        Ok(_) => true,
        // Lost a race with the other side creating it: theirs is the same conversation.
        Err(e) if is_condition_failure(&e) => false,
        Err(e) => return Err(e.into()),
    };
    let conv = get(db, &cid).await?.ok_or_else(|| AppError::internal("conversation vanished"))?;
    Ok((conv, created))
}

/// A member of a live conversation: META and the MEMBER item in one consistent BatchGetItem
/// (a member item left behind by a dismissed group opens nothing).
pub async fn member(db: &Db, cid: &str, uid: UserId) -> AppResult<Option<Member>> {
    if !valid_id(cid) {
        return Ok(None);
    }
    let items =
        super::batch_get_consistent(db, vec![Db::key(pk(cid), "META"), Db::key(pk(cid), member_sk(uid))]).await?;
    if !items.iter().any(|it| it.str("sk") == Some("META")) {
        return Ok(None);
    }
    Ok(items.iter().find_map(member_from))
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

/// Conversations a user belongs to (GSI1), with their META in batches of 100.
pub async fn of_user(db: &Db, uid: UserId) -> AppResult<Vec<(Conversation, Member)>> {
    let items = super::query_all(db, Some(GSI1), super::keys::user_convs_gsi1(uid), None, None).await?;
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
        // Absent readSeq is 0 (member_item).
        .condition_expression("attribute_exists(pk) AND (readSeq < :s OR (attribute_not_exists(readSeq) AND :z < :s))")
        .expression_attribute_values(":s", n(seq))
        .expression_attribute_values(":z", n(0))
        .send()
        .await;
    applied(r)
}

/// Shiku `resultCode`s of room refusals (HTTP 403 in the other dialects, docs/errors.md).
pub use crate::error::refused::{
    ALL_MUTED as REFUSED_ALL_MUTED, MUTED as REFUSED_MUTED, ROOM_FULL as REFUSED_ROOM_FULL,
};

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
        // `ev` too: a mass-send copy is stored without it (store/copies.rs), its recall is delivered.
        .update_expression("SET recalled = :t, content = :e, recalledBy = :by, recalledAt = :now, ev = :ev")
        .condition_expression(cond)
        .expression_attribute_values(":ev", s("message"))
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
    set_number(db, cid, member_sk(uid), "clearedSeq", seq).await
}

/// The caller's MEMBER items of several conversations, with their META (only live
/// conversations count), in one consistent BatchGetItem per 50 conversations
/// (multi-conversation sync); conversations they are not in are absent from the map.
pub async fn memberships(
    db: &Db,
    uid: UserId,
    cids: &[String],
) -> AppResult<std::collections::HashMap<String, Member>> {
    let keys: Vec<Item> = cids
        .iter()
        .filter(|c| valid_id(c))
        .flat_map(|c| [Db::key(pk(c), "META"), Db::key(pk(c), member_sk(uid))])
        .collect();
    let items = super::batch_get_consistent(db, keys).await?;
    let live: std::collections::HashSet<&str> =
        items.iter().filter(|it| it.str("sk") == Some("META")).filter_map(|it| it.str("pk")).collect();
    Ok(items
        .iter()
        .filter(|it| it.str("pk").is_some_and(|p| live.contains(p)))
        .filter_map(|it| {
            let cid = it.str("pk")?.strip_prefix("CONV#")?.to_string();
            Some((cid, member_from(it)?))
        })
        .collect())
}

/// SealTalk screen-capture notification state of a conversation (META `screenCapture`).
pub async fn set_screen_capture(db: &Db, cid: &str, status: i64) -> AppResult<()> {
    set_number(db, cid, super::keys::META_SK.to_string(), "screenCapture", status).await
}

/// `SET <attr> = value` on an existing item of conversation `cid` (one UpdateItem); the
/// conversation's not-found when the item is absent.
async fn set_number(db: &Db, cid: &str, sk: String, attr: &str, value: i64) -> AppResult<()> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), sk)))
        .update_expression("SET #a = :v")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_names("#a", attr)
        .expression_attribute_values(":v", n(value))
        .send()
        .await;
    if applied(r)? {
        Ok(())
    } else {
        Err(AppError::not_found(format!("conversation {cid}")))
    }
}
