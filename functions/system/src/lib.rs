//! `system` endpoints: server configuration, time, client version checks and
//! the `$default` catch-all (unknown paths get their dialect's not-found).
//! Routes: infra/template.yaml, `SystemFunction`.

mod versions;

use lambda_http::{Body, Request, Response};
use serde_json::{json, Map, Value};
use shared::http::{serve, Call};
use shared::store::{config, users};
use shared::{AppError, AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        // Shiku clients fetch /config and the time before they have a token.
        (_, "/config") => shiku_config(&c).await,
        (_, "/getCurrentTime") => Ok(Reply::data(json!(c.ctx.now_ms()))),
        (_, "/config/set") => config_set(&c).await,
        ("GET", "/api/v1/ping") => Ok(Reply::data(json!({"status": "ok", "time": c.ctx.now_ms()}))),
        ("GET", "/api/v1/mobile/update_info") => versions::minxing_update_info(&c).await,
        ("GET", "/sealtalk/misc/latest_update") => versions::sealtalk_latest_update(&c).await,
        ("GET", "/sealtalk/misc/client_version") => versions::sealtalk_client_version(&c, true).await,
        ("GET", "/sealtalk/misc/mobile_version") => versions::sealtalk_client_version(&c, false).await,
        ("GET", "/sealtalk/misc/demo_square") => Ok(Reply::data(json!([]))),
        _ => Err(c.not_found()),
    }
}

async fn shiku_config(c: &Call<'_>) -> AppResult<Reply> {
    let doc = config::get(&c.ctx.db, config::SHIKU).await?.unwrap_or_else(shared::provision::default_shiku_config);
    Ok(Reply::data(doc))
}

/// Operator only. GET returns both documents (the original served a JSP page);
/// POST merges `config` (JSON object, Shiku Config entity fields) into the
/// Shiku config and `versions` (JSON object with `desktop`, `iOS`, `Android`)
/// into the version data served by the Minxing and SealTalk update routes.
async fn config_set(c: &Call<'_>) -> AppResult<Reply> {
    let session = c.session().await?;
    let user = users::require(&c.ctx.db, session.uid).await?;
    if user.role != users::Role::Operator {
        return Err(AppError::forbidden("operator only"));
    }
    let db = &c.ctx.db;
    let shiku = config::get(db, config::SHIKU).await?.unwrap_or_else(shared::provision::default_shiku_config);
    let vers = config::get(db, config::VERSIONS).await?.unwrap_or_else(shared::provision::default_versions);
    if c.method == http::Method::GET {
        return Ok(Reply::data(json!({"config": shiku, "versions": vers})));
    }
    let patch_config = json_object(c, "config")?;
    let patch_versions = json_object(c, "versions")?;
    if patch_config.is_none() && patch_versions.is_none() {
        return Err(AppError::missing("config"));
    }
    let mut out = json!({});
    if let Some(p) = patch_config {
        let merged = merge(shiku, p);
        config::put(db, config::SHIKU, &merged, c.ctx.now_ms()).await?;
        out["config"] = merged;
    }
    if let Some(p) = patch_versions {
        versions::validate(&p)?;
        let merged = merge(vers, p);
        config::put(db, config::VERSIONS, &merged, c.ctx.now_ms()).await?;
        out["versions"] = merged;
    }
    Ok(Reply::data(out))
}

fn json_object(c: &Call<'_>, name: &str) -> AppResult<Option<Map<String, Value>>> {
    let v = match c.params.raw(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => {
            serde_json::from_str::<Value>(s).map_err(|_| AppError::invalid(name, "must be a JSON object"))?
        }
        Some(v) => v.clone(),
    };
    match v {
        Value::Object(m) => Ok(Some(m)),
        _ => Err(AppError::invalid(name, "must be a JSON object")),
    }
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
