//! `integrations`: the Xuanxuan third-party API at `/api.php?m=chat&f=…`.
//! Every call is signed: token = md5(md5(query string without `&token=…`) + app key),
//! as the Xuanxuan server checks it. Routes: infra/template.yaml, `IntegrationsFunction`.

use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use shared::auth::md5_hex;
use shared::http::{serve, Call};
use shared::ids::UserId;
use shared::store::{apps, conversations as convs, users};
use shared::{AppError, AppResult, Ctx, Reply};
use subtle::ConstantTimeEq;

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    let module = c.params.req_str("m")?;
    let method = c.params.req_str("f")?;
    check_signature(&c).await?;
    match (c.method.as_str(), module.as_str(), method.as_str()) {
        ("GET", "chat", "getChatGroups") => chat_groups(&c).await,
        ("GET", "chat", "getChatUsers") => chat_users(&c).await,
        _ => Err(AppError::RouteNotFound(format!("{} m={module}&f={method}", c.method))),
    }
}

/// The query string as signed: everything but the `token` pair.
pub fn signed_part(query: &str) -> String {
    query.split('&').filter(|kv| !kv.starts_with("token=")).collect::<Vec<_>>().join("&")
}

pub fn sign(query_without_token: &str, key: &str) -> String {
    md5_hex(&(md5_hex(query_without_token) + key))
}

async fn check_signature(c: &Call<'_>) -> AppResult<()> {
    let code = c.params.req_str("code")?;
    let token = c.params.str("token")?.ok_or(AppError::TokenMissing)?;
    let key = apps::key(&c.ctx.db, &code).await?.ok_or(AppError::TokenInvalid)?;
    let expected = sign(&signed_part(c.req.uri().query().unwrap_or("")), &key);
    if expected.as_bytes().ct_eq(token.to_ascii_lowercase().as_bytes()).into() {
        Ok(())
    } else {
        Err(AppError::TokenInvalid)
    }
}

/// `{gid: name}` for every group conversation.
async fn chat_groups(c: &Call<'_>) -> AppResult<Reply> {
    let groups = convs::all_groups(&c.ctx.db).await?;
    let data: Map<String, Value> = groups.into_iter().map(|g| (g.id, Value::String(g.name))).collect();
    Ok(Reply::data(Value::Object(data)))
}

/// `{id: display name}` of a group's members, or of every account without `gid`.
async fn chat_users(c: &Call<'_>) -> AppResult<Reply> {
    let people = match c.params.str("gid")? {
        Some(gid) => {
            let conv = convs::get(&c.ctx.db, &gid).await?;
            if conv.is_none_or(|g| g.kind != convs::Kind::Group) {
                return Err(AppError::not_found(format!("group {gid}")));
            }
            let ids: Vec<UserId> = convs::members(&c.ctx.db, &gid).await?.into_iter().map(|m| m.uid).collect();
            users::get_many(&c.ctx.db, &ids).await?
        }
        None => users::all(&c.ctx.db).await?,
    };
    let data: Map<String, Value> = people.into_iter().map(|u| (u.uid.to_string(), Value::String(u.nickname))).collect();
    Ok(Reply::data(Value::Object(data)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_excludes_itself_from_the_signed_query() {
        assert_eq!(signed_part("m=chat&f=getChatGroups&code=demo&token=abc"), "m=chat&f=getChatGroups&code=demo");
        assert_eq!(signed_part("token=abc&m=chat"), "m=chat");
        let t = sign("m=chat&f=getChatGroups&code=demo", "demo-key");
        assert_eq!(t, md5_hex(&(md5_hex("m=chat&f=getChatGroups&code=demo") + "demo-key")));
    }
}
