//! SealTalk JSON view of a user (the one place a user is rendered in this dialect).

use crate::domain::users::User;
use crate::ids::{Telephone, UserId};
use serde_json::{json, Value};

/// Which fields an endpoint renders besides `{id, nickname, portraitUri}`.
#[derive(Debug, Clone, Copy)]
pub enum Fields<'a> {
    /// `/sealtalk/user/*`: `{id, nickname, portraitUri}`.
    Basic,
    /// `/sealtalk/friendship/*` and the blacklist: plus `region` and `phone`, "" unless
    /// the viewer may see the telephone (the telephone given here is the one shown).
    Contact(Option<&'a Telephone>),
}

/// A user; `u` None (no profile) renders "" fields. `portrait` is what `portraitUri` shows:
/// the presigned avatar link on the user endpoints, the stored avatar on the friendship ones.
pub fn user_json(uid: UserId, u: Option<&User>, portrait: Option<&str>, fields: Fields) -> Value {
    let mut o = json!({
        "id": uid.to_string(),
        "nickname": u.map(|u| u.nickname.clone()).unwrap_or_default(),
        "portraitUri": portrait.unwrap_or_default(),
    });
    if let Fields::Contact(phone) = fields {
        o["region"] = json!(phone.map(|t| t.area.clone()).unwrap_or_default());
        o["phone"] = json!(phone.map(|t| t.number.clone()).unwrap_or_default());
    }
    o
}
