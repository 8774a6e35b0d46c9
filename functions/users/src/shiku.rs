//! Shiku: profiles (`/user/get`, `/user/update`, search), settings, presence,
//! reports, push channel, WeChat binding, favourites, nearby and key pairs.

use crate::crypto;
use serde_json::{json, Value};
use shared::dialects::shiku::users::{favorite_json, settings_json};
use shared::domain::favorites::EMOJI;
use shared::domain::keypairs::{KeyPair, Kind};
use shared::domain::settings::{Change, DURATIONS, FLAGS};
use shared::domain::users::{Edit, Report};
use shared::http::Call;
use shared::ids::LoginName;
use shared::privacy::Seen;
use shared::services::favorites::{self, NewFavorite};
use shared::services::profiles::{self, check, Card};
use shared::services::{keys, settings};
use shared::{AppError, AppResult, Params, Reply, UserId};

/// Shiku's User entity (shared::dialects::shiku::users) as `seen`'s viewer may see it.
pub(crate) fn user_json(v: &Card, seen: &Seen, now_secs: i64) -> Value {
    shared::dialects::shiku::users::user_json(&v.shown(seen), v.location_for(seen), now_secs)
}

/// A user id parameter, or the caller when absent.
pub(crate) fn uid_or_me(p: &Params, name: &str, me: UserId) -> AppResult<UserId> {
    match p.str(name)? {
        Some(v) => UserId::parse(name, &v),
        None => Ok(me),
    }
}

pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let uid = uid_or_me(&c.params, "userId", me)?;
    let (v, seen, st, wallet) = if uid == me {
        // Seed 001 `money`/`moneyTotal` (issue 14): one's own wallet, read in the profile's
        // BatchGetItem (no extra call); others' profiles carry neither.
        let (v, seen, st, w) = profiles::view_own(c.ctx, me).await?;
        (v, seen, st, Some(w))
    } else {
        let (v, seen, st) = profiles::view_with_settings(c.ctx, me, uid).await?;
        (v, seen, st, None)
    };
    let mut o = user_json(&v, &seen, c.ctx.now_secs());
    o["settings"] = settings_json(&st);
    for (k, val) in wallet.iter().flat_map(shared::dialects::shiku::wallet::money_fields) {
        o[k] = val;
    }
    if uid == me {
        // Seed 001 `company`/`companyId`: one's own first company (null / 0 if none), read
        // for one's own profile only (GSI1 Query, + BatchGet if any); others' profiles keep
        // their 2-call budget and show none.
        let company = shared::services::org::first_company(c.ctx, me).await?;
        o["companyId"] = json!(company.as_ref().map(|x| x.id.0).unwrap_or(0));
        o["company"] = company.map_or(Value::Null, |x| shared::dialects::shiku::org::company_json(&x, None));
    }
    Ok(Reply::data(o))
}

/// Parse the editable profile fields shared by `/user/update` (location included).
fn edit_from(c: &Call<'_>) -> AppResult<Edit> {
    let p = &c.params;
    Ok(Edit {
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
        user_type: None,
    })
}

/// Partial update: absent fields stay. `telephone`/`userType` are not changed
/// here (login names and account types have their own flows). Returns the User.
pub async fn update(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let edit = edit_from(c)?;
    let v = profiles::edit(c.ctx, me, &edit).await?;
    Ok(Reply::data(user_json(&v, &Seen::own_only(me), c.ctx.now_secs())))
}

/// Exact telephone (any form Shiku login accepts) or username. Accounts that
/// turned `phoneSearch` off are not found by telephone (except by themselves).
/// Telephone lookups (plain or md5, found or not) use the caller's allowance
/// (services::profiles::find_login) first.
pub async fn get_by_account(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let name = LoginName::guess(&c.params.req_str("account")?, c.params.str("areaCode")?.as_deref())
        .map_err(|_| AppError::AccountNotFound)?;
    let uid = profiles::find_login(c.ctx, me, &name).await?.ok_or(AppError::AccountNotFound)?;
    let (v, seen) = profiles::view(c.ctx, me, uid).await.map_err(|e| {
        if matches!(e, AppError::NotFound(_)) {
            AppError::AccountNotFound
        } else {
            e
        }
    })?;
    if !profiles::reachable(me, &name, &v) {
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
    pub(crate) fn keep(&self, v: &Card) -> bool {
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
    let mut out: Vec<Card> = vec![];
    match nickname {
        Some(nick) => {
            let mut views = profiles::search(c.ctx, &nick).await?;
            views.retain(|v| cursor.is_none_or(|cur| v.user.uid < cur) && f.keep(v));
            views.sort_by_key(|v| std::cmp::Reverse(v.user.uid));
            views.truncate(size);
            out = views;
        }
        None => {
            let mut before = cursor;
            for _ in 0..3 {
                let (views, more) = profiles::newest(c.ctx, before, size as i32).await?;
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
    let st = settings::get(c.ctx, uid).await?;
    Ok(Reply::data(settings_json(&st)))
}

pub(crate) fn settings_change(c: &Call<'_>) -> AppResult<Change> {
    let p = &c.params;
    let mut ch = Change::default();
    for (k, _) in FLAGS {
        if let Some(v) = p.i64(k)? {
            ch.set_flag(k, v)?;
        }
    }
    for (k, _) in DURATIONS {
        if let Some(v) = p.f64(k)? {
            ch.set_duration(k, v)?;
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
    settings::update(c.ctx, me, &ch).await?;
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
    let (online, total) = profiles::presence_counts(c.ctx).await?;
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
    let on = profiles::online(c.ctx, uid).await?;
    Ok(Reply::data(json!(i32::from(on))))
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
    let text = check::text(p, "text", 500)?;
    profiles::report(c.ctx, &Report { reporter: me, to_user, room_id, reason, text }).await?;
    Ok(Reply::empty())
}

pub async fn channel_id(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let device = c.params.req_i64("device")?;
    if ![1, 2, 3, 4].contains(&device) {
        return Err(AppError::invalid("device", "3 = iOS, 4 = Android"));
    }
    let channel = check::req_text(&c.params, "channelId", 256)?;
    profiles::set_push_channel(c.ctx, me, device, &channel).await?;
    Ok(Reply::empty())
}

/// Stores the WeChat code; exchanging it for an openid needs the WeChat API,
/// which is not reachable from here (docs/dialects.md).
pub async fn bind_wx(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let code = check::req_text(&c.params, "code", 256)?;
    profiles::bind_wechat(c.ctx, me, &code).await?;
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
    keys::upload(c.ctx, me, &[k]).await?;
    Ok(Reply::empty())
}

pub async fn upload_pay_key(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mac = mac(c)?;
    let k = pair(c, me, Kind::Pay, "publicKey", "privateKey", Some(mac))?;
    keys::upload(c.ctx, me, &[k]).await?;
    Ok(Reply::empty())
}

pub async fn upload_single_key(c: &Call<'_>, kind: Kind) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mac = mac(c)?;
    let k = pair(c, me, kind, "publicKey", "privateKey", Some(mac))?;
    keys::upload(c.ctx, me, &[k]).await?;
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
    keys::upload(c.ctx, me, &pairs).await?;
    Ok(Reply::empty())
}

/// Only ever the caller's own key: the read is in the caller's partition, and the
/// ciphertext is bound to its owner.
pub async fn get_pay_private_key(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let asked = match c.params.str("userId")? {
        Some(v) => Some(UserId::parse("userId", &v)?),
        None => None,
    };
    let (k, sealed) = keys::own_private(c.ctx, me, asked, Kind::Pay).await?;
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
    let found = keys::public_keys(c.ctx, me, uids, Kind::Dh).await?;
    let list: Vec<Value> = found
        .into_iter()
        .map(|(u, k)| json!({"userId": u.0, "publicKey": k.public_key, "createTime": k.updated_at}))
        .collect();
    Ok(Reply::data(Value::Array(list)))
}

/// Add a favourite: `type` 1-6 (6 = emoji), `url` (or `msg` for text), optional
/// `roomJid`, `msgId`, `fileName`, `fileSize`. Answers the new `emojiId`.
pub async fn emoji_add(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = &c.params;
    let new = NewFavorite {
        kind: p.i64("type")?,
        url: check::text(p, "url", 2048)?,
        msg: check::text(p, "msg", 10_000)?,
        msg_id: check::text(p, "msgId", 128)?,
        room_jid: check::text(p, "roomJid", 128)?,
        file_name: check::text(p, "fileName", 256)?,
        file_size: p.i64("fileSize")?,
    };
    let f = favorites::add(c.ctx, me, new).await?;
    Ok(Reply::data(favorite_json(&f)))
}

pub(crate) fn page(c: &Call<'_>) -> AppResult<(usize, usize)> {
    let idx = c.params.i64_in("pageIndex", 0, 99, 0)? as usize;
    let size = c.params.i64_in("pageSize", 1, 100, 10)? as usize;
    Ok((idx * size, size))
}

pub async fn emoji_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let owner = uid_or_me(&c.params, "userId", me)?;
    let (skip, size) = page(c)?;
    let v = favorites::list(c.ctx, me, owner, Some(EMOJI), skip, size).await?;
    Ok(Reply::data(Value::Array(v.iter().map(favorite_json).collect())))
}

pub async fn collection_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let owner = uid_or_me(&c.params, "userId", me)?;
    let kind = c.params.i64("type")?.filter(|t| *t != 0);
    let (skip, size) = page(c)?;
    let v = favorites::list(c.ctx, me, owner, kind, skip, size).await?;
    Ok(Reply::data(Value::Array(v.iter().map(favorite_json).collect())))
}

/// `emojiId`: one id or a comma list; all are the caller's or nothing is deleted.
pub async fn emoji_delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let ids = c.params.list("emojiId")?;
    favorites::delete(c.ctx, me, &ids).await?;
    Ok(Reply::empty())
}
