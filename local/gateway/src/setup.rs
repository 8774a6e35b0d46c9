//! Table and bucket, created from the template's resource properties.

use crate::{sdk_ctx, Error, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ProvisionedThroughput, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use serde_json::Value;

fn s<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str> {
    v.get(key).and_then(Value::as_str).ok_or_else(|| Error(format!("{what}: {key} must be a literal string")))
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn key_schema(v: &Value, what: &str) -> Result<Vec<KeySchemaElement>> {
    arr(v, "KeySchema")
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(s(k, "AttributeName", what)?)
                .key_type(KeyType::from(s(k, "KeyType", what)?))
                .build()
                .map_err(crate::ctx(what))
        })
        .collect()
}

fn projection(v: &Value) -> Projection {
    let p = v.get("Projection").cloned().unwrap_or(Value::Null);
    let mut b = Projection::builder()
        .projection_type(ProjectionType::from(p.get("ProjectionType").and_then(Value::as_str).unwrap_or("ALL")));
    for a in arr(&p, "NonKeyAttributes").iter().filter_map(Value::as_str) {
        b = b.non_key_attributes(a);
    }
    b.build()
}

fn throughput(v: &Value) -> Result<Option<ProvisionedThroughput>> {
    let Some(t) = v.get("ProvisionedThroughput") else { return Ok(None) };
    let n = |k: &str| t.get(k).and_then(|x| x.as_i64().or_else(|| x.as_str().and_then(|s| s.parse().ok())));
    Ok(Some(
        ProvisionedThroughput::builder()
            .set_read_capacity_units(n("ReadCapacityUnits"))
            .set_write_capacity_units(n("WriteCapacityUnits"))
            .build()
            .map_err(crate::ctx("ProvisionedThroughput"))?,
    ))
}

/// Create `table` from the template's `Properties` unless it exists.
/// Returns whether it was created (false: a dev restart on existing data).
pub async fn ensure_table(client: &aws_sdk_dynamodb::Client, table: &str, props: &Value) -> Result<bool> {
    match client.describe_table().table_name(table).send().await {
        Ok(out) => {
            let stream = out.table().and_then(|t| t.stream_specification()).is_some_and(|s| s.stream_enabled());
            if !stream && props.get("StreamSpecification").is_some() {
                tracing::warn!(table, "existing table has no stream: delivery will not run (reset the local data)");
            }
            return Ok(false);
        }
        Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => {}
        Err(e) => return Err(sdk_ctx("DescribeTable")(e)),
    }

    let mut req = client.create_table().table_name(table);
    for a in arr(props, "AttributeDefinitions") {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(s(a, "AttributeName", "AttributeDefinitions")?)
                .attribute_type(ScalarAttributeType::from(s(a, "AttributeType", "AttributeDefinitions")?))
                .build()
                .map_err(crate::ctx("AttributeDefinitions"))?,
        );
    }
    req = req.set_key_schema(Some(key_schema(props, "KeySchema")?));
    let billing = props.get("BillingMode").and_then(Value::as_str).unwrap_or("PROVISIONED");
    req = req.billing_mode(BillingMode::from(billing));
    if billing == "PROVISIONED" {
        req = req.set_provisioned_throughput(throughput(props)?);
    }
    for g in arr(props, "GlobalSecondaryIndexes") {
        let name = s(g, "IndexName", "GlobalSecondaryIndexes")?;
        let mut b = GlobalSecondaryIndex::builder()
            .index_name(name)
            .set_key_schema(Some(key_schema(g, name)?))
            .projection(projection(g));
        if billing == "PROVISIONED" {
            b = b.set_provisioned_throughput(throughput(g)?);
        }
        req = req.global_secondary_indexes(b.build().map_err(crate::ctx(name))?);
    }
    for l in arr(props, "LocalSecondaryIndexes") {
        let name = s(l, "IndexName", "LocalSecondaryIndexes")?;
        req = req.local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(name)
                .set_key_schema(Some(key_schema(l, name)?))
                .projection(projection(l))
                .build()
                .map_err(crate::ctx(name))?,
        );
    }
    if let Some(spec) = props.get("StreamSpecification") {
        let view = s(spec, "StreamViewType", "StreamSpecification")?;
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view))
                .build()
                .map_err(crate::ctx("StreamSpecification"))?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        // Someone else (a parallel start on the same data) created it meanwhile.
        Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_in_use_exception()) => return Ok(false),
        Err(e) => return Err(sdk_ctx(&format!("CreateTable {table}"))(e)),
    }

    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        let enabled = ttl.get("Enabled").and_then(Value::as_bool).unwrap_or(false);
        if enabled {
            let spec = TimeToLiveSpecification::builder()
                .attribute_name(s(ttl, "AttributeName", "TimeToLiveSpecification")?)
                .enabled(true)
                .build()
                .map_err(crate::ctx("TimeToLiveSpecification"))?;
            if let Err(e) = client.update_time_to_live().table_name(table).time_to_live_specification(spec).send().await
            {
                tracing::warn!(table, error = %aws_smithy_types::error::display::DisplayErrorContext(&e), "UpdateTimeToLive failed");
            }
        }
    }
    Ok(true)
}

/// Create the bucket (existing is fine) and apply the template's CORS rules if the emulator takes them.
pub async fn ensure_bucket(client: &aws_sdk_s3::Client, bucket: &str, cors: Option<&Value>) -> Result<()> {
    match client.create_bucket().bucket(bucket).send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_bucket_already_owned_by_you() || se.is_bucket_already_exists()) => {}
        Err(e) => return Err(sdk_ctx(&format!("CreateBucket {bucket}"))(e)),
    }
    let Some(cors) = cors else { return Ok(()) };
    match cors_configuration(cors) {
        Ok(conf) => {
            if let Err(e) = client.put_bucket_cors().bucket(bucket).cors_configuration(conf).send().await {
                tracing::warn!(bucket, error = %aws_smithy_types::error::display::DisplayErrorContext(&e), "PutBucketCors not accepted");
            }
        }
        Err(e) => tracing::warn!(bucket, error = %e, "bucket CorsConfiguration not applied"),
    }
    Ok(())
}

/// CloudFormation's CorsConfiguration (`MaxAge`, `ExposedHeaders`) → S3's (`MaxAgeSeconds`, `ExposeHeaders`).
fn cors_configuration(v: &Value) -> Result<aws_sdk_s3::types::CorsConfiguration> {
    use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
    let strs = |r: &Value, k: &str| -> Vec<String> {
        arr(r, k).iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
    };
    let mut conf = CorsConfiguration::builder();
    for r in arr(v, "CorsRules") {
        let rule = CorsRule::builder()
            .set_id(r.get("Id").and_then(Value::as_str).map(str::to_string))
            .set_allowed_methods(Some(strs(r, "AllowedMethods")))
            .set_allowed_origins(Some(strs(r, "AllowedOrigins")))
            .set_allowed_headers(Some(strs(r, "AllowedHeaders")))
            .set_expose_headers(Some(strs(r, "ExposedHeaders")))
            .set_max_age_seconds(r.get("MaxAge").and_then(Value::as_i64).map(|x| x as i32))
            .build()
            .map_err(crate::ctx("CorsRules"))?;
        conf = conf.cors_rules(rule);
    }
    conf.build().map_err(crate::ctx("CorsConfiguration"))
}
