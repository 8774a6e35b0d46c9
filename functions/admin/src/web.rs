//! The web console: one page and its two assets, compiled into the function (no separate web
//! server, no build step). The page calls only the `/console/*` JSON routes and keeps the
//! console token in memory. Strict headers: no inline script, no framing, no referrer.

use shared::http::Call;
use shared::{AppError, AppResult, Reply};

const INDEX: &str = include_str!("../web/index.html");
const APP_JS: &str = include_str!("../web/app.js");
const APP_CSS: &str = include_str!("../web/app.css");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn hardened(r: Reply) -> Reply {
    r.header("content-security-policy", CSP)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("x-frame-options", "DENY")
        .header("cache-control", "no-cache")
}

/// `GET /console`: the page.
pub fn page() -> AppResult<Reply> {
    Ok(hardened(Reply::text("text/html; charset=utf-8", INDEX)))
}

/// `GET /console/assets/{name}`: the script or the style sheet; anything else is not found.
pub fn asset(c: &Call<'_>) -> AppResult<Reply> {
    let name = c.path_param("name")?;
    let (content_type, body) = match name.as_str() {
        "app.js" => ("text/javascript; charset=utf-8", APP_JS),
        "app.css" => ("text/css; charset=utf-8", APP_CSS),
        _ => return Err(AppError::not_found(format!("asset {name}"))),
    };
    Ok(hardened(Reply::text(content_type, body)))
}
