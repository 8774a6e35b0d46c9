//! Hashing and random-secret primitives, pure (no I/O): used by `auth` and by the store
//! (token and code records are keyed by hash), so the store never imports `auth`.

use md5::{Digest, Md5};

/// MD5 hex of a string: Shiku's canonical password form and the phone login index.
pub fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// 128 random bits as 32 hex characters (the shape Shiku clients expect).
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Tokens are stored only as their SHA-256 hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bit_and_hashed() {
        let t = new_token();
        assert_eq!(t.len(), 32);
        assert_ne!(t, new_token());
        assert_eq!(token_hash(&t).len(), 64);
        assert_eq!(md5_hex("secret1").len(), 32);
    }
}
