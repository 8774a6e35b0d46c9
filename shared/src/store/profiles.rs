//! Profile reads and edits on USER#<uid>/PROFILE (created by `users::create`):
//! nickname search index (GSI2 `NICK#<first char>` / `<nickname lowercase>#<uid:012>`),
//! newest accounts (GSI1 `USERS`, descending), avatar, location (with the GEO
//! item of `geo.rs`), push channel ids, WeChat binding, reports.

use super::geo::{self, Point};
use super::settings::Settings;
use super::{n, s, Db, Item, ItemExt};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::Ctx;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use std::time::Duration;

pub use super::keys::PROFILE_SK as SK;
/// Presigned avatar links stay valid this long (clients cache avatars by URL).
pub const AVATAR_URL_TTL: Duration = Duration::from_secs(24 * 3600);

pub use super::keys::nick_index;
use super::keys::{user_pk, SETTINGS_SK};

pub fn key(uid: UserId) -> Item {
    Db::key(user_pk(uid), SK)
}

pub use crate::domain::users::{Edit, Report, UserProfile};

/// The profile of an item (None when it is not a profile).
pub fn from_item(it: &Item) -> Option<UserProfile> {
    let user = super::users::from_item(it)?;
    let location = match (it.f64("latitude"), it.f64("longitude")) {
        (Some(lat), Some(lng)) => Some(Point { lat, lng }),
        _ => None,
    };
    Some(UserProfile {
        updated_at: it.i64("updatedAt").unwrap_or(user.created_at),
        location,
        shares_phone: it.bool("showPhone") != Some(false),
        hidden_from_phone_search: it.bool("hidePhone") == Some(true),
        user,
    })
}

/// [`from_item`], a malformed item being an internal error.
pub fn parse(it: &Item) -> AppResult<UserProfile> {
    from_item(it).ok_or_else(|| AppError::internal("malformed profile item"))
}

fn parse_all(items: &[Item]) -> AppResult<Vec<UserProfile>> {
    items.iter().map(parse).collect()
}

pub async fn get(db: &Db, uid: UserId) -> AppResult<Option<UserProfile>> {
    db.get(user_pk(uid), SK).await?.as_ref().map(parse).transpose()
}

/// Profile and settings of one user in one BatchGetItem.
pub async fn get_with_settings(db: &Db, uid: UserId) -> AppResult<(Option<UserProfile>, Settings)> {
    let (p, st) = items_with_settings(db, uid).await?;
    Ok((p.as_ref().map(parse).transpose()?, super::settings::from_item(st.as_ref())))
}

async fn items_with_settings(db: &Db, uid: UserId) -> AppResult<(Option<Item>, Option<Item>)> {
    let items = super::batch_get(db, vec![key(uid), Db::key(user_pk(uid), SETTINGS_SK)]).await?;
    let (mut p, mut st) = (None, None);
    for it in items {
        match it.str("sk") {
            Some(SK) => p = Some(it),
            Some(SETTINGS_SK) => st = Some(it),
            _ => {}
        }
    }
    Ok((p, st))
}

/// Profiles of many users (⌈n/100⌉ BatchGetItem calls), in the order asked, unknown ids dropped.
pub async fn get_many(db: &Db, uids: &[UserId]) -> AppResult<Vec<Item>> {
    let mut seen = std::collections::HashSet::new();
    let keys: Vec<Item> = uids.iter().filter(|u| seen.insert(**u)).map(|u| key(*u)).collect();
    let items = super::batch_get(db, keys).await?;
    let mut by_id: std::collections::HashMap<i64, Item> =
        items.into_iter().filter_map(|it| Some((it.i64("uid")?, it))).collect();
    Ok(uids.iter().filter_map(|u| by_id.remove(&u.0)).collect())
}

/// [`get_many`] as profiles.
pub async fn get_profiles(db: &Db, uids: &[UserId]) -> AppResult<Vec<UserProfile>> {
    parse_all(&get_many(db, uids).await?)
}

/// Apply an edit to an existing profile and return the new profile item.
/// Without a location: one UpdateItem (ALL_NEW). With a location: one
/// TransactWriteItems (profile + GEO item) and one GetItem.
pub async fn update(db: &Db, uid: UserId, now_ms: i64, e: &Edit) -> AppResult<UserProfile> {
    update_with(db, uid, now_ms, e, vec![]).await
}

/// [`update`] with the caller's `extra` items (e.g. the console's audit entry) in its
/// transaction: with `extra` or a location, one TransactWriteItems and one GetItem.
pub async fn update_with(
    db: &Db,
    uid: UserId,
    now_ms: i64,
    e: &Edit,
    extra: Vec<TransactWriteItem>,
) -> AppResult<UserProfile> {
    if e.is_empty() {
        return Err(AppError::missing("nickname"));
    }
    let mut sets = vec!["updatedAt = :now".to_string()];
    let mut vals: Vec<(&str, AttributeValue)> = vec![(":now", n(now_ms))];
    if let Some(nick) = &e.nickname {
        sets.push("nickname = :nick".into());
        vals.push((":nick", s(nick)));
        if let Some((p, k)) = nick_index(nick, uid) {
            sets.push("gsi2pk = :g2p, gsi2sk = :g2s".into());
            vals.push((":g2p", s(p)));
            vals.push((":g2s", s(k)));
        }
    }
    if let Some(d) = &e.description {
        sets.push("description = :desc".into());
        vals.push((":desc", s(d)));
    }
    for (attr, ph, v) in [
        ("sex", ":sex", e.sex),
        ("birthday", ":bd", e.birthday),
        ("countryId", ":cty", e.country_id),
        ("provinceId", ":prv", e.province_id),
        ("cityId", ":city", e.city_id),
        ("areaId", ":area", e.area_id),
        ("userType", ":ut", e.user_type),
    ] {
        if let Some(v) = v {
            sets.push(format!("{attr} = {ph}"));
            vals.push((ph, n(v)));
        }
    }
    if let Some(a) = &e.avatar {
        sets.push("avatar = :av".into());
        vals.push((":av", s(a)));
    }
    if let Some(p) = e.location {
        sets.push("latitude = :lat, longitude = :lng, locatedAt = :now".into());
        vals.push((":lat", n(p.lat)));
        vals.push((":lng", n(p.lng)));
    }
    let expr = format!("SET {}", sets.join(", "));
    let not_found = || AppError::not_found(format!("user {uid}"));
    match e.location {
        None if extra.is_empty() => {
            let mut u = db
                .client
                .update_item()
                .table_name(&db.table)
                .set_key(Some(key(uid)))
                .update_expression(expr)
                .condition_expression("attribute_exists(pk)")
                .return_values(ReturnValue::AllNew);
            for (k, v) in vals {
                u = u.expression_attribute_values(k, v);
            }
            match u.send().await {
                Ok(out) => parse(&out.attributes.ok_or_else(|| AppError::internal("no attributes returned"))?),
                Err(err) if err.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                    Err(not_found())
                }
                Err(err) => Err(err.into()),
            }
        }
        location => {
            let mut u = Update::builder()
                .table_name(&db.table)
                .set_key(Some(key(uid)))
                .update_expression(expr)
                .condition_expression("attribute_exists(pk)");
            for (k, v) in vals {
                u = u.expression_attribute_values(k, v);
            }
            let mut items = vec![TransactWriteItem::builder().update(u.build().expect("set")).build()];
            if let Some(p) = location {
                let put = Put::builder()
                    .table_name(&db.table)
                    .set_item(Some(geo::item(uid, p, now_ms / 1000)))
                    .build()
                    .expect("set");
                items.push(TransactWriteItem::builder().put(put).build());
            }
            items.extend(extra);
            let r = db.client.transact_write_items().set_transact_items(Some(items)).send().await;
            match r {
                Ok(_) => get(db, uid).await?.ok_or_else(not_found),
                Err(err) if super::is_condition_failure(&err) => Err(not_found()),
                Err(err) => Err(err.into()),
            }
        }
    }
}

/// Accounts whose nickname starts with `prefix` (case-insensitive): one Query
/// page of GSI2 (up to 1 MB, in nickname order). Accounts that turned
/// `nameSearch` off (`hideName`) are left out.
pub async fn search_nickname(db: &Db, prefix: &str) -> AppResult<Vec<Item>> {
    let lower = prefix.trim().to_lowercase();
    let Some(first) = lower.chars().next() else {
        return Ok(vec![]);
    };
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .index_name(super::GSI2)
        .key_condition_expression("gsi2pk = :p AND begins_with(gsi2sk, :pre)")
        .expression_attribute_values(":p", s(super::keys::nick_pk(first)))
        .expression_attribute_values(":pre", s(&lower))
        .send()
        .await?;
    Ok(out.items.unwrap_or_default().into_iter().filter(|it| it.bool("hideName") != Some(true)).collect())
}

/// [`search_nickname`] as profiles.
pub async fn search(db: &Db, prefix: &str) -> AppResult<Vec<UserProfile>> {
    parse_all(&search_nickname(db, prefix).await?)
}

/// Accounts newest first (GSI1 `USERS` descending), strictly older than `before`.
/// One Query page of at most `limit` items.
pub async fn newest(db: &Db, before: Option<UserId>, limit: i32) -> AppResult<(Vec<UserProfile>, bool)> {
    let mut q = db
        .client
        .query()
        .table_name(&db.table)
        .index_name(super::GSI1)
        .scan_index_forward(false)
        .limit(limit)
        .expression_attribute_values(":p", s("USERS"));
    q = match before {
        Some(b) => q
            .key_condition_expression("gsi1pk = :p AND gsi1sk < :b")
            .expression_attribute_values(":b", s(format!("{:012}", b.0))),
        None => q.key_condition_expression("gsi1pk = :p"),
    };
    let out = q.send().await?;
    let more = out.last_evaluated_key.is_some();
    Ok((parse_all(out.items())?, more))
}

/// Store a push channel id per device type (Shiku `/user/channelId/set`: 3 = iOS, 4 = Android).
pub async fn set_channel(db: &Db, uid: UserId, now_ms: i64, device: i64, channel: &str) -> AppResult<()> {
    set_attrs(db, uid, &[(&format!("pushChannel{device}"), s(channel)), ("pushChannelAt", n(now_ms))]).await
}

/// Store a WeChat authorisation code (no WeChat API is reachable to exchange it for an openid).
pub async fn set_wx_code(db: &Db, uid: UserId, now_ms: i64, code: &str) -> AppResult<()> {
    set_attrs(db, uid, &[("wxCode", s(code)), ("wxBoundAt", n(now_ms))]).await
}

async fn set_attrs(db: &Db, uid: UserId, attrs: &[(&str, AttributeValue)]) -> AppResult<()> {
    let sets: Vec<String> = (0..attrs.len()).map(|i| format!("#a{i} = :v{i}")).collect();
    let mut u = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(key(uid)))
        .update_expression(format!("SET {}", sets.join(", ")))
        .condition_expression("attribute_exists(pk)");
    for (i, (k, v)) in attrs.iter().enumerate() {
        u = u.expression_attribute_names(format!("#a{i}"), *k).expression_attribute_values(format!(":v{i}"), v.clone());
    }
    match u.send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
            Err(AppError::not_found(format!("user {uid}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// A report about a user or a room: REPORT#<day> / <ts>#<id> (one partition per day
/// keeps the operator's review list a Query per day).
pub async fn put_report(db: &Db, now_ms: i64, r: &Report) -> AppResult<String> {
    let id = format!("{now_ms:015}#{:08x}", rand::random::<u32>());
    let mut it = Db::key(format!("REPORT#{}", now_ms / 86_400_000), &id);
    it.insert("reporter".into(), n(r.reporter.0));
    it.insert("reason".into(), n(r.reason));
    it.insert("createdAt".into(), n(now_ms));
    if let Some(u) = r.to_user {
        it.insert("toUserId".into(), n(u.0));
    }
    if let Some(room) = &r.room_id {
        it.insert("roomId".into(), s(room));
    }
    if let Some(t) = &r.text {
        it.insert("text".into(), s(t));
    }
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(id)
}

/// A loadable avatar URL: absolute URLs as stored, S3 keys presigned (no network call).
pub async fn avatar_url(ctx: &Ctx, stored: Option<&str>) -> Option<String> {
    let raw = stored.filter(|v| !v.is_empty())?;
    if raw.starts_with("http://") || raw.starts_with("https://") {
        return Some(raw.to_string());
    }
    ctx.objects.presign_get(raw, AVATAR_URL_TTL).await.ok()
}

/// Record a nickname/avatar change for live delivery: ONE item (`ev = "profile"`,
/// ttl one day) that the delivery function fans out to the user's followers and
/// friends — the writer needs no per-fan writes and no `@connections` access.
pub async fn record_change_event(db: &Db, uid: UserId, frame: &serde_json::Value, now_ms: i64) -> AppResult<()> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut it = Db::key(user_pk(uid), super::keys::profile_event_sk(now_ms, &id));
    it.insert("ev".into(), crate::store::s("profile"));
    it.insert("uid".into(), crate::store::n(uid.0));
    it.insert("frame".into(), crate::store::s(frame.to_string()));
    it.insert("ttl".into(), crate::store::n(now_ms / 1000 + 86_400));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nickname_index_keys() {
        assert_eq!(nick_index(" Alice ", UserId(10000001)), Some(("NICK#a".into(), "alice#000010000001".into())));
        assert_eq!(nick_index("张三", UserId(5)).unwrap().0, "NICK#张");
        assert_eq!(nick_index("  ", UserId(5)), None);
    }
}
