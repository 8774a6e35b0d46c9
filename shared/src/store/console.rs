//! Account state the operator console changes on USER#<uid>/PROFILE and the LOGIN# items:
//! disable / enable, and freeing an account's login names (soft delete). Every write here
//! takes the caller's `extra` items (the audit entry, store/audit.rs) into its transaction.

use super::keys::{login_pk, user_pk, PROFILE_SK};
use super::{is_condition_failure, n, Db, Item, ItemExt};
use crate::domain::secrets::md5_hex;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, UserId};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem, Update};

/// Every LOGIN# key an account may hold (telephone, md5 with and without area code, email,
/// username); only those still pointing at the account are freed.
fn login_keys(user: &User) -> Vec<String> {
    let mut v = vec![];
    if let Some(t) = &user.telephone {
        v.push(login_pk(&LoginName::Phone(t.clone())));
        v.push(login_pk(&LoginName::PhoneMd5(md5_hex(&t.full()))));
        v.push(login_pk(&LoginName::PhoneMd5(md5_hex(&t.number))));
    }
    if let Some(e) = &user.email {
        v.push(login_pk(&LoginName::Email(e.clone())));
    }
    if let Some(u) = &user.username {
        v.push(login_pk(&LoginName::Username(u.clone())));
    }
    v.sort();
    v.dedup();
    v
}

fn profile_update(db: &Db, uid: UserId, disabled: bool, now_ms: i64) -> TransactWriteItem {
    let u = Update::builder().table_name(&db.table).set_key(Some(Db::key(user_pk(uid), PROFILE_SK)));
    let u = if disabled {
        u.update_expression("SET disabled = :t, disabledAt = :now")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":now", n(now_ms))
    } else {
        u.update_expression("REMOVE disabled, disabledAt")
    };
    let u = u.condition_expression("attribute_exists(pk)").build().expect("key and expression set");
    TransactWriteItem::builder().update(u).build()
}

/// A ConditionCheck for a login's token transaction: the account is not disabled (a login
/// whose password check read the account before the console disabled it issues nothing).
pub fn enabled_check(db: &Db, uid: UserId) -> TransactWriteItem {
    let c = ConditionCheck::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(user_pk(uid), PROFILE_SK)))
        .condition_expression("attribute_not_exists(disabled)")
        .build()
        .expect("key and condition set");
    TransactWriteItem::builder().condition_check(c).build()
}

/// Set or clear the account's `disabled` flag; with `free_names`, also delete the LOGIN#
/// items that still point at it (so the names can register again), all in one transaction
/// with `extra`. `NotFound` when the account is gone. Calls: (free_names: BatchGetItem +)
/// TransactWriteItems.
pub async fn set_disabled(
    db: &Db,
    user: &User,
    disabled: bool,
    free_names: bool,
    now_ms: i64,
    extra: Vec<TransactWriteItem>,
) -> AppResult<()> {
    let mut items = vec![profile_update(db, user.uid, disabled, now_ms)];
    if free_names {
        let keys: Vec<Item> = login_keys(user).into_iter().map(|k| Db::key(k, "LOGIN")).collect();
        let owned = super::batch_get_consistent(db, keys).await?;
        for it in owned.iter().filter(|it| it.i64("uid") == Some(user.uid.0)) {
            let Some(pk) = it.str("pk") else { continue };
            let del = Delete::builder()
                .table_name(&db.table)
                .set_key(Some(Db::key(pk, "LOGIN")))
                .condition_expression("uid = :u")
                .expression_attribute_values(":u", n(user.uid.0))
                .build()
                .expect("key set");
            items.push(TransactWriteItem::builder().delete(del).build());
        }
    }
    items.extend(extra);
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failure(&e) => Err(AppError::not_found(format!("user {}", user.uid))),
        Err(e) => Err(e.into()),
    }
}

/// One console page of accounts: GSI1 `USERS` in id order, or with `nickname` the GSI2
/// nickname index (prefix, case-insensitive, hidden names included). ONE Query of
/// `offset + limit` items (the caller caps it), the first `offset` skipped; whether more follow.
pub async fn user_page(db: &Db, nickname: Option<&str>, offset: usize, limit: usize) -> AppResult<(Vec<User>, bool)> {
    let q = db.client.query().table_name(&db.table).limit((offset + limit) as i32);
    let q = match nickname.map(|n| n.trim().to_lowercase()).filter(|n| !n.is_empty()) {
        Some(lower) => {
            let first = lower.chars().next().expect("not empty");
            q.index_name(super::GSI2)
                .key_condition_expression("gsi2pk = :p AND begins_with(gsi2sk, :pre)")
                .expression_attribute_values(":p", super::s(super::keys::nick_pk(first)))
                .expression_attribute_values(":pre", super::s(lower))
        }
        None => q
            .index_name(super::GSI1)
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", super::s("USERS")),
    };
    let out = q.send().await?;
    let more = out.last_evaluated_key.is_some();
    let users = out.items().iter().skip(offset).filter_map(super::users::from_item).collect();
    Ok((users, more))
}

/// Which of `uids` (≤ 100) are online (a live connection, not "appear offline"): ONE
/// BatchGetItem of their presence items (store/connections.rs `is_online` per user).
pub async fn online_of(db: &Db, uids: &[UserId]) -> AppResult<std::collections::HashSet<UserId>> {
    if uids.is_empty() {
        return Ok(Default::default());
    }
    let keys = uids
        .iter()
        .map(|u| {
            let (pk, sk) = super::keys::presence(*u);
            Db::key(pk, sk)
        })
        .collect();
    let items = super::batch_get(db, keys).await?;
    Ok(items
        .iter()
        .filter(|it| !it.strings("c").is_empty() && it.i64("onlineState") != Some(0))
        .filter_map(|it| it.str("pk")?.strip_prefix("USER#")?.parse().ok().map(UserId))
        .collect())
}
