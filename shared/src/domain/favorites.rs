//! Favourites (Shiku emoji and collections): a saved image, video, file, voice, text or emoji.
//! The id starts with the creation time and ends with the type (`<ts:013><rand:6>-<type>`).

use crate::ids::UserId;

/// 1 image, 2 video, 3 file, 4 voice, 5 text, 6 emoji (Shiku collection types).
pub const TYPES: std::ops::RangeInclusive<i64> = 1..=6;
pub const EMOJI: i64 = 6;

#[derive(Debug, Clone, PartialEq)]
pub struct Favorite {
    pub id: String,
    pub owner: UserId,
    pub kind: i64,
    pub url: Option<String>,
    pub msg: Option<String>,
    pub msg_id: Option<String>,
    pub room_jid: Option<String>,
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
    pub created_at: i64,
}

/// The type encoded in a favourite id, if the id is well-formed.
pub fn parse_id(id: &str) -> Option<i64> {
    let (head, kind) = id.rsplit_once('-')?;
    let kind: i64 = kind.parse().ok()?;
    (head.len() == 19 && head.bytes().all(|b| b.is_ascii_alphanumeric()) && TYPES.contains(&kind)).then_some(kind)
}

pub fn new_id(now_ms: i64, kind: i64) -> String {
    format!("{now_ms:013}{:06x}-{kind}", rand::random::<u32>() & 0xff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_type() {
        let id = new_id(1_700_000_000_000, 6);
        assert_eq!(parse_id(&id), Some(6));
        assert_eq!(parse_id("x-6"), None);
        assert_eq!(parse_id(&new_id(1, 3).replace("-3", "-9")), None);
        assert_eq!(parse_id("../../-1"), None);
    }
}
