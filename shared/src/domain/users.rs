//! Users and their profile, settings and privacy choices: typed values, no DynamoDB, no JSON.

use crate::domain::geo::Point;
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
    /// Disabled by the operator console (`/console/updateUser` status 0, `/console/deleteUser`):
    /// its password logins fail and its tokens were revoked.
    pub disabled: bool,
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

/// A profile as stored: the account plus what reads of it need besides (last change,
/// location, the privacy choices mirrored onto it by a settings change).
#[derive(Debug, Clone)]
pub struct UserProfile {
    pub user: User,
    /// Last profile change (ms), `created_at` when never changed.
    pub updated_at: i64,
    /// The exact location: for the owner, and for measuring (never rendered to others).
    pub location: Option<Point>,
    /// `showTelephone`: friends may see the telephone (default on).
    pub shares_phone: bool,
    /// `phoneSearch` off: others cannot find the account by telephone.
    pub hidden_from_phone_search: bool,
}

impl UserProfile {
    /// The location as `viewer` may see it: exact for the owner, coarse for others.
    pub fn location_for(&self, viewer: UserId) -> Option<Point> {
        let p = self.location?;
        Some(if viewer == self.user.uid { p } else { p.coarse() })
    }

    /// Whether `viewer` may find this account by telephone: always themselves, others unless
    /// the owner turned `phoneSearch` off. Not found and hidden answer the same.
    pub fn found_by_phone(&self, viewer: UserId) -> bool {
        self.user.uid == viewer || !self.hidden_from_phone_search
    }
}

/// A partial profile edit; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct Edit {
    pub nickname: Option<String>,
    pub description: Option<String>,
    pub sex: Option<i64>,
    pub birthday: Option<i64>,
    pub country_id: Option<i64>,
    pub province_id: Option<i64>,
    pub city_id: Option<i64>,
    pub area_id: Option<i64>,
    /// An S3 key (`avatars/…`) or an absolute http(s) URL.
    pub avatar: Option<String>,
    pub location: Option<Point>,
    /// Account type (the operator console only; 1 normal).
    pub user_type: Option<i64>,
}

impl Edit {
    pub fn is_empty(&self) -> bool {
        self.nickname.is_none()
            && self.description.is_none()
            && self.sex.is_none()
            && self.birthday.is_none()
            && self.country_id.is_none()
            && self.province_id.is_none()
            && self.city_id.is_none()
            && self.area_id.is_none()
            && self.avatar.is_none()
            && self.location.is_none()
            && self.user_type.is_none()
    }

    /// Does the edit change what relations and live frames carry (nickname, avatar)?
    pub fn changes_card(&self) -> bool {
        self.nickname.is_some() || self.avatar.is_some()
    }
}

/// A report about a user or a room.
#[derive(Debug, Clone)]
pub struct Report {
    pub reporter: UserId,
    pub to_user: Option<UserId>,
    pub room_id: Option<String>,
    pub reason: i64,
    pub text: Option<String>,
}

/// Age in whole years of a birthday (epoch seconds) at `now_secs`; never negative.
pub fn age(birthday_secs: i64, now_secs: i64) -> i64 {
    ((now_secs - birthday_secs) / (365 * 86_400 + 86_400 / 4)).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(uid: i64, hidden: bool) -> UserProfile {
        let user = User {
            uid: UserId(uid),
            nickname: String::new(),
            password_hash: String::new(),
            telephone: None,
            email: None,
            username: None,
            role: Role::User,
            profile: Profile::default(),
            avatar: None,
            created_at: 0,
            disabled: false,
        };
        UserProfile {
            user,
            updated_at: 0,
            location: Some(Point { lat: 22.613, lng: 114.067 }),
            shares_phone: true,
            hidden_from_phone_search: hidden,
        }
    }

    #[test]
    fn phone_search_rule() {
        assert!(profile(2, false).found_by_phone(UserId(1)));
        assert!(!profile(2, true).found_by_phone(UserId(1)));
        assert!(profile(2, true).found_by_phone(UserId(2)));
    }

    #[test]
    fn others_see_a_coarse_location() {
        let p = profile(2, false);
        assert_eq!(p.location_for(UserId(2)).unwrap().lat, 22.613);
        assert_eq!(p.location_for(UserId(1)).unwrap().lat, 22.61);
    }
}
