//! Minxing: `GET /api/v1/users/{user_id}` (also `current`) and
//! `POST /api/v1/users` (edit my account).

use serde_json::Value;
use shared::domain::users::Edit;
use shared::http::Call;
use shared::privacy::Seen;
use shared::services::profiles::{self, check, Card};
use shared::{AppError, AppResult, Params, Reply, UserId};

pub(crate) fn user_json(v: &Card, seen: &Seen) -> Value {
    shared::dialects::minxing::user_json(&v.shown(seen))
}

pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.path_param("user_id")?;
    let uid = if raw == "current" { me } else { UserId::parse("user_id", &raw)? };
    let (v, seen) = profiles::view(c.ctx, me, uid).await?;
    Ok(Reply::data(user_json(&v, &seen)))
}

/// `gender`: "male"/"female" or 1/0.
fn gender(p: &Params) -> AppResult<Option<i64>> {
    match p.str("gender")?.as_deref() {
        None => Ok(None),
        Some("male") | Some("1") => Ok(Some(1)),
        Some("female") | Some("0") => Ok(Some(0)),
        Some(_) => Err(AppError::invalid("gender", "male or female")),
    }
}

/// `birthday`: epoch milliseconds or `YYYY-MM-DD`.
fn birthday(c: &Call<'_>) -> AppResult<Option<i64>> {
    let raw = match c.params.str("birthday")? {
        None => return Ok(None),
        Some(r) => r,
    };
    let secs = if let Ok(ms) = raw.parse::<i64>() {
        ms / 1000
    } else {
        let parts: Vec<&str> = raw.split('-').collect();
        let bad = || AppError::invalid("birthday", "epoch milliseconds or YYYY-MM-DD");
        let [y, m, d] = parts.as_slice() else { return Err(bad()) };
        let (y, m, d): (i64, i64, i64) =
            (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1800..=9999).contains(&y) {
            return Err(bad());
        }
        days_from_civil(y, m, d) * 86_400
    };
    check::birthday("birthday", Some(secs), c.ctx.now_secs())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Edit my account: `name`, `signature` (or `description`), `gender`, `birthday`.
/// Login names (email, phone) are not changed here. Answers the updated user.
pub async fn update(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = &c.params;
    let signature = match p.str("signature")? {
        Some(s) => Some(s),
        None => p.str("description")?,
    };
    let edit = Edit {
        nickname: check::nickname("name", p.str("name")?, check::NICKNAME_MAX)?,
        description: check::nickname("signature", signature, check::DESCRIPTION_MAX)?,
        sex: gender(p)?,
        birthday: birthday(c)?,
        ..Default::default()
    };
    if edit.is_empty() {
        return Err(AppError::missing("name, signature, description, gender or birthday"));
    }
    let v = profiles::edit(c.ctx, me, &edit).await?;
    Ok(Reply::data(user_json(&v, &Seen::own_only(me))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
