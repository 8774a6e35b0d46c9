//! The read and the write of one change between two users: [`load`] reads everything the
//! change depends on in one consistent BatchGetItem, [`commit`] writes the result and its live
//! events in one TransactWriteItems conditioned on the versions read.

use super::requests::{self, req_from, req_item};
use super::{key, pk, rel_from, rel_item, Relation, Request, EVENT_TTL_SECS};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::keys::{friend_event_key, friend_req_sk, rel_sk};
use crate::store::users::{self, User};
use crate::store::{batch_get_consistent, is_condition_failure, n, s, Db, Item, ItemExt};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

/// Everything one change between `me` and `other` depends on.
#[derive(Debug, Clone)]
pub struct Pair {
    pub me: User,
    pub other: User,
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

/// What to write: `None` = unchanged, `Some(None)` = delete, `Some(Some(x))` = put.
#[derive(Debug, Default)]
pub struct Writes {
    pub mine: Option<Option<Relation>>,
    pub theirs: Option<Option<Relation>>,
    pub req_to_me: Option<Option<Request>>,
    pub req_to_them: Option<Option<Request>>,
    /// Live events: (recipient, frame as JSON text), written only when something else is.
    pub events: Vec<(UserId, String)>,
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

/// One consistent BatchGetItem (7 keys). Unknown `me` → NotFound; unknown `other` → None.
pub async fn load(db: &Db, me: UserId, other: UserId) -> AppResult<Option<Pair>> {
    let keys = vec![
        Db::key(pk(me), "PROFILE"),
        Db::key(pk(other), "PROFILE"),
        key(me, other),
        key(other, me),
        requests::key(me, other),
        requests::key(other, me),
        Db::key(pk(other), "SETTINGS"),
    ];
    let items = batch_get_consistent(db, keys).await?;
    let find = |p: &str, sk: &str| items.iter().find(|i| i.str("pk") == Some(p) && i.str("sk") == Some(sk));
    let (pm, po) = (pk(me), pk(other));
    let Some(me_u) = find(&pm, "PROFILE").and_then(users::from_item) else {
        return Err(AppError::not_found(format!("user {me}")));
    };
    let Some(other_u) = find(&po, "PROFILE").and_then(users::from_item) else {
        return Ok(None);
    };
    Ok(Some(Pair {
        me: me_u,
        other: other_u,
        mine: find(&pm, &rel_sk(other)).and_then(rel_from),
        theirs: find(&po, &rel_sk(me)).and_then(rel_from),
        req_to_me: find(&pm, &friend_req_sk(other)).and_then(req_from),
        req_to_them: find(&po, &friend_req_sk(me)).and_then(req_from),
        other_verify: settings_flag(find(&po, "SETTINGS"), "friendsVerify", false),
        other_allows: settings_flag(find(&po, "SETTINGS"), "allowAtt", true),
    }))
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

/// Write `w` in one transaction, conditioned on the versions in `p`. `Ok(false)`: lost a race.
/// Nothing to write (events alone are not written) → no call, `Ok(true)`.
pub async fn commit(db: &Db, now: i64, p: &Pair, w: &Writes) -> AppResult<bool> {
    let mut items = vec![];
    let rel_slots = [(&w.mine, &p.mine, p.me.uid, p.other.uid), (&w.theirs, &p.theirs, p.other.uid, p.me.uid)];
    for (change, prev, owner, other) in rel_slots {
        let prev_ver = prev.as_ref().map(|r| r.ver);
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
    let req_slots =
        [(&w.req_to_me, &p.req_to_me, p.me.uid, p.other.uid), (&w.req_to_them, &p.req_to_them, p.other.uid, p.me.uid)];
    for (change, prev, to, from) in req_slots {
        let prev_ver = prev.as_ref().map(|r| r.ver);
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
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
