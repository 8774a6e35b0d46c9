//! The request pipeline every HTTP function shares: dialect by path, parameter
//! parsing, routing on the API Gateway route key, envelope rendering.

use crate::dialects::{render, render_err, Dialect, Reply};
use crate::error::{AppError, AppResult};
use crate::params::Params;
use crate::store::tokens::Session;
use crate::Ctx;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use std::future::Future;
use tracing::Instrument;

/// One parsed request, handed to a function's router.
pub struct Call<'a> {
    pub ctx: &'a Ctx,
    pub req: Request,
    pub dialect: Dialect,
    pub params: Params,
    pub method: http::Method,
    /// The route's path template as written in infra/template.yaml
    /// (`/api/v1/users/{user_id}`), or the raw path for `$default`.
    pub route: String,
}

impl Call<'_> {
    /// The caller's session; every route that needs a user calls this first.
    pub async fn session(&self) -> AppResult<Session> {
        crate::auth::authenticate(self.ctx, self.dialect, &self.req, &self.params).await
    }

    pub fn path_param(&self, name: &str) -> AppResult<String> {
        self.req
            .path_parameters_ref()
            .and_then(|p| p.first(name))
            .map(str::to_string)
            .ok_or_else(|| AppError::missing(name))
    }

    pub fn not_found(&self) -> AppError {
        AppError::RouteNotFound(format!("{} {}", self.method, self.req.uri().path()))
    }

    pub fn is(&self, method: &str, route: &str) -> bool {
        self.method.as_str() == method && self.route == route
    }
}

fn route_template(req: &Request) -> String {
    let key = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.route_key.clone(),
        _ => None,
    };
    match key.as_deref().and_then(|k| k.split_once(' ')) {
        Some((_, path)) => path.to_string(),
        None => req.uri().path().to_string(),
    }
}

/// Parse, route and render one request. `route` returns a domain result;
/// this turns it into the dialect's envelope.
pub async fn serve<'a, F, Fut>(ctx: &'a Ctx, req: Request, route: F) -> Response<Body>
where
    F: FnOnce(Call<'a>) -> Fut,
    Fut: Future<Output = AppResult<Reply>> + Send + 'a,
{
    let started = std::time::Instant::now();
    let dialect = Dialect::from_path(req.uri().path());
    let (method, route_key) = (req.method().clone(), route_template(&req));
    // One structured line per request (JSON on Lambda, ctx::init_tracing): ids, route, status,
    // DynamoDB calls and latency; never parameters, tokens or codes.
    let span = tracing::info_span!(
        "request",
        request_id = request_id(&req).as_deref().unwrap_or(""),
        method = method.as_str(),
        route = route_key.as_str(),
        dialect = dialect.name(),
        uid = tracing::field::Empty,
    );
    let work = async move {
        let params = match Params::parse(dialect, &req).await {
            Ok(p) => p,
            Err(e) => return (render_err(dialect, ctx.now_ms(), &e), None),
        };
        let call = Call { ctx, method, route: route_key, dialect, params, req };
        // Boxed: a function's whole route table is one deep future type; without the box its
        // layout exceeds rustc's query depth in release builds (e.g. `groups`).
        let routed: std::pin::Pin<Box<dyn Future<Output = AppResult<Reply>> + Send + 'a>> = Box::pin(route(call));
        let result = routed.await;
        let unmatched = matches!(result, Err(AppError::RouteNotFound(_)));
        let error = result.as_ref().err().map(|e| e.to_string());
        let mut resp = render(dialect, ctx.now_ms(), result);
        if unmatched {
            // The stub not-found (no match arm), told apart from an ordinary 404 by the route check
            // (tests/tests/e2e/routes.rs); API Gateway passes it through, clients ignore it.
            resp.headers_mut().insert("x-route-unmatched", lambda_http::http::HeaderValue::from_static("1"));
        }
        (resp, error)
    };
    let ((resp, error), calls) = crate::metrics::counted(work.instrument(span.clone())).await;
    let (status, ms) = (resp.status().as_u16(), started.elapsed().as_millis() as u64);
    if status >= 500 {
        tracing::error!(parent: &span, status, ddb_calls = calls, ms, error, "request");
    } else {
        tracing::info!(parent: &span, status, ddb_calls = calls, ms, error, "request");
    }
    resp
}

/// The Lambda request id (absent in the local gateway, which has its own).
fn request_id(req: &Request) -> Option<String> {
    req.lambda_context_ref().map(|c| c.request_id.clone()).filter(|id| !id.is_empty())
}

/// `main` of every HTTP function: build the context once, then serve.
pub async fn run<F, Fut>(handle: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static Ctx, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    crate::ctx::init_tracing();
    let ctx: &'static Ctx = Box::leak(Box::new(Ctx::from_env().await));
    lambda_http::run(lambda_http::service_fn(move |req| {
        let fut = handle(ctx, req);
        async move { Ok::<_, std::convert::Infallible>(fut.await) }
    }))
    .await
}
