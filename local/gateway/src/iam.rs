//! Least privilege, enforced locally: each function's IAM `Policies` in infra/template.yaml
//! (parsed here, shared with tests/iam.rs) and an SDK interceptor on the gateway's DynamoDB
//! client that refuses, while a function's handler runs ([`scope`]), every call its grants do
//! not allow, as AWS would (AccessDenied: the handler sees an SDK error, answers its 5xx).
//! Outside a function scope (test setup, provisioning, the gateway itself) nothing is enforced.
//!
//! IAM evaluation as AWS does it for DynamoDB: the action is the operation's name, except
//! TransactWriteItems (each item needs PutItem / UpdateItem / DeleteItem / ConditionCheckItem)
//! and TransactGetItems (GetItem); the resource is `table`, or `index` for a Query / Scan with
//! an IndexName. S3, SNS, SSM and execute-api grants are parsed but not enforced.

use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::scan::ScanInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::sync::Arc;

/// A resource as a short name: `table`, `index`, `bucket:/avatars/*`, `websocket`, `*`.
pub fn resource_name(v: &Value) -> String {
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

/// A function resource's grants: `<action> <resource>` per statement action × resource
/// (`dynamodb:Query index`), `managed:<name>` for a managed policy, or a SAM policy template's name.
pub fn function_grants(id: &str, function: &Value) -> Result<BTreeSet<String>, String> {
    let mut grants = BTreeSet::new();
    for p in list(function.pointer("/Properties/Policies")) {
        match &p {
            Value::String(managed) => {
                grants.insert(format!("managed:{managed}"));
            }
            Value::Object(o) if o.contains_key("Statement") => {
                for st in list(o.get("Statement")) {
                    if st["Effect"] != "Allow" {
                        return Err(format!("{id}: only Allow statements are supported, got {}", st["Effect"]));
                    }
                    for a in list(st.get("Action")) {
                        let a = a.as_str().ok_or_else(|| format!("{id}: action {a} is not a string"))?;
                        for res in list(st.get("Resource")) {
                            grants.insert(format!("{a} {}", resource_name(&res)));
                        }
                    }
                }
            }
            Value::Object(o) => grants.extend(o.keys().cloned()),
            other => return Err(format!("{id}: unexpected policy {other}")),
        }
    }
    Ok(grants)
}

/// What one function may do on the table, looked up per DynamoDB call.
#[derive(Debug)]
pub struct Grants {
    pub function: String,
    /// `dynamodb:<Action> <table|index>`.
    ddb: HashSet<String>,
}

impl Grants {
    pub fn new(function: &str, grants: &BTreeSet<String>) -> Grants {
        let ddb = grants.iter().filter(|g| g.starts_with("dynamodb:")).cloned().collect();
        Grants { function: function.to_string(), ddb }
    }

    pub fn allows(&self, action: &str, resource: &str) -> bool {
        self.ddb.contains(&format!("dynamodb:{action} {resource}"))
    }
}

tokio::task_local! {
    static GRANTS: Arc<Grants>;
}

/// Run one invocation of a function with its grants enforced on DynamoDB calls.
pub async fn scope<F: Future>(grants: Arc<Grants>, f: F) -> F::Output {
    GRANTS.scope(grants, f).await
}

/// The refusal the handler sees (the SDK wraps it in its error).
#[derive(Debug)]
pub struct AccessDenied(pub String);

impl std::fmt::Display for AccessDenied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AccessDenied {}

/// The `(action, resource)` pairs IAM checks for one DynamoDB call of operation `op`.
fn required(op: &str, input: &Input) -> Vec<(String, &'static str)> {
    let on_index = |index: Option<&str>| if index.is_some() { "index" } else { "table" };
    match op {
        "Query" => vec![(op.into(), on_index(input.downcast_ref::<QueryInput>().and_then(|i| i.index_name())))],
        "Scan" => vec![(op.into(), on_index(input.downcast_ref::<ScanInput>().and_then(|i| i.index_name())))],
        "TransactGetItems" => vec![("GetItem".into(), "table")],
        "TransactWriteItems" => {
            let items = input.downcast_ref::<TransactWriteItemsInput>().map(|i| i.transact_items()).unwrap_or_default();
            let mut out: Vec<(String, &'static str)> = vec![];
            for item in items {
                let action = if item.put().is_some() {
                    "PutItem"
                } else if item.update().is_some() {
                    "UpdateItem"
                } else if item.delete().is_some() {
                    "DeleteItem"
                } else {
                    "ConditionCheckItem"
                };
                if !out.iter().any(|(a, _)| a == action) {
                    out.push((action.into(), "table"));
                }
            }
            out
        }
        _ => vec![(op.into(), "table")],
    }
}

/// `client` with [`EnforceGrants`] added (its other interceptors, e.g. call counting, kept).
pub fn enforcing(client: &aws_sdk_dynamodb::Client) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(client.config().to_builder().interceptor(EnforceGrants).build())
}

/// Refuses, inside a [`scope`], a DynamoDB call the function's grants do not allow.
#[derive(Debug, Default)]
pub struct EnforceGrants;

impl Intercept for EnforceGrants {
    fn name(&self) -> &'static str {
        "EnforceGrants"
    }

    // Not `read_before_execution`: a client interceptor runs that before the operation's
    // configuration (with its `Metadata`) is in the bag.
    fn read_before_serialization(
        &self,
        ctx: &BeforeSerializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(grants) = GRANTS.try_with(Arc::clone) else { return Ok(()) };
        let op = cfg.load::<Metadata>().map(|m| m.name()).unwrap_or("unknown operation");
        for (action, resource) in required(op, ctx.input()) {
            check(&grants, &action, resource)?;
        }
        Ok(())
    }
}

fn check(grants: &Grants, action: &str, resource: &str) -> Result<(), BoxError> {
    if grants.allows(action, resource) {
        return Ok(());
    }
    let message = format!(
        "AccessDenied: {} is not authorized to perform dynamodb:{action} on resource {resource} \
         (add `dynamodb:{action}` on {resource} to its Policies in infra/template.yaml and infra/iam.tsv)",
        grants.function
    );
    tracing::error!(function = %grants.function, action = %format!("dynamodb:{action}"), resource, "{message}");
    Err(Box::new(AccessDenied(message)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

    #[test]
    fn required_actions_follow_iam() {
        let q = Input::erase(QueryInput::builder().table_name("t").index_name("GSI1").build().unwrap());
        assert_eq!(required("Query", &q), vec![("Query".to_string(), "index")]);
        let q = Input::erase(QueryInput::builder().table_name("t").build().unwrap());
        assert_eq!(required("Query", &q), vec![("Query".to_string(), "table")]);
        let w = Input::erase(
            TransactWriteItemsInput::builder()
                .transact_items(
                    TransactWriteItem::builder()
                        .put(Put::builder().table_name("t").set_item(Some(Default::default())).build().unwrap())
                        .build(),
                )
                .transact_items(
                    TransactWriteItem::builder()
                        .put(Put::builder().table_name("t").set_item(Some(Default::default())).build().unwrap())
                        .build(),
                )
                .build()
                .unwrap(),
        );
        assert_eq!(required("TransactWriteItems", &w), vec![("PutItem".to_string(), "table")]);
        let g = Input::erase(0u8);
        assert_eq!(required("BatchGetItem", &g), vec![("BatchGetItem".to_string(), "table")]);
    }

    #[test]
    fn grants_allow_exactly_their_pairs() {
        let g = Grants::new(
            "OrgFunction",
            &["dynamodb:GetItem table".to_string(), "dynamodb:Query index".to_string(), "s3:GetObject *".to_string()]
                .into(),
        );
        assert!(g.allows("GetItem", "table"));
        assert!(g.allows("Query", "index"));
        assert!(!g.allows("Query", "table"));
        assert!(!g.allows("PutItem", "table"));
    }
}
