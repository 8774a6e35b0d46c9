//! Mail (Minxing `/api/v1/mails`): sending to accounts of this deployment (no SMTP), reading
//! by sender and recipients only. Call budgets (token lookup included): sending to ≤ 24
//! recipients by id 4 calls (token, BatchGetItem of accounts + files + the id, BatchWriteItem
//! of the copies, TransactWriteItems of META + the live events), + 1 BatchGetItem when some are
//! named by login name; reading 2, 3 when it marks the copy read.

use crate::domain::mail::{dedupe, id_for_client, Addr, Copy, Draft, Mail, MailBox, Party};
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, UserId};
use crate::realtime::frames;
use crate::store::mail as store;
use crate::Ctx;
use std::collections::HashMap;

pub use crate::domain::mail::{valid_id, MAX_ATTACHMENTS, MAX_BODY, MAX_RECIPIENTS, MAX_SUBJECT};

/// A mail as one participant sees it: their read flag, loadable avatar and attachment links
/// (presigned here, no call), by user id and by file id.
#[derive(Debug)]
pub struct Shown {
    pub mail: Mail,
    pub read: bool,
    pub avatars: HashMap<UserId, Option<String>>,
    pub downloads: HashMap<String, String>,
}

fn not_found(id: &str) -> AppError {
    AppError::not_found(format!("mail {id}"))
}

async fn shown(ctx: &Ctx, mail: Mail, read: bool) -> Shown {
    let mut avatars = HashMap::new();
    for p in std::iter::once(&mail.sender).chain(mail.to.iter()).chain(mail.cc.iter()) {
        if let std::collections::hash_map::Entry::Vacant(e) = avatars.entry(p.id) {
            e.insert(crate::store::profiles::avatar_url(ctx, p.avatar.as_deref()).await);
        }
    }
    let mut downloads = HashMap::new();
    for a in &mail.attachments {
        if let Some(url) = crate::services::files::presign_get(ctx, &a.s3_key).await {
            downloads.insert(a.id.clone(), url);
        }
    }
    Shown { mail, read, avatars, downloads }
}

/// Accounts named in `to` and `cc`, in order: ids as given, login names through their
/// `LOGIN#` records (one BatchGetItem when there are any). A name nobody holds: 404.
async fn resolve(ctx: &Ctx, to: &[Addr], cc: &[Addr]) -> AppResult<(Vec<UserId>, Vec<UserId>)> {
    let names: Vec<LoginName> = to
        .iter()
        .chain(cc.iter())
        .filter_map(|a| match a {
            Addr::Login(l) => Some(l.clone()),
            Addr::Id(_) => None,
        })
        .collect();
    let found = store::resolve_logins(&ctx.db, &names).await?;
    let one = |a: &Addr| match a {
        Addr::Id(u) => Ok(*u),
        Addr::Login(l) => found.get(&l.key()).copied().ok_or_else(|| AppError::not_found(format!("user {}", l.key()))),
    };
    let to = to.iter().map(one).collect::<AppResult<Vec<_>>>()?;
    let cc = cc.iter().map(one).collect::<AppResult<Vec<_>>>()?;
    Ok(dedupe(&to, &cc))
}

/// Send `d` from `me`: 404 for an unknown recipient or a file that is not mine (nothing
/// written); a resend with the same `client_id` answers the first mail (`false`: not new).
pub async fn send(ctx: &Ctx, me: UserId, d: Draft) -> AppResult<(Shown, bool)> {
    d.check()?;
    let (to, cc) = resolve(ctx, &d.to, &d.cc).await?;
    let id = match &d.client_id {
        Some(c) => id_for_client(me, c),
        None => uuid::Uuid::new_v4().simple().to_string(),
    };
    let mut uids: Vec<UserId> = vec![me];
    uids.extend(to.iter().chain(cc.iter()).filter(|u| **u != me));
    let now = ctx.now_ms();
    let l = store::load_for_send(&ctx.db, &uids, &d.attachment_ids, &id, now / 1000).await?;
    if let Some(first) = l.existing {
        return resent(ctx, me, first).await;
    }
    let party = |u: UserId| {
        l.users
            .get(&u)
            .map(|x| Party { id: u, name: x.nickname.clone(), avatar: x.avatar.clone() })
            .ok_or_else(|| AppError::not_found(format!("user {u}")))
    };
    let sender = party(me)?;
    let to_p = to.iter().map(|u| party(*u)).collect::<AppResult<Vec<_>>>()?;
    let cc_p = cc.iter().map(|u| party(*u)).collect::<AppResult<Vec<_>>>()?;
    let attachments = crate::services::files::own_attachments(&l.files, me, &d.attachment_ids)?;
    let mail = Mail { id, sender, to: to_p, cc: cc_p, subject: d.subject, body: d.body, attachments, created_at: now };
    let recipients = mail.recipients();
    let mut copies: Vec<Copy> =
        recipients.iter().map(|u| Copy { uid: *u, mailbox: MailBox::In, read: false }).collect();
    if !mail.is_recipient(me) {
        copies.push(Copy { uid: me, mailbox: MailBox::Sent, read: true });
    }
    store::put_copies(&ctx.db, &mail, &copies).await?;
    let notify: Vec<UserId> = recipients.into_iter().filter(|u| *u != me).collect();
    match store::commit(&ctx.db, &mail, &notify, &frames::mail_event(&mail), now).await? {
        store::Committed::Done => {
            let read = !mail.is_recipient(me);
            Ok((shown(ctx, mail, read).await, true))
        }
        store::Committed::Exists(first) => resent(ctx, me, *first).await,
    }
}

/// The mail already stored under a resend's id (the id includes the sender: it is theirs).
async fn resent(ctx: &Ctx, me: UserId, first: Mail) -> AppResult<(Shown, bool)> {
    if first.sender.id != me {
        return Err(AppError::internal("mail id of another sender"));
    }
    let read = !first.is_recipient(me);
    Ok((shown(ctx, first, read).await, false))
}

/// Read mail `id`: its sender and recipients only (anyone else, an unknown or uncommitted
/// mail: 404). A recipient's first read marks their copy read.
pub async fn open(ctx: &Ctx, me: UserId, id: &str) -> AppResult<Shown> {
    if !valid_id(id) {
        return Err(not_found(id));
    }
    let (mail, copy) = store::get(&ctx.db, id, me).await?;
    let mail = mail.filter(|m| m.readable_by(me)).ok_or_else(|| not_found(id))?;
    if mail.is_recipient(me) && !copy.is_some_and(|c| c.read) {
        store::mark_read(&ctx.db, id, me, ctx.now_ms()).await?;
    }
    Ok(shown(ctx, mail, true).await)
}
