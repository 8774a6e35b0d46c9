//! Upload URLs are bound by size and content type (issue #9, low items): the presigned PUT
//! of SealTalk `get_image_token` signs the content type (and the exact length when the client
//! gives `size`), and `set_portrait_uri` accepts an uploaded key only when the object is an
//! image within the size limit (anything else is deleted).

use e2e::*;
use serde_json::json;

async fn put(url: &str, ct: &str, body: Vec<u8>) -> u16 {
    let r = reqwest::Client::new().put(url).header("content-type", ct).body(body).send().await.unwrap();
    r.status().as_u16()
}

#[tokio::test]
async fn image_upload_urls_are_bound_to_type_and_size() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Alice").await;
    let st = sealtalk_login(&app, &a).await;

    // The content type is signed and handed back as the header to send.
    let r = st.get("/sealtalk/user/get_image_token?contentType=image/png&size=7", None).await;
    let res = r.body["result"].clone();
    let url = res["token"].as_str().unwrap_or_else(|| panic!("{}", r.text)).to_string();
    assert_eq!(res["headers"]["Content-Type"], "image/png", "{}", r.text);
    let signed = url.split("X-Amz-SignedHeaders=").nth(1).unwrap_or("").split('&').next().unwrap_or("").to_string();
    assert!(signed.contains("content-type") && signed.contains("content-length"), "signed headers: {signed}");
    assert_eq!(put(&url, "image/png", b"PNGDATA".to_vec()).await, 200);
    let r = st.json("POST", "/sealtalk/user/set_portrait_uri", None, json!({"portraitUri": res["key"]})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);

    // Only image types, and sizes within the limit, can be asked for.
    for q in ["contentType=text/html", "size=0", "size=99999999999", "size=-1", "size=x"] {
        let r = st.get(&format!("/sealtalk/user/get_image_token?{q}"), None).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }

    // Whatever was PUT, the key becomes a portrait only if it is an image within the limit.
    let r = st.get("/sealtalk/user/get_image_token", None).await;
    let res = r.body["result"].clone();
    let big = vec![0u8; 5 * 1024 * 1024 + 1];
    assert_eq!(put(res["token"].as_str().unwrap(), "image/jpeg", big).await, 200, "the emulator does not check");
    let r = st.json("POST", "/sealtalk/user/set_portrait_uri", None, json!({"portraitUri": res["key"]})).await;
    assert_eq!(r.status, 400, "oversize object: {}", r.text);
    // A refused object is deleted (its presigned GET finds nothing).
    let gone = reqwest::get(res["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(gone.status().as_u16(), 404, "the refused upload is deleted");
    let r = st.get("/sealtalk/user/get_image_token", None).await;
    let res = r.body["result"].clone();
    assert_eq!(put(res["token"].as_str().unwrap(), "text/html", b"<script>".to_vec()).await, 200);
    let r = st.json("POST", "/sealtalk/user/set_portrait_uri", None, json!({"portraitUri": res["key"]})).await;
    assert_eq!(r.status, 400, "not an image: {}", r.text);
    assert_eq!(reqwest::get(res["url"].as_str().unwrap()).await.unwrap().status().as_u16(), 404);
    // A key that was never uploaded.
    let r = st.get("/sealtalk/user/get_image_token", None).await;
    let key = r.body["result"]["key"].clone();
    let r = st.json("POST", "/sealtalk/user/set_portrait_uri", None, json!({"portraitUri": key})).await;
    assert_eq!(r.status, 400, "nothing uploaded: {}", r.text);
    // The accepted portrait is still the first one.
    let r = st.get(&format!("/sealtalk/user/{}", a.uid), None).await;
    let url = r.body["result"]["portraitUri"].as_str().unwrap().to_string();
    assert_eq!(reqwest::get(&url).await.unwrap().bytes().await.unwrap().to_vec(), b"PNGDATA".to_vec());
}
