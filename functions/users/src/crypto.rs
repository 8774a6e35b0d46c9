//! Private keys at rest: AES-256-GCM (RustCrypto `aes-gcm`), key from
//! `PAY_KEY_SECRET` (base64 of 32 bytes), a fixed development key otherwise.
//! Sealed form: base64(nonce(12) ‖ ciphertext+tag). The owner's id and the key
//! kind are the associated data, so a sealed key copied to another user's item
//! does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use shared::{AppError, AppResult, UserId};
use std::sync::OnceLock;

/// Development-only key; deployments set PAY_KEY_SECRET.
const DEV_KEY: [u8; 32] = *b"dev-only-pay-key-secret-32-bytes";

fn cipher() -> &'static Aes256Gcm {
    static C: OnceLock<Aes256Gcm> = OnceLock::new();
    C.get_or_init(|| {
        let key = std::env::var("PAY_KEY_SECRET")
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| {
                let raw = B64.decode(v.trim()).expect("PAY_KEY_SECRET must be base64");
                assert_eq!(raw.len(), 32, "PAY_KEY_SECRET must decode to 32 bytes");
                raw
            })
            .unwrap_or_else(|| {
                tracing::warn!("PAY_KEY_SECRET not set: using the development key");
                DEV_KEY.to_vec()
            });
        Aes256Gcm::new_from_slice(&key).expect("32-byte key")
    })
}

fn aad(uid: UserId, kind: &str) -> String {
    format!("{uid}:{kind}")
}

pub fn seal(uid: UserId, kind: &str, plain: &str) -> AppResult<String> {
    let nonce: [u8; 12] = rand::random();
    let ct = cipher()
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: aad(uid, kind).as_bytes() })
        .map_err(|_| AppError::internal("encrypt"))?;
    let mut out = nonce.to_vec();
    out.extend(ct);
    Ok(B64.encode(out))
}

pub fn open(uid: UserId, kind: &str, sealed: &str) -> AppResult<String> {
    let raw = B64.decode(sealed).map_err(|_| AppError::internal("sealed key is not base64"))?;
    if raw.len() < 12 + 16 {
        return Err(AppError::internal("sealed key too short"));
    }
    let (nonce, ct) = raw.split_at(12);
    let plain = cipher()
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: aad(uid, kind).as_bytes() })
        .map_err(|_| AppError::internal("sealed key does not open"))?;
    String::from_utf8(plain).map_err(|_| AppError::internal("sealed key is not text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let s = seal(UserId(1), "pay", "secret-key").unwrap();
        assert!(!s.contains("secret-key"));
        assert_eq!(open(UserId(1), "pay", &s).unwrap(), "secret-key");
        assert!(open(UserId(2), "pay", &s).is_err(), "bound to its owner");
        assert!(open(UserId(1), "dh", &s).is_err(), "bound to its kind");
        assert_ne!(seal(UserId(1), "pay", "secret-key").unwrap(), s, "fresh nonce");
    }
}
