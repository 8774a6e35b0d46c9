use e2e::*;
use serde_json::json;

#[tokio::test]
async fn minxing_upload_stores_in_s3_with_working_download_url() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "F").await;
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let form = reqwest::multipart::Form::new().text("note", "x").part(
        "file",
        reqwest::multipart::Part::bytes(bytes.clone())
            .file_name("../report.bin")
            .mime_str("application/octet-stream")
            .unwrap(),
    );
    let r = http
        .send(http.client.post(format!("{}/api/v1/uploaded_files", http.base)).bearer_auth(&p.token).multipart(form))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.body["name"].clone(), r.body["size"].clone(), r.body["user_id"].as_i64()),
        (json!("report.bin"), json!(200_000), Some(p.uid))
    );
    let url = r.body["download_url"].as_str().unwrap();
    let got = reqwest::get(url).await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes, "same bytes back from S3");
    let rec = shared::store::files::get(&app.ctx.db, r.body["id"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(rec.owner.0, p.uid);
}

#[tokio::test]
async fn upload_rejects_bad_requests() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "F").await;
    let part = || reqwest::multipart::Part::bytes(b"abc".to_vec()).file_name("a.txt");
    let r = http
        .send(
            http.client
                .post(format!("{}/api/v1/uploaded_files", http.base))
                .multipart(reqwest::multipart::Form::new().part("file", part())),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = http
        .send(
            http.client
                .post(format!("{}/api/v1/uploaded_files", http.base))
                .bearer_auth(&p.token)
                .multipart(reqwest::multipart::Form::new().text("a", "b")),
        )
        .await;
    assert_eq!((r.status, r.body["error"].clone()), (400, json!("invalid_request")));
    let empty = reqwest::multipart::Part::bytes(Vec::new()).file_name("e.txt");
    let r = http
        .send(
            http.client
                .post(format!("{}/api/v1/uploaded_files", http.base))
                .bearer_auth(&p.token)
                .multipart(reqwest::multipart::Form::new().part("file", empty)),
        )
        .await;
    assert_eq!(r.status, 400);
    let big = reqwest::multipart::Part::bytes(vec![0u8; 5 * 1024 * 1024]).file_name("big.bin");
    let r = http
        .send(
            http.client
                .post(format!("{}/api/v1/uploaded_files", http.base))
                .bearer_auth(&p.token)
                .multipart(reqwest::multipart::Form::new().part("file", big)),
        )
        .await;
    assert_eq!(r.status, 413);
    let r = http
        .send(
            http.client
                .post(format!("{}/api/v1/uploaded_files", http.base))
                .bearer_auth(&p.token)
                .header("content-type", "multipart/form-data; boundary=X")
                .body("garbage"),
        )
        .await;
    assert_eq!(r.status, 400);
}
