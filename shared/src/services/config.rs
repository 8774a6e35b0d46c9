//! Server configuration: the Shiku config document and the client version document
//! (CONFIG/<name>, store/config.rs), their defaults, and who may change them (operators).
//! The documents are opaque JSON objects the operator edits; the rules here are the
//! defaults, the operator check, the version check and the one-level merge.

use crate::domain::config::{parse_version, PLATFORMS};
use crate::domain::users::Role;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::provision::{default_demo_square, default_shiku_config, default_versions};
use crate::store::{config, rooms, users};
use crate::Ctx;
use serde_json::{json, Map, Value};

/// The Shiku config document (the default when none is stored). One GetItem.
pub async fn shiku(ctx: &Ctx) -> AppResult<Value> {
    Ok(config::get(&ctx.db, config::SHIKU).await?.unwrap_or_else(default_shiku_config))
}

/// Shiku `/config` id (the original's Config entity id).
pub const SHIKU_CONFIG_ID: i64 = 10000;

/// The Shiku `/config` answer: the stored document (or the default) plus every field of seed
/// 001 that names this deployment, unless the operator stored a non-empty value for it:
/// `apiUrl` (the HTTP API base, with a trailing slash), `uploadUrl` (the upload endpoint,
/// `POST /api/v1/uploaded_files`), `downloadUrl` (`<base>/files/`: stable file URLs are
/// `<base>/files/<fid>`; or the operator's `DOWNLOAD_URL`), `downloadAvatarUrl` (`<base>/`:
/// Shiku clients load `avatar/{o|t}/<uid % 10000>/<uid>.jpg` under it, `GET /avatar/…`) and
/// `id`. `request_domain`: the domain the request reached, the API base when this deployment
/// has no configured one (deployed stacks). One GetItem.
pub async fn shiku_for_clients(ctx: &Ctx, request_domain: Option<&str>) -> AppResult<Value> {
    let mut doc = shiku(ctx).await?;
    let base = super::files::api_base(ctx, request_domain);
    let download = ctx.settings.public.download_url.clone().unwrap_or_else(|| format!("{base}/files/"));
    let derived = [
        ("apiUrl", format!("{base}/")),
        ("uploadUrl", format!("{base}/api/v1/uploaded_files")),
        ("downloadUrl", download),
        ("downloadAvatarUrl", format!("{base}/")),
    ];
    let Some(o) = doc.as_object_mut() else { return Ok(doc) };
    for (k, v) in derived {
        if o.get(k).and_then(Value::as_str).is_none_or(str::is_empty) {
            o.insert(k.into(), Value::String(v));
        }
    }
    o.entry("id").or_insert(json!(SHIKU_CONFIG_ID));
    Ok(doc)
}

/// The client version document (the default when none is stored). One GetItem.
pub async fn versions(ctx: &Ctx) -> AppResult<Value> {
    Ok(config::get(&ctx.db, config::VERSIONS).await?.unwrap_or_else(default_versions))
}

/// Shiku registration needs an SMS code only when the stored Shiku config document has
/// `isOpenSMSCode: 1` (or true, or "1"); no stored document: no code. One GetItem.
pub async fn shiku_sms_code_required(ctx: &Ctx) -> AppResult<bool> {
    let cfg = config::get(&ctx.db, config::SHIKU).await?;
    Ok(cfg
        .as_ref()
        .and_then(|d| d.get("isOpenSMSCode"))
        .is_some_and(|v| v.as_i64() == Some(1) || v.as_bool() == Some(true) || v.as_str() == Some("1")))
}

/// Both documents, as an operator sees them before a change.
pub struct Documents {
    pub shiku: Value,
    pub versions: Value,
}

/// Both documents, for an operator only (`Forbidden` otherwise). Three GetItems.
pub async fn operator_documents(ctx: &Ctx, uid: UserId) -> AppResult<Documents> {
    let user = users::require(&ctx.db, uid).await?;
    if user.role != Role::Operator {
        return Err(AppError::forbidden("operator only"));
    }
    Ok(Documents { shiku: shiku(ctx).await?, versions: versions(ctx).await? })
}

/// Merge the operator's patches into `docs` (read by [`operator_documents`]) and store each
/// changed document; answers the merged documents. At least one patch (`config` missing
/// otherwise); a version patch names only known platforms with `x.y.z` versions.
pub async fn update(
    ctx: &Ctx,
    docs: Documents,
    patch_config: Option<Map<String, Value>>,
    patch_versions: Option<Map<String, Value>>,
) -> AppResult<(Option<Value>, Option<Value>)> {
    if patch_config.is_none() && patch_versions.is_none() {
        return Err(AppError::missing("config"));
    }
    let mut out = (None, None);
    if let Some(p) = patch_config {
        let merged = merge(docs.shiku, p);
        config::put(&ctx.db, config::SHIKU, &merged, ctx.now_ms()).await?;
        out.0 = Some(merged);
    }
    if let Some(p) = patch_versions {
        validate_versions(&p)?;
        let merged = merge(docs.versions, p);
        config::put(&ctx.db, config::VERSIONS, &merged, ctx.now_ms()).await?;
        out.1 = Some(merged);
    }
    Ok(out)
}

/// A version patch: known platforms only, each `version` (when given) `x.y.z`.
pub fn validate_versions(patch: &Map<String, Value>) -> AppResult<()> {
    for (k, v) in patch {
        if !PLATFORMS.contains(&k.as_str()) {
            return Err(AppError::invalid("versions", format!("unknown platform {k} (desktop, iOS, Android)")));
        }
        let ver = v.get("version").and_then(Value::as_str);
        if ver.is_some_and(|x| parse_version(x).is_none()) {
            return Err(AppError::invalid("versions", format!("{k}.version must look like 1.2.3")));
        }
    }
    Ok(())
}

/// Shallow-merge `patch` into `base`, one level deep for nested objects.
fn merge(mut base: Value, patch: Map<String, Value>) -> Value {
    if !base.is_object() {
        base = json!({});
    }
    for (k, v) in patch {
        match (base.get_mut(&k), v) {
            (Some(Value::Object(b)), Value::Object(p)) => b.extend(p),
            (_, v) => {
                base[&k] = v;
            }
        }
    }
    base
}

/// Whether a client at `client` should upgrade to the release `latest` (`x.y.z` each;
/// an unreadable latest never asks for an upgrade).
pub fn newer(latest: Option<&str>, client: (u64, u64, u64)) -> bool {
    latest.and_then(parse_version).is_some_and(|l| l > client)
}

/// SealTalk `/misc/demo_square` (misc.coffee:61-91): the stored list (default: the original's
/// demo_square.json), each `group` item with `name`, `portraitUri` and `memberCount` of the
/// room, or "Unknown"/""/0 when there is no such room. One GetItem + one BatchGetItem
/// (the list holds ≤ 100 items).
pub async fn demo_square(ctx: &Ctx) -> AppResult<Value> {
    let list = config::get(&ctx.db, config::DEMO_SQUARE).await?.filter(Value::is_array);
    let mut list = list.unwrap_or_else(default_demo_square);
    let mut items = list.as_array_mut().map(std::mem::take).unwrap_or_default();
    let id_of = |item: &Value| match item.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    let is_group = |item: &Value| item.get("type").and_then(Value::as_str) == Some("group");
    let ids: Vec<String> = items.iter().filter(|i| is_group(i)).map(id_of).collect();
    let found = rooms::many(&ctx.db, &ids).await?;
    for item in items.iter_mut().filter(|i| is_group(i)) {
        let (name, portrait, count) = match found.get(&id_of(item)) {
            Some(r) => (r.name(), r.text("portrait"), r.member_count()),
            None => ("Unknown".to_string(), String::new(), 0),
        };
        item["name"] = json!(name);
        item["portraitUri"] = json!(portrait);
        item["memberCount"] = json!(count);
    }
    Ok(Value::Array(items))
}

/// Replace the demo square list (operators only: callers check with [`operator_documents`]).
/// Each item is an object with `type` `group` or `chatroom` and an `id`; at most 100 items.
pub async fn set_demo_square(ctx: &Ctx, list: Vec<Value>) -> AppResult<Value> {
    let bad = || AppError::invalid("demoSquare", "items {type: group|chatroom, id, name?}, at most 100");
    if list.len() > 100 {
        return Err(bad());
    }
    for item in &list {
        let kind = item.get("type").and_then(Value::as_str);
        if !matches!(kind, Some("group" | "chatroom")) || item.get("id").is_none_or(Value::is_null) {
            return Err(bad());
        }
    }
    let doc = Value::Array(list);
    config::put(&ctx.db, config::DEMO_SQUARE, &doc, ctx.now_ms()).await?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_is_one_level_deep() {
        let base = json!({"a": 1, "iOS": {"version": "1.0.0", "url": "x"}});
        let patch = json!({"iOS": {"version": "2.0.0"}, "b": 2});
        let m = merge(base, patch.as_object().unwrap().clone());
        assert_eq!(m, json!({"a": 1, "b": 2, "iOS": {"version": "2.0.0", "url": "x"}}));
    }
}
