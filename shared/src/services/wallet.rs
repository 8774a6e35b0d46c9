//! The wallet rules (issue 14): balance, recharge on a payment provider's confirmation,
//! withdrawal through a payout provider with its `secret`/`time` checked and replays
//! refused. Amounts in fen (domain/wallet.rs); the ledger in store/wallet.rs.

use crate::auth::md5_hex;
use crate::domain::secrets::token_hash;
use crate::domain::wallet::{user_account, Fen, Leg, PayMethod, ProviderKind, Wallet, TIME_SKEW_MS};
use crate::error::{refused, AppError, AppResult};
use crate::ids::UserId;
use crate::store::wallet::{self as store, Change, Refusal};
use crate::Ctx;
use std::future::Future;

/// Confirms a recharge payment. Ok(reference): the money arrived; Err: no credit.
pub trait PaymentProvider {
    fn confirm(
        &self,
        uid: UserId,
        amount: Fen,
        method: PayMethod,
        txid: &str,
    ) -> impl Future<Output = AppResult<String>> + Send;
}

/// Pays a withdrawal out to the user's WeChat `openid`. Ok(reference): paid.
pub trait PayoutProvider {
    fn pay(&self, uid: UserId, openid: &str, amount: Fen, txid: &str)
        -> impl Future<Output = AppResult<String>> + Send;
}

/// The local stack's provider: confirms payments and payouts at once (no money moves).
pub struct LocalPay;

impl PaymentProvider for LocalPay {
    async fn confirm(&self, _uid: UserId, _amount: Fen, _method: PayMethod, txid: &str) -> AppResult<String> {
        Ok(format!("local-pay-{txid}"))
    }
}

impl PayoutProvider for LocalPay {
    async fn pay(&self, _uid: UserId, _openid: &str, _amount: Fen, txid: &str) -> AppResult<String> {
        Ok(format!("local-payout-{txid}"))
    }
}

/// Equal bytes, compared in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refuse(code: i64, message: &str) -> AppError {
    AppError::Refused { code, message: message.to_string() }
}

fn no_provider(what: &str) -> AppError {
    AppError::forbidden(format!("no {what} provider is configured on this deployment"))
}

/// The caller's own wallet: one GetItem.
pub async fn balance(ctx: &Ctx, me: UserId) -> AppResult<Wallet> {
    store::get(&ctx.db, me).await
}

/// Credit `amount` once the payment provider confirms it: one TransactWriteItems (balance,
/// total, TX item, both journal legs), then one GetItem for the balance after. A deployed
/// stack without a provider refuses (Forbidden) before anything is written.
pub async fn recharge(ctx: &Ctx, me: UserId, amount: Fen, method: PayMethod) -> AppResult<Wallet> {
    match ctx.settings.wallet.payment {
        Some(ProviderKind::Local) => recharge_with(ctx, &LocalPay, me, amount, method).await,
        None => Err(no_provider("payment")),
    }
}

pub async fn recharge_with<P: PaymentProvider>(
    ctx: &Ctx,
    provider: &P,
    me: UserId,
    amount: Fen,
    method: PayMethod,
) -> AppResult<Wallet> {
    let txid = uuid::Uuid::new_v4().simple().to_string();
    let reference = provider.confirm(me, amount, method, &txid).await?;
    let legs = [
        Leg { account: method.clearing_account().into(), amount: -amount.0 },
        Leg { account: user_account(me), amount: amount.0 },
    ];
    let change = Change {
        txid: &txid,
        kind: "recharge",
        delta: amount.0,
        fee: 0,
        recharged: amount.0,
        reference: &reference,
        legs: &legs,
        secret: None,
    };
    store::apply(&ctx.db, me, ctx.now_ms(), &change).await?.map_err(|_| AppError::internal("a credit was refused"))?;
    store::get(&ctx.db, me).await
}

/// A withdrawal request as the client sent it (`amount` and `time` as text: the secret is
/// computed over the text).
pub struct Withdrawal<'a> {
    pub amount: Fen,
    pub amount_text: &'a str,
    pub time_text: &'a str,
    pub time: i64,
    pub secret: &'a str,
    /// The access token the request carried.
    pub token: &'a str,
}

/// A paid withdrawal.
#[derive(Debug, Clone)]
pub struct Paid {
    pub txid: String,
    pub amount: Fen,
    pub fee: Fen,
    pub payout: Fen,
    pub reference: String,
}

/// `time` in epoch milliseconds, or seconds (values below 10^11).
pub fn time_ms(time: i64) -> i64 {
    if time.unsigned_abs() < 100_000_000_000 {
        time.saturating_mul(1000)
    } else {
        time
    }
}

/// The expected secret: md5(apiKey + openid + userid) + md5(token + amount + time).
pub fn expected_secret(api_key: &str, openid: &str, uid: UserId, token: &str, amount: &str, time: &str) -> String {
    md5_hex(&format!("{api_key}{openid}{uid}")) + &md5_hex(&format!("{token}{amount}{time}"))
}

/// Withdraw from one's own balance: checks (provider, time ±5 min, WeChat binding: one
/// GetItem, secret), then one TransactWriteItems debiting `amount` on `balance >= amount`
/// with the TX item, 3 journal legs (user −amount, payout +amount−fee, fees +fee) and the
/// secret's hash (a replay fails there), then the payout. A refused payout is reversed.
pub async fn withdraw(ctx: &Ctx, me: UserId, w: &Withdrawal<'_>) -> AppResult<Paid> {
    match ctx.settings.wallet.payout {
        Some(ProviderKind::Local) => withdraw_with(ctx, &LocalPay, me, w).await,
        None => Err(no_provider("payout")),
    }
}

pub async fn withdraw_with<P: PayoutProvider>(
    ctx: &Ctx,
    provider: &P,
    me: UserId,
    w: &Withdrawal<'_>,
) -> AppResult<Paid> {
    let now = ctx.now_ms();
    if time_ms(w.time).saturating_sub(now).saturating_abs() > TIME_SKEW_MS {
        return Err(refuse(refused::WALLET_STALE_TIME, "time is more than 5 minutes off the server clock"));
    }
    let secret = w.secret.trim().to_ascii_lowercase();
    let Some(openid) = store::wx_binding(&ctx.db, me).await? else {
        return Err(refuse(refused::WALLET_NO_WX, "bind WeChat first (/user/bind/wxcode)"));
    };
    let expected =
        expected_secret(&ctx.settings.wallet.payout_api_key, &openid, me, w.token, w.amount_text, w.time_text);
    if !same(secret.as_bytes(), expected.as_bytes()) {
        return Err(refuse(refused::WALLET_BAD_SECRET, "secret does not match"));
    }
    let fee = w.amount.withdraw_fee();
    let payout = Fen(w.amount.0 - fee.0);
    let txid = uuid::Uuid::new_v4().simple().to_string();
    let legs = [
        Leg { account: user_account(me), amount: -w.amount.0 },
        Leg { account: "payout:wechat".into(), amount: payout.0 },
        Leg { account: "fees".into(), amount: fee.0 },
    ];
    let hash = token_hash(&secret);
    let change = Change {
        txid: &txid,
        kind: "withdraw",
        delta: -w.amount.0,
        fee: fee.0,
        recharged: 0,
        reference: "wechat",
        legs: &legs,
        // Kept until the time window has surely closed for this secret.
        secret: Some((&hash, now / 1000 + 2 * TIME_SKEW_MS / 1000 + 60)),
    };
    match store::apply(&ctx.db, me, now, &change).await? {
        Ok(()) => {}
        Err(Refusal::Insufficient) => return Err(refuse(refused::WALLET_INSUFFICIENT, "balance too low")),
        Err(Refusal::Replayed) => return Err(refuse(refused::WALLET_REPLAYED, "this secret was used already")),
    }
    match provider.pay(me, &openid, payout, &txid).await {
        Ok(reference) => Ok(Paid { txid, amount: w.amount, fee, payout, reference }),
        Err(e) => {
            tracing::warn!(error = %e, %txid, "payout refused: reversing the debit");
            let back: Vec<Leg> = legs.iter().map(|l| Leg { account: l.account.clone(), amount: -l.amount }).collect();
            let rid = format!("{txid}r");
            let reversal = Change {
                txid: &rid,
                kind: "reversal",
                delta: w.amount.0,
                fee: -fee.0,
                recharged: 0,
                reference: &txid,
                legs: &back,
                secret: None,
            };
            store::apply(&ctx.db, me, ctx.now_ms(), &reversal)
                .await?
                .map_err(|_| AppError::internal("reversal refused"))?;
            Err(refuse(refused::WALLET_PAYOUT_FAILED, "the payout was refused; the balance is unchanged"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::wallet::Providers;

    fn deployed_without_providers() -> Ctx {
        let mut ctx = Ctx::local(&crate::ctx::LocalConfig {
            table: "t".into(),
            bucket: "b".into(),
            // Nothing may be called: the refusal comes before any DynamoDB call.
            ddb_endpoint: "http://127.0.0.1:9".into(),
            s3_endpoint: "http://127.0.0.1:9".into(),
            ws_management_endpoint: "http://127.0.0.1:9".into(),
            lambda_timeouts: false,
        });
        ctx.settings.wallet = Providers::default();
        ctx
    }

    #[tokio::test]
    async fn a_stack_without_providers_refuses() {
        let ctx = deployed_without_providers();
        let e = recharge(&ctx, UserId(1), Fen(100), PayMethod::Alipay).await.unwrap_err();
        assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
        let w = Withdrawal { amount: Fen(100), amount_text: "100", time_text: "0", time: 0, secret: "", token: "" };
        let e = withdraw(&ctx, UserId(1), &w).await.unwrap_err();
        assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    }

    #[test]
    fn secret_and_time() {
        let s = expected_secret("k", "o", UserId(7), "tok", "50", "1000");
        assert_eq!(s, md5_hex("ko7") + &md5_hex("tok501000"));
        assert_eq!(time_ms(1_700_000_000), 1_700_000_000_000);
        assert_eq!(time_ms(1_700_000_000_123), 1_700_000_000_123);
        assert_eq!(time_ms(i64::MIN), i64::MIN);
        assert_eq!(time_ms(-5), -5000);
        assert!(same(b"ab", b"ab") && !same(b"ab", b"ac") && !same(b"ab", b"abc"));
    }
}
