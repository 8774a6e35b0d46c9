//! The web console in a real browser (headless Chromium over WebDriver, tests/e2e/browser.rs):
//! an operator signs in, reads the dashboard, finds a user made through Shiku and disables
//! them (their next Shiku call is refused), edits a user and sends them messages, manages a
//! room's members and dismisses it (a member's socket hears it), and deletes a message from
//! the logs (its SealTalk sender's sync shows the tombstone). Every form control is labelled;
//! the pages are photographed at 1280×800 and at a phone width (target/tmp/console/*.png).

use super::browser::Browser;
use e2e::*;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// A browser on the console, signed in as the provisioned operator.
async fn signed_in(app: &TestApp) -> Browser {
    let b = Browser::start().await;
    b.client.goto(&format!("{}/console", app.http_url)).await.unwrap();
    b.fill("#si-phone", "admin").await;
    b.fill("#si-password", "admin123").await;
    b.click("#signin button[type=submit]").await;
    b.wait_for("dd[data-key='Users']").await;
    b
}

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
    // Keyboard only: Enter in the password field signs in.
    b.press_enter("#si-password").await;
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

/// An operator renames a user from the Users page and sends them two copies of a message
/// from the Send page, following the job's progress; the user's Shiku client sees both.
#[tokio::test]
async fn operator_edits_a_user_and_sends_them_a_message() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let from = register(&http, &phone(), "secret1", "Sender").await;
    let to = register(&http, &phone(), "secret1", "Editme").await;

    let b = signed_in(&app).await;

    // Users → Edit → new nickname.
    b.click("#nav [data-page='users']").await;
    b.fill("#u-nick", "Editme").await;
    b.click("#users-search button[type=submit]").await;
    let row = format!("#users-table tr[data-user-id='{}']", to.uid);
    b.wait_for(&row).await;
    b.click(&format!("{row} button[aria-label='Edit Editme']")).await;
    b.wait_for("#user-edit:not([hidden])").await;
    assert_eq!(b.unlabelled_controls().await, Vec::<String>::new());
    b.fill("#e-nick", "Edited").await;
    b.screenshot("user-edit").await;
    b.click("#user-edit button[type=submit]").await;
    b.status_contains("Save user: done").await;
    let r = http.shiku_as("/user/get", &to.token, &[("userId", &to.uid.to_string())]).await;
    assert_eq!(r.shiku_ok()["nickname"], "Edited", "{}", r.text);

    // Send → two copies, progress until done.
    b.click("#nav [data-page='broadcast']").await;
    b.fill("#s-from", &from.uid.to_string()).await;
    b.fill("#s-to", &to.uid.to_string()).await;
    b.fill("#s-body", "hello from the console").await;
    b.fill("#s-count", "2").await;
    b.click("#send-one button[type=submit]").await;
    b.status_contains("Send: done").await;
    let start = std::time::Instant::now();
    loop {
        b.click("#job-refresh").await;
        b.status_contains("Progress: done").await;
        if b.text("#job").await.contains("done, 2 sent") {
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "job: {}", b.text("#job").await);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    b.screenshot("send").await;
    let r = http.shiku_as("/tigase/shiku_msgs", &to.token, &[("receiver", &from.uid.to_string())]).await;
    let msgs = r.shiku_ok().as_array().unwrap().clone();
    let copies = msgs.iter().filter(|m| m["content"] == "hello from the console").count();
    assert_eq!(copies, 2, "{}", r.text);
}

/// An operator opens a room's members, adds one, dismisses the room (a member's socket hears
/// it), then deletes a 1:1 message from the Message logs page: its SealTalk sender's sync
/// shows the tombstone.
#[tokio::test]
async fn operator_manages_a_room_and_deletes_a_message() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let owner = register(&http, &phone(), "secret1", "Owner").await;
    let member = register(&http, &phone(), "secret1", "Member").await;
    let extra = register(&http, &phone(), "secret1", "Extra").await;
    let text = json!([member.uid]).to_string();
    let r = http.shiku_as("/room/add", &owner.token, &[("name", "Ops Room"), ("text", &text)]).await;
    let rid = r.shiku_ok()["id"].as_str().unwrap().to_string();
    let mut wm = Ws::connect(&app, &member.token).await.unwrap();

    let b = signed_in(&app).await;
    assert_eq!(b.text("dd[data-key='Rooms']").await, "1", "the dashboard counts the room");
    b.click("#nav [data-page='rooms']").await;
    let row = format!("#rooms-table tr[data-room-id='{rid}']");
    b.wait_for(&row).await;
    b.screenshot("rooms").await;
    b.click(&format!("{row} button[aria-label='Members of Ops Room']")).await;
    b.wait_for(&format!("#members-table tr[data-user-id='{}']", member.uid)).await;
    b.fill("#ma-ids", &extra.uid.to_string()).await;
    b.click("#members-add button[type=submit]").await;
    b.wait_for(&format!("#members-table tr[data-user-id='{}']", extra.uid)).await;
    assert!(wm.next_group("joined", WAIT).await.is_some(), "members hear the addition");
    assert_eq!(b.unlabelled_controls().await, Vec::<String>::new());
    b.screenshot("room-members").await;

    // Dismiss (confirmed): the member's socket hears it; the room is gone.
    b.click(&format!("{row} button[aria-label='Dismiss Ops Room']")).await;
    b.client.accept_alert().await.unwrap();
    b.status_contains("Dismiss: done").await;
    assert!(wm.next_group("dismissed", WAIT).await.is_some(), "a member hears the dismissal");
    assert_eq!(http.shiku_as("/room/get", &member.token, &[("roomId", &rid)]).await.shiku_code(), 1010104);

    // Message logs: Owner (on SealTalk) wrote to Member; the operator deletes one message.
    let r = http.shiku_as("/friends/attention/add", &owner.token, &[("toUserId", &member.uid.to_string())]).await;
    r.shiku_ok();
    let st = sealtalk_login(&app, &owner).await;
    let mut ids = vec![];
    for body in ["keep me", "delete me"] {
        let msg = json!({"conversationType": "PRIVATE", "targetId": member.uid.to_string(), "objectName": "RC:TxtMsg", "content": body});
        let r = st.json("POST", "/sealtalk/misc/send_message", None, msg).await;
        assert_eq!(r.body["code"], 200, "{}", r.text);
        ids.push(wm.next_event("message", WAIT).await.unwrap()["messageId"].as_str().unwrap().to_string());
    }
    let mut wo = Ws::connect(&app, &owner.token).await.unwrap();
    b.click("#nav [data-page='logs']").await;
    b.fill("#l-sender", &owner.uid.to_string()).await;
    b.fill("#l-receiver", &member.uid.to_string()).await;
    b.click("#logs-single button[type=submit]").await;
    let gone = format!("#logs-table tr[data-message-id='{}']", ids[1]);
    b.wait_for(&gone).await;
    assert!(b.text(&gone).await.contains("delete me"));
    b.screenshot("logs").await;
    b.click(&format!("{gone} button[aria-label='Delete this message']")).await;
    b.status_contains("Delete message: done").await;
    b.wait_for(&format!("#logs-table tr[data-message-id='{}']", ids[0])).await;
    assert!(b.client.find(fantoccini::Locator::Css(&gone)).await.is_err(), "the deleted row left the page");
    let f = wo.next_event("recall", WAIT).await.expect("the sender's client hears the deletion");
    assert_eq!(f["messageId"], ids[1].as_str());
    let cid = f["conversationId"].as_str().unwrap().to_string();
    wo.send(json!({"action": "sync", "conversationId": cid, "seq": 0})).await;
    let s = wo.next_event("sync", WAIT).await.unwrap();
    let by_id = |id: &str| s["messages"].as_array().unwrap().iter().find(|m| m["messageId"] == id).cloned().unwrap();
    assert_eq!((by_id(&ids[1])["recalled"].clone(), by_id(&ids[1])["content"].clone()), (json!(true), json!("")));
    assert_eq!(by_id(&ids[0])["content"], "keep me");
}
