//! Mail (docs/data-model.md "Mail"): `MAIL#<id>/META` is the mail (parties and attachments
//! copied in as JSON text), `MAIL#<id>/RCPT#<uid>` each participant's copy (`box` in | sent,
//! `read`) on GSI1 `MAILBOX#<uid>` / `<createdAt:013>#<id>`. Copies are written first
//! (BatchWriteItem: 200 recipients cannot be one transaction), META last and conditionally:
//! it is the commit point, a copy without META is no mail. The recipients' live events
//! (`EVENT#<uid>`, `ev = user`, as store/events.rs) go in META's transaction, so no one hears
//! of a mail that was never committed.

use super::events::EVENT_TTL_SECS;
use super::keys::{friend_event_key, login_pk, mail_pk, mail_rcpt_sk, mailbox_gsi1pk, mailbox_gsi1sk, MAIL_META_SK};
use super::{failed_conditions, n, s, Db, Item, ItemExt};
use crate::domain::files::FileRecord;
use crate::domain::mail::{Copy, Mail, MailBox, Party};
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, UserId};
use aws_sdk_dynamodb::types::{Put, PutRequest, ReturnValuesOnConditionCheckFailure, TransactWriteItem, WriteRequest};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Most event items that share META's transaction (TransactWriteItems takes 100 items).
const EVENTS_IN_COMMIT: usize = 99;

fn parties_text(p: &[Party]) -> String {
    Value::Array(p.iter().map(|p| json!({"id": p.id.0, "name": p.name, "avatar": p.avatar})).collect()).to_string()
}

fn parties_of(text: Option<&str>) -> Vec<Party> {
    let Some(Value::Array(l)) = text.and_then(|t| serde_json::from_str::<Value>(t).ok()) else { return vec![] };
    l.iter()
        .filter_map(|p| {
            Some(Party {
                id: UserId(p["id"].as_i64()?),
                name: p["name"].as_str().unwrap_or_default().to_string(),
                avatar: p["avatar"].as_str().map(str::to_string),
            })
        })
        .collect()
}

fn meta_item(m: &Mail) -> Item {
    let mut it = Db::key(mail_pk(&m.id), MAIL_META_SK);
    it.insert("sender".into(), s(parties_text(std::slice::from_ref(&m.sender))));
    it.insert("senderId".into(), n(m.sender.id.0));
    it.insert("to".into(), s(parties_text(&m.to)));
    it.insert("cc".into(), s(parties_text(&m.cc)));
    it.insert("subject".into(), s(&m.subject));
    it.insert("body".into(), s(&m.body));
    it.insert("attachments".into(), s(super::files::attachments_text(&m.attachments)));
    it.insert("createdAt".into(), n(m.created_at));
    it
}

fn mail_from(it: &Item) -> Option<Mail> {
    if it.str("sk") != Some(MAIL_META_SK) {
        return None;
    }
    Some(Mail {
        id: it.str("pk")?.strip_prefix("MAIL#")?.to_string(),
        sender: parties_of(it.str("sender")).into_iter().next()?,
        to: parties_of(it.str("to")),
        cc: parties_of(it.str("cc")),
        subject: it.string("subject"),
        body: it.string("body"),
        attachments: super::files::attachments_of(it.str("attachments")),
        created_at: it.i64("createdAt").unwrap_or(0),
    })
}

fn copy_from(it: &Item) -> Option<Copy> {
    Some(Copy {
        uid: UserId(it.i64("uid")?),
        mailbox: it.str("box").and_then(MailBox::parse)?,
        read: it.bool("read").unwrap_or(false),
    })
}

/// The accounts of login names (`LOGIN#…` items), one BatchGetItem per 100; by
/// [`LoginName::key`]. Names nobody holds are absent.
pub async fn resolve_logins(db: &Db, names: &[LoginName]) -> AppResult<HashMap<String, UserId>> {
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let keys = names.iter().map(|l| Db::key(login_pk(l), "LOGIN")).collect();
    let mut out = HashMap::new();
    for it in super::batch_get(db, keys).await? {
        // A bare-number md5 record answers only Shiku's login, never a name (store/users.rs).
        if it.bool("bare") == Some(true) {
            continue;
        }
        if let (Some(pk), Some(uid)) = (it.str("pk"), it.i64("uid")) {
            if let Some(name) = names.iter().find(|l| login_pk(l) == pk) {
                out.insert(name.key(), UserId(uid));
            }
        }
    }
    Ok(out)
}

/// What sending needs, read together.
#[derive(Debug, Default)]
pub struct ForSend {
    pub users: HashMap<UserId, User>,
    pub files: Vec<FileRecord>,
    /// The mail already stored under the id (a resend with the same client id).
    pub existing: Option<Mail>,
}

/// Accounts, file records and the mail `id` (if it exists): one consistent BatchGetItem per
/// 100 keys.
pub async fn load_for_send(db: &Db, uids: &[UserId], fids: &[String], id: &str, now_s: i64) -> AppResult<ForSend> {
    let mut keys: Vec<Item> = uids.iter().map(|u| super::profiles::key(*u)).collect();
    keys.extend(fids.iter().filter(|f| crate::domain::files::valid_id(f)).map(|f| super::files::key(f)));
    keys.push(Db::key(mail_pk(id), MAIL_META_SK));
    let mut out = ForSend::default();
    for it in super::batch_get_consistent(db, keys).await? {
        let pk = it.string("pk");
        if pk.starts_with("MAIL#") {
            out.existing = mail_from(&it);
        } else if pk.starts_with("FILE#") {
            out.files.extend(super::files::from_item_at(&it, now_s));
        } else if let Some(u) = super::users::from_item(&it) {
            out.users.insert(u.uid, u);
        }
    }
    Ok(out)
}

fn copy_item(m: &Mail, c: &Copy) -> Item {
    let mut it = Db::key(mail_pk(&m.id), mail_rcpt_sk(c.uid));
    it.insert("uid".into(), n(c.uid.0));
    it.insert("box".into(), s(c.mailbox.as_str()));
    it.insert("read".into(), aws_sdk_dynamodb::types::AttributeValue::Bool(c.read));
    it.insert("gsi1pk".into(), s(mailbox_gsi1pk(c.uid)));
    it.insert("gsi1sk".into(), s(mailbox_gsi1sk(m.created_at, &m.id)));
    it
}

/// The participants' copies, before the mail: ⌈copies/25⌉ BatchWriteItem.
pub async fn put_copies(db: &Db, m: &Mail, copies: &[Copy]) -> AppResult<()> {
    let requests = copies
        .iter()
        .map(|c| {
            let put = PutRequest::builder().set_item(Some(copy_item(m, c))).build().expect("item");
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    super::batch_write(db, requests).await
}

fn event_item(to: UserId, now_ms: i64, frame: &str) -> Item {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (pk, sk) = friend_event_key(to, now_ms, &id);
    let mut it = Db::key(pk, sk);
    it.insert("ev".into(), s("user"));
    it.insert("evTo".into(), n(to.0));
    it.insert("frame".into(), s(frame));
    it.insert("ttl".into(), n(now_ms / 1000 + EVENT_TTL_SECS));
    it
}

/// How the commit ended.
#[derive(Debug)]
pub enum Committed {
    Done,
    /// The id was taken meanwhile (the same client id, sent twice at once): that mail.
    Exists(Box<Mail>),
}

/// META (condition: no mail with this id) with the first 99 live events in one
/// TransactWriteItems; further events after it, ⌈rest/25⌉ BatchWriteItem.
pub async fn commit(db: &Db, m: &Mail, notify: &[UserId], frame: &Value, now_ms: i64) -> AppResult<Committed> {
    let text = frame.to_string();
    let (first, rest) = notify.split_at(notify.len().min(EVENTS_IN_COMMIT));
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(meta_item(m)))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .expect("table and item set");
    let mut items = vec![TransactWriteItem::builder().put(put).build()];
    for u in first {
        let p = Put::builder().table_name(&db.table).set_item(Some(event_item(*u, now_ms, &text))).build();
        items.push(TransactWriteItem::builder().put(p.expect("table and item set")).build());
    }
    if let Err(e) = db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        let Some(failed) = failed_conditions(&e) else { return Err(e.into()) };
        let old = failed.into_iter().find(|(i, _)| *i == 0).and_then(|(_, old)| old);
        return match old.as_ref().and_then(mail_from) {
            Some(mail) => Ok(Committed::Exists(Box::new(mail))),
            None => Err(AppError::internal("mail commit refused without a stored mail")),
        };
    }
    if !rest.is_empty() {
        let requests = rest
            .iter()
            .map(|u| {
                let put = PutRequest::builder().set_item(Some(event_item(*u, now_ms, &text))).build().expect("item");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        super::batch_write(db, requests).await?;
    }
    Ok(Committed::Done)
}

/// The mail and the reader's copy: one consistent BatchGetItem. A copy without META is no
/// mail (the send did not commit): `(None, _)`.
pub async fn get(db: &Db, id: &str, reader: UserId) -> AppResult<(Option<Mail>, Option<Copy>)> {
    let keys = vec![Db::key(mail_pk(id), MAIL_META_SK), Db::key(mail_pk(id), mail_rcpt_sk(reader))];
    let (mut mail, mut copy) = (None, None);
    for it in super::batch_get_consistent(db, keys).await? {
        if it.str("sk") == Some(MAIL_META_SK) {
            mail = mail_from(&it);
        } else {
            copy = copy_from(&it).filter(|c| c.uid == reader);
        }
    }
    Ok((mail, copy))
}

/// Mark `reader`'s copy read (one UpdateItem; a missing copy is left missing).
pub async fn mark_read(db: &Db, id: &str, reader: UserId, now_ms: i64) -> AppResult<()> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(mail_pk(id), mail_rcpt_sk(reader))))
        .update_expression("SET #r = :t, readAt = :now")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_names("#r", "read")
        .expression_attribute_values(":t", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
        .expression_attribute_values(":now", n(now_ms))
        .send()
        .await;
    super::applied(r).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::feed::Attachment;

    #[test]
    fn meta_round_trips() {
        let p = |i: i64| Party { id: UserId(i), name: format!("P{i}"), avatar: (i == 2).then(|| "avatars/2/x".into()) };
        let m = Mail {
            id: "0123456789abcdef0123456789abcdef".into(),
            sender: p(1),
            to: vec![p(2), p(3)],
            cc: vec![p(4)],
            subject: "Hi \"there\"".into(),
            body: "line\nline".into(),
            attachments: vec![Attachment {
                id: "f1".into(),
                name: "a.txt".into(),
                content_type: "text/plain".into(),
                size: 3,
                s3_key: "files/f1".into(),
            }],
            created_at: 1234,
        };
        assert_eq!(mail_from(&meta_item(&m)), Some(m));
    }
}
