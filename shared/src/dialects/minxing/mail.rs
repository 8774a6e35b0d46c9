//! Minxing JSON view of a mail (`/api/v1/mails`, docs/dialects.md "Minxing" → "Mail"):
//! snake_case, epoch-ms times.

use crate::domain::mail::Party;
use crate::services::files::stable_url;
use crate::services::mail::Shown;
use serde_json::{json, Value};

fn party_json(p: &Party, s: &Shown) -> Value {
    json!({"id": p.id.0, "name": p.name, "avatar_url": s.avatars.get(&p.id).cloned().flatten()})
}

/// `{id, subject, body, sender, to, cc, attachments, created_at, read}`; people are `{id,
/// name, avatar_url}` as they were named when the mail was sent; attachments `{id, name,
/// content_type, size, download_url (presigned, 1 h), url (stable: 404 once the sender
/// deleted the file)}`. `base` is this deployment's API base.
pub fn mail_json(base: &str, s: &Shown) -> Value {
    let m = &s.mail;
    let attachments: Vec<Value> = m
        .attachments
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "download_url": s.downloads.get(&a.id),
                "url": stable_url(base, &a.id),
            })
        })
        .collect();
    json!({
        "id": m.id,
        "subject": m.subject,
        "body": m.body,
        "sender": party_json(&m.sender, s),
        "to": m.to.iter().map(|p| party_json(p, s)).collect::<Vec<_>>(),
        "cc": m.cc.iter().map(|p| party_json(p, s)).collect::<Vec<_>>(),
        "attachments": attachments,
        "created_at": m.created_at,
        "read": s.read,
    })
}
