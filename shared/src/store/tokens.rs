//! TOKEN#<sha256> items. Access tokens of every dialect, Minxing refresh tokens
//! and SealTalk session cookies share this shape; `ttl` expires them. Only access
//! tokens authenticate requests and WebSocket connections ([`resolve_access`]); a
//! refresh token is good for one [`refresh`], after which it stays as a tombstone
//! (`used`, `nextAccess`, `nextRefresh`) so that its reuse revokes what it produced.

use super::{expired, n, s, Db, Item, ItemExt, GSI1};
use crate::domain::secrets::{new_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};

pub use crate::domain::sessions::{
    Issued, Session, TokenKind, MINXING_ACCESS_TTL, MINXING_REFRESH_TTL, SEALTALK_TTL, SHIKU_TTL,
};

use super::keys::{token_pk as pk, TOKEN_SK};

fn item(sess: &Session, now: i64) -> Item {
    let mut it = Db::key(pk(&sess.hash), TOKEN_SK);
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
        kind: match it.str("kind") {
            Some("refresh") => TokenKind::Refresh,
            Some("console") => TokenKind::Console,
            _ => TokenKind::Access,
        },
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
    issue_with(db, now, uid, ttl, serial, vec![]).await
}

/// [`issue`], written in one transaction with `extra` (a login's attempt counter is
/// cleared in the same call: store/limits.rs).
pub async fn issue_with(
    db: &Db,
    now: i64,
    uid: UserId,
    ttl: i64,
    serial: Option<String>,
    extra: Vec<TransactWriteItem>,
) -> AppResult<Issued> {
    issue_kind_with(db, now, uid, TokenKind::Access, ttl, serial, extra).await
}

/// [`issue_with`] of any kind (the operator console's tokens: `TokenKind::Console`).
pub async fn issue_kind_with(
    db: &Db,
    now: i64,
    uid: UserId,
    kind: TokenKind,
    ttl: i64,
    serial: Option<String>,
    extra: Vec<TransactWriteItem>,
) -> AppResult<Issued> {
    let issued = new_session(uid, kind, now, ttl, serial);
    let it = item(&issued.session, now);
    if extra.is_empty() {
        db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    } else {
        let mut items = vec![put(db, it)];
        items.extend(extra);
        send_login(db, items).await?;
    }
    Ok(issued)
}

fn new_pair(now: i64, uid: UserId) -> (Issued, Issued) {
    let mut access = new_session(uid, TokenKind::Access, now, MINXING_ACCESS_TTL, None);
    let mut refresh = new_session(uid, TokenKind::Refresh, now, MINXING_REFRESH_TTL, None);
    access.session.pair = Some(refresh.session.hash.clone());
    refresh.session.pair = Some(access.session.hash.clone());
    (access, refresh)
}

/// Issue an OAuth2 access + refresh pair in one transaction (with `extra`, as [`issue_with`]).
pub async fn issue_pair(db: &Db, now: i64, uid: UserId, extra: Vec<TransactWriteItem>) -> AppResult<(Issued, Issued)> {
    let (access, refresh) = new_pair(now, uid);
    let mut items = vec![put(db, item(&access.session, now)), put(db, item(&refresh.session, now))];
    items.extend(extra);
    send_login(db, items).await?;
    Ok((access, refresh))
}

/// A login's token transaction: a failed condition among the caller's items (the account
/// was disabled meanwhile, store/console.rs `enabled_check`) is `BadCredentials`.
async fn send_login(db: &Db, items: Vec<TransactWriteItem>) -> AppResult<()> {
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(()),
        Err(e) if super::is_condition_failure(&e) => Err(AppError::BadCredentials),
        Err(e) => Err(e.into()),
    }
}

/// Longest rotation chain followed when a reused refresh token revokes its descendants.
const MAX_CHAIN: usize = 64;

/// The refresh grant (RFC 6749 §6) with rotation and reuse detection (OAuth 2.0 Security
/// BCP): a live refresh token yields a new pair in one transaction that also deletes its
/// access token and turns it into a tombstone (`used`, `nextAccess`, `nextRefresh`, same
/// `ttl`). Presenting a tombstone again revokes every pair rotated from it and fails.
/// `TokenInvalid` for an unknown, expired, used or non-refresh token.
/// Calls: GetItem + TransactWriteItems; a reuse: GetItem + one GetItem per rotation since + deletes.
pub async fn refresh(db: &Db, now: i64, raw: &str) -> AppResult<(Issued, Issued)> {
    if raw.len() > 512 {
        return Err(AppError::TokenInvalid);
    }
    let hash = token_hash(raw);
    let Some(old) = db.get(pk(&hash), TOKEN_SK).await?.filter(|it| !expired(it, now)) else {
        return Err(AppError::TokenInvalid);
    };
    if old.str("kind") != Some("refresh") {
        return Err(AppError::TokenInvalid);
    }
    if old.contains_key("used") {
        revoke_descendants(db, now, &old).await?;
        return Err(AppError::TokenInvalid);
    }
    let sess = session_from(&old).ok_or(AppError::TokenInvalid)?;
    let (access, refresh) = new_pair(now, sess.uid);
    let tomb = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(&hash), TOKEN_SK)))
        .update_expression("SET used = :now, nextAccess = :a, nextRefresh = :r")
        .condition_expression("attribute_exists(pk) AND attribute_not_exists(used) AND #ttl > :now")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":a", s(access.session.hash.clone()))
        .expression_attribute_values(":r", s(refresh.session.hash.clone()))
        .build()
        .expect("key and expression set");
    let mut items = vec![
        put(db, item(&access.session, now)),
        put(db, item(&refresh.session, now)),
        TransactWriteItem::builder().update(tomb).build(),
    ];
    if let Some(pair) = &sess.pair {
        let del = Delete::builder().table_name(&db.table).set_key(Some(Db::key(pk(pair), TOKEN_SK))).build();
        items.push(TransactWriteItem::builder().delete(del.expect("key set")).build());
    }
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok((access, refresh)),
        Err(e) if super::is_condition_failure(&e) => {
            // Lost a race with another use of the same token: that is a reuse too.
            if let Some(now_used) = db.get(pk(&hash), TOKEN_SK).await?.filter(|it| it.contains_key("used")) {
                revoke_descendants(db, now, &now_used).await?;
            }
            Err(AppError::TokenInvalid)
        }
        Err(e) => Err(e.into()),
    }
}

/// A used refresh token came back: delete every token rotated from it (its pair, and the
/// pairs rotated from that one's refresh token, …). The tombstone itself stays until its
/// `ttl`, so further replays keep failing.
async fn revoke_descendants(db: &Db, now: i64, tomb: &Item) -> AppResult<()> {
    use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
    tracing::warn!(uid = tomb.i64("uid"), "refresh token reuse: revoking the tokens rotated from it");
    let mut doomed = vec![];
    let mut next = (tomb.str("nextAccess").map(str::to_string), tomb.str("nextRefresh").map(str::to_string));
    for _ in 0..MAX_CHAIN {
        let (Some(a), Some(r)) = next else { break };
        let it = db.get(pk(&r), TOKEN_SK).await?.filter(|it| !expired(it, now));
        doomed.push(a);
        doomed.push(r);
        next = match it {
            Some(it) if it.contains_key("used") => {
                (it.str("nextAccess").map(str::to_string), it.str("nextRefresh").map(str::to_string))
            }
            _ => (None, None),
        };
    }
    let requests = doomed
        .iter()
        .map(|h| {
            let del = DeleteRequest::builder().set_key(Some(Db::key(pk(h), TOKEN_SK))).build().expect("key set");
            WriteRequest::builder().delete_request(del).build()
        })
        .collect();
    super::batch_write(db, requests).await
}

/// Find the live session of a plaintext token (one GetItem); any kind (the refresh grant
/// uses [`refresh`]; everything else [`resolve_access`]).
pub async fn resolve(db: &Db, now: i64, token: &str) -> AppResult<Session> {
    if token.len() > 512 {
        return Err(AppError::TokenInvalid);
    }
    let hash = token_hash(token);
    lookup(db, now, &hash).await?.ok_or(AppError::TokenInvalid)
}

/// The live ACCESS session of a token: what every route but `/oauth2/token` and
/// `/console/*`, and the WebSocket `$connect`, accept. A refresh or console token is
/// `TokenInvalid` here.
pub async fn resolve_access(db: &Db, now: i64, token: &str) -> AppResult<Session> {
    resolve_kind(db, now, token, TokenKind::Access).await
}

/// The live session of a token of `kind` only (`/console/*`: `TokenKind::Console`);
/// any other kind is `TokenInvalid`.
pub async fn resolve_kind(db: &Db, now: i64, token: &str, kind: TokenKind) -> AppResult<Session> {
    resolve(db, now, token).await.and_then(|s| if s.kind == kind { Ok(s) } else { Err(AppError::TokenInvalid) })
}

/// A live session by token hash; expired items and used refresh tokens (tombstones) are absent.
pub async fn lookup(db: &Db, now: i64, hash: &str) -> AppResult<Option<Session>> {
    let it = db.get(pk(hash), TOKEN_SK).await?;
    Ok(it.filter(|it| !expired(it, now) && !it.contains_key("used")).as_ref().and_then(session_from))
}

/// A transaction's check that the token `hash` is live as [`lookup`] sees it (present, not
/// expired, not a used refresh token).
pub fn live_check(db: &Db, now: i64, hash: &str) -> ConditionCheck {
    ConditionCheck::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(hash), TOKEN_SK)))
        .condition_expression(
            "attribute_exists(pk) AND attribute_not_exists(used) AND (attribute_not_exists(#ttl) OR #ttl > :now)",
        )
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":now", n(now))
        .build()
        .expect("table, key and condition set")
}

/// Revoke a session and its paired token (logout).
pub async fn revoke(db: &Db, sess: &Session) -> AppResult<()> {
    let mut keys = vec![sess.hash.clone()];
    keys.extend(sess.pair.clone());
    for h in keys {
        db.client.delete_item().table_name(&db.table).set_key(Some(Db::key(pk(&h), TOKEN_SK))).send().await?;
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
            let del = DeleteRequest::builder().set_key(Some(Db::key(pk.clone(), TOKEN_SK))).build().expect("key set");
            WriteRequest::builder().delete_request(del).build()
        })
        .collect();
    super::batch_write(db, requests).await?;
    Ok(doomed.len())
}
