//! Shiku: `/user/register`, `/user/login`, `/user/login/auto`, `/user/logout`, `/verify/telephone`.

use serde_json::json;
use shared::auth::{canonical_password, source_ip};
use shared::domain::sessions::{IpKind, Issued, SerialMatch, SHIKU_TTL};
use shared::domain::users::{NewUser, Profile, User};
use shared::http::Call;
use shared::ids::{LoginName, Telephone, UserId};
use shared::services::{accounts, sessions};
use shared::{AppError, AppResult, Reply};

pub async fn register(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let phone = Telephone::parse(p.str("areaCode")?.as_deref(), &p.req_str("telephone")?)?;
    let password = canonical_password(c.dialect, &p.req_str("password")?)?;
    let nickname = p.str_max("nickname", 64)?.ok_or_else(|| AppError::missing("nickname"))?;
    let user_type = p.i64("userType")?;
    if user_type.is_some_and(|t| ![0, 1, 2].contains(&t)) {
        return Err(AppError::invalid("userType", "must be 0, 1 or 2"));
    }
    let sex = p.i64("sex")?;
    if sex.is_some_and(|s| ![0, 1].contains(&s)) {
        return Err(AppError::invalid("sex", "must be 0 or 1"));
    }
    let profile = Profile {
        sex,
        birthday: p.i64("birthday")?,
        description: p.str_max("description", 256)?,
        country_id: p.i64("countryId")?,
        province_id: p.i64("provinceId")?,
        city_id: p.i64("cityId")?,
        area_id: p.i64("areaId")?,
        user_type,
    };
    let serial = serial(c)?;
    // Last check before writing: a code is used up only by an otherwise valid request.
    crate::codes::shiku_register_code_check(c, &phone).await?;
    let new = NewUser { nickname, telephone: Some(phone), profile, ..Default::default() };
    let user = accounts::register(c.ctx, &source_ip(&c.req), new, password).await?;
    let issued = sessions::issue(c.ctx, user.uid, SHIKU_TTL, serial).await?;
    Ok(Reply::data(session_view(&user, &issued)))
}

/// `serial` identifies the device for `/user/login/auto`.
fn serial(c: &Call<'_>) -> AppResult<Option<String>> {
    c.params.str_max("serial", 128)
}

/// The token answer register and login share.
fn session_view(user: &User, issued: &Issued) -> serde_json::Value {
    json!({
        "access_token": issued.token,
        "expires_in": SHIKU_TTL,
        "nickname": user.nickname,
        "userId": user.uid.0,
    })
}

pub async fn login(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    // Seed 001: `telephone` "MD5-encrypted": of the number alone or with its area code.
    let name = LoginName::guess(&p.req_str("telephone")?, p.str("areaCode")?.as_deref())?.or_bare();
    let canonical = canonical_password(c.dialect, &p.req_str("password")?)?;
    let serial = serial(c)?;
    let (user, issued) = sessions::login(c.ctx, &source_ip(&c.req), &name, canonical, SHIKU_TTL, serial).await?;
    let mut out = session_view(&user, &issued);
    // Seed 001: the first company the user works for, 0 if none (GSI1 Query, + BatchGet if any).
    let company = shared::services::org::first_company(c.ctx, user.uid).await?;
    out["companyId"] = json!(company.map(|x| x.id.0).unwrap_or(0));
    out["login"] = json!({
        "isFirstLogin": 0,
        "loginTime": c.ctx.now_secs(),
        "latitude": p.f64("latitude")?.unwrap_or(0.0),
        "longitude": p.f64("longitude")?.unwrap_or(0.0),
    });
    Ok(Reply::data(out))
}

/// Reports whether the token still works and whether the device changed;
/// an unknown or expired token is an answer here, not an error.
pub async fn login_auto(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let token = p.req_str("access_token")?;
    let uid = p.req_i64("userId")?;
    let serial = p.str("serial")?;
    let check = sessions::check_device(c.ctx, &token, UserId(uid), serial.as_deref()).await?;
    let serial_status = match check.serial {
        SerialMatch::Unknown => 1,
        SerialMatch::Same => 2,
        SerialMatch::Other => 3,
    };
    Ok(Reply::data(json!({"serialStatus": serial_status, "tokenExists": i32::from(check.live)})))
}

pub async fn logout(c: &Call<'_>) -> AppResult<Reply> {
    let sess = c.session().await?;
    shared::auth::logout(c.ctx, &sess).await?;
    Ok(Reply::empty())
}

/// Success means the number is free to register. Limited per source IP (an open
/// "does this account exist" answer).
pub async fn verify_telephone(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let phone = Telephone::parse(p.str("areaCode")?.as_deref(), &p.req_str("telephone")?)?;
    crate::ip_limit(c, IpKind::Exists).await?;
    match accounts::is_registered(c.ctx, &phone).await? {
        true => Err(AppError::AccountExists),
        false => Ok(Reply::empty()),
    }
}
