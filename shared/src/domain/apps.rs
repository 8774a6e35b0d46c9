//! Xuanxuan third-party apps: who may call `/api.php` and how often. Typed values only.

/// Calls per minute when an app item sets none.
pub const DEFAULT_PER_MINUTE: i64 = 600;

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub code: String,
    /// The key that signs the app's requests.
    pub key: String,
    pub name: String,
    /// Refuse signed URLs without a signed `time` (replays then expire after 300 s).
    pub require_time: bool,
    /// Calls accepted per calendar minute.
    pub per_minute: i64,
}
