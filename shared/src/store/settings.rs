//! Privacy and chat settings: USER#<uid>/SETTINGS. An absent item or attribute
//! reads as the default. Flags that change what *other* users see of a profile
//! (found by phone, found by nickname, telephone shown) are mirrored onto the
//! PROFILE item in the same transaction, so search and profile reads need no
//! second GetItem: `hidePhone`, `hideName`, `showPhone` (booleans; absent = the flag's
//! default, so read `showPhone` through `shared::privacy::shares_phone`).

use super::{n, Db, Item, ItemExt};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde_json::{Map, Value};

pub use super::keys::SETTINGS_SK as SK;
use super::keys::{user_pk, PROFILE_SK};

/// 0/1 flags: (name, default).
pub const FLAGS: &[(&str, i64)] = &[
    ("allowAtt", 1),
    ("allowGreet", 1),
    // Read by contacts (friend requests): 0 = add directly, 1 = needs approval.
    ("friendsVerify", 0),
    // Others may find me by telephone (getByAccount, SealTalk find/{region}/{phone}).
    ("phoneSearch", 1),
    // Others may find me by nickname (/user/query).
    ("nameSearch", 1),
    // My friends see my telephone number (never strangers): shared::privacy. On by default
    // as SealTalk friends always saw it; the PROFILE mirror `showPhone` is absent until set.
    ("showTelephone", 1),
    // 1 = no offline push notifications.
    ("offlineNoPushMsg", 0),
    // 1 = push notifications show the message text.
    ("offlinePushDetail", 1),
    ("isEncrypt", 0),
    ("isTyping", 1),
    ("isVibration", 1),
    ("multipleDevices", 1),
];

/// Durations in days (1 hour = 0.04), -1 = forever: (name, default).
pub const DURATIONS: &[(&str, f64)] =
    &[("chatRecordTimeOut", -1.0), ("chatSyncTimeLen", -1.0), ("groupChatSyncTimeLen", -1.0)];

/// A validated change to some settings.
#[derive(Debug, Default, Clone)]
pub struct Change {
    pub flags: Vec<(&'static str, i64)>,
    pub durations: Vec<(&'static str, f64)>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty() && self.durations.is_empty()
    }
    fn flag(&self, name: &str) -> Option<i64> {
        self.flags.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

/// Settings as the JSON object every dialect renders (defaults filled in).
pub fn to_json(it: Option<&Item>) -> Value {
    let mut m = Map::new();
    for (k, d) in FLAGS {
        let v = it.and_then(|it| it.i64(k)).unwrap_or(*d);
        m.insert((*k).into(), Value::from(v));
    }
    for (k, d) in DURATIONS {
        let v = it.and_then(|it| it.f64(k)).unwrap_or(*d);
        m.insert((*k).into(), Value::from(v));
    }
    Value::Object(m)
}

/// One flag of a settings item, with its default.
pub fn flag(it: Option<&Item>, name: &str) -> i64 {
    let d = FLAGS.iter().find(|(k, _)| *k == name).map(|(_, d)| *d).unwrap_or(0);
    it.and_then(|it| it.i64(name)).unwrap_or(d)
}

pub fn key(uid: UserId) -> Item {
    Db::key(user_pk(uid), SK)
}

pub async fn get(db: &Db, uid: UserId) -> AppResult<Option<Item>> {
    db.get(user_pk(uid), SK).await
}

/// Apply a change: one UpdateItem on SETTINGS, plus the profile mirror in the
/// same transaction when a mirrored flag changes. The profile must exist.
pub async fn update(db: &Db, uid: UserId, now_ms: i64, change: &Change) -> AppResult<()> {
    if change.is_empty() {
        return Err(AppError::missing("settings"));
    }
    let mut sets = vec!["updatedAt = :now".to_string()];
    let mut vals: Vec<(String, AttributeValue)> = vec![(":now".into(), n(now_ms))];
    for (i, (k, v)) in change.flags.iter().enumerate() {
        sets.push(format!("{k} = :f{i}"));
        vals.push((format!(":f{i}"), n(v)));
    }
    for (i, (k, v)) in change.durations.iter().enumerate() {
        sets.push(format!("{k} = :d{i}"));
        vals.push((format!(":d{i}"), n(v)));
    }
    let mut upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(key(uid)))
        .update_expression(format!("SET {}", sets.join(", ")));
    for (k, v) in vals {
        upd = upd.expression_attribute_values(k, v);
    }
    let mirror: Vec<(&str, bool)> =
        [("phoneSearch", "hidePhone", 0), ("nameSearch", "hideName", 0), ("showTelephone", "showPhone", 1)]
            .iter()
            .filter_map(|(flag, attr, when)| change.flag(flag).map(|v| (*attr, v == *when)))
            .collect();
    let mut tx = db
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(upd.build().expect("key and expression set")).build());
    // Always check the profile exists, so settings of unknown users are never created.
    let mut pu = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(user_pk(uid), PROFILE_SK)))
        .condition_expression("attribute_exists(pk)");
    if mirror.is_empty() {
        pu = pu.update_expression("SET settingsAt = :now").expression_attribute_values(":now", n(now_ms));
    } else {
        let sets: Vec<String> = mirror.iter().enumerate().map(|(i, (a, _))| format!("{a} = :m{i}")).collect();
        pu = pu.update_expression(format!("SET {}", sets.join(", ")));
        for (i, (_, v)) in mirror.iter().enumerate() {
            pu = pu.expression_attribute_values(format!(":m{i}"), AttributeValue::Bool(*v));
        }
    }
    tx = tx.transact_items(TransactWriteItem::builder().update(pu.build().expect("set")).build());
    match tx.send().await {
        Ok(_) => Ok(()),
        Err(e) if super::is_condition_failure(&e) => Err(AppError::not_found(format!("user {uid}"))),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_absent_values() {
        let v = to_json(None);
        assert_eq!(v["allowAtt"], 1);
        assert_eq!(v["friendsVerify"], 0);
        assert_eq!(v["phoneSearch"], 1);
        assert_eq!(v["showTelephone"], 1);
        assert_eq!(v["chatRecordTimeOut"], -1.0);
        let mut it = Item::new();
        it.insert("friendsVerify".into(), n(1));
        assert_eq!(flag(Some(&it), "friendsVerify"), 1);
        assert_eq!(flag(Some(&it), "allowGreet"), 1);
    }
}
