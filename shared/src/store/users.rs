//! Accounts: USER#<id>/PROFILE plus one LOGIN#<name> item per login name
//! (telephone, md5 of area code + telephone, md5 of the bare telephone, email, username),
//! written in one transaction so a name can never point at a half-created account.

use super::{failed_conditions, is_condition_failure, n, s, Db, Item, ItemExt};
use crate::domain::secrets::md5_hex;
pub use crate::domain::users::{NewUser, Profile, Role, User};
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, Telephone, UserId};
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};

pub use super::keys::user_pk as pk;
use super::keys::{login_pk, user_counter, PROFILE_SK};

/// Shiku user ids start at 10000000 (10000 is reserved for the system account).
pub const FIRST_USER_ID: i64 = 10_000_000;

fn opt_n(it: &mut Item, k: &str, v: Option<i64>) {
    if let Some(v) = v {
        it.insert(k.into(), n(v));
    }
}

fn put_item(db: &Db, it: Item) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(&db.table)
                .set_item(Some(it))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .expect("table and item set"),
        )
        .build()
}

async fn next_user_id(db: &Db) -> AppResult<UserId> {
    let out = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some({
            let (pk, sk) = user_counter();
            Db::key(pk, sk)
        }))
        .update_expression("ADD v :one")
        .expression_attribute_values(":one", n(1))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await?;
    let v = out.attributes.as_ref().and_then(|a| a.i64("v")).ok_or_else(|| AppError::internal("counter"))?;
    Ok(UserId(FIRST_USER_ID + v))
}

/// Create an account; `AccountExists` if any of its login names is taken.
pub async fn create(db: &Db, now_ms: i64, new: NewUser) -> AppResult<User> {
    create_with(db, now_ms, new, vec![]).await
}

/// [`create`] with `extra` items in its transaction (the console's audit entry).
pub async fn create_with(db: &Db, now_ms: i64, new: NewUser, extra: Vec<TransactWriteItem>) -> AppResult<User> {
    let names = new.login_names();
    if names.is_empty() {
        return Err(AppError::missing("telephone"));
    }
    let uid = next_user_id(db).await?;
    let mut it = Db::key(pk(uid), PROFILE_SK);
    it.insert("uid".into(), n(uid.0));
    it.insert("nickname".into(), s(&new.nickname));
    it.insert("pwd".into(), s(&new.password_hash));
    it.insert("role".into(), s(if new.role == Role::Operator { "operator" } else { "user" }));
    it.insert("createdAt".into(), n(now_ms));
    // Directory of all accounts (Xuanxuan getChatUsers, admin user list), ordered by id.
    it.insert("gsi1pk".into(), s("USERS"));
    it.insert("gsi1sk".into(), s(format!("{:012}", uid.0)));
    // Nickname search (store/profiles.rs keeps it current on rename).
    if let Some((p, k)) = super::keys::nick_index(&new.nickname, uid) {
        it.insert("gsi2pk".into(), s(p));
        it.insert("gsi2sk".into(), s(k));
    }
    if let Some(t) = &new.telephone {
        it.insert("areaCode".into(), s(&t.area));
        it.insert("telephone".into(), s(&t.number));
    }
    if let Some(e) = &new.email {
        it.insert("email".into(), s(e));
    }
    if let Some(u) = &new.username {
        it.insert("username".into(), s(u));
    }
    let p = &new.profile;
    opt_n(&mut it, "sex", p.sex);
    opt_n(&mut it, "birthday", p.birthday);
    opt_n(&mut it, "countryId", p.country_id);
    opt_n(&mut it, "provinceId", p.province_id);
    opt_n(&mut it, "cityId", p.city_id);
    opt_n(&mut it, "areaId", p.area_id);
    opt_n(&mut it, "userType", p.user_type);
    if let Some(d) = &p.description {
        it.insert("description".into(), s(d));
    }
    let mut items = vec![put_item(db, it.clone())];
    items.extend(extra);
    for name in &names {
        let mut l = Db::key(login_pk(name), "LOGIN");
        l.insert("uid".into(), n(uid.0));
        items.push(match name {
            // md5(area code + number) takes the name from a bare-number item (below).
            LoginName::PhoneMd5(_) => login_put(db, l, "attribute_not_exists(pk) OR bare = :t", None),
            _ => put_item(db, l),
        });
    }
    // md5(number alone), as seed clients hash the telephone without the area code. The same
    // national number in two countries, or a number typed with its area code, can make it
    // someone else's: then this account goes without it (a retry, collisions only) — except
    // that an 86 number (Shiku's home, whose clients send the bare hash) takes it from an
    // account of another country, so nobody can squat a Chinese number's bare login by
    // registering the same digits elsewhere first.
    let bare = new.telephone.as_ref().map(|t| {
        let mut l = Db::key(login_pk(&LoginName::PhoneMd5(md5_hex(&t.number))), "LOGIN");
        l.insert("uid".into(), n(uid.0));
        l.insert("bare".into(), AttributeValue::Bool(true));
        l.insert("area".into(), s(&t.area));
        if t.area == HOME_AREA {
            login_put(
                db,
                l,
                "attribute_not_exists(pk) OR (bare = :t AND (attribute_not_exists(area) OR area <> :home))",
                Some(HOME_AREA),
            )
        } else {
            put_item(db, l)
        }
    });
    let bare_index = items.len();
    let with_bare: Vec<TransactWriteItem> = items.iter().cloned().chain(bare).collect();
    let first = db.client.transact_write_items().set_transact_items(Some(with_bare)).send().await;
    let result = match first {
        Err(e) if failed_conditions(&e).is_some_and(|f| f.len() == 1 && f[0].0 == bare_index) => {
            db.client.transact_write_items().set_transact_items(Some(items)).send().await
        }
        r => r,
    };
    match result {
        Ok(_) => Ok(from_item(&it).expect("item just built")),
        Err(e) if is_condition_failure(&e) => Err(AppError::AccountExists),
        Err(e) => Err(e.into()),
    }
}

/// The area code whose numbers own the bare-number md5 login (see `create`).
const HOME_AREA: &str = "86";

/// A login item put under `condition` (`:t` = true, `:home` = `home` when given).
fn login_put(db: &Db, it: Item, condition: &str, home: Option<&str>) -> TransactWriteItem {
    let mut put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(it))
        .condition_expression(condition)
        .expression_attribute_values(":t", AttributeValue::Bool(true));
    if let Some(h) = home {
        put = put.expression_attribute_values(":home", s(h));
    }
    let put = put.build().expect("table and item set");
    TransactWriteItem::builder().put(put).build()
}

/// The account of a login name (one GetItem). A bare-number md5 item answers only
/// [`LoginName::PhoneMd5OrBare`] (Shiku login), not the strict [`LoginName::PhoneMd5`].
pub async fn find_login(db: &Db, name: &LoginName) -> AppResult<Option<UserId>> {
    let it = db.get(login_pk(name), "LOGIN").await?;
    let it = it.filter(|it| matches!(name, LoginName::PhoneMd5OrBare(_)) || it.bool("bare") != Some(true));
    Ok(it.and_then(|it| it.i64("uid")).map(UserId))
}

pub async fn get(db: &Db, uid: UserId) -> AppResult<Option<User>> {
    Ok(db.get(pk(uid), PROFILE_SK).await?.as_ref().and_then(from_item))
}

pub async fn require(db: &Db, uid: UserId) -> AppResult<User> {
    get(db, uid).await?.ok_or_else(|| AppError::not_found(format!("user {uid}")))
}

pub fn from_item(it: &Item) -> Option<User> {
    let telephone = match (it.str("areaCode"), it.str("telephone")) {
        (Some(a), Some(t)) => Some(Telephone { area: a.to_string(), number: t.to_string() }),
        _ => None,
    };
    Some(User {
        uid: UserId(it.i64("uid")?),
        nickname: it.string("nickname"),
        password_hash: it.string("pwd"),
        telephone,
        email: it.str("email").map(str::to_string),
        username: it.str("username").map(str::to_string),
        role: if it.str("role") == Some("operator") { Role::Operator } else { Role::User },
        profile: Profile {
            sex: it.i64("sex"),
            birthday: it.i64("birthday"),
            description: it.str("description").map(str::to_string),
            country_id: it.i64("countryId"),
            province_id: it.i64("provinceId"),
            city_id: it.i64("cityId"),
            area_id: it.i64("areaId"),
            user_type: it.i64("userType"),
        },
        avatar: it.str("avatar").map(str::to_string),
        created_at: it.i64("createdAt").unwrap_or(0),
        disabled: it.bool("disabled") == Some(true),
    })
}

/// Accounts in id order, one page per Query (directory listings, no Scan).
pub async fn list_page(db: &Db, after: Option<UserId>, limit: i32) -> AppResult<Vec<User>> {
    let mut q = db
        .client
        .query()
        .table_name(&db.table)
        .index_name(super::GSI1)
        .key_condition_expression(if after.is_some() { "gsi1pk = :p AND gsi1sk > :a" } else { "gsi1pk = :p" })
        .expression_attribute_values(":p", s("USERS"))
        .limit(limit);
    if let Some(a) = after {
        q = q.expression_attribute_values(":a", s(format!("{:012}", a.0)));
    }
    let out = q.send().await?;
    Ok(out.items().iter().filter_map(from_item).collect())
}

/// Profiles of many users in ⌈n/100⌉ BatchGetItem calls (order not preserved).
pub async fn get_many(db: &Db, uids: &[UserId]) -> AppResult<Vec<User>> {
    let keys = uids.iter().map(|u| Db::key(pk(*u), PROFILE_SK)).collect();
    Ok(super::batch_get(db, keys).await?.iter().filter_map(from_item).collect())
}

/// Every account (directory listings): Query pages over GSI1 `USERS`.
pub async fn all(db: &Db) -> AppResult<Vec<User>> {
    let items = super::query_all(db, Some(super::GSI1), "USERS".into(), None, None).await?;
    Ok(items.iter().filter_map(from_item).collect())
}

/// A built-in account with a fixed id (the Shiku system account 10000): profile and
/// username only, no password (nobody can log in as it). Creating it again is a no-op.
pub async fn create_fixed(db: &Db, now_ms: i64, uid: UserId, nickname: &str, username: &str) -> AppResult<()> {
    create_fixed_with(db, now_ms, uid, nickname, username, vec![]).await.map(|_| ())
}

/// [`create_fixed`] with `extra` items in its transaction (the console's audit entry);
/// whether it was created (false: it existed, nothing written).
pub async fn create_fixed_with(
    db: &Db,
    now_ms: i64,
    uid: UserId,
    nickname: &str,
    username: &str,
    extra: Vec<TransactWriteItem>,
) -> AppResult<bool> {
    let mut it = Db::key(pk(uid), PROFILE_SK);
    it.insert("uid".into(), n(uid.0));
    it.insert("nickname".into(), s(nickname));
    it.insert("pwd".into(), s(""));
    it.insert("role".into(), s("user"));
    it.insert("createdAt".into(), n(now_ms));
    it.insert("username".into(), s(username));
    it.insert("gsi1pk".into(), s("USERS"));
    it.insert("gsi1sk".into(), s(format!("{:012}", uid.0)));
    let mut l = Db::key(login_pk(&LoginName::Username(username.to_string())), "LOGIN");
    l.insert("uid".into(), n(uid.0));
    let mut items = vec![put_item(db, it), put_item(db, l)];
    items.extend(extra);
    let r = db.client.transact_write_items().set_transact_items(Some(items)).send().await;
    match r {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Replace the stored password hash. With `expected`, only if the stored hash
/// is still that one (a change that raced another change fails with
/// `Conflict`); without, only if the account exists (`AccountNotFound`).
/// Store a new password hash with the caller's `extra` items (the console's audit entry) in
/// one TransactWriteItems. `AccountNotFound` when the account is gone.
pub async fn set_password_with(
    db: &Db,
    uid: UserId,
    new_hash: &str,
    now_ms: i64,
    extra: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
) -> AppResult<()> {
    use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
    let u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(uid), PROFILE_SK)))
        .update_expression("SET pwd = :new, pwdChangedAt = :now")
        .expression_attribute_values(":new", s(new_hash))
        .expression_attribute_values(":now", n(now_ms))
        .condition_expression("attribute_exists(pk)")
        .build()
        .expect("key and expression set");
    let mut items = vec![TransactWriteItem::builder().update(u).build()];
    items.extend(extra);
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failure(&e) => Err(AppError::AccountNotFound),
        Err(e) => Err(e.into()),
    }
}

pub async fn set_password(db: &Db, uid: UserId, expected: Option<&str>, new_hash: &str, now_ms: i64) -> AppResult<()> {
    let mut u = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(uid), PROFILE_SK)))
        .update_expression("SET pwd = :new, pwdChangedAt = :now")
        .expression_attribute_values(":new", s(new_hash))
        .expression_attribute_values(":now", n(now_ms));
    u = match expected {
        Some(old) => {
            u.condition_expression("attribute_exists(pk) AND pwd = :old").expression_attribute_values(":old", s(old))
        }
        None => u.condition_expression("attribute_exists(pk)"),
    };
    match u.send().await {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failure(&e) => Err(match expected {
            Some(_) => AppError::Conflict("password was changed meanwhile, try again".into()),
            None => AppError::AccountNotFound,
        }),
        Err(e) => Err(e.into()),
    }
}
