//! Least privilege (issue #9, item 13): every function's permissions in infra/template.yaml
//! are exactly the ones listed in infra/iam.tsv (one line per grant, with why), no function
//! may Scan, stubs get nothing, read-only functions get no writes.

use local_gateway::template::yaml_to_json;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn workspace() -> std::path::PathBuf {
    local_gateway::paths::workspace_root()
}

/// A resource as a short name: `table`, `index`, `bucket:/avatars/*`, `websocket`, `*`.
fn resource(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => match (o.get("Fn::GetAtt"), o.get("Fn::Sub"), o.get("Ref")) {
            (Some(g), _, _) => match g {
                Value::String(s) => s.clone(),
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("."),
                _ => g.to_string(),
            },
            (_, Some(Value::String(s)), _) => s.clone(),
            (_, _, Some(r)) => format!("Ref:{}", r.as_str().unwrap_or_default()),
            _ => v.to_string(),
        },
        _ => v.to_string(),
    };
    match text.as_str() {
        "Table.Arn" => "table".into(),
        "${Table.Arn}/index/*" => "index".into(),
        t if t.starts_with("${FilesBucket.Arn}") => format!("bucket:{}", &t["${FilesBucket.Arn}".len()..]),
        t if t.contains("${WebSocketApi}") => "websocket".into(),
        t => t.to_string(),
    }
}

fn list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(other) => vec![other.clone()],
        None => vec![],
    }
}

/// Function logical id → its grants (`<action> <resource>`, or a SAM policy template's name).
fn template_grants() -> BTreeMap<String, BTreeSet<String>> {
    let yaml = std::fs::read_to_string(workspace().join("infra/template.yaml")).unwrap();
    let doc = yaml_to_json(serde_norway::from_str(&yaml).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for (id, r) in doc["Resources"].as_object().unwrap() {
        if r["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let mut grants = BTreeSet::new();
        for p in list(r["Properties"].get("Policies")) {
            match &p {
                Value::String(managed) => {
                    grants.insert(format!("managed:{managed}"));
                }
                Value::Object(o) if o.contains_key("Statement") => {
                    for st in list(o.get("Statement")) {
                        assert_eq!(st["Effect"], "Allow", "{id}: only Allow statements");
                        for a in list(st.get("Action")) {
                            for res in list(st.get("Resource")) {
                                grants.insert(format!("{} {}", a.as_str().unwrap(), resource(&res)));
                            }
                        }
                    }
                }
                Value::Object(o) => {
                    grants.extend(o.keys().cloned());
                }
                other => panic!("{id}: unexpected policy {other}"),
            }
        }
        out.insert(id.clone(), grants);
    }
    out
}

fn listed_grants() -> BTreeMap<String, BTreeSet<String>> {
    let tsv = std::fs::read_to_string(workspace().join("infra/iam.tsv")).unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in tsv.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 2, "infra/iam.tsv: `function<TAB>grants<TAB>why`: {line}");
        let set = out.entry(cols[0].to_string()).or_default();
        for g in cols[1].split(',').map(str::trim).filter(|g| !g.is_empty() && *g != "-") {
            set.insert(g.to_string());
        }
    }
    out
}

#[test]
fn every_function_has_exactly_its_listed_permissions() {
    let (t, l) = (template_grants(), listed_grants());
    assert_eq!(t.keys().collect::<Vec<_>>(), l.keys().collect::<Vec<_>>(), "functions in template vs infra/iam.tsv");
    for (f, grants) in &t {
        let listed = &l[f];
        let extra: Vec<_> = grants.difference(listed).collect();
        let missing: Vec<_> = listed.difference(grants).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{f}: not listed {extra:?}; listed but not granted {missing:?}"
        );
    }
}

#[test]
fn no_scan_no_crud_templates_and_stubs_get_nothing() {
    let t = template_grants();
    for (f, grants) in &t {
        for g in grants {
            assert!(!g.starts_with("dynamodb:Scan") && !g.starts_with("dynamodb:*"), "{f}: {g}");
            assert!(!g.contains("CrudPolicy") && !g.starts_with("s3:*"), "{f}: {g} (list the actions)");
        }
    }
    // No stub functions are left (every function answers some route), so no "stubs get
    // nothing" check remains; grants vs the code's calls are not checked yet (see the note).
    let writes = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"];
    // Functions that only read: no write action may creep in.
    let readers = ["OrgFunction"];
    for f in readers {
        assert!(t[f].iter().all(|g| !writes.iter().any(|w| g.contains(w))), "{f} only reads: {:?}", t[f]);
    }
}
