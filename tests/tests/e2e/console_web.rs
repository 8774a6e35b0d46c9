//! The web console in a real browser (headless Chromium over WebDriver, tests/e2e/browser.rs):
//! an operator signs in, reads the dashboard, finds a user made through Shiku and disables
//! them; their next Shiku call is refused. Every form control is labelled; the pages are
//! photographed at 1280×800 and at a phone width (target/tmp/console/*.png).

use super::browser::Browser;
use e2e::*;

#[tokio::test]
async fn operator_signs_in_finds_and_disables_a_shiku_user() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, "13800000123", "secret1", "Browsy").await;
    assert_eq!(http.shiku_as("/user/get", &p.token, &[]).await.shiku_code(), 1);

    let b = Browser::start().await;
    b.client.goto(&format!("{}/console", app.http_url)).await.unwrap();
    assert_eq!(b.client.title().await.unwrap(), "IM console");
    assert_eq!(b.unlabelled_controls().await, Vec::<String>::new(), "every control has a label");
    b.screenshot("signin").await;

    // A wrong password is reported on the page and signs nobody in.
    b.fill("#si-phone", "admin").await;
    b.fill("#si-password", "not-the-password").await;
    b.click("#signin button[type=submit]").await;
    b.status_contains("Sign in: ").await;
    assert!(!b.text("#status").await.ends_with("done"));

    b.fill("#si-password", "admin123").await;
    b.click("#signin button[type=submit]").await;
    b.wait_for("dd[data-key='Users']").await;
    let total: i64 = b.text("dd[data-key='Users']").await.parse().unwrap();
    assert!(total >= 2, "admin and Browsy at least: {total}");
    b.screenshot("dashboard").await;

    // Find Browsy and disable them.
    b.click("#nav [data-page='users']").await;
    b.fill("#u-nick", "Brow").await;
    b.click("#users-search button[type=submit]").await;
    let row = format!("#users-table tr[data-user-id='{}']", p.uid);
    b.wait_for(&row).await;
    assert!(b.text(&row).await.contains("Browsy"));
    b.screenshot("users").await;
    b.click(&format!("{row} button[aria-label='Disable Browsy']")).await;
    b.status_contains("Disable: done").await;
    b.wait_for(&format!("{row} button[aria-label='Enable Browsy']")).await;
    assert!(b.text(&row).await.contains("disabled"));

    // The disabled user's session is gone (tokens revoked), and signing in again fails.
    assert_eq!(http.shiku_as("/user/get", &p.token, &[]).await.shiku_code(), 1030102);
    let again = http
        .shiku(
            "/user/login",
            &[("telephone", "13800000123"), ("areaCode", "86"), ("password", &shared::auth::md5_hex("secret1"))],
        )
        .await;
    assert_ne!(again.shiku_code(), 1, "{}", again.text);

    // Phone width: the same page stays usable (rows become cards), photographed.
    b.client.set_window_size(390, 844).await.unwrap();
    b.wait_for(&row).await;
    b.screenshot("users-phone").await;
}
