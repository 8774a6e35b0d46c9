//! Shiku wallet: `/user/getUserMoeny` [sic], `/user/Recharge`, `/transfer/wx/pay`.
//! Own wallet only: no route takes a user id.

use shared::dialects::shiku::wallet::{balance_json, paid_json};
use shared::domain::wallet::{Fen, PayMethod, MAX_RECHARGE, MAX_WITHDRAW, MIN_WITHDRAW};
use shared::http::Call;
use shared::services::wallet::{self, Withdrawal};
use shared::{AppError, AppResult, Reply};

/// `{balance}`: auth + one GetItem.
pub async fn balance(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    Ok(Reply::data(balance_json(&wallet::balance(c.ctx, me).await?)))
}

/// `money` (yuan, ≤ 2 decimals, > 0, ≤ 50 000) and `type` (1 Alipay, 2 WeChat); credits
/// once the payment provider confirms. `{balance}` after: auth + TransactWriteItems + GetItem.
pub async fn recharge(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let money = Fen::parse_yuan("money", &c.params.req_str("money")?, MAX_RECHARGE)?;
    let kind = c.params.req_i64("type")?;
    let method = PayMethod::from_code(kind).ok_or_else(|| AppError::invalid("type", "1 (Alipay) or 2 (WeChat)"))?;
    Ok(Reply::data(balance_json(&wallet::recharge(c.ctx, me, money, method).await?)))
}

/// `amount` (fen, ≥ 50), `secret`, `time` (ms or s, ±5 min): auth + profile GetItem (the
/// WeChat binding) + TransactWriteItems.
pub async fn withdraw(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let token = shared::auth::token_from_request(c.dialect, &c.req, &c.params).ok_or(AppError::TokenMissing)?;
    let amount_text = c.params.req_str("amount")?;
    let amount = Fen::parse_fen("amount", &amount_text, MIN_WITHDRAW, MAX_WITHDRAW)?;
    let secret = c.params.str_max("secret", 64)?.ok_or_else(|| AppError::missing("secret"))?;
    let time_text = c.params.req_str("time")?;
    let time = time_text.parse::<i64>().map_err(|_| AppError::invalid("time", "epoch milliseconds or seconds"))?;
    let w =
        Withdrawal { amount, amount_text: &amount_text, time_text: &time_text, time, secret: &secret, token: &token };
    Ok(Reply::data(paid_json(&wallet::withdraw(c.ctx, me, &w).await?)))
}
