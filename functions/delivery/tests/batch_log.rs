//! Every stream batch handled by `delivery` leaves one structured JSON log line
//! (`"message":"batch"`): records, posts, gone connections, outcome, DynamoDB calls and
//! latency — never a record's content.

use aws_lambda_events::dynamodb::Event;
use serde_json::{json, Value};
use shared::testing::{capture_json_logs, offline_ctx};

fn message_record(seq: i64) -> Value {
    json!({
        "eventID": format!("e{seq}"), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/s",
        "dynamodb": {"Keys": {}, "SequenceNumber": format!("{seq}"), "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES",
            "NewImage": {
                "cid": {"S": "g1"}, "seq": {"N": seq.to_string()}, "mid": {"S": format!("m{seq}")},
                "sender": {"N": "10000001"}, "type": {"N": "1"}, "content": {"S": "SECRET-CONTENT"},
                "ts": {"N": "1"}, "ev": {"S": "message"}
            }}
    })
}

fn batches(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["message"] == "batch").collect()
}

#[tokio::test(flavor = "current_thread")]
async fn an_empty_batch_logs_one_ok_line() {
    let ctx = offline_ctx();
    let lines = capture_json_logs(async {
        let ev: Event = serde_json::from_value(json!({"Records": []})).unwrap();
        let r = delivery::handle(&ctx, ev).await.expect("nothing to do");
        assert!(r.batch_item_failures.is_empty());
    })
    .await;
    let all = serde_json::to_string(&lines).unwrap();
    let b = batches(&lines);
    assert_eq!(b.len(), 1, "{all}");
    assert_eq!(b[0]["level"], "INFO", "{all}");
    assert_eq!(b[0]["outcome"], "ok", "{all}");
    assert_eq!((b[0]["records"].as_u64(), b[0]["posts"].as_u64(), b[0]["gone"].as_u64()), (Some(0), Some(0), Some(0)));
    assert_eq!(b[0]["ddb_calls"], 0, "{all}");
    assert!(b[0]["ms"].is_u64(), "{all}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_batch_logs_error_with_its_records_and_never_the_content() {
    let ctx = offline_ctx();
    let lines = capture_json_logs(async {
        // The store is unreachable: the first record's member Query fails → a function error.
        let ev: Event = serde_json::from_value(json!({"Records": [message_record(1), message_record(2)]})).unwrap();
        assert!(delivery::handle(&ctx, ev).await.is_err());
    })
    .await;
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("SECRET"), "a record's content was logged: {all}");
    let b = batches(&lines);
    assert_eq!(b.len(), 1, "{all}");
    assert_eq!(b[0]["level"], "ERROR", "{all}");
    assert_eq!(b[0]["outcome"], "error", "{all}");
    assert_eq!(b[0]["records"], 2, "{all}");
    assert_eq!(b[0]["posts"], 0, "{all}");
    assert!(b[0]["ddb_calls"].as_u64().unwrap() >= 1, "{all}");
    assert!(!b[0]["error"].as_str().unwrap_or("").is_empty(), "{all}");
}
