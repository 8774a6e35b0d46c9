//! The four client dialects and their envelopes. Every response of every
//! function goes through `render`, so the envelope rules live only here.
//! Each dialect's JSON views, codes and request structs live in its submodule.

pub mod minxing;
pub mod sealtalk;
pub mod shiku;
pub mod xuanxuan;

use crate::error::AppError;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

pub const SEALTALK_PREFIX: &str = "/sealtalk";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Shiku / 盈创 IM: `{resultCode, resultMsg, data, currentTime}` at the root.
    Shiku,
    /// Minxing v3: plain JSON with HTTP status, under /api/v1 and /oauth2.
    Minxing,
    /// SealTalk: `{code: 200, result}` under /sealtalk.
    SealTalk,
    /// Xuanxuan third-party API: `{result: 'success'|'fail', data, message}` at /api.php.
    Xuanxuan,
}

impl Dialect {
    /// Decided by path prefix only, never by content type.
    pub fn from_path(path: &str) -> Dialect {
        if path == SEALTALK_PREFIX || path.starts_with("/sealtalk/") {
            Dialect::SealTalk
        } else if path.starts_with("/api/v1/") || path == "/api/v1" || path.starts_with("/oauth2/") {
            Dialect::Minxing
        } else if path == "/api.php" {
            Dialect::Xuanxuan
        } else {
            Dialect::Shiku
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Shiku => "shiku",
            Dialect::Minxing => "minxing",
            Dialect::SealTalk => "sealtalk",
            Dialect::Xuanxuan => "xuanxuan",
        }
    }
}

/// A successful handler result before it is wrapped in a dialect envelope.
#[derive(Debug, Default)]
pub struct Reply {
    pub data: Option<Value>,
    /// Bypass the envelope (SealTalk `/misc/latest_update` answers a bare object or 204).
    pub raw: bool,
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub message: Option<String>,
    /// A static text body sent as-is (the web console's page and assets), with its type.
    pub text: Option<(&'static str, &'static str)>,
}

impl Reply {
    pub fn data(v: Value) -> Self {
        Reply { data: Some(v), ..Default::default() }
    }
    pub fn empty() -> Self {
        Reply::default()
    }
    /// A body sent as-is with the given status (no envelope).
    pub fn raw(status: u16, body: Option<Value>) -> Self {
        Reply { data: body, raw: true, status: Some(status), ..Default::default() }
    }
    /// A static text body (`content_type`, `body`) sent as-is: no envelope.
    pub fn text(content_type: &'static str, body: &'static str) -> Self {
        Reply { text: Some((content_type, body)), ..Default::default() }
    }
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    pub fn message(mut self, m: impl Into<String>) -> Self {
        self.message = Some(m.into());
        self
    }
}

/// How one error looks in each dialect (see docs/errors.md).
pub struct ErrorShape {
    pub shiku_code: i64,
    pub http_status: u16,
    pub minxing_error: &'static str,
    /// (HTTP status, body `code`) for SealTalk.
    pub sealtalk: (u16, i64),
}

pub fn error_shape(e: &AppError) -> ErrorShape {
    use AppError::*;
    let (shiku_code, http_status, minxing_error, sealtalk) = match e {
        InvalidParam { .. } => (1010101, 400, "invalid_request", (400, 400)),
        MissingParam(_) => (1010102, 400, "invalid_request", (400, 400)),
        PayloadTooLarge(_) => (1010103, 413, "payload_too_large", (413, 413)),
        NotFound(_) => (1010104, 404, "not_found", (404, 404)),
        Conflict(_) => (1010105, 409, "conflict", (200, 409)),
        RouteNotFound(_) => (1010106, 404, "not_found", (404, 404)),
        Internal(_) => (1020101, 500, "server_error", (500, 500)),
        TokenMissing => (1030101, 401, "invalid_token", (403, 403)),
        TokenInvalid => (1030102, 401, "invalid_token", (403, 403)),
        Forbidden(_) => (1030103, 403, "forbidden", (403, 403)),
        // SealTalk's group cap is a 200 with code 1000 (group.coffee:96, DIFF-46).
        Refused { code, .. } if *code == crate::error::refused::TOO_MANY_GROUPS => {
            (*code, 403, "forbidden", (200, 1000))
        }
        Refused { code, .. } => (*code, 403, "forbidden", (403, 403)),
        AccountNotFound => (1040101, 404, "not_found", (200, 3000)),
        BadCredentials => (1040102, 400, "invalid_grant", (200, 1000)),
        AccountExists => (1040103, 409, "conflict", (200, 409)),
        WrongCode => (1040104, 400, "invalid_request", (200, 1000)),
        CodeExpired => (1040105, 400, "invalid_request", (200, 2000)),
        RateLimited(_) => (1010107, 429, "rate_limited", (200, 5000)),
        TooManyAttempts { .. } => (1040106, 429, "too_many_attempts", (200, 5000)),
    };
    ErrorShape { shiku_code, http_status, minxing_error, sealtalk }
}

fn json_response(status: u16, headers: &[(String, String)], body: Option<&Value>) -> Response<Body> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let body = match body {
        Some(v) => {
            b = b.header("content-type", "application/json; charset=utf-8");
            Body::Text(v.to_string())
        }
        None => Body::Empty,
    };
    b.body(body).unwrap_or_else(|_| Response::new(Body::Empty))
}

/// Turn a handler result into the dialect's HTTP response.
pub fn render(dialect: Dialect, now_ms: i64, result: Result<Reply, AppError>) -> Response<Body> {
    match result {
        Ok(r) => render_ok(dialect, now_ms, r),
        Err(e) => render_err(dialect, now_ms, &e),
    }
}

fn render_ok(dialect: Dialect, now_ms: i64, r: Reply) -> Response<Body> {
    if let Some((content_type, body)) = r.text {
        let mut b = Response::builder().status(r.status.unwrap_or(200)).header("content-type", content_type);
        for (k, v) in &r.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        return b.body(Body::Text(body.to_string())).unwrap_or_else(|_| Response::new(Body::Empty));
    }
    if r.raw {
        return json_response(r.status.unwrap_or(200), &r.headers, r.data.as_ref());
    }
    let status = r.status.unwrap_or(200);
    let body = match dialect {
        Dialect::Shiku => {
            let mut o = json!({"resultCode": 1, "resultMsg": r.message.unwrap_or_default(), "currentTime": now_ms});
            if let Some(d) = r.data {
                o["data"] = d;
            }
            Some(o)
        }
        Dialect::Minxing => match r.data {
            Some(d) => Some(d),
            None if status == 200 => return json_response(204, &r.headers, None),
            None => None,
        },
        Dialect::SealTalk => {
            let mut o = json!({"code": 200});
            if let Some(d) = r.data {
                o["result"] = d;
            }
            Some(o)
        }
        Dialect::Xuanxuan => {
            let mut o = json!({"result": "success"});
            if let Some(d) = r.data {
                o["data"] = d;
            }
            Some(o)
        }
    };
    json_response(status, &r.headers, body.as_ref())
}

/// Minxing's `error`: the shape's, except the OAuth token endpoint's own code for a grant type
/// it does not support (RFC 6749 §5.2; `grant_type` is a parameter of that endpoint only).
fn minxing_error(e: &AppError, shape: &ErrorShape) -> &'static str {
    match e {
        AppError::InvalidParam { name, .. } if name == "grant_type" => "unsupported_grant_type",
        _ => shape.minxing_error,
    }
}

/// The Shiku error envelope of `e`, also for raw answers that keep their own HTTP status (the
/// file and avatar URLs' 404s).
pub fn shiku_error_body(e: &AppError, now_ms: i64) -> Value {
    json!({"resultCode": error_shape(e).shiku_code, "resultMsg": e.to_string(), "currentTime": now_ms})
}

/// The Minxing error body of `e` (its HTTP status is `error_shape(e).http_status`).
pub fn minxing_error_body(e: &AppError) -> Value {
    let shape = error_shape(e);
    json!({"error": minxing_error(e, &shape), "error_description": e.to_string(), "status": shape.http_status})
}

pub fn render_err(dialect: Dialect, now_ms: i64, e: &AppError) -> Response<Body> {
    if let AppError::Internal(detail) = e {
        tracing::error!(%detail, "request failed");
    }
    let shape = error_shape(e);
    let msg = e.to_string();
    match dialect {
        Dialect::Shiku => json_response(200, &[], Some(&shiku_error_body(e, now_ms))),
        Dialect::Minxing => {
            let mut headers = vec![];
            // RFC 6750 §3.1: a request without credentials gets the bare challenge.
            match e {
                AppError::TokenMissing => headers.push(("www-authenticate".to_string(), "Bearer".to_string())),
                _ if shape.http_status == 401 => {
                    headers.push(("www-authenticate".to_string(), "Bearer error=\"invalid_token\"".to_string()))
                }
                _ => {}
            }
            if let AppError::TooManyAttempts { retry_after } = e {
                headers.push(("retry-after".to_string(), (*retry_after).max(1).to_string()));
            }
            json_response(shape.http_status, &headers, Some(&minxing_error_body(e)))
        }
        Dialect::SealTalk => {
            let (status, code) = shape.sealtalk;
            json_response(status, &[], Some(&json!({"code": code, "message": msg})))
        }
        Dialect::Xuanxuan => json_response(200, &[], Some(&json!({"result": "fail", "message": msg}))),
    }
}

/// SealTalk stores text inputs HTML-escaped as the original server's `Utility.xss`
/// (util.coffee:114-121: js-xss with an empty white list, whose `escapeHtml` replaces only
/// `<` and `>`; `&`, `"` and `'` stay as typed), so every dialect sees the same stored text.
/// `dialects::sealtalk::input::xss` adds the original's cut to the field's maximum.
pub fn sealtalk_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Response<Body>) -> Value {
        match r.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            _ => Value::Null,
        }
    }

    #[test]
    fn dialect_by_path_prefix() {
        assert_eq!(Dialect::from_path("/user/login"), Dialect::Shiku);
        assert_eq!(Dialect::from_path("/sealtalk/user/login"), Dialect::SealTalk);
        assert_eq!(Dialect::from_path("/api/v1/ping"), Dialect::Minxing);
        assert_eq!(Dialect::from_path("/oauth2/token"), Dialect::Minxing);
        assert_eq!(Dialect::from_path("/api.php"), Dialect::Xuanxuan);
        assert_eq!(Dialect::from_path("/api/v10"), Dialect::Shiku);
    }

    #[test]
    fn each_dialect_wraps_success_its_own_way() {
        let d = || Reply::data(json!({"a": 1}));
        let r = render(Dialect::Shiku, 5, Ok(d()));
        assert_eq!(body(&r), json!({"resultCode": 1, "resultMsg": "", "currentTime": 5, "data": {"a": 1}}));
        assert_eq!(body(&render(Dialect::Minxing, 5, Ok(d()))), json!({"a": 1}));
        assert_eq!(body(&render(Dialect::SealTalk, 5, Ok(d()))), json!({"code": 200, "result": {"a": 1}}));
        assert_eq!(body(&render(Dialect::Xuanxuan, 5, Ok(d()))), json!({"result": "success", "data": {"a": 1}}));
        assert_eq!(render(Dialect::Minxing, 5, Ok(Reply::empty())).status(), 204);
        assert_eq!(render(Dialect::SealTalk, 5, Ok(Reply::raw(204, None))).status(), 204);
    }

    #[test]
    fn errors_use_dialect_codes_and_statuses() {
        let e = AppError::TokenInvalid;
        let r = render(Dialect::Shiku, 1, Err(e));
        assert_eq!(r.status(), 200);
        assert_eq!(body(&r)["resultCode"], 1030102);
        let r = render(Dialect::Minxing, 1, Err(AppError::TokenMissing));
        assert_eq!(r.status(), 401);
        assert_eq!(body(&r)["error"], "invalid_token");
        let r = render(Dialect::SealTalk, 1, Err(AppError::BadCredentials));
        assert_eq!((r.status().as_u16(), body(&r)["code"].clone()), (200, json!(1000)));
        let r = render(Dialect::Xuanxuan, 1, Err(AppError::missing("gid")));
        assert_eq!(body(&r), json!({"result": "fail", "message": "missing parameter: gid"}));
        let r = render(Dialect::Minxing, 1, Err(AppError::internal("ddb down")));
        assert_eq!(body(&r)["error_description"], "internal error");
    }
}
