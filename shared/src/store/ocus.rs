//! Public accounts (docs/data-model.md "public account"): DynamoDB only. The types and menu
//! rules are `domain::ocus`, the rules of who may do what `services::ocus`.
//!
//! - `USER#<uid>/OCU`: description, `menus` (JSON list), `nextMenu`, `listed`, `msgReadAt`,
//!   `ver`; GSI1 `OCUS` / `<uid:012>` while listed (Minxing's directory: one Query page).
//! - Subscriptions are relations (store/relations, GSI2 sort `P#<ocu:012>`), fans the
//!   relations' GSI1 `FANS#<ocu>`.
//! - Messages to an account carry GSI1 `MPIN#<ocu>` / `<ts:013>#<cid>#<seq:012>` (written by
//!   the send itself, store/messages.rs): the account's inbox is one Query page.

use super::conversations::{message_from, Message};
use super::keys::{fans_gsi1pk, mpin_gsi1pk, ocus_gsi1sk, user_pk, OCUS_GSI1PK, OCU_SK};
use super::{n, s, Db, Item, ItemExt, GSI1};
use crate::domain::ocus::{MenuItem, Ocu};
use crate::domain::relations::Relation;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{AttributeValue, Select};

pub fn key(uid: UserId) -> Item {
    Db::key(user_pk(uid), OCU_SK)
}

fn item(o: &Ocu) -> Item {
    let mut it = key(o.uid);
    it.insert("uid".into(), n(o.uid.0));
    it.insert("description".into(), s(&o.description));
    it.insert("listed".into(), AttributeValue::Bool(o.listed));
    it.insert("menus".into(), s(serde_json::to_string(&o.menus).unwrap_or_else(|_| "[]".into())));
    it.insert("nextMenu".into(), n(o.next_menu));
    it.insert("msgReadAt".into(), n(o.msg_read_at));
    it.insert("createdAt".into(), n(o.created_at));
    it.insert("ver".into(), n(o.ver + 1));
    if o.listed {
        it.insert("gsi1pk".into(), s(OCUS_GSI1PK));
        it.insert("gsi1sk".into(), s(ocus_gsi1sk(o.uid)));
    }
    it
}

pub fn from_item(it: &Item) -> Option<Ocu> {
    if it.str("sk") != Some(OCU_SK) {
        return None;
    }
    let menus: Vec<MenuItem> = serde_json::from_str(it.str("menus").unwrap_or("[]")).unwrap_or_default();
    Some(Ocu {
        uid: UserId(it.i64("uid")?),
        description: it.string("description"),
        listed: it.bool("listed").unwrap_or(false),
        menus,
        next_menu: it.i64("nextMenu").unwrap_or(1),
        msg_read_at: it.i64("msgReadAt").unwrap_or(0),
        created_at: it.i64("createdAt").unwrap_or(0),
        ver: it.i64("ver").unwrap_or(0),
    })
}

/// The stored record (one GetItem; `consistent` for read-modify-write).
pub async fn get(db: &Db, uid: UserId, consistent: bool) -> AppResult<Option<Ocu>> {
    let out =
        db.client.get_item().table_name(&db.table).set_key(Some(key(uid))).consistent_read(consistent).send().await?;
    Ok(out.item().and_then(from_item))
}

/// Write `o` read at version `o.ver` (0: never stored). A concurrent change → Conflict.
pub async fn put(db: &Db, o: &Ocu) -> AppResult<()> {
    let mut p = db.client.put_item().table_name(&db.table).set_item(Some(item(o)));
    p = if o.ver == 0 {
        p.condition_expression("attribute_not_exists(pk)")
    } else {
        p.condition_expression("ver = :v").expression_attribute_values(":v", n(o.ver))
    };
    match p.send().await {
        Ok(_) => Ok(()),
        Err(e) if super::is_condition_failure(&e) => {
            Err(AppError::Conflict("the public account changed meanwhile, try again".into()))
        }
        Err(e) => Err(e.into()),
    }
}

/// What one BatchGetItem read about some accounts for `me`: their profiles, OCU records and
/// `me`'s relation to each (subscribed or not).
#[derive(Debug, Default)]
pub struct Seen {
    pub users: Vec<User>,
    pub ocus: Vec<Ocu>,
    pub rels: Vec<Relation>,
}

/// Profiles, OCU records (when `with_ocu`) and `me`'s relations to `uids`, one BatchGetItem
/// per 33 accounts (100 keys).
pub async fn seen(db: &Db, me: UserId, uids: &[UserId], with_ocu: bool) -> AppResult<Seen> {
    let mut keys = vec![];
    for u in uids {
        keys.push(super::profiles::key(*u));
        keys.push(super::relations::key(me, *u));
        if with_ocu {
            keys.push(key(*u));
        }
    }
    if keys.is_empty() {
        return Ok(Seen::default());
    }
    let items = super::batch_get(db, keys).await?;
    let mut out = Seen::default();
    for it in &items {
        match it.str("sk") {
            Some(OCU_SK) => out.ocus.extend(from_item(it)),
            Some(x) if x.starts_with("REL#") => out.rels.extend(super::relations::rel_from(it)),
            Some(_) => out.users.extend(super::users::from_item(it)),
            None => {}
        }
    }
    Ok(out)
}

/// Before an account writes to `to` (one BatchGetItem): both profiles and `to`'s relation
/// to the account (is `to` a fan?).
pub async fn pair(db: &Db, account: UserId, to: UserId) -> AppResult<(Option<User>, Option<User>, Option<Relation>)> {
    let keys = vec![super::profiles::key(account), super::profiles::key(to), super::relations::key(to, account)];
    let items = super::batch_get(db, keys).await?;
    let user = |uid: UserId| items.iter().filter_map(super::users::from_item).find(|u| u.uid == uid);
    let rel = items.iter().filter_map(super::relations::rel_from).find(|r| r.owner == to);
    Ok((user(account), user(to), rel))
}

/// OCU records of many accounts (⌈n/100⌉ BatchGetItem; unknown / never written are absent).
pub async fn get_many(db: &Db, uids: &[UserId]) -> AppResult<Vec<Ocu>> {
    if uids.is_empty() {
        return Ok(vec![]);
    }
    let items = super::batch_get(db, uids.iter().map(|u| key(*u)).collect()).await?;
    Ok(items.iter().filter_map(from_item).collect())
}

/// One page of listed accounts in id order after `after` (one Query).
pub async fn listed_page(db: &Db, after: Option<UserId>, limit: usize) -> AppResult<(Vec<Ocu>, Option<UserId>)> {
    let mut q = db
        .client
        .query()
        .table_name(&db.table)
        .index_name(GSI1)
        .expression_attribute_values(":p", s(OCUS_GSI1PK))
        .limit(limit.clamp(1, 100) as i32);
    q = match after {
        Some(a) => q
            .key_condition_expression("gsi1pk = :p AND gsi1sk > :a")
            .expression_attribute_values(":a", s(ocus_gsi1sk(a))),
        None => q.key_condition_expression("gsi1pk = :p"),
    };
    let out = q.send().await?;
    let items: Vec<Ocu> = out.items().iter().filter_map(from_item).collect();
    let next = out.last_evaluated_key().and(items.last().map(|o| o.uid));
    Ok((items, next))
}

/// Newest messages others sent to the account `ocu` (one Query; `limit` ≤ 1000).
pub async fn inbox(db: &Db, ocu: UserId, limit: usize) -> AppResult<Vec<Message>> {
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .index_name(GSI1)
        .key_condition_expression("gsi1pk = :p")
        .expression_attribute_values(":p", s(mpin_gsi1pk(ocu)))
        .scan_index_forward(false)
        .limit(limit.clamp(1, 1000) as i32)
        .send()
        .await?;
    Ok(out.items().iter().filter_map(message_from).collect())
}

/// The account read its inbox up to `ts` (one UpdateItem; creates a default record).
pub async fn mark_read(db: &Db, uid: UserId, ts: i64) -> AppResult<()> {
    db.client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(key(uid)))
        .update_expression("SET msgReadAt = :t, uid = :u, createdAt = if_not_exists(createdAt, :t) ADD ver :one")
        .condition_expression("attribute_not_exists(msgReadAt) OR msgReadAt < :t")
        .expression_attribute_values(":t", n(ts))
        .expression_attribute_values(":u", n(uid.0))
        .expression_attribute_values(":one", n(1))
        .send()
        .await
        .map(|_| ())
        .or_else(|e| if super::is_condition_failure(&e) { Ok(()) } else { Err(e.into()) })
}

/// How many items a GSI1 partition holds at or after `from` (Select COUNT, one Query per MB).
async fn count(db: &Db, pk: String, from: Option<String>) -> AppResult<i64> {
    let mut total = 0;
    let mut start = None;
    loop {
        let mut q = db
            .client
            .query()
            .table_name(&db.table)
            .index_name(GSI1)
            .select(Select::Count)
            .expression_attribute_values(":p", s(&pk))
            .set_exclusive_start_key(start.take());
        q = match &from {
            Some(f) => {
                q.key_condition_expression("gsi1pk = :p AND gsi1sk >= :f").expression_attribute_values(":f", s(f))
            }
            None => q.key_condition_expression("gsi1pk = :p"),
        };
        let out = q.send().await?;
        total += i64::from(out.count());
        match out.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => return Ok(total),
        }
    }
}

/// Fans of an account (COUNT over GSI1 `FANS#<ocu>`, one Query per MB of index).
pub async fn fan_count(db: &Db, ocu: UserId) -> AppResult<i64> {
    count(db, fans_gsi1pk(ocu), None).await
}

/// Messages to the account since `since_ms` (COUNT over its inbox).
pub async fn inbox_count_since(db: &Db, ocu: UserId, since_ms: i64) -> AppResult<i64> {
    count(db, mpin_gsi1pk(ocu), Some(format!("{:013}", since_ms.max(0) + 1))).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ocus::MenuEdit;

    #[test]
    fn records_round_trip_and_only_listed_ones_are_indexed() {
        let mut o = Ocu::new(UserId(42), 5);
        o.save_menu(MenuEdit { name: "a".into(), url: Some("https://x.example".into()), ..Default::default() })
            .unwrap();
        let it = item(&o);
        assert!(!it.contains_key("gsi1pk"));
        let back = from_item(&it).unwrap();
        assert_eq!(back.ver, 1);
        assert_eq!(Ocu { ver: 0, ..back }, o);
        o.listed = true;
        let it = item(&o);
        assert_eq!((it.str("gsi1pk"), it.str("gsi1sk")), (Some("OCUS"), Some("000000000042")));
    }
}
