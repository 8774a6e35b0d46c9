//! Byte budgets of list responses. Lambda refuses a response over 6 MB, counted on the
//! API Gateway envelope where the body is a JSON string: every `"` and `\` of the body is
//! escaped once more. A list that could outgrow it stops early at a whole item, and the
//! caller hands out the cursor of the last item kept (never a silent drop, never a 502).

use serde_json::Value;

/// What the items of one HTTP list may take, leaving room for the envelope and headers.
pub const HTTP_LIST_BUDGET: usize = 5 * 1024 * 1024;

/// Bytes `text` takes inside the Lambda response envelope (as a JSON string).
pub fn escaped_len(text: &str) -> usize {
    text.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// Bytes one rendered item adds to a response body once it is in the envelope.
pub fn enveloped_len(v: &Value) -> usize {
    escaped_len(&v.to_string()) + 1
}

/// The longest prefix of `items` within `budget` bytes, and whether items were left out.
pub fn take_within(mut items: Vec<Value>, budget: usize) -> (Vec<Value>, bool) {
    let mut used = 0;
    for (i, v) in items.iter().enumerate() {
        used += enveloped_len(v);
        if used > budget {
            items.truncate(i);
            return (items, true);
        }
    }
    (items, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escaped_length_counts_the_second_escaping() {
        assert_eq!(escaped_len("ab"), 2);
        assert_eq!(escaped_len(r#"a"b\"#), 6);
        assert_eq!(escaped_len("\u{1}"), 6);
        // A control character rendered by serde_json as \u0001 (6 bytes) becomes 7 in the envelope.
        assert_eq!(enveloped_len(&json!("\u{1}")), escaped_len(r#""\u0001""#) + 1);
        assert_eq!(escaped_len(r#""\u0001""#), 2 + 7 + 2);
    }

    #[test]
    fn stops_at_a_whole_item() {
        let items: Vec<Value> = (0..10).map(|i| json!({"i": i, "pad": "x".repeat(100)})).collect();
        let one = enveloped_len(&items[0]);
        let (kept, cut) = take_within(items.clone(), one * 3 + 5);
        assert_eq!((kept.len(), cut), (3, true));
        assert_eq!(kept[2]["i"], 2);
        let (kept, cut) = take_within(items, usize::MAX);
        assert_eq!((kept.len(), cut), (10, false));
        assert_eq!(take_within(vec![], 0), (vec![], false));
    }
}
