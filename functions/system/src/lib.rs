//! `system` endpoints: server configuration, time, client version checks and
//! the `$default` catch-all (unknown paths get their dialect's not-found).
//! Routes: infra/template.yaml, `SystemFunction`.

mod versions;

use lambda_http::{Body, Request, Response};
use serde_json::{json, Map, Value};
use shared::http::{serve, Call};
use shared::services::config;
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
        ("GET", "/sealtalk/misc/demo_square") => Ok(Reply::data(config::demo_square(c.ctx).await?)),
        _ => Err(c.not_found()),
    }
}

/// Seed 001 `/config`: the operator's document plus this deployment's addresses, the API
/// base taken from the domain API Gateway received the request on (its own id domain or a
/// custom domain) when the stack sets none.
async fn shiku_config(c: &Call<'_>) -> AppResult<Reply> {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let domain = match c.req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(rc)) => rc.domain_name.clone(),
        _ => None,
    };
    Ok(Reply::data(config::shiku_for_clients(c.ctx, domain.as_deref()).await?))
}

/// Operator only. GET returns both documents (the original served a JSP page);
/// POST merges `config` (JSON object, Shiku Config entity fields) into the
/// Shiku config and `versions` (JSON object with `desktop`, `iOS`, `Android`)
/// into the version data served by the Minxing and SealTalk update routes.
async fn config_set(c: &Call<'_>) -> AppResult<Reply> {
    let session = c.session().await?;
    let docs = config::operator_documents(c.ctx, session.uid).await?;
    if c.method == http::Method::GET {
        return Ok(Reply::data(json!({"config": docs.shiku, "versions": docs.versions})));
    }
    let patch_config = json_object(c, "config")?;
    let patch_versions = json_object(c, "versions")?;
    let mut out = json!({});
    // SealTalk `/misc/demo_square` list: `demoSquare` (JSON array) replaces it whole.
    if let Some(list) = json_array(c, "demoSquare")? {
        out["demoSquare"] = config::set_demo_square(c.ctx, list).await?;
        if patch_config.is_none() && patch_versions.is_none() {
            return Ok(Reply::data(out));
        }
    }
    let (shiku, versions) = config::update(c.ctx, docs, patch_config, patch_versions).await?;
    if let Some(doc) = shiku {
        out["config"] = doc;
    }
    if let Some(doc) = versions {
        out["versions"] = doc;
    }
    Ok(Reply::data(out))
}

fn json_array(c: &Call<'_>, name: &str) -> AppResult<Option<Vec<Value>>> {
    let v = match c.params.raw(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => {
            serde_json::from_str::<Value>(s).map_err(|_| AppError::invalid(name, "must be a JSON array"))?
        }
        Some(v) => v.clone(),
    };
    match v {
        Value::Array(a) => Ok(Some(a)),
        _ => Err(AppError::invalid(name, "must be a JSON array")),
    }
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
