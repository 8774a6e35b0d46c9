//! Users and their profile, settings and privacy choices: typed values, no DynamoDB, no JSON.

use crate::domain::secrets::md5_hex;
use crate::ids::{LoginName, Telephone, UserId};

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub nickname: String,
    pub password_hash: String,
    pub telephone: Option<Telephone>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub role: Role,
    pub profile: Profile,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Role {
    #[default]
    User,
    /// May change server configuration (`/config/set`, version data).
    Operator,
}

/// Optional profile fields shared by the dialects.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub sex: Option<i64>,
    pub birthday: Option<i64>,
    pub description: Option<String>,
    pub country_id: Option<i64>,
    pub province_id: Option<i64>,
    pub city_id: Option<i64>,
    pub area_id: Option<i64>,
    pub user_type: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub uid: UserId,
    pub nickname: String,
    pub password_hash: String,
    pub telephone: Option<Telephone>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub role: Role,
    pub profile: Profile,
    pub avatar: Option<String>,
    pub created_at: i64,
}

impl NewUser {
    pub fn login_names(&self) -> Vec<LoginName> {
        let mut v = vec![];
        if let Some(t) = &self.telephone {
            v.push(LoginName::PhoneMd5(md5_hex(&t.full())));
            v.push(LoginName::Phone(t.clone()));
        }
        if let Some(e) = &self.email {
            v.push(LoginName::Email(e.clone()));
        }
        if let Some(u) = &self.username {
            v.push(LoginName::Username(u.clone()));
        }
        v
    }
}

/// A user as one viewer sees it: the input of every dialect's user view. What the viewer may
/// see (`phone`) is decided by the privacy rule (shared::privacy), never by a view.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    pub user: &'a User,
    /// The resolved (presigned) avatar link, if any.
    pub avatar_url: Option<&'a str>,
    /// Last profile change (ms), `created_at` when never changed.
    pub updated_at: i64,
    /// The viewer may see the telephone (Minxing: and the email).
    pub phone: bool,
    /// The viewer is the user.
    pub is_self: bool,
}

/// Age in whole years of a birthday (epoch seconds) at `now_secs`; never negative.
pub fn age(birthday_secs: i64, now_secs: i64) -> i64 {
    ((now_secs - birthday_secs) / (365 * 86_400 + 86_400 / 4)).max(0)
}
