//! TOKEN#<sha256> items. Access tokens of every dialect, Minxing refresh tokens
//! and SealTalk session cookies share this shape; `ttl` expires them.

use super::{expired, n, s, Db, Item, ItemExt, GSI1};
use crate::auth::{new_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

pub const SHIKU_TTL: i64 = 604_800;
pub const MINXING_ACCESS_TTL: i64 = 604_800;
pub const MINXING_REFRESH_TTL: i64 = 30 * 86_400;
pub const SEALTALK_TTL: i64 = 30 * 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub uid: UserId,
    pub kind: TokenKind,
    pub hash: String,
    pub expires_at: i64,
    /// Device serial given at login (Shiku `/user/login/auto` compares it).
    pub serial: Option<String>,
    /// Hash of the paired token (access <-> refresh), revoked together.
    pub pair: Option<String>,
}

/// A token to issue: the plaintext is returned once and never stored.
pub struct Issued {
    pub token: String,
    pub session: Session,
}

fn pk(hash: &str) -> String {
    format!("TOKEN#{hash}")
}

fn item(sess: &Session, now: i64) -> Item {
    let mut it = Db::key(pk(&sess.hash), "TOKEN");
    it.insert("uid".into(), n(sess.uid.0));
    it.insert("kind".into(), s(sess.kind.as_str()));
    it.insert("createdAt".into(), n(now));
    it.insert("ttl".into(), n(sess.expires_at));
    it.insert("gsi1pk".into(), s(format!("USERTOK#{}", sess.uid)));
    it.insert("gsi1sk".into(), s(format!("{now:012}#{}", sess.hash)));
    if let Some(serial) = &sess.serial {
        it.insert("serial".into(), s(serial.clone()));
    }
    if let Some(p) = &sess.pair {
        it.insert("pair".into(), s(p.clone()));
    }
    it
}

fn session_from(it: &Item) -> Option<Session> {
    let hash = it.str("pk")?.strip_prefix("TOKEN#")?.to_string();
    Some(Session {
        uid: UserId(it.i64("uid")?),
        kind: if it.str("kind") == Some("refresh") { TokenKind::Refresh } else { TokenKind::Access },
        hash,
        expires_at: it.i64("ttl").unwrap_or(0),
        serial: it.str("serial").map(str::to_string),
        pair: it.str("pair").map(str::to_string),
    })
}

fn new_session(uid: UserId, kind: TokenKind, now: i64, ttl: i64, serial: Option<String>) -> Issued {
    let token = new_token();
    let session = Session { uid, kind, hash: token_hash(&token), expires_at: now + ttl, serial, pair: None };
    Issued { token, session }
}

fn put(db: &Db, it: Item) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(Put::builder().table_name(&db.table).set_item(Some(it)).build().expect("table and item set"))
        .build()
}

/// Issue one access token (Shiku, SealTalk, WebSocket-capable).
pub async fn issue(db: &Db, now: i64, uid: UserId, ttl: i64, serial: Option<String>) -> AppResult<Issued> {
    let issued = new_session(uid, TokenKind::Access, now, ttl, serial);
    db.client.put_item().table_name(&db.table).set_item(Some(item(&issued.session, now))).send().await?;
    Ok(issued)
}

/// Issue an OAuth2 access + refresh pair in one transaction; when `rotate` is
/// given, that refresh token and its access token are consumed atomically, so a
/// refresh token works exactly once.
pub async fn issue_pair(db: &Db, now: i64, uid: UserId, rotate: Option<&Session>) -> AppResult<(Issued, Issued)> {
    let mut access = new_session(uid, TokenKind::Access, now, MINXING_ACCESS_TTL, None);
    let mut refresh = new_session(uid, TokenKind::Refresh, now, MINXING_REFRESH_TTL, None);
    access.session.pair = Some(refresh.session.hash.clone());
    refresh.session.pair = Some(access.session.hash.clone());
    let mut tx = db
        .client
        .transact_write_items()
        .transact_items(put(db, item(&access.session, now)))
        .transact_items(put(db, item(&refresh.session, now)));
    if let Some(old) = rotate {
        let del = Delete::builder()
            .table_name(&db.table)
            .set_key(Some(Db::key(pk(&old.hash), "TOKEN")))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("key set");
        tx = tx.transact_items(TransactWriteItem::builder().delete(del).build());
        if let Some(pair) = &old.pair {
            let del = Delete::builder()
                .table_name(&db.table)
                .set_key(Some(Db::key(pk(pair), "TOKEN")))
                .build()
                .expect("key set");
            tx = tx.transact_items(TransactWriteItem::builder().delete(del).build());
        }
    }
    match tx.send().await {
        Ok(_) => Ok((access, refresh)),
        Err(e) if super::is_condition_failure(&e) => Err(AppError::TokenInvalid),
        Err(e) => Err(e.into()),
    }
}

/// Find the live session of a plaintext token (one GetItem).
pub async fn resolve(db: &Db, now: i64, token: &str) -> AppResult<Session> {
    if token.len() > 512 {
        return Err(AppError::TokenInvalid);
    }
    let hash = token_hash(token);
    lookup(db, now, &hash).await?.ok_or(AppError::TokenInvalid)
}

pub async fn lookup(db: &Db, now: i64, hash: &str) -> AppResult<Option<Session>> {
    let it = db.get(pk(hash), "TOKEN").await?;
    Ok(it.filter(|it| !expired(it, now)).as_ref().and_then(session_from))
}

/// Revoke a session and its paired token (logout).
pub async fn revoke(db: &Db, sess: &Session) -> AppResult<()> {
    let mut keys = vec![sess.hash.clone()];
    keys.extend(sess.pair.clone());
    for h in keys {
        db.client.delete_item().table_name(&db.table).set_key(Some(Db::key(pk(&h), "TOKEN"))).send().await?;
    }
    Ok(())
}

/// Revoke every token of a user (password reset, account removal).
pub async fn revoke_all(db: &Db, uid: UserId) -> AppResult<usize> {
    revoke_all_except(db, uid, None).await
}

/// Revoke every token of a user except `keep` and its paired token (password
/// change: the session that changed it stays logged in). One Query page per
/// 1 MB of tokens, BatchWriteItem deletes (25 per call).
pub async fn revoke_all_except(db: &Db, uid: UserId, keep: Option<&Session>) -> AppResult<usize> {
    use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
    let kept: Vec<String> = keep
        .map(|k| std::iter::once(k.hash.clone()).chain(k.pair.clone()).map(|h| pk(&h)).collect())
        .unwrap_or_default();
    let items = super::query_all(db, Some(GSI1), format!("USERTOK#{uid}"), None, Some("pk")).await?;
    let doomed: Vec<String> = items
        .iter()
        .filter_map(|it| it.str("pk"))
        .filter(|pk| !kept.iter().any(|k| k == pk))
        .map(str::to_string)
        .collect();
    let requests = doomed
        .iter()
        .map(|pk| {
            let del = DeleteRequest::builder().set_key(Some(Db::key(pk.clone(), "TOKEN"))).build().expect("key set");
            WriteRequest::builder().delete_request(del).build()
        })
        .collect();
    super::batch_write(db, requests).await?;
    Ok(doomed.len())
}
