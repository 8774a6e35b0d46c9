//! Minxing JSON shapes rendered by more than one function (users, groups).

pub mod chat;
pub mod relations;
pub mod rooms;
pub mod users;

use crate::privacy::Seen;
use crate::store::users::User;
use crate::store::{Item, ItemExt};
use serde_json::{json, Value};

/// The single network every account belongs to (functions/org).
pub const NETWORK_ID: i64 = 1;

pub fn gender_name(sex: Option<i64>) -> &'static str {
    match sex {
        Some(1) => "male",
        Some(0) => "female",
        _ => "",
    }
}

/// A user as Minxing clients read it, from the profile `item` and its parsed `u`: telephone
/// and email only as `seen` allows (shared::privacy).
pub fn user_json(item: &Item, u: &User, avatar_url: Option<&str>, seen: &Seen) -> Value {
    let contact = seen.phone(item);
    let phone = u.telephone.as_ref().filter(|_| contact).map(|t| t.number.clone());
    let email = u.email.clone().filter(|_| contact);
    let login_name =
        u.username.clone().or_else(|| email.clone()).or_else(|| phone.clone()).unwrap_or_else(|| u.uid.to_string());
    json!({
        "id": u.uid.0,
        "name": u.nickname,
        "login_name": login_name,
        "email": email,
        "cellvoice1": phone,
        "phone": phone,
        "avatar_url": avatar_url,
        "gender": gender_name(u.profile.sex),
        "signature": u.profile.description.clone().unwrap_or_default(),
        "birthday": u.profile.birthday.map(|b| b * 1000),
        "network_id": NETWORK_ID,
        "created_at": u.created_at,
        "updated_at": item.i64("updatedAt").unwrap_or(u.created_at),
    })
}
