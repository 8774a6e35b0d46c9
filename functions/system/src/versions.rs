//! Client version data (CONFIG/versions): `desktop`, `iOS`, `Android`.

use serde_json::{json, Map, Value};
use shared::http::Call;
use shared::store::config;
use shared::{AppError, AppResult, Reply};

/// "1.2.3" → (1, 2, 3); SealTalk versions are exactly three numbers.
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.trim().split('.').map(|p| if p.is_empty() || p.len() > 9 { None } else { p.parse::<u64>().ok() });
    let r = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(r)
}

pub fn validate(patch: &Map<String, Value>) -> AppResult<()> {
    for (k, v) in patch {
        if !["desktop", "iOS", "Android"].contains(&k.as_str()) {
            return Err(AppError::invalid("versions", format!("unknown platform {k} (desktop, iOS, Android)")));
        }
        let ver = v.get("version").and_then(Value::as_str);
        if ver.is_some_and(|x| parse_version(x).is_none()) {
            return Err(AppError::invalid("versions", format!("{k}.version must look like 1.2.3")));
        }
    }
    Ok(())
}

async fn load(c: &Call<'_>) -> AppResult<Value> {
    Ok(config::get(&c.ctx.db, config::VERSIONS).await?.unwrap_or_else(shared::provision::default_versions))
}

/// 204 when the client is up to date, 400 on an invalid version, else the bare desktop release.
pub async fn sealtalk_latest_update(c: &Call<'_>) -> AppResult<Reply> {
    let client = c.params.req_str("version")?;
    let client = parse_version(&client).ok_or_else(|| AppError::invalid("version", "must look like 1.2.3"))?;
    let doc = load(c).await?;
    let desktop = doc.get("desktop").cloned().unwrap_or(json!({}));
    let latest = desktop.get("version").and_then(Value::as_str).and_then(parse_version);
    match latest {
        Some(l) if l > client => Ok(Reply::raw(200, Some(desktop))),
        _ => Ok(Reply::raw(204, None)),
    }
}

/// `/misc/client_version` answers the bare object; `/misc/mobile_version` the enveloped one.
pub async fn sealtalk_client_version(c: &Call<'_>, bare: bool) -> AppResult<Reply> {
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
            let client = parse_version(&v).ok_or_else(|| AppError::invalid("version", "must look like 1.2.3"))?;
            parse_version(&latest).is_some_and(|l| l > client)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(parse_version("1.0.2"), Some((1, 0, 2)));
        assert_eq!(parse_version("1.0"), None);
        assert_eq!(parse_version("1.0.2.3"), None);
        assert_eq!(parse_version("a.b.c"), None);
        assert_eq!(parse_version("1..2"), None);
        assert!(parse_version("1.10.0") > parse_version("1.9.9"));
    }
}
