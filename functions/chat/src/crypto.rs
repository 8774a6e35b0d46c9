//! Shiku `/tigase/encrypt` and `/tigase/decrypt`: AES-256-GCM (RustCrypto `aes-gcm`) with
//! the key SHA-256(`key`), output base64(nonce(12) ‖ ciphertext ‖ tag). A fresh random nonce
//! per call, so encrypting the same text twice gives different outputs; any change to the
//! text (or a wrong key) makes decryption fail instead of returning garbage.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use shared::{AppError, AppResult};

fn cipher(key: &str) -> Aes256Gcm {
    let k = Sha256::digest(key.as_bytes());
    Aes256Gcm::new_from_slice(&k).expect("32-byte key")
}

pub fn encrypt(key: &str, text: &str) -> AppResult<String> {
    let nonce: [u8; 12] = rand::random();
    let ct =
        cipher(key).encrypt(Nonce::from_slice(&nonce), text.as_bytes()).map_err(|_| AppError::internal("encrypt"))?;
    let mut out = nonce.to_vec();
    out.extend(ct);
    Ok(B64.encode(out))
}

pub fn decrypt(key: &str, text: &str) -> AppResult<String> {
    let bad = || AppError::invalid("text", "not a text encrypted with this key");
    let raw = B64.decode(text.trim()).map_err(|_| bad())?;
    if raw.len() < 12 + 16 {
        return Err(bad());
    }
    let (nonce, ct) = raw.split_at(12);
    let plain = cipher(key).decrypt(Nonce::from_slice(nonce), ct).map_err(|_| bad())?;
    String::from_utf8(plain).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_wrong_key_and_garbage() {
        let e = encrypt("k1", "你好 hello").unwrap();
        assert_eq!(decrypt("k1", &e).unwrap(), "你好 hello");
        assert_ne!(encrypt("k1", "你好 hello").unwrap(), e, "fresh nonce");
        assert!(matches!(decrypt("k2", &e), Err(AppError::InvalidParam { .. })));
        assert!(matches!(decrypt("k1", "not base64 !!"), Err(AppError::InvalidParam { .. })));
        assert!(matches!(decrypt("k1", "AAAA"), Err(AppError::InvalidParam { .. })));
        let mut tampered = B64.decode(&e).unwrap();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(decrypt("k1", &B64.encode(tampered)).is_err());
    }
}
