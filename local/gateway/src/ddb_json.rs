//! DynamoDB Streams records → the JSON Lambda receives (`Records[]` of a
//! DynamoDB event, attribute values in DynamoDB JSON).

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// One attribute value in DynamoDB JSON: `{"S": "x"}`, `{"N": "1"}`, `{"B": "<base64>"}`, …
pub fn attribute_value(v: &AttributeValue) -> Value {
    let b64 = |b: &aws_smithy_types::Blob| Value::String(base64::engine::general_purpose::STANDARD.encode(b.as_ref()));
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(b) => json!({ "NULL": b }),
        AttributeValue::M(m) => json!({ "M": item(m) }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(attribute_value).collect::<Vec<_>>() }),
        AttributeValue::Ss(ss) => json!({ "SS": ss }),
        AttributeValue::Ns(ns) => json!({ "NS": ns }),
        AttributeValue::Bs(bs) => json!({ "BS": bs.iter().map(b64).collect::<Vec<_>>() }),
        other => {
            tracing::warn!(?other, "unknown attribute value type in stream record");
            json!({ "NULL": true })
        }
    }
}

/// A whole item (`Keys`, `NewImage`, `OldImage`).
pub fn item(m: &HashMap<String, AttributeValue>) -> Value {
    let mut out = Map::new();
    // Sorted for stable output (HashMap order is random).
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for k in keys {
        out.insert(k.clone(), attribute_value(&m[k]));
    }
    Value::Object(out)
}

/// One stream record as Lambda delivers it.
pub fn record(r: &Record, stream_arn: &str, region: &str) -> Value {
    let mut ddb = Map::new();
    if let Some(s) = &r.dynamodb {
        let created = s.approximate_creation_date_time.map(|t| t.as_secs_f64()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs_f64()
        });
        // Lambda sends whole seconds.
        ddb.insert("ApproximateCreationDateTime".into(), json!(created.floor() as i64));
        if let Some(k) = &s.keys {
            ddb.insert("Keys".into(), item(k));
        }
        if let Some(n) = &s.new_image {
            ddb.insert("NewImage".into(), item(n));
        }
        if let Some(o) = &s.old_image {
            ddb.insert("OldImage".into(), item(o));
        }
        if let Some(seq) = &s.sequence_number {
            ddb.insert("SequenceNumber".into(), json!(seq));
        }
        ddb.insert("SizeBytes".into(), json!(s.size_bytes.unwrap_or(0)));
        if let Some(v) = &s.stream_view_type {
            ddb.insert("StreamViewType".into(), json!(v.as_str()));
        }
    }
    let mut out = json!({
        "eventID": r.event_id.clone().unwrap_or_default(),
        "eventName": r.event_name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_default(),
        "eventVersion": r.event_version.clone().unwrap_or_else(|| "1.1".into()),
        "eventSource": r.event_source.clone().unwrap_or_else(|| "aws:dynamodb".into()),
        "awsRegion": r.aws_region.clone().unwrap_or_else(|| region.to_string()),
        "dynamodb": Value::Object(ddb),
        "eventSourceARN": stream_arn,
    });
    if let Some(id) = &r.user_identity {
        out["userIdentity"] = json!({
            "type": id.r#type.clone().unwrap_or_default(),
            "principalId": id.principal_id.clone().unwrap_or_default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord, StreamViewType};
    use aws_smithy_types::Blob;

    fn sample_item() -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S("CONV#1".into())),
            ("n".to_string(), AttributeValue::N("42".into())),
            ("b".to_string(), AttributeValue::B(Blob::new(b"hi".to_vec()))),
            ("t".to_string(), AttributeValue::Bool(true)),
            ("z".to_string(), AttributeValue::Null(true)),
            (
                "m".to_string(),
                AttributeValue::M(HashMap::from([(
                    "x".to_string(),
                    AttributeValue::L(vec![AttributeValue::N("1".into())]),
                )])),
            ),
            ("ss".to_string(), AttributeValue::Ss(vec!["a".into(), "b".into()])),
            ("ns".to_string(), AttributeValue::Ns(vec!["1".into(), "2.5".into()])),
            ("bs".to_string(), AttributeValue::Bs(vec![Blob::new(vec![0u8, 255])])),
        ])
    }

    #[test]
    fn attribute_values_become_dynamodb_json() {
        assert_eq!(
            item(&sample_item()),
            json!({
                "pk": {"S": "CONV#1"}, "n": {"N": "42"}, "b": {"B": "aGk="}, "t": {"BOOL": true},
                "z": {"NULL": true}, "m": {"M": {"x": {"L": [{"N": "1"}]}}},
                "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AP8="]}
            })
        );
    }

    #[test]
    fn records_deserialize_into_the_lambda_event() {
        let rec = Record::builder()
            .event_id("e1")
            .event_name(OperationType::Insert)
            .dynamodb(
                StreamRecord::builder()
                    .approximate_creation_date_time(aws_smithy_types::DateTime::from_secs(1_700_000_000))
                    .keys("pk", AttributeValue::S("CONV#1".into()))
                    .set_new_image(Some(sample_item()))
                    .sequence_number("100")
                    .size_bytes(64)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build(),
            )
            .build();
        let v = record(&rec, "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x", "us-east-1");
        assert_eq!(v["eventVersion"], "1.1");
        assert_eq!(v["eventSource"], "aws:dynamodb");
        assert_eq!(v["eventName"], "INSERT");
        assert_eq!(v["dynamodb"]["ApproximateCreationDateTime"], 1_700_000_000);
        assert_eq!(v["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
        let ev: aws_lambda_events::dynamodb::Event = serde_json::from_value(json!({ "Records": [v] })).unwrap();
        let r = &ev.records[0];
        assert_eq!(r.event_id, "e1");
        assert_eq!(r.change.size_bytes, 64);
        assert_eq!(r.change.approximate_creation_date_time.timestamp(), 1_700_000_000);
        assert_eq!(r.change.keys.get("pk"), Some(&serde_dynamo::AttributeValue::S("CONV#1".into())));
        let ni = &r.change.new_image;
        assert_eq!(ni.get("n"), Some(&serde_dynamo::AttributeValue::N("42".into())));
        assert_eq!(ni.get("b"), Some(&serde_dynamo::AttributeValue::B(b"hi".to_vec())));
        assert_eq!(ni.get("bs"), Some(&serde_dynamo::AttributeValue::Bs(vec![vec![0, 255]])));
        assert!(r.change.old_image.is_empty());
    }
}
