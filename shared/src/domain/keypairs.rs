//! Users' key pairs: the kinds (`user`, `pay`, `rsa`, `dh`) and a stored pair, whose private
//! half is only ever the sealed ciphertext.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Pay,
    Rsa,
    Dh,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Pay => "pay",
            Kind::Rsa => "rsa",
            Kind::Dh => "dh",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyPair {
    pub kind: Kind,
    pub public_key: String,
    /// Encrypted at rest (nonce + ciphertext, base64), never the plain key.
    pub private_sealed: Option<String>,
    pub mac: Option<String>,
    pub updated_at: i64,
}
