//! Client version data (CONFIG/versions): `desktop`, `iOS`, `Android`.

use serde_json::{json, Value};
use shared::domain::config::{client_version, parse_version};
use shared::http::Call;
use shared::services::config;
use shared::{AppError, AppResult, Reply};

async fn load(c: &Call<'_>) -> AppResult<Value> {
    config::versions(c.ctx).await
}

/// 204 when the client is up to date, 400 on an invalid version, else the bare desktop release.
pub async fn sealtalk_latest_update(c: &Call<'_>) -> AppResult<Reply> {
    let (client, pre) = semver(&c.params.req_str("version")?)?;
    let doc = load(c).await?;
    let desktop = doc.get("desktop").cloned().unwrap_or(json!({}));
    let latest = desktop.get("version").and_then(Value::as_str);
    // A pre-release of the latest version is older than it (semver.gte, misc:39).
    match config::newer(latest, client) || (pre && latest.and_then(parse_version) == Some(client)) {
        true => Ok(Reply::raw(200, Some(desktop))),
        false => Ok(Reply::raw(204, None)),
    }
}

/// The forms `semver.valid` takes (misc:36): an optional `v`/`=` prefix, `x.y.z`, then an
/// optional `-pre.release` and `+build`; answers the core and whether it is a pre-release.
fn semver(v: &str) -> AppResult<((u64, u64, u64), bool)> {
    let bad = || AppError::invalid("version", "Invalid version.");
    let v = v.trim();
    let v = v.strip_prefix(['v', '=']).unwrap_or(v);
    let ids_ok =
        |s: &str| s.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let (v, build) = v.split_once('+').map_or((v, None), |(a, b)| (a, Some(b)));
    let (core, pre) = v.split_once('-').map_or((v, None), |(a, b)| (a, Some(b)));
    if !build.is_none_or(ids_ok) || !pre.is_none_or(ids_ok) {
        return Err(bad());
    }
    Ok((parse_version(core).ok_or_else(bad)?, pre.is_some()))
}

/// `/misc/client_version` answers the bare object; `/misc/mobile_version` the enveloped one.
/// `mobile_version` is not exempt from the login cookie in the original (index.coffee:33-45).
pub async fn sealtalk_client_version(c: &Call<'_>, bare: bool) -> AppResult<Reply> {
    if !bare {
        c.session().await?;
    }
    let doc = load(c).await?;
    let body = json!({"iOS": doc.get("iOS").cloned().unwrap_or(json!({})), "Android": doc.get("Android").cloned().unwrap_or(json!({}))});
    Ok(if bare { Reply::raw(200, Some(body)) } else { Reply::data(body) })
}

/// Minxing clients ask with `platform` (ios|android) and their `version`.
pub async fn minxing_update_info(c: &Call<'_>) -> AppResult<Reply> {
    let doc = load(c).await?;
    let platform = c.params.str("platform")?.unwrap_or_default().to_ascii_lowercase();
    let key = match platform.as_str() {
        "ios" | "iphone" => "iOS",
        "android" | "" => "Android",
        other => return Err(AppError::invalid("platform", format!("unknown platform {other} (ios, android)"))),
    };
    let rel = doc.get(key).cloned().unwrap_or(json!({}));
    let latest = rel.get("version").and_then(Value::as_str).unwrap_or("0.0.0").to_string();
    let need = match c.params.str("version")? {
        Some(v) => {
            let client = client_version(&v)?;
            config::newer(Some(&latest), client)
        }
        None => false,
    };
    Ok(Reply::data(json!({
        "platform": key,
        "version": latest,
        "url": rel.get("url").cloned().unwrap_or(json!("")),
        "build": rel.get("build").cloned().unwrap_or(json!("")),
        "notes": rel.get("notes").cloned().unwrap_or(json!("")),
        "upgrade": need,
    })))
}
