//! The read and the write of one change between two users: [`load`] reads everything the
//! change depends on in one consistent BatchGetItem, [`commit`] writes the result and its live
//! events in one TransactWriteItems conditioned on the versions read.

use super::requests::{self, req_from, req_item};
use super::{key, rel_from, rel_item, Relation, Request, EVENT_TTL_SECS};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::keys::friend_event_key;
use crate::store::{batch_get_consistent, is_condition_failure, n, s, Db, Item};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

/// Everything one change between `me` and `other` depends on, as read.
#[derive(Debug, Clone)]
pub struct Read {
    /// The two profile items (parsed by the caller), None when absent.
    pub me_profile: Option<Item>,
    pub other_profile: Option<Item>,
    /// me → other
    pub mine: Option<Relation>,
    /// other → me
    pub theirs: Option<Relation>,
    /// request from other to me
    pub req_to_me: Option<Request>,
    /// request from me to other
    pub req_to_them: Option<Request>,
    /// other requires verification of friend requests (settings `friendsVerify`)
    pub other_verify: bool,
    /// other accepts followers at all (settings `allowAtt`, default yes)
    pub other_allows: bool,
}

/// The versions a change was decided on (None: the item did not exist).
#[derive(Debug, Clone, Copy)]
pub struct Versions {
    pub me: UserId,
    pub other: UserId,
    pub mine: Option<i64>,
    pub theirs: Option<i64>,
    pub req_to_me: Option<i64>,
    pub req_to_them: Option<i64>,
}

/// What to write: `None` = unchanged, `Some(None)` = delete, `Some(Some(x))` = put.
#[derive(Debug, Default)]
pub struct Writes {
    pub mine: Option<Option<Relation>>,
    pub theirs: Option<Option<Relation>>,
    pub req_to_me: Option<Option<Request>>,
    pub req_to_them: Option<Option<Request>>,
    /// Live events: (recipient, frame as JSON text), written only when something else is.
    pub events: Vec<(UserId, String)>,
    /// Tombstones (owner, what they lost: an ended friendship, an unblock), written only
    /// with the change they record (store/gone.rs).
    pub gone: Vec<(UserId, crate::store::gone::Gone)>,
}

/// A 0/1 flag of a settings item (number, bool or string); absent → `default`.
/// (`friendsVerify`: 1 = requests need approval; `allowAtt`: 0 = nobody may follow me.)
fn settings_flag(it: Option<&Item>, name: &str, default: bool) -> bool {
    match it.and_then(|it| it.get(name)) {
        Some(AttributeValue::N(v)) => v.trim() != "0",
        Some(AttributeValue::Bool(b)) => *b,
        Some(AttributeValue::S(v)) => v == "1" || v.eq_ignore_ascii_case("true"),
        _ => default,
    }
}

/// One consistent BatchGetItem (7 keys): the two profiles (`profiles` = keys of me, other),
/// both relations, both requests and `other`'s settings item (`other_settings`).
pub async fn load(db: &Db, me: UserId, other: UserId, profiles: [Item; 2], other_settings: Item) -> AppResult<Read> {
    let [me_key, other_key] = profiles;
    let keys = vec![
        me_key.clone(),
        other_key.clone(),
        key(me, other),
        key(other, me),
        requests::key(me, other),
        requests::key(other, me),
        other_settings.clone(),
    ];
    let items = batch_get_consistent(db, keys).await?;
    let find = |k: &Item| items.iter().find(|i| i.get("pk") == k.get("pk") && i.get("sk") == k.get("sk"));
    let settings = find(&other_settings);
    Ok(Read {
        me_profile: find(&me_key).cloned(),
        other_profile: find(&other_key).cloned(),
        mine: find(&key(me, other)).and_then(rel_from),
        theirs: find(&key(other, me)).and_then(rel_from),
        req_to_me: find(&requests::key(me, other)).and_then(req_from),
        req_to_them: find(&requests::key(other, me)).and_then(req_from),
        other_verify: settings_flag(settings, "friendsVerify", false),
        other_allows: settings_flag(settings, "allowAtt", true),
    })
}

fn tx_put(db: &Db, mut it: Item, prev_ver: Option<i64>) -> TransactWriteItem {
    let mut p = Put::builder().table_name(&db.table);
    match prev_ver {
        Some(v) => {
            it.insert("ver".into(), n(v + 1));
            p = p.condition_expression("ver = :v").expression_attribute_values(":v", n(v));
        }
        None => {
            it.insert("ver".into(), n(1));
            p = p.condition_expression("attribute_not_exists(pk)");
        }
    }
    TransactWriteItem::builder().put(p.set_item(Some(it)).build().expect("table and item set")).build()
}

fn tx_delete(db: &Db, key: Item, prev_ver: i64) -> TransactWriteItem {
    TransactWriteItem::builder()
        .delete(
            Delete::builder()
                .table_name(&db.table)
                .set_key(Some(key))
                .condition_expression("ver = :v")
                .expression_attribute_values(":v", n(prev_ver))
                .build()
                .expect("table and key set"),
        )
        .build()
}

fn event_item(to: UserId, frame: &str, now: i64) -> Item {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (epk, esk) = friend_event_key(to, now, &id);
    let mut it = Db::key(epk, esk);
    // Marks items the delivery function pushes (stream filter in the template).
    it.insert("ev".into(), s("friend"));
    it.insert("evTo".into(), n(to.0));
    it.insert("frame".into(), s(frame));
    it.insert("ttl".into(), n(now / 1000 + EVENT_TTL_SECS));
    it
}

/// Write `w` in one transaction, conditioned on the versions `v`. `Ok(false)`: lost a race.
/// Nothing to write (events alone are not written) → no call, `Ok(true)`.
pub async fn commit(db: &Db, now: i64, v: &Versions, w: &Writes) -> AppResult<bool> {
    let mut items = vec![];
    let rel_slots = [(&w.mine, v.mine, v.me, v.other), (&w.theirs, v.theirs, v.other, v.me)];
    for (change, prev_ver, owner, other) in rel_slots {
        match change {
            None => {}
            Some(Some(r)) => items.push(tx_put(db, rel_item(r), prev_ver)),
            Some(None) => {
                if let Some(v) = prev_ver {
                    items.push(tx_delete(db, key(owner, other), v));
                }
            }
        }
    }
    let req_slots = [(&w.req_to_me, v.req_to_me, v.me, v.other), (&w.req_to_them, v.req_to_them, v.other, v.me)];
    for (change, prev_ver, to, from) in req_slots {
        match change {
            None => {}
            Some(Some(r)) => items.push(tx_put(db, req_item(r), prev_ver)),
            Some(None) => {
                if let Some(v) = prev_ver {
                    items.push(tx_delete(db, requests::key(to, from), v));
                }
            }
        }
    }
    if items.is_empty() {
        return Ok(true);
    }
    for (to, frame) in &w.events {
        let put = Put::builder().table_name(&db.table).set_item(Some(event_item(*to, frame, now)));
        items.push(TransactWriteItem::builder().put(put.build().expect("table and item set")).build());
    }
    for (owner, g) in &w.gone {
        items.push(crate::store::gone::put(db, *owner, g));
    }
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
