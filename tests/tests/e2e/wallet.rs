//! Shiku wallet (issue 14): `/user/getUserMoeny`, `/user/Recharge`, `/transfer/wx/pay`,
//! `/user/get` `money`/`moneyTotal`; integer fen, a double-entry journal, the call budgets,
//! bad input that writes nothing, and 100 parallel withdrawals against a balance for 10.

use e2e::*;
use serde_json::json;
use shared::auth::md5_hex;
use shared::domain::wallet::LOCAL_PAYOUT_API_KEY;
use shared::store::wallet as ledger;
use shared::UserId;

const WX: &str = "wx-openid-1";

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn secret(p: &Person, openid: &str, amount: &str, time: &str) -> String {
    md5_hex(&format!("{LOCAL_PAYOUT_API_KEY}{openid}{}", p.uid)) + &md5_hex(&format!("{}{amount}{time}", p.token))
}

async fn withdraw(http: &Http, p: &Person, amount: &str, time: &str, secret: &str) -> Resp {
    http.shiku("/transfer/wx/pay", &sh(&p.token, &[("amount", amount), ("time", time), ("secret", secret)])).await
}

async fn balance(http: &Http, p: &Person) -> Resp {
    http.shiku("/user/getUserMoeny", &sh(&p.token, &[])).await
}

/// The balance in fen as the API answers it.
async fn balance_fen(http: &Http, p: &Person) -> i64 {
    balance(http, p).await.shiku_ok()["balanceFen"].as_i64().unwrap()
}

/// The stored ledger agrees with the balance: the TX items sum to it, the user's journal
/// legs of today sum to it, every transaction's legs sum to zero.
async fn assert_ledger(app: &TestApp, p: &Person, balance: i64) -> Vec<shared::domain::wallet::Tx> {
    let uid = UserId(p.uid);
    let txs = ledger::transactions(&app.ctx.db, uid).await.unwrap();
    assert_eq!(txs.iter().map(|t| t.delta).sum::<i64>(), balance, "TX items sum to the balance: {txs:?}");
    let legs = ledger::journal(&app.ctx.db, now_ms()).await.unwrap();
    let mine = format!("user:{}", p.uid);
    assert_eq!(legs.iter().filter(|(_, l)| l.account == mine).map(|(_, l)| l.amount).sum::<i64>(), balance);
    let mut per_tx = std::collections::BTreeMap::<String, i64>::new();
    for (tx, l) in &legs {
        *per_tx.entry(tx.clone()).or_default() += l.amount;
    }
    assert!(per_tx.values().all(|s| *s == 0), "every transaction's legs balance: {per_tx:?}");
    for t in &txs {
        assert!(per_tx.contains_key(&t.id), "TX {} has journal legs", t.id);
    }
    assert_eq!(ledger::get(&app.ctx.db, uid).await.unwrap().balance.0, balance);
    txs
}

#[tokio::test]
async fn balance_recharge_and_own_profile_money() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "W").await;
    let q = register(&http, &phone(), "secret1", "Q").await;

    let r = balance(&http, &p).await;
    assert_eq!(r.shiku_ok(), &json!({"balance": 0.0, "balanceFen": 0}));
    eprintln!("calls: balance {}", r.ddb_calls());
    assert!(r.ddb_calls() <= 2, "balance: token + GetItem, got {}", r.ddb_calls());

    let r = http.shiku("/user/Recharge", &sh(&p.token, &[("money", "12.5"), ("type", "1")])).await;
    assert_eq!(r.shiku_ok(), &json!({"balance": 12.5, "balanceFen": 1250}));
    eprintln!("calls: recharge {}", r.ddb_calls());
    assert!(r.ddb_calls() <= 3, "recharge: token + TransactWriteItems + GetItem, got {}", r.ddb_calls());
    let r = http.shiku("/user/Recharge", &sh(&p.token, &[("money", "0.1"), ("type", "2")])).await;
    assert_eq!(r.shiku_ok()["balanceFen"], 1260);
    let r = balance(&http, &p).await;
    assert_eq!(r.shiku_ok()["balance"], 12.6);

    let r = http.shiku("/user/get", &sh(&p.token, &[])).await;
    let d = r.shiku_ok();
    assert_eq!((d["money"].clone(), d["moneyTotal"].clone()), (json!(12.6), json!(12.6)));
    eprintln!("calls: own /user/get {}", r.ddb_calls());
    assert!(
        r.ddb_calls() <= 4,
        "own /user/get: token + profile/settings + company Query + wallet GetItem, got {}",
        r.ddb_calls()
    );
    // Someone else's profile shows no money; their own wallet is theirs alone.
    let r = http.shiku("/user/get", &sh(&q.token, &[("userId", &p.uid.to_string())])).await;
    assert!(r.shiku_ok().get("money").is_none(), "{}", r.text);
    assert_eq!(balance_fen(&http, &q).await, 0);
    let r = http.shiku("/user/get", &sh(&q.token, &[])).await;
    assert_eq!((r.shiku_ok()["money"].clone(), r.shiku_ok()["moneyTotal"].clone()), (json!(0.0), json!(0.0)));

    let txs = assert_ledger(&app, &p, 1260).await;
    assert_eq!(txs.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>(), ["recharge", "recharge"]);
    assert!(txs[0].reference.starts_with("local-pay-"), "credited on the provider's confirmation: {txs:?}");
}

#[tokio::test]
async fn recharge_bad_input_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "W").await;
    let cases: &[(&[(&str, &str)], i64)] = &[
        (&[("type", "1")], 1010102),
        (&[("money", ""), ("type", "1")], 1010102),
        (&[("money", "-1"), ("type", "1")], 1010101),
        (&[("money", "0"), ("type", "1")], 1010101),
        (&[("money", "0.00"), ("type", "1")], 1010101),
        (&[("money", "NaN"), ("type", "1")], 1010101),
        (&[("money", "inf"), ("type", "1")], 1010101),
        (&[("money", "1e3"), ("type", "1")], 1010101),
        (&[("money", "1.234"), ("type", "1")], 1010101),
        (&[("money", "50000.01"), ("type", "1")], 1010101),
        (&[("money", "99999999999999999999999"), ("type", "1")], 1010101),
        (&[("money", "abc"), ("type", "1")], 1010101),
        (&[("money", "10")], 1010102),
        (&[("money", "10"), ("type", "3")], 1010101),
        (&[("money", "10"), ("type", "0")], 1010101),
        (&[("money", "10"), ("type", "x")], 1010101),
    ];
    for (form, code) in cases {
        let r = http.shiku("/user/Recharge", &sh(&p.token, form)).await;
        assert_eq!(r.shiku_code(), *code, "{form:?}: {}", r.text);
    }
    let r = http.shiku("/user/Recharge", &[("money", "10"), ("type", "1")]).await;
    assert_eq!(r.shiku_code(), 1030101, "no token");
    let r = http.shiku("/user/Recharge", &[("access_token", "nope"), ("money", "10"), ("type", "1")]).await;
    assert_eq!(r.shiku_code(), 1030102, "bad token");
    assert_eq!(balance_fen(&http, &p).await, 0);
    assert!(app.ctx.db.get(format!("USER#{}", p.uid), "WALLET").await.unwrap().is_none(), "no wallet item written");
    assert!(assert_ledger(&app, &p, 0).await.is_empty());
    assert!(ledger::journal(&app.ctx.db, now_ms()).await.unwrap().is_empty(), "no journal leg written");
}

#[tokio::test]
async fn withdrawal_checks_fee_replay_and_budget() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "W").await;
    http.shiku("/user/Recharge", &sh(&p.token, &[("money", "10.00"), ("type", "2")])).await.shiku_ok();
    let t = now_ms().to_string();

    // No WeChat binding yet: refused.
    let r = withdraw(&http, &p, "100", &t, &secret(&p, WX, "100", &t)).await;
    assert_eq!(r.shiku_code(), 1101005, "{}", r.text);
    http.shiku("/user/bind/wxcode", &sh(&p.token, &[("code", WX)])).await.shiku_ok();

    let stale = (now_ms() - 6 * 60_000).to_string();
    let future = (now_ms() + 6 * 60_000).to_string();
    let cases: Vec<(&str, String, String, i64)> = vec![
        ("", t.clone(), secret(&p, WX, "", &t), 1010102),
        ("49", t.clone(), secret(&p, WX, "49", &t), 1010101),
        ("0", t.clone(), secret(&p, WX, "0", &t), 1010101),
        ("-100", t.clone(), secret(&p, WX, "-100", &t), 1010101),
        ("0.5", t.clone(), secret(&p, WX, "0.5", &t), 1010101),
        ("NaN", t.clone(), secret(&p, WX, "NaN", &t), 1010101),
        ("99999999999999999999", t.clone(), secret(&p, WX, "99999999999999999999", &t), 1010101),
        ("100", "".into(), secret(&p, WX, "100", ""), 1010102),
        ("100", "soon".into(), secret(&p, WX, "100", "soon"), 1010101),
        ("100", t.clone(), "".into(), 1010102),
        ("100", stale.clone(), secret(&p, WX, "100", &stale), 1101003),
        ("100", future.clone(), secret(&p, WX, "100", &future), 1101003),
        ("100", i64::MIN.to_string(), secret(&p, WX, "100", &i64::MIN.to_string()), 1101003),
        ("100", i64::MAX.to_string(), secret(&p, WX, "100", &i64::MAX.to_string()), 1101003),
        ("100", "99999999999999999999".into(), secret(&p, WX, "100", "99999999999999999999"), 1010101),
        ("100", t.clone(), secret(&p, "other-openid", "100", &t), 1101002),
        ("100", t.clone(), secret(&p, WX, "101", &t), 1101002),
        ("100", t.clone(), "0".repeat(64), 1101002),
        ("100", t.clone(), "x".repeat(65), 1010101),
    ];
    for (amount, time, sec, code) in &cases {
        let r = withdraw(&http, &p, amount, time, sec).await;
        assert_eq!(r.shiku_code(), *code, "amount {amount:?} time {time:?}: {}", r.text);
    }
    assert_eq!(balance_fen(&http, &p).await, 1000, "nothing debited by bad input");
    assert_eq!(assert_ledger(&app, &p, 1000).await.len(), 1, "only the recharge");

    // The good one: 1.00 yuan, fee ⌈0.6 %⌉ = 1 fen taken from the payout.
    let good = secret(&p, WX, "100", &t);
    let r = withdraw(&http, &p, "100", &t, &good).await;
    let d = r.shiku_ok().clone();
    assert_eq!((d["amount"].clone(), d["fee"].clone(), d["payout"].clone()), (json!(100), json!(1), json!(99)));
    eprintln!("calls: withdraw {}", r.ddb_calls());
    assert!(r.ddb_calls() <= 3, "withdraw: token + WeChat binding GetItem + TransactWriteItems, got {}", r.ddb_calls());
    assert_eq!(balance_fen(&http, &p).await, 900);
    // Replayed secret: refused, nothing written.
    let r = withdraw(&http, &p, "100", &t, &good).await;
    assert_eq!(r.shiku_code(), 1101004, "{}", r.text);
    assert_eq!(balance_fen(&http, &p).await, 900);
    // Seconds are accepted as well; more than the balance is refused.
    let ts = (now_ms() / 1000).to_string();
    let r = withdraw(&http, &p, "901", &ts, &secret(&p, WX, "901", &ts)).await;
    assert_eq!(r.shiku_code(), 1101001, "{}", r.text);
    let r = withdraw(&http, &p, "900", &ts, &secret(&p, WX, "900", &ts)).await;
    assert_eq!(r.shiku_ok()["fee"], 6);
    assert_eq!(balance_fen(&http, &p).await, 0);

    let txs = assert_ledger(&app, &p, 0).await;
    assert_eq!(
        txs.iter().map(|t| (t.kind.as_str(), t.delta, t.fee)).collect::<Vec<_>>(),
        [("recharge", 1000, 0), ("withdraw", -100, 1), ("withdraw", -900, 6)]
    );
    let legs = ledger::journal(&app.ctx.db, now_ms()).await.unwrap();
    let fees: i64 = legs.iter().filter(|(_, l)| l.account == "fees").map(|(_, l)| l.amount).sum();
    let paid: i64 = legs.iter().filter(|(_, l)| l.account == "payout:wechat").map(|(_, l)| l.amount).sum();
    assert_eq!((fees, paid), (7, 993));
    // Another user's token with this user's secret parts: their own (empty) balance only.
    let q = register(&http, &phone(), "secret1", "Q").await;
    http.shiku("/user/bind/wxcode", &sh(&q.token, &[("code", WX)])).await.shiku_ok();
    let r = withdraw(&http, &q, "100", &t, &good).await;
    assert_eq!(r.shiku_code(), 1101002, "p's secret is not q's");
    let r = withdraw(&http, &q, "100", &t, &secret(&q, WX, "100", &t)).await;
    assert_eq!(r.shiku_code(), 1101001, "q has nothing");
}

#[tokio::test]
async fn hundred_parallel_withdrawals_exactly_ten_pass() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "W").await;
    http.shiku("/user/bind/wxcode", &sh(&p.token, &[("code", WX)])).await.shiku_ok();
    // 10 × 0.50 yuan + 0.25 left over.
    http.shiku("/user/Recharge", &sh(&p.token, &[("money", "5.25"), ("type", "1")])).await.shiku_ok();
    let base = now_ms();
    let http = &http;
    let p = &p;
    let results = futures_util::future::join_all((0..100).map(|i| async move {
        let t = (base + i).to_string();
        withdraw(http, p, "50", &t, &secret(p, WX, "50", &t)).await.shiku_code()
    }))
    .await;
    let ok = results.iter().filter(|c| **c == 1).count();
    let low = results.iter().filter(|c| **c == 1101001).count();
    assert_eq!((ok, low), (10, 90), "{results:?}");
    assert_eq!(balance_fen(http, p).await, 25);
    let txs = assert_ledger(&app, p, 25).await;
    assert_eq!(txs.iter().filter(|t| t.kind == "withdraw").count(), 10);
}

/// A payout provider that refuses: the debit is reversed in the ledger, the balance is back.
struct RefusingPayout;

impl shared::services::wallet::PayoutProvider for RefusingPayout {
    async fn pay(&self, _: UserId, _: &str, _: shared::domain::wallet::Fen, _: &str) -> shared::AppResult<String> {
        Err(shared::AppError::internal("the bank is closed"))
    }
}

#[tokio::test]
async fn refused_payout_is_reversed() {
    use shared::services::wallet::{withdraw_with, Withdrawal};
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "W").await;
    http.shiku("/user/bind/wxcode", &sh(&p.token, &[("code", WX)])).await.shiku_ok();
    http.shiku("/user/Recharge", &sh(&p.token, &[("money", "3"), ("type", "1")])).await.shiku_ok();
    let t = now_ms().to_string();
    let sec = secret(&p, WX, "200", &t);
    let w = Withdrawal {
        amount: shared::domain::wallet::Fen(200),
        amount_text: "200",
        time_text: &t,
        time: t.parse().unwrap(),
        secret: &sec,
        token: &p.token,
    };
    let e = withdraw_with(&app.ctx, &RefusingPayout, UserId(p.uid), &w).await.unwrap_err();
    assert!(matches!(e, shared::AppError::Refused { code: 1101006, .. }), "{e:?}");
    assert_eq!(balance_fen(&http, &p).await, 300);
    let txs = assert_ledger(&app, &p, 300).await;
    assert_eq!(
        txs.iter().map(|t| (t.kind.as_str(), t.delta)).collect::<Vec<_>>(),
        [("recharge", 300), ("withdraw", -200), ("reversal", 200)]
    );
    // The secret stays used.
    let r = withdraw(&http, &p, "200", &t, &sec).await;
    assert_eq!(r.shiku_code(), 1101004, "{}", r.text);
}
