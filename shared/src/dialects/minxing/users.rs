//! Minxing JSON view of a user (the one place a user is rendered in this dialect).

use super::NETWORK_ID;
use crate::domain::users::Shown;
use serde_json::{json, Value};

pub fn gender_name(sex: Option<i64>) -> &'static str {
    match sex {
        Some(1) => "male",
        Some(0) => "female",
        _ => "",
    }
}

/// A user as Minxing clients read it: telephone and email only when `s.phone`
/// (shared::privacy).
pub fn user_json(s: &Shown) -> Value {
    let u = s.user;
    let phone = u.telephone.as_ref().filter(|_| s.phone).map(|t| t.number.clone());
    let email = u.email.clone().filter(|_| s.phone);
    let login_name =
        u.username.clone().or_else(|| email.clone()).or_else(|| phone.clone()).unwrap_or_else(|| u.uid.to_string());
    json!({
        "id": u.uid.0,
        "name": u.nickname,
        "login_name": login_name,
        "email": email,
        "cellvoice1": phone,
        "phone": phone,
        "avatar_url": s.avatar_url,
        "gender": gender_name(u.profile.sex),
        "signature": u.profile.description.clone().unwrap_or_default(),
        "birthday": u.profile.birthday.map(|b| b * 1000),
        "network_id": NETWORK_ID,
        "created_at": u.created_at,
        "updated_at": s.updated_at,
    })
}
