//! docs/deploy.md (issue #15 §1) kept in step with infra/template.yaml: every template
//! parameter is documented, the optional custom-domain resources exist only under their
//! conditions (empty parameters create nothing), the HTTP API's CORS origins come from the
//! `CorsAllowOrigins` parameter (and the local gateway reads its default), and the table and
//! bucket survive a replacement or a stack deletion.

use local_gateway::template::{yaml_to_json, Template};
use serde_json::Value;

fn root() -> std::path::PathBuf {
    local_gateway::paths::workspace_root()
}

fn template_text() -> String {
    std::fs::read_to_string(root().join("infra/template.yaml")).unwrap()
}

fn template() -> Value {
    yaml_to_json(serde_norway::from_str(&template_text()).unwrap()).unwrap()
}

/// Parameter names written as `` `Name` `` in docs/deploy.md.
fn documented(doc: &str, name: &str) -> bool {
    doc.contains(&format!("`{name}`"))
}

#[test]
fn every_template_parameter_is_documented_in_deploy_md() {
    let doc = std::fs::read_to_string(root().join("docs/deploy.md")).expect("docs/deploy.md");
    let t = template();
    let params = t["Parameters"].as_object().expect("Parameters");
    assert!(params.len() >= 17, "{} parameters", params.len());
    let missing: Vec<&String> = params.keys().filter(|p| !documented(&doc, p)).collect();
    assert!(missing.is_empty(), "template parameters missing from docs/deploy.md (write them as `Name`): {missing:?}");
    // The check itself: a name that is not a parameter is not "documented" by accident.
    assert!(!documented(&doc, "NoSuchParameterXyz"));
}

#[test]
fn custom_domains_are_conditional_and_map_both_apis() {
    let t = template();
    let res = t["Resources"].as_object().unwrap();
    let of_type = |ty: &str| -> Vec<(&String, &Value)> { res.iter().filter(|(_, r)| r["Type"] == ty).collect() };
    let domains = of_type("AWS::ApiGatewayV2::DomainName");
    let mappings = of_type("AWS::ApiGatewayV2::ApiMapping");
    assert_eq!(domains.len(), 2, "one custom domain per API");
    assert_eq!(mappings.len(), 2, "one API mapping per API");
    for (id, r) in domains.iter().chain(mappings.iter()) {
        let cond = r["Condition"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: unconditional (empty parameters must create nothing)"));
        assert!(t["Conditions"][cond].is_object(), "{id}: condition {cond} missing");
    }
    let apis: Vec<&Value> = mappings.iter().map(|(_, m)| &m["Properties"]["ApiId"]["Ref"]).collect();
    assert!(apis.contains(&&Value::from("HttpApi")) && apis.contains(&&Value::from("WebSocketApi")), "{apis:?}");
    // Each domain condition also requires the certificate.
    for cond in ["HasHttpDomain", "HasWsDomain"] {
        let c = t["Conditions"][cond].to_string();
        assert!(c.contains("HasCertificate"), "{cond}: {c}");
    }
    for p in ["HttpDomainName", "WsDomainName", "CertificateArn"] {
        assert_eq!(t["Parameters"][p]["Default"], "", "{p}: optional, empty by default");
    }
}

#[test]
fn cors_origins_come_from_the_parameter_and_the_local_gateway_reads_them() {
    let t = template();
    let origins = &t["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"];
    assert_eq!(origins["Fn::Split"][1]["Ref"], "CorsAllowOrigins", "{origins}");
    let parsed = Template::parse(&template_text()).unwrap();
    assert_eq!(parsed.http_cors.expect("cors").allow_origins, vec!["*".to_string()]);
    // A list default is split on the commas.
    let two = template_text().replace(
        "CorsAllowOrigins:\n    Type: String\n    Default: \"*\"",
        "CorsAllowOrigins:\n    Type: String\n    Default: \"https://a.example, https://b.example\"",
    );
    assert_ne!(two, template_text(), "the CorsAllowOrigins parameter block changed: update this test");
    let parsed = Template::parse(&two).unwrap();
    assert_eq!(parsed.http_cors.unwrap().allow_origins, vec!["https://a.example", "https://b.example"]);
}

#[test]
fn table_and_bucket_are_retained_on_delete_and_replace() {
    let t = template();
    for id in ["Table", "FilesBucket"] {
        let r = &t["Resources"][id];
        assert_eq!(r["DeletionPolicy"], "Retain", "{id}");
        assert_eq!(r["UpdateReplacePolicy"], "Retain", "{id}");
    }
}
