//! Shiku wallet views (seed 001 `/user/getUserMoeny`, `/user/Recharge`, `/transfer/wx/pay`,
//! `/user/get` `money`/`moneyTotal`): yuan as numbers rounded to the fen, plus the exact
//! integer fen alongside.

use crate::domain::wallet::Wallet;
use crate::services::wallet::Paid;
use serde_json::{json, Value};

/// `{balance}` (seed: "balance: 充值后的余额"), with `balanceFen`.
pub fn balance_json(w: &Wallet) -> Value {
    json!({ "balance": w.balance.yuan(), "balanceFen": w.balance.0 })
}

/// `/user/get` fields of one's own profile: `money` (balance) and `moneyTotal` (recharged).
pub fn money_fields(w: &Wallet) -> [(&'static str, Value); 2] {
    [("money", json!(w.balance.yuan())), ("moneyTotal", json!(w.total.yuan()))]
}

/// A paid withdrawal (the seed gives no answer): amounts in fen as the request's `amount`.
pub fn paid_json(p: &Paid) -> Value {
    json!({
        "tradeNo": p.txid,
        "amount": p.amount.0,
        "fee": p.fee.0,
        "payout": p.payout.0,
        "reference": p.reference,
    })
}
