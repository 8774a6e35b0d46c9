//! Lambda event filtering (the EventBridge pattern subset the template uses).
//!
//! A pattern is a JSON object. Object values nest (all keys must match: AND);
//! leaves are arrays of alternatives (any may match: OR). Alternatives are
//! literal strings / numbers / booleans / null (exact match; against an array
//! value, any element), `{"exists": true|false}` and `{"prefix": "…"}`.
//! Several patterns (FilterCriteria.Filters) are OR-ed; no pattern = keep all.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Pattern {
    Object(Vec<(String, Pattern)>),
    Leaf(Vec<Matcher>),
}

#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    Exact(Value),
    Exists(bool),
    Prefix(String),
}

#[derive(Debug, Clone, Default)]
pub struct FilterSet {
    patterns: Vec<Pattern>,
}

impl FilterSet {
    /// Parse `FilterCriteria.Filters[].Pattern` texts; unsupported syntax is an error.
    pub fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<FilterSet, String> {
        let mut out = vec![];
        for p in patterns {
            let v: Value = serde_json::from_str(p.as_ref())
                .map_err(|e| format!("filter pattern {:?} is not JSON: {e}", p.as_ref()))?;
            if !v.is_object() {
                return Err(format!("filter pattern {:?} must be a JSON object", p.as_ref()));
            }
            out.push(parse_pattern(&v).map_err(|e| format!("filter pattern {:?}: {e}", p.as_ref()))?);
        }
        Ok(FilterSet { patterns: out })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether a record (Lambda event JSON of one record) passes.
    pub fn matches(&self, record: &Value) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| pattern_matches(p, Some(record)))
    }
}

fn parse_pattern(v: &Value) -> Result<Pattern, String> {
    match v {
        Value::Object(m) => {
            let mut fields = vec![];
            for (k, v) in m {
                fields.push((k.clone(), parse_pattern(v)?));
            }
            Ok(Pattern::Object(fields))
        }
        Value::Array(alts) => {
            let mut ms = vec![];
            for a in alts {
                ms.push(match a {
                    Value::Object(op) => {
                        if op.len() != 1 {
                            return Err(format!("matcher {a} must have exactly one operator"));
                        }
                        let (name, arg) = op.iter().next().expect("one entry");
                        match (name.as_str(), arg) {
                            ("exists", Value::Bool(b)) => Matcher::Exists(*b),
                            ("prefix", Value::String(s)) => Matcher::Prefix(s.clone()),
                            _ => return Err(format!("unsupported matcher {a} (supported: exists, prefix, literals)")),
                        }
                    }
                    Value::Array(_) => return Err(format!("nested array {a} in a pattern")),
                    lit => Matcher::Exact(lit.clone()),
                });
            }
            Ok(Pattern::Leaf(ms))
        }
        other => Err(format!("pattern values must be objects or arrays, got {other}")),
    }
}

fn pattern_matches(p: &Pattern, v: Option<&Value>) -> bool {
    match p {
        Pattern::Object(fields) => fields.iter().all(|(k, sub)| pattern_matches(sub, v.and_then(|v| v.get(k)))),
        Pattern::Leaf(ms) => ms.iter().any(|m| matcher_matches(m, v)),
    }
}

fn matcher_matches(m: &Matcher, v: Option<&Value>) -> bool {
    match m {
        // `exists` applies to leaf values only, as in EventBridge.
        Matcher::Exists(want) => *want == v.is_some_and(|v| !v.is_object()),
        Matcher::Exact(lit) => match v {
            Some(Value::Array(items)) => items.iter().any(|i| literal_eq(lit, i)),
            Some(v) => literal_eq(lit, v),
            None => false,
        },
        Matcher::Prefix(pre) => match v {
            Some(Value::String(s)) => s.starts_with(pre.as_str()),
            Some(Value::Array(items)) => items.iter().any(|i| i.as_str().is_some_and(|s| s.starts_with(pre.as_str()))),
            _ => false,
        },
    }
}

fn literal_eq(lit: &Value, v: &Value) -> bool {
    match (lit, v) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(new_image: Value) -> Value {
        json!({"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "a"}}, "NewImage": new_image}})
    }

    #[test]
    fn template_pattern_keeps_records_with_ev() {
        let f = FilterSet::parse(&[r#"{"dynamodb":{"NewImage":{"ev":{"S":[{"exists":true}]}}}}"#]).unwrap();
        assert!(f.matches(&rec(json!({"pk": {"S": "a"}, "ev": {"S": "msg"}}))));
        assert!(!f.matches(&rec(json!({"pk": {"S": "a"}}))));
        assert!(!f.matches(&rec(json!({"pk": {"S": "a"}, "ev": {"N": "1"}}))));
        // REMOVE records have no NewImage at all
        assert!(!f.matches(&json!({"eventName": "REMOVE", "dynamodb": {"Keys": {}}})));
    }

    #[test]
    fn exists_false_prefix_and_literals() {
        let f = FilterSet::parse(&[r#"{"dynamodb":{"NewImage":{"ttl":{"N":[{"exists":false}]}}}}"#]).unwrap();
        assert!(f.matches(&rec(json!({"pk": {"S": "a"}}))));
        assert!(f.matches(&json!({"eventName": "REMOVE"})));
        assert!(!f.matches(&rec(json!({"ttl": {"N": "5"}}))));

        let f = FilterSet::parse(&[
            r#"{"eventName":["INSERT","MODIFY"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"CONV#"}]}}}}"#,
        ])
        .unwrap();
        assert!(f.matches(&json!({"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": "CONV#1"}}}})));
        assert!(!f.matches(&json!({"eventName": "REMOVE", "dynamodb": {"Keys": {"pk": {"S": "CONV#1"}}}})));
        assert!(!f.matches(&json!({"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "USER#1"}}}})));

        let f = FilterSet::parse(&[r#"{"n":[5, null, true]}"#]).unwrap();
        assert!(f.matches(&json!({"n": 5.0})));
        assert!(f.matches(&json!({"n": null})));
        assert!(f.matches(&json!({"n": [1, true]})));
        assert!(!f.matches(&json!({"n": "5"})));
        assert!(!f.matches(&json!({})));
    }

    #[test]
    fn several_filters_are_or_ed_and_none_keeps_all() {
        let f = FilterSet::parse(&[r#"{"a":["x"]}"#, r#"{"b":["y"]}"#]).unwrap();
        assert!(f.matches(&json!({"a": "x"})));
        assert!(f.matches(&json!({"b": "y"})));
        assert!(!f.matches(&json!({"a": "y"})));
        assert!(FilterSet::parse::<&str>(&[]).unwrap().matches(&json!({})));
    }

    #[test]
    fn unsupported_syntax_is_rejected() {
        assert!(FilterSet::parse(&[r#"{"a":[{"numeric":[">",1]}]}"#]).is_err());
        assert!(FilterSet::parse(&[r#"{"a":"x"}"#]).is_err());
        assert!(FilterSet::parse(&[r#"["x"]"#]).is_err());
        assert!(FilterSet::parse(&["not json"]).is_err());
    }
}
