//! Shiku JSON views of the operator console (`/console/*`): the User entity as the console
//! sees it (telephone and login names included, `status` and `onlinestate` real).

use crate::domain::users::{Shown, User};
use serde_json::{json, Value};

/// Shiku's User entity for an operator: the user view (dialects/shiku/users.rs) with the
/// telephone, the account name, `status` (1 enabled, 0 disabled) and `onlinestate` (1/0).
pub fn console_user_json(user: &User, online: bool, now_secs: i64) -> Value {
    let shown = Shown { user, avatar_url: None, updated_at: user.created_at, phone: true, is_self: true };
    let mut o = super::users::user_json(&shown, None, now_secs);
    o["status"] = json!(if user.disabled { 0 } else { 1 });
    o["onlinestate"] = json!(i64::from(online));
    o["role"] = json!(if user.role == crate::domain::users::Role::Operator { "operator" } else { "user" });
    o
}

/// The console login answer.
pub fn console_login_json(user: &User, token: &str, ttl: i64) -> Value {
    json!({"access_token": token, "expires_in": ttl, "userId": user.uid.0, "nickname": user.nickname, "console": 1})
}
