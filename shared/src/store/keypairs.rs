//! Users' key pairs: USER#<uid>/KEY#<kind>, kind one of `user` (/user/uploadKey),
//! `pay`, `rsa`, `dh`. Public keys are stored as sent; private keys are stored
//! only as the ciphertext the caller hands in (the users function encrypts them
//! with AES-256-GCM before they get here). Only the owner's partition is read
//! for private keys.

use super::{n, s, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

pub use crate::domain::keypairs::{KeyPair, Kind};

fn item(uid: UserId, k: &KeyPair) -> Item {
    let mut it = Db::key(super::keys::user_pk(uid), super::keys::keypair_sk(k.kind.name()));
    it.insert("uid".into(), n(uid.0));
    it.insert("publicKey".into(), s(&k.public_key));
    if let Some(p) = &k.private_sealed {
        it.insert("privateSealed".into(), s(p));
    }
    if let Some(m) = &k.mac {
        it.insert("mac".into(), s(m));
    }
    it.insert("updatedAt".into(), n(k.updated_at));
    it
}

fn from_item(kind: Kind, it: &Item) -> KeyPair {
    KeyPair {
        kind,
        public_key: it.string("publicKey"),
        private_sealed: it.str("privateSealed").map(str::to_string),
        mac: it.str("mac").map(str::to_string),
        updated_at: it.i64("updatedAt").unwrap_or(0),
    }
}

/// Store one or more key pairs of a user at once (uploadMsgKey sets RSA and DH together).
pub async fn put(db: &Db, uid: UserId, pairs: &[KeyPair]) -> AppResult<()> {
    if let [one] = pairs {
        db.client.put_item().table_name(&db.table).set_item(Some(item(uid, one))).send().await?;
        return Ok(());
    }
    let mut tx = db.client.transact_write_items();
    for k in pairs {
        let p = Put::builder().table_name(&db.table).set_item(Some(item(uid, k))).build().expect("set");
        tx = tx.transact_items(TransactWriteItem::builder().put(p).build());
    }
    tx.send().await?;
    Ok(())
}

pub async fn get(db: &Db, uid: UserId, kind: Kind) -> AppResult<Option<KeyPair>> {
    Ok(db.get(super::keys::user_pk(uid), super::keys::keypair_sk(kind.name())).await?.map(|it| from_item(kind, &it)))
}

/// Public keys of one kind for many users (⌈n/100⌉ BatchGetItem), in the order
/// asked; users without such a key are left out. Private parts are not returned.
pub async fn public_keys(db: &Db, uids: &[UserId], kind: Kind) -> AppResult<Vec<(UserId, KeyPair)>> {
    let mut seen = std::collections::HashSet::new();
    let sk = super::keys::keypair_sk(kind.name());
    let keys =
        uids.iter().filter(|u| seen.insert(**u)).map(|u| Db::key(super::keys::user_pk(*u), sk.clone())).collect();
    let items = super::batch_get(db, keys).await?;
    let mut by: std::collections::HashMap<i64, KeyPair> = items
        .iter()
        .filter_map(|it| {
            let mut k = from_item(kind, it);
            k.private_sealed = None;
            Some((it.i64("uid")?, k))
        })
        .collect();
    Ok(uids.iter().filter_map(|u| by.remove(&u.0).map(|k| (*u, k))).collect())
}
