//! Operations (issue #15 §5) in infra/template.yaml, kept from rotting as functions are
//! added: every function has its log group with the retention parameter, every alarm
//! notifies the alarm topic, and the alarms the runbook names exist.

use local_gateway::template::yaml_to_json;
use serde_json::Value;

fn template() -> Value {
    let path = local_gateway::paths::workspace_root().join("infra/template.yaml");
    yaml_to_json(serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()).unwrap()
}

fn of_type<'a>(doc: &'a Value, t: &str) -> Vec<(&'a String, &'a Value)> {
    doc["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == t).collect()
}

#[test]
fn every_function_has_a_log_group_with_the_retention_parameter() {
    let doc = template();
    let groups: Vec<(String, Value)> = of_type(&doc, "AWS::Logs::LogGroup")
        .into_iter()
        .map(|(_, r)| (r["Properties"]["LogGroupName"]["Fn::Sub"].as_str().unwrap_or("").to_string(), r.clone()))
        .collect();
    let functions = of_type(&doc, "AWS::Serverless::Function");
    assert!(functions.len() >= 16);
    for (id, _) in functions {
        let name = format!("/aws/lambda/${{{id}}}");
        let Some((_, g)) = groups.iter().find(|(n, _)| *n == name) else { panic!("{id}: no log group {name}") };
        assert_eq!(g["Properties"]["RetentionInDays"]["Ref"], "LogRetentionDays", "{id}");
    }
}

#[test]
fn every_alarm_notifies_the_alarm_topic_and_the_runbook_alarms_exist() {
    let doc = template();
    let alarms = of_type(&doc, "AWS::CloudWatch::Alarm");
    for (id, a) in &alarms {
        let actions = a["Properties"]["AlarmActions"].as_array().unwrap_or_else(|| panic!("{id}: no AlarmActions"));
        assert!(actions.iter().any(|v| v["Ref"] == "AlarmTopic"), "{id}: does not notify AlarmTopic");
    }
    let ids: Vec<&str> = alarms.iter().map(|(id, _)| id.as_str()).collect();
    for want in [
        "Http5xxRateAlarm",
        "TableThrottleAlarm",
        "RealtimeThrottleAlarm",
        "DeliveryThrottleAlarm",
        "DeliveryFailureAlarm",
        "StreamIteratorAgeAlarm",
    ] {
        assert!(ids.contains(&want), "missing alarm {want}: {ids:?}");
    }
    assert_eq!(doc["Globals"]["Function"]["Architectures"][0]["Ref"], "Architecture");
}
