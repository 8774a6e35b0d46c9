//! Private keys at rest: AES-256-GCM (RustCrypto `aes-gcm`). The key (base64 of 32 bytes)
//! is read once per container at cold start: from the SSM parameter named by
//! `PAY_KEY_PARAMETER` (a SecureString; IAM lets the users function read that one
//! parameter), or from `PAY_KEY_SECRET`. A deployed function with neither fails to start;
//! only the in-process local stack and unit tests, which never call [`install`], use the
//! development key.
//! Sealed form: base64(nonce(12) ‖ ciphertext+tag). The owner's id and the key
//! kind are the associated data, so a sealed key copied to another user's item
//! does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use shared::{AppError, AppResult, UserId};
use std::sync::OnceLock;

/// Local stack and unit tests only (a deployed `main` always installs a real key).
const DEV_KEY: [u8; 32] = *b"dev-only-pay-key-secret-32-bytes";

static CIPHER: OnceLock<Aes256Gcm> = OnceLock::new();

/// Use `key` for every seal/open of this process (the first install wins).
pub fn install(key: [u8; 32]) {
    let _ = CIPHER.set(Aes256Gcm::new_from_slice(&key).expect("32-byte key"));
}

fn cipher() -> &'static Aes256Gcm {
    CIPHER.get_or_init(|| Aes256Gcm::new_from_slice(&DEV_KEY).expect("32-byte key"))
}

/// base64 of exactly 32 bytes.
pub fn decode_key(b64: &str) -> Result<[u8; 32], String> {
    let raw = B64.decode(b64.trim()).map_err(|_| "the pay key secret is not base64".to_string())?;
    raw.try_into().map_err(|r: Vec<u8>| format!("the pay key secret must decode to 32 bytes, not {}", r.len()))
}

/// The key stored in an SSM parameter (one GetParameter with decryption).
pub async fn key_from_parameter(ssm: &aws_sdk_ssm::Client, name: &str) -> Result<[u8; 32], String> {
    let out = ssm
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| format!("cannot read SSM parameter {name}: {}", aws_sdk_ssm::error::DisplayErrorContext(e)))?;
    let value = out.parameter.and_then(|p| p.value).ok_or_else(|| format!("SSM parameter {name} has no value"))?;
    decode_key(&value)
}

/// Cold start of the deployed function: `PAY_KEY_PARAMETER` (SSM) or `PAY_KEY_SECRET`;
/// neither is an error, never a fallback to the development key.
pub async fn key_from_env(sdk: &aws_config::SdkConfig) -> Result<[u8; 32], String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    if let Some(name) = var("PAY_KEY_PARAMETER") {
        return key_from_parameter(&aws_sdk_ssm::Client::new(sdk), name.trim()).await;
    }
    match var("PAY_KEY_SECRET") {
        Some(v) => decode_key(&v),
        None => Err("set PAY_KEY_PARAMETER (SSM SecureString) or PAY_KEY_SECRET: private keys cannot be sealed".into()),
    }
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

    #[test]
    fn key_secret_must_be_32_bytes_of_base64() {
        assert_eq!(decode_key(&B64.encode([7u8; 32])).unwrap(), [7u8; 32]);
        assert!(decode_key("not base64!").unwrap_err().contains("base64"));
        assert!(decode_key(&B64.encode([7u8; 16])).unwrap_err().contains("32 bytes"));
    }
}
