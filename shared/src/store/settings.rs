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

pub use super::keys::SETTINGS_SK as SK;
use super::keys::{user_pk, PROFILE_SK};

pub use crate::domain::settings::{Change, Settings, DURATIONS, FLAGS};

/// The settings of an item (absent values read as their defaults).
pub fn from_item(it: Option<&Item>) -> Settings {
    let mut st = Settings::default();
    for (k, v) in st.flags.iter_mut() {
        if let Some(x) = it.and_then(|it| it.i64(k)) {
            *v = x;
        }
    }
    for (k, v) in st.durations.iter_mut() {
        if let Some(x) = it.and_then(|it| it.f64(k)) {
            *v = x;
        }
    }
    st
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
        let v = from_item(None);
        let f = |k: &str| v.flags.iter().find(|(n, _)| *n == k).unwrap().1;
        assert_eq!((f("allowAtt"), f("friendsVerify"), f("phoneSearch"), f("showTelephone")), (1, 0, 1, 1));
        assert_eq!(v.durations[0], ("chatRecordTimeOut", -1.0));
        let mut it = Item::new();
        it.insert("friendsVerify".into(), n(1));
        assert_eq!(flag(Some(&it), "friendsVerify"), 1);
        assert_eq!(flag(Some(&it), "allowGreet"), 1);
        assert!(from_item(Some(&it)).flags.contains(&("friendsVerify", 1)));
    }
}
