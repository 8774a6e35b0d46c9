//! `files` endpoints: uploads to S3, file records, Shiku room shares and copies, Minxing file
//! lists and follows, the stable capability URL `GET /files/{fid}` and Shiku's avatar URLs
//! `GET /avatar/{o|t}/{uid % 10000}/{uid}.jpg`.
//! Routes: infra/template.yaml, `FilesFunction`. Rules: shared::services::files (one files
//! model for every dialect: a Shiku room share IS a Minxing group file).

mod minxing;
mod shiku;

use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::dialects::{minxing_error_body, shiku_error_body};
use shared::http::{serve, Call};
use shared::services::files;
use shared::{AppError, AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        ("GET", "/files/{fid}") => capability(&c).await,
        ("GET", "/avatar/{size}/{dir}/{file}") => shiku::avatar(&c).await,
        (_, "/room/add/share") => shiku::add_share(&c).await,
        (_, "/room/share/find") => shiku::find(&c).await,
        (_, "/room/share/get") => shiku::get(&c).await,
        (_, "/room/share/delete") => shiku::delete(&c).await,
        (_, "/upload/copyFile") => shiku::copy_file(&c).await,
        ("POST", "/api/v1/uploaded_files") => minxing::upload(&c).await,
        ("POST", "/api/v1/uploaded_files/presigned") => minxing::presign(&c).await,
        ("POST", "/api/v1/uploaded_files/{file_id}/complete") => minxing::complete(&c).await,
        ("POST", "/api/v1/photos") => minxing::upload_avatar(&c).await,
        ("GET", "/api/v1/uploaded_files/uploaded_by_me") => minxing::uploaded_by_me(&c).await,
        ("GET", "/api/v1/uploaded_files/uploaded_by/{user_id}") => minxing::uploaded_by(&c).await,
        ("GET", "/api/v1/uploaded_files/in_group/{group_id}") => minxing::in_group(&c).await,
        ("GET", "/api/v1/uploaded_files/followed_by_me") => minxing::followed_by_me(&c).await,
        ("POST", "/api/v1/subscriptions/uploaded_files/{file_id}") => minxing::follow(&c).await,
        ("DELETE", "/api/v1/subscriptions/uploaded_files/{file_id}") => minxing::unfollow(&c).await,
        _ => Err(c.not_found()),
    }
}

/// This deployment's API base (stable file URLs are `<base>/files/<fid>`).
pub(crate) fn base(c: &Call<'_>) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let domain = match c.req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(rc)) => rc.domain_name.clone(),
        _ => None,
    };
    files::api_base(c.ctx, domain.as_deref())
}

/// A miss on a raw download URL (`/files`, `/avatar`): HTTP 404 kept (image loaders and
/// download managers judge by the status: a 200 would be decoded or cached as the file) with
/// the Shiku error envelope (resultCode 1010104), the body every answer on a Shiku path has;
/// `with_minxing` adds Minxing's error fields (Minxing file JSON hands out `/files` URLs too).
/// docs/dialects.md Shiku.
pub(crate) fn raw_not_found(what: &str, with_minxing: bool, now_ms: i64) -> Reply {
    let e = AppError::not_found(what);
    let mut body = shiku_error_body(&e, now_ms);
    if with_minxing {
        if let (Some(b), Value::Object(m)) = (body.as_object_mut(), minxing_error_body(&e)) {
            b.extend(m);
        }
    }
    Reply::raw(404, Some(body)).header("cache-control", "no-store")
}

/// `GET /files/{fid}` (no session: the unguessable id is the capability): 302 to a fresh 1 h
/// presigned GET; 404 with the Shiku error envelope (and Minxing's error fields) once the
/// record is gone or expired.
async fn capability(c: &Call<'_>) -> AppResult<Reply> {
    let fid = c.path_param("fid")?;
    match files::capability(c.ctx, &fid).await? {
        Some(url) => Ok(Reply::raw(302, None).header("location", url).header("cache-control", "no-store")),
        None => Ok(raw_not_found("file", true, c.ctx.now_ms())),
    }
}
