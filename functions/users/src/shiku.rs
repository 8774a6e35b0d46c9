//! Shiku: profiles (`/user/get`, `/user/update`, search), settings, presence,
//! reports, push channel, WeChat binding, favourites, nearby and key pairs.

use crate::check;
use crate::{crypto, uid_or_me, View};
use serde_json::{json, Value};
use shared::http::Call;
use shared::ids::LoginName;
use shared::privacy::Seen;
use shared::store::favorites::{self, Favorite};
use shared::store::keypairs::{self, KeyPair, Kind};
use shared::store::settings::{self, Change};
use shared::store::{connections, conversations, lookups, profiles, users};
use shared::{AppError, AppResult, Reply, UserId};

/// Shiku's User entity (shared::dialects::shiku::users) as `seen`'s viewer may see it.
pub(crate) fn user_json(v: &View, seen: &Seen, now_secs: i64) -> Value {
    shared::dialects::shiku::users::user_json(&v.shown(seen), v.location_for(seen), now_secs)
}

pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let uid = uid_or_me(&c.params, "userId", me)?;
    let (v, seen, extra) = crate::profile_for(c.ctx, me, uid, vec![settings::key(uid)]).await?;
    let mut o = user_json(&v, &seen, c.ctx.now_secs());
    o["settings"] = settings::to_json(extra.first());
    Ok(Reply::data(o))
}

/// Parse the editable profile fields shared by `/user/update` (location included).
fn edit_from(c: &Call<'_>) -> AppResult<profiles::Edit> {
    let p = &c.params;
    Ok(profiles::Edit {
        nickname: check::nickname("nickname", p.str("nickname")?, check::NICKNAME_MAX)?,
        description: check::nickname("description", p.str("description")?, check::DESCRIPTION_MAX)?,
        sex: check::sex("sex", p.i64("sex")?)?,
        birthday: check::birthday("birthday", p.i64("birthday")?, c.ctx.now_secs())?,
        country_id: check::region_id(p, "countryId")?,
        province_id: check::region_id(p, "provinceId")?,
        city_id: check::region_id(p, "cityId")?,
        area_id: check::region_id(p, "areaId")?,
        avatar: None,
        location: check::location(p)?,
    })
}

/// Partial update: absent fields stay. `telephone`/`userType` are not changed
/// here (login names and account types have their own flows). Returns the User.
pub async fn update(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let edit = edit_from(c)?;
    let it = profiles::update(&c.ctx.db, me, c.ctx.now_ms(), &edit).await?;
    crate::propagate_profile(c.ctx, &edit, &it).await;
    let v = View::of(c.ctx, it).await?;
    Ok(Reply::data(user_json(&v, &Seen::own_only(me), c.ctx.now_secs())))
}

/// Exact telephone (any form Shiku login accepts) or username. Accounts that
/// turned `phoneSearch` off are not found by telephone (except by themselves).
/// Telephone lookups (plain or md5, found or not) use the caller's allowance
/// (store/lookups.rs) first.
pub async fn get_by_account(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let name = LoginName::guess(&c.params.req_str("account")?, c.params.str("areaCode")?.as_deref())
        .map_err(|_| AppError::AccountNotFound)?;
    let by_phone = matches!(name, LoginName::Phone(_) | LoginName::PhoneMd5(_));
    if by_phone {
        lookups::take(&c.ctx.db, me, c.ctx.now_secs()).await?;
    }
    let uid = users::find_login(&c.ctx.db, &name).await?.ok_or(AppError::AccountNotFound)?;
    let (v, seen, _) = crate::profile_for(c.ctx, me, uid, vec![]).await.map_err(|e| {
        if matches!(e, AppError::NotFound(_)) {
            AppError::AccountNotFound
        } else {
            e
        }
    })?;
    if by_phone && uid != me && !shared::services::accounts::found_by_phone(me, &v.item) {
        return Err(AppError::AccountNotFound);
    }
    Ok(Reply::data(user_json(&v, &seen, c.ctx.now_secs())))
}

pub(crate) struct Filters {
    sex: Option<i64>,
    /// Birthday bounds (epoch seconds) from minAge/maxAge.
    born_after: Option<i64>,
    born_before: Option<i64>,
}

pub(crate) fn filters(c: &Call<'_>) -> AppResult<Filters> {
    let p = &c.params;
    let sex = check::sex("sex", p.i64("sex")?)?;
    let year = 365 * 86_400 + 86_400 / 4;
    let now = c.ctx.now_secs();
    let min_age = p.i64("minAge")?.filter(|a| *a > 0);
    let max_age = p.i64("maxAge")?.filter(|a| *a > 0);
    for (n, a) in [("minAge", min_age), ("maxAge", max_age)] {
        if a.is_some_and(|a| a > 150) {
            return Err(AppError::invalid(n, "must be 0-150"));
        }
    }
    Ok(Filters { sex, born_before: min_age.map(|a| now - a * year), born_after: max_age.map(|a| now - (a + 1) * year) })
}

impl Filters {
    pub(crate) fn keep(&self, v: &View) -> bool {
        let p = &v.user.profile;
        if self.sex.is_some_and(|s| p.sex != Some(s)) {
            return false;
        }
        if self.born_before.is_some() || self.born_after.is_some() {
            let Some(b) = p.birthday else { return false };
            if self.born_before.is_some_and(|x| b > x) || self.born_after.is_some_and(|x| b < x) {
                return false;
            }
        }
        true
    }
}

/// `/user/query`: newest accounts first, `userId` = the last (smallest) id of the
/// previous page. With `nickname`: one Query of the nickname index (prefix,
/// case-insensitive). Without: Query pages of GSI1 `USERS` descending (at most 3
/// while filters leave the page short).
pub async fn query(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = &c.params;
    let size = p.i64_in("pageSize", 1, 100, 10)? as usize;
    let cursor = match p.str("userId")? {
        Some(v) => Some(UserId::parse("userId", &v)?),
        None => None,
    };
    let f = filters(c)?;
    let nickname = check::nickname("nickname", p.str("nickname")?, check::NICKNAME_MAX)?;
    let mut out: Vec<View> = vec![];
    match nickname {
        Some(nick) => {
            let items = profiles::search_nickname(&c.ctx.db, &nick).await?;
            let mut views = View::many(c.ctx, items).await?;
            views.retain(|v| cursor.is_none_or(|cur| v.user.uid < cur) && f.keep(v));
            views.sort_by_key(|v| std::cmp::Reverse(v.user.uid));
            views.truncate(size);
            out = views;
        }
        None => {
            let mut before = cursor;
            for _ in 0..3 {
                let (items, more) = profiles::newest(&c.ctx.db, before, size as i32).await?;
                let views = View::many(c.ctx, items).await?;
                before = views.last().map(|v| v.user.uid).or(before);
                out.extend(views.into_iter().filter(|v| f.keep(v)));
                if out.len() >= size || !more {
                    break;
                }
            }
            out.truncate(size);
        }
    }
    let (now, seen) = (c.ctx.now_secs(), Seen::own_only(me));
    Ok(Reply::data(Value::Array(out.iter().map(|v| user_json(v, &seen, now)).collect())).message("用户查询成功"))
}

pub async fn settings(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let uid = uid_or_me(&c.params, "userId", me)?;
    let (p, st) = profiles::get_with_settings(&c.ctx.db, uid).await?;
    if p.is_none() {
        return Err(AppError::not_found(format!("user {uid}")));
    }
    Ok(Reply::data(settings::to_json(st.as_ref())))
}

pub(crate) fn settings_change(c: &Call<'_>) -> AppResult<Change> {
    let p = &c.params;
    let mut ch = Change::default();
    for (k, _) in settings::FLAGS {
        if let Some(v) = p.i64(k)? {
            if ![0, 1].contains(&v) {
                return Err(AppError::invalid(k, "must be 0 or 1"));
            }
            ch.flags.push((k, v));
        }
    }
    for (k, _) in settings::DURATIONS {
        if let Some(v) = p.f64(k)? {
            if v != -1.0 && !(0.0..=36_500.0).contains(&v) {
                return Err(AppError::invalid(k, "days between 0 and 36500, or -1 for forever"));
            }
            ch.durations.push((k, v));
        }
    }
    if ch.is_empty() {
        return Err(AppError::missing("allowAtt"));
    }
    Ok(ch)
}

pub async fn settings_update(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let ch = settings_change(c)?;
    settings::update(&c.ctx.db, me, c.ctx.now_ms(), &ch).await?;
    Ok(Reply::empty())
}

/// Online/offline counts: live WebSocket connections (a counter kept on
/// connect/disconnect) against all accounts. `type` 1 online, 0 offline; absent: both.
pub async fn status_count(c: &Call<'_>) -> AppResult<Reply> {
    c.session().await?;
    let kind = c.params.i64("type")?;
    if kind.is_some_and(|t| ![0, 1].contains(&t)) {
        return Err(AppError::invalid("type", "must be 0 or 1"));
    }
    let (online, total) = connections::presence_counts(&c.ctx.db).await?;
    let now = c.ctx.now_secs();
    let entry = |t: i64| json!({"type": t, "count": if t == 1 { online } else { total - online }, "time": now});
    let list = match kind {
        Some(t) => vec![entry(t)],
        None => vec![entry(1), entry(0)],
    };
    Ok(Reply::data(Value::Array(list)))
}

/// `data` is the online state: 1 online (a live WebSocket connection), 0 not.
pub async fn online(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let uid = uid_or_me(&c.params, "userId", me)?;
    let (p, on) = tokio::join!(profiles::get(&c.ctx.db, uid), connections::is_online(&c.ctx.db, uid));
    if p?.is_none() {
        return Err(AppError::not_found(format!("user {uid}")));
    }
    Ok(Reply::data(json!(i32::from(on?))))
}

pub async fn report(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = &c.params;
    let reason = p.req_i64("reason")?;
    if !(0..=1000).contains(&reason) {
        return Err(AppError::invalid("reason", "not a reason id"));
    }
    let to_user = match p.str("toUserId")? {
        Some(v) => Some(UserId::parse("toUserId", &v)?),
        None => None,
    };
    let room_id = p.str("roomId")?;
    if to_user.is_none() && room_id.is_none() {
        return Err(AppError::missing("toUserId"));
    }
    if to_user == Some(me) {
        return Err(AppError::invalid("toUserId", "cannot report yourself"));
    }
    if let Some(u) = to_user {
        profiles::get(&c.ctx.db, u).await?.ok_or_else(|| AppError::not_found(format!("user {u}")))?;
    }
    if let Some(r) = &room_id {
        let found = conversations::valid_id(r) && conversations::get(&c.ctx.db, r).await?.is_some();
        if !found {
            return Err(AppError::not_found(format!("room {r}")));
        }
    }
    let rep = profiles::Report { reporter: me, to_user, room_id, reason, text: check::text(p, "text", 500)? };
    profiles::put_report(&c.ctx.db, c.ctx.now_ms(), &rep).await?;
    Ok(Reply::empty())
}

pub async fn channel_id(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let device = c.params.req_i64("device")?;
    if ![1, 2, 3, 4].contains(&device) {
        return Err(AppError::invalid("device", "3 = iOS, 4 = Android"));
    }
    let channel = check::req_text(&c.params, "channelId", 256)?;
    profiles::set_channel(&c.ctx.db, me, c.ctx.now_ms(), device, &channel).await?;
    Ok(Reply::empty())
}

/// Stores the WeChat code; exchanging it for an openid needs the WeChat API,
/// which is not reachable from here (docs/dialects.md).
pub async fn bind_wx(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let code = check::req_text(&c.params, "code", 256)?;
    profiles::set_wx_code(&c.ctx.db, me, c.ctx.now_ms(), &code).await?;
    Ok(Reply::empty())
}

/// Largest key text accepted (a 4096-bit RSA private key in PEM is ~3.3 KB).
const KEY_MAX: usize = 8192;

fn pair(c: &Call<'_>, me: UserId, kind: Kind, public: &str, private: &str, mac: Option<String>) -> AppResult<KeyPair> {
    let public_key = check::req_text(&c.params, public, KEY_MAX)?;
    let private_plain = check::req_text(&c.params, private, KEY_MAX)?;
    Ok(KeyPair {
        kind,
        public_key,
        private_sealed: Some(crypto::seal(me, kind.name(), &private_plain)?),
        mac,
        updated_at: c.ctx.now_ms(),
    })
}

fn mac(c: &Call<'_>) -> AppResult<String> {
    check::req_text(&c.params, "mac", 1024)
}

pub async fn upload_key(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let k = pair(c, me, Kind::User, "publicKey", "privateKey", None)?;
    keypairs::put(&c.ctx.db, me, &[k]).await?;
    Ok(Reply::empty())
}

pub async fn upload_pay_key(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mac = mac(c)?;
    let k = pair(c, me, Kind::Pay, "publicKey", "privateKey", Some(mac))?;
    keypairs::put(&c.ctx.db, me, &[k]).await?;
    Ok(Reply::empty())
}

pub async fn upload_single_key(c: &Call<'_>, kind: Kind) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mac = mac(c)?;
    let k = pair(c, me, kind, "publicKey", "privateKey", Some(mac))?;
    keypairs::put(&c.ctx.db, me, &[k]).await?;
    Ok(Reply::empty())
}

/// RSA pair (required) and DH pair (optional, both halves or neither) in one transaction.
pub async fn upload_msg_key(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mac = mac(c)?;
    let mut pairs = vec![pair(c, me, Kind::Rsa, "rsaPublicKey", "rsaPrivateKey", Some(mac.clone()))?];
    let has_dh = c.params.str("dhPublicKey")?.is_some() || c.params.str("dhPrivateKey")?.is_some();
    if has_dh {
        pairs.push(pair(c, me, Kind::Dh, "dhPublicKey", "dhPrivateKey", Some(mac))?);
    }
    keypairs::put(&c.ctx.db, me, &pairs).await?;
    Ok(Reply::empty())
}

/// Only ever the caller's own key: the read is in the caller's partition, and the
/// ciphertext is bound to its owner.
pub async fn get_pay_private_key(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    if let Some(v) = c.params.str("userId")? {
        if UserId::parse("userId", &v)? != me {
            return Err(AppError::forbidden("only your own private key"));
        }
    }
    let k = keypairs::get(&c.ctx.db, me, Kind::Pay).await?.ok_or_else(|| AppError::not_found("pay key"))?;
    let sealed = k.private_sealed.ok_or_else(|| AppError::not_found("pay key"))?;
    let private_key = crypto::open(me, Kind::Pay.name(), &sealed)?;
    Ok(Reply::data(json!({"privateKey": private_key, "publicKey": k.public_key, "mac": k.mac})))
}

/// DH public keys of the given users (`userId`, one or a comma list, default the caller).
/// One BatchGetItem; users without a DH key are left out.
pub async fn dh_key_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mut uids = vec![];
    for raw in c.params.list("userId")? {
        uids.push(UserId::parse("userId", &raw)?);
    }
    if uids.is_empty() {
        uids.push(me);
    }
    if uids.len() > 100 {
        return Err(AppError::invalid("userId", "at most 100 users"));
    }
    let found = keypairs::public_keys(&c.ctx.db, &uids, Kind::Dh).await?;
    let list: Vec<Value> = found
        .into_iter()
        .map(|(u, k)| json!({"userId": u.0, "publicKey": k.public_key, "createTime": k.updated_at}))
        .collect();
    Ok(Reply::data(Value::Array(list)))
}

fn favorite_json(f: &Favorite) -> Value {
    json!({
        "emojiId": f.id,
        "userId": f.owner.0,
        "type": f.kind,
        "url": f.url.clone().unwrap_or_default(),
        "msg": f.msg.clone().unwrap_or_default(),
        "msgId": f.msg_id.clone().unwrap_or_default(),
        "roomJid": f.room_jid.clone().unwrap_or_default(),
        "fileName": f.file_name.clone().unwrap_or_default(),
        "fileSize": f.file_size.unwrap_or(0),
        "createTime": f.created_at / 1000,
    })
}

/// Add a favourite: `type` 1-6 (6 = emoji), `url` (or `msg` for text), optional
/// `roomJid`, `msgId`, `fileName`, `fileSize`. Answers the new `emojiId`.
pub async fn emoji_add(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = &c.params;
    let kind = p.i64("type")?.unwrap_or(favorites::EMOJI);
    if !favorites::TYPES.contains(&kind) {
        return Err(AppError::invalid("type", "1 image, 2 video, 3 file, 4 voice, 5 text, 6 emoji"));
    }
    let url = check::text(p, "url", 2048)?;
    let msg = check::text(p, "msg", 10_000)?;
    if url.is_none() && msg.is_none() {
        return Err(AppError::missing("url"));
    }
    if let Some(u) = &url {
        if u.chars().any(char::is_whitespace) {
            return Err(AppError::invalid("url", "contains whitespace"));
        }
    }
    let file_size = p.i64("fileSize")?;
    if file_size.is_some_and(|s| s < 0) {
        return Err(AppError::invalid("fileSize", "negative"));
    }
    let now = c.ctx.now_ms();
    let f = Favorite {
        id: favorites::new_id(now, kind),
        owner: me,
        kind,
        url,
        msg,
        msg_id: check::text(p, "msgId", 128)?,
        room_jid: check::text(p, "roomJid", 128)?,
        file_name: check::text(p, "fileName", 256)?,
        file_size,
        created_at: now,
    };
    favorites::add(&c.ctx.db, &f).await?;
    Ok(Reply::data(favorite_json(&f)))
}

fn own_list_owner(c: &Call<'_>, me: UserId) -> AppResult<()> {
    if uid_or_me(&c.params, "userId", me)? != me {
        return Err(AppError::forbidden("favourites are private"));
    }
    Ok(())
}

pub(crate) fn page(c: &Call<'_>) -> AppResult<(usize, usize)> {
    let idx = c.params.i64_in("pageIndex", 0, 99, 0)? as usize;
    let size = c.params.i64_in("pageSize", 1, 100, 10)? as usize;
    Ok((idx * size, size))
}

pub async fn emoji_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    own_list_owner(c, me)?;
    let (skip, size) = page(c)?;
    let v = favorites::list(&c.ctx.db, me, Some(favorites::EMOJI), skip, size).await?;
    Ok(Reply::data(Value::Array(v.iter().map(favorite_json).collect())))
}

pub async fn collection_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    own_list_owner(c, me)?;
    let kind = c.params.i64("type")?.filter(|t| *t != 0);
    if kind.is_some_and(|t| !favorites::TYPES.contains(&t)) {
        return Err(AppError::invalid("type", "1-6"));
    }
    let (skip, size) = page(c)?;
    let v = favorites::list(&c.ctx.db, me, kind, skip, size).await?;
    Ok(Reply::data(Value::Array(v.iter().map(favorite_json).collect())))
}

/// `emojiId`: one id or a comma list; all are the caller's or nothing is deleted.
pub async fn emoji_delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let ids = c.params.list("emojiId")?;
    if ids.is_empty() {
        return Err(AppError::missing("emojiId"));
    }
    if ids.len() > 100 {
        return Err(AppError::invalid("emojiId", "at most 100 ids"));
    }
    favorites::delete_many(&c.ctx.db, me, &ids).await?;
    Ok(Reply::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn favourite_json_shape() {
        let f = Favorite {
            id: "x-6".into(),
            owner: UserId(7),
            kind: 6,
            url: Some("http://a/b.gif".into()),
            msg: None,
            msg_id: None,
            room_jid: None,
            file_name: None,
            file_size: None,
            created_at: 5000,
        };
        let j = favorite_json(&f);
        assert_eq!(
            (j["emojiId"].clone(), j["createTime"].clone(), j["msgId"].clone()),
            (json!("x-6"), json!(5), json!(""))
        );
    }
}
