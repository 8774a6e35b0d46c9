//! The private-key sealing key of the users function (issue #9, item 4): read from SSM
//! Parameter Store (the moto server of the local stack emulates it) at cold start; a deployed
//! function without a key fails to start instead of using a built-in one.

use aws_credential_types::Credentials;
use aws_sdk_ssm::types::ParameterType;
use e2e::*;
use users::crypto;

fn ssm(app: &TestApp) -> aws_sdk_ssm::Client {
    let conf = aws_sdk_ssm::Config::builder()
        .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
        .region(aws_sdk_ssm::config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "test"))
        .endpoint_url(&app.config.s3_endpoint)
        .build();
    aws_sdk_ssm::Client::from_conf(conf)
}

#[tokio::test]
async fn the_pay_key_comes_from_a_secure_parameter_and_never_falls_back() {
    let app = spawn_app().await;
    let ssm = ssm(&app);
    let name = format!("/im/{}/pay-key", app.config.table);
    let key = [42u8; 32];
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(key);
    ssm.put_parameter().name(&name).value(&b64).r#type(ParameterType::SecureString).send().await.unwrap();
    assert_eq!(crypto::key_from_parameter(&ssm, &name).await.unwrap(), key);

    let e = crypto::key_from_parameter(&ssm, &format!("{name}-missing")).await.unwrap_err();
    assert!(e.contains("cannot read SSM parameter"), "{e}");
    let short = format!("{name}-short");
    let v = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
    ssm.put_parameter().name(&short).value(v).r#type(ParameterType::SecureString).send().await.unwrap();
    assert!(crypto::key_from_parameter(&ssm, &short).await.unwrap_err().contains("32 bytes"));

    // Neither PAY_KEY_PARAMETER nor PAY_KEY_SECRET (CI sets neither): a start-up error.
    assert!(std::env::var_os("PAY_KEY_PARAMETER").is_none() && std::env::var_os("PAY_KEY_SECRET").is_none());
    let sdk = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
    let e = crypto::key_from_env(&sdk).await.unwrap_err();
    assert!(e.contains("PAY_KEY_PARAMETER"), "{e}");
}
