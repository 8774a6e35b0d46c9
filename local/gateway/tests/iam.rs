//! Least privilege (issue #9, item 13): every function's permissions in infra/template.yaml
//! are exactly the ones listed in infra/iam.tsv (one line per grant, with why), no function
//! may Scan, stubs get nothing, read-only functions get no writes; and the gateway enforces
//! the DynamoDB grants while a function runs.

use aws_sdk_dynamodb::types::AttributeValue;
use local_gateway::iam::{scope, Grants};
use local_gateway::template::Template;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn workspace() -> std::path::PathBuf {
    local_gateway::paths::workspace_root()
}

/// Function logical id → its grants (`<action> <resource>`, or a SAM policy template's name),
/// parsed by the gateway (which enforces the DynamoDB ones).
fn template_grants() -> BTreeMap<String, BTreeSet<String>> {
    let t = Template::load(&local_gateway::paths::template_path()).unwrap();
    t.functions.into_iter().map(|(id, f)| (id, f.grants)).collect()
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
    // Functions that only read (no write action may creep in): none today; every function
    // writes something (the gateway enforces the grants, so this list is the code's truth).
    let readers: Vec<&String> =
        t.iter().filter(|(_, g)| g.iter().all(|g| !writes.iter().any(|w| g.contains(w)))).map(|(f, _)| f).collect();
    assert!(readers.is_empty(), "read-only functions: {readers:?} (list them here and keep them without writes)");
}

fn grants(function: &str, list: &[&str]) -> Arc<Grants> {
    Arc::new(Grants::new(function, &list.iter().map(|g| g.to_string()).collect()))
}

#[tokio::test]
async fn the_gateway_refuses_dynamodb_calls_a_function_is_not_granted() {
    let app = local_gateway::testing::spawn_app().await;
    // The client the gateway gives functions: the same interceptor on the test's table.
    let db = &shared::store::Db::new(local_gateway::iam::enforcing(&app.ctx.db.client), app.ctx.db.table.clone());
    let key = |k: &str| AttributeValue::S(k.to_string());
    let get = || db.client.get_item().table_name(&db.table).key("pk", key("IAM#t")).key("sk", key("x"));
    let put = || db.client.put_item().table_name(&db.table).item("pk", key("IAM#t")).item("sk", key("x"));
    let query_index = || {
        db.client
            .query()
            .table_name(&db.table)
            .index_name("GSI1")
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", key("IAM#t"))
    };
    let reader = grants("ReaderFunction", &["dynamodb:GetItem table", "dynamodb:Query table", "s3:PutObject *"]);

    // Granted: passes (the item is absent, the call succeeds).
    let got = scope(reader.clone(), get().send()).await.expect("GetItem is granted");
    assert!(got.item().is_none());
    // Not granted: refused before reaching DynamoDB, with function, action and resource named.
    let denied = scope(reader.clone(), put().send()).await.expect_err("PutItem is not granted");
    let text = format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&denied));
    assert!(
        text.contains("AccessDenied: ReaderFunction is not authorized to perform dynamodb:PutItem on resource table"),
        "{text}"
    );
    // `Query table` does not cover a Query on an index.
    let denied = scope(reader.clone(), query_index().send()).await.expect_err("Query index is not granted");
    let text = format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&denied));
    assert!(text.contains("dynamodb:Query on resource index"), "{text}");
    // TransactWriteItems needs each item's action: a Put needs PutItem.
    let tx = db.client.transact_write_items().transact_items(
        aws_sdk_dynamodb::types::TransactWriteItem::builder()
            .put(
                aws_sdk_dynamodb::types::Put::builder()
                    .table_name(&db.table)
                    .item("pk", key("IAM#t"))
                    .item("sk", key("y"))
                    .build()
                    .unwrap(),
            )
            .build(),
    );
    let denied = scope(reader.clone(), tx.clone().send()).await.expect_err("a transaction Put needs PutItem");
    assert!(format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&denied)).contains("dynamodb:PutItem"));
    let writer = grants("WriterFunction", &["dynamodb:PutItem table", "dynamodb:Query index"]);
    scope(writer.clone(), tx.send()).await.expect("PutItem is granted");
    scope(writer, query_index().send()).await.expect("Query index is granted");
    // Outside a function's scope (tests, setup) nothing is enforced.
    put().send().await.expect("no scope, no enforcement");
    assert!(db
        .client
        .get_item()
        .table_name(&db.table)
        .key("pk", key("IAM#t"))
        .key("sk", key("y"))
        .send()
        .await
        .unwrap()
        .item()
        .is_some());
}
