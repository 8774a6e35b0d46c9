//! DynamoDB Streams fan-out: every new item marked with `ev` is pushed to the
//! live WebSocket connections of the users who should see it.

use aws_lambda_events::dynamodb::Event;
use shared::{AppResult, Ctx};

pub async fn handle(_ctx: &Ctx, _ev: Event) -> AppResult<()> {
    Ok(())
}
