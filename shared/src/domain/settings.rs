//! Privacy and chat settings: the names, their defaults and the allowed values.

use crate::error::{AppError, AppResult};

/// 0/1 flags: (name, default).
pub const FLAGS: &[(&str, i64)] = &[
    ("allowAtt", 1),
    ("allowGreet", 1),
    // Read by contacts (friend requests): 0 = add directly, 1 = needs approval.
    ("friendsVerify", 0),
    // Others may find me by telephone (getByAccount, SealTalk find/{region}/{phone}).
    ("phoneSearch", 1),
    // Others may find me by nickname (/user/query).
    ("nameSearch", 1),
    // My friends see my telephone number (never strangers): shared::privacy. On by default
    // as SealTalk friends always saw it; the PROFILE mirror `showPhone` is absent until set.
    ("showTelephone", 1),
    // 1 = no offline push notifications.
    ("offlineNoPushMsg", 0),
    // 1 = push notifications show the message text.
    ("offlinePushDetail", 1),
    ("isEncrypt", 0),
    ("isTyping", 1),
    ("isVibration", 1),
    ("multipleDevices", 1),
];

/// Durations in days (1 hour = 0.04), -1 = forever: (name, default).
pub const DURATIONS: &[(&str, f64)] =
    &[("chatRecordTimeOut", -1.0), ("chatSyncTimeLen", -1.0), ("groupChatSyncTimeLen", -1.0)];

/// A validated change to some settings.
#[derive(Debug, Default, Clone)]
pub struct Change {
    pub flags: Vec<(&'static str, i64)>,
    pub durations: Vec<(&'static str, f64)>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty() && self.durations.is_empty()
    }

    pub fn flag(&self, name: &str) -> Option<i64> {
        self.flags.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    /// Set a flag of [`FLAGS`]: 0 or 1.
    pub fn set_flag(&mut self, name: &'static str, v: i64) -> AppResult<()> {
        if ![0, 1].contains(&v) {
            return Err(AppError::invalid(name, "must be 0 or 1"));
        }
        self.flags.push((name, v));
        Ok(())
    }

    /// Set a duration of [`DURATIONS`]: days between 0 and 36500, or -1 for forever.
    pub fn set_duration(&mut self, name: &'static str, v: f64) -> AppResult<()> {
        if v != -1.0 && !(0.0..=36_500.0).contains(&v) {
            return Err(AppError::invalid(name, "days between 0 and 36500, or -1 for forever"));
        }
        self.durations.push((name, v));
        Ok(())
    }
}

/// Every setting's value (defaults filled in), in the order of [`FLAGS`] and [`DURATIONS`].
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub flags: Vec<(&'static str, i64)>,
    pub durations: Vec<(&'static str, f64)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { flags: FLAGS.to_vec(), durations: DURATIONS.to_vec() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_checked() {
        let mut ch = Change::default();
        assert!(ch.set_flag("allowAtt", 2).is_err());
        assert!(ch.set_duration("chatSyncTimeLen", 40_000.0).is_err());
        assert!(ch.is_empty());
        ch.set_flag("allowAtt", 0).unwrap();
        ch.set_duration("chatSyncTimeLen", -1.0).unwrap();
        assert_eq!(ch.flag("allowAtt"), Some(0));
    }
}
