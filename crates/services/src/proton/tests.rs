//! The connection state machine and the rules around it.

use super::connections::{accept, reject};
use super::model::{ConnectionRecord, ConnectionStatus};

fn connection(status: ConnectionStatus) -> ConnectionRecord {
    ConnectionRecord {
        id: "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111".to_owned(),
        arn: "arn:aws:proton:us-east-1:222222222222:environment-account-connection/x".to_owned(),
        region: "us-east-1".to_owned(),
        environment_account_id: "222222222222".to_owned(),
        management_account_id: "111111111111".to_owned(),
        environment_name: "simple-env-connected".to_owned(),
        role_arn: "arn:aws:iam::222222222222:role/r".to_owned(),
        codebuild_role_arn: None,
        component_role_arn: None,
        status,
        requested_at: 1.0,
        last_modified_at: 1.0,
        tags: Vec::new(),
    }
}

#[test]
fn pending_becomes_connected_or_rejected() {
    assert_eq!(
        accept(&connection(ConnectionStatus::Pending)).unwrap(),
        Some(ConnectionStatus::Connected)
    );
    assert_eq!(
        reject(&connection(ConnectionStatus::Pending), None).unwrap(),
        Some(ConnectionStatus::Rejected)
    );
}

#[test]
fn accepting_or_rejecting_again_changes_nothing() {
    assert_eq!(accept(&connection(ConnectionStatus::Connected)).unwrap(), None);
    assert_eq!(reject(&connection(ConnectionStatus::Rejected), None).unwrap(), None);
}

#[test]
fn a_rejected_connection_can_never_be_accepted() {
    let e = accept(&connection(ConnectionStatus::Rejected)).unwrap_err();
    assert_eq!(e.code, "ConflictException");
    assert_eq!(e.status, 400);
}

#[test]
fn a_connection_an_environment_uses_cannot_be_rejected() {
    let e = reject(&connection(ConnectionStatus::Connected), Some("prod")).unwrap_err();
    assert_eq!(e.code, "ConflictException");
    assert!(e.message.contains("prod"));
    assert_eq!(
        reject(&connection(ConnectionStatus::Connected), None).unwrap(),
        Some(ConnectionStatus::Rejected)
    );
}

// ---------------------------------------------------------------- through Services::call

use std::sync::Arc;

use serde_json::{json, Value};

use super::model::{DeploymentStatus, EnvironmentRecord, ENVIRONMENTS};
use crate::{Call, Caller, Config, ServiceError, Services};

fn services() -> (tempfile::TempDir, Services) {
    let dir = tempfile::tempdir().unwrap();
    let store = xacct_store::open_sqlite(dir.path()).unwrap();
    let services = Services::new(store, Arc::new(crate::Clock::new()), Config::default());
    services.bootstrap(None).unwrap();
    (dir, services)
}

fn call(
    s: &Services,
    caller: &Caller,
    service: &str,
    op: &str,
    input: Value,
) -> Result<Value, ServiceError> {
    let c = Call {
        service,
        operation: op,
        region: "us-east-1",
        caller,
        input: &input,
        request_id: "req",
        source_ip: "",
        user_agent: "",
        streams: None,
    };
    s.call(&c)
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"proton.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}"#;

#[test]
fn a_connection_goes_pending_connected_and_only_its_accounts_see_it() {
    let (_dir, s) = services();
    let env = Caller::root("222222222222", "AKIAENV");
    let mgmt = Caller::root("111111111111", "AKIAMGMT");
    let other = Caller::root("333333333333", "AKIAOTHER");
    call(
        &s,
        &env,
        "iam",
        "CreateRole",
        json!({"RoleName": "proton", "AssumeRolePolicyDocument": TRUST}),
    )
    .unwrap();
    let role = "arn:aws:iam::222222222222:role/proton";
    let created = call(
        &s,
        &env,
        "proton",
        "CreateEnvironmentAccountConnection",
        json!({"managementAccountId": "111111111111", "environmentName": "prod", "roleArn": role}),
    )
    .unwrap();
    let id = created["environmentAccountConnection"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["environmentAccountConnection"]["status"], "PENDING");

    // A trust policy naming another management account does not let Proton in.
    let wrong = call(
        &s,
        &env,
        "proton",
        "CreateEnvironmentAccountConnection",
        json!({"managementAccountId": "444444444444", "environmentName": "prod", "roleArn": role}),
    )
    .unwrap_err();
    assert_eq!(wrong.code, "ValidationException");

    let seen = call(&s, &other, "proton", "GetEnvironmentAccountConnection", json!({"id": id}))
        .unwrap_err();
    assert_eq!(seen.code, "ResourceNotFoundException");
    let by_env = call(&s, &env, "proton", "AcceptEnvironmentAccountConnection", json!({"id": id}))
        .unwrap_err();
    assert_eq!(by_env.code, "AccessDeniedException");
    let accepted =
        call(&s, &mgmt, "proton", "AcceptEnvironmentAccountConnection", json!({"id": id})).unwrap();
    assert_eq!(accepted["environmentAccountConnection"]["status"], "CONNECTED");
    let by_mgmt =
        call(&s, &mgmt, "proton", "DeleteEnvironmentAccountConnection", json!({"id": id}))
            .unwrap_err();
    assert_eq!(by_mgmt.code, "AccessDeniedException");
    call(&s, &env, "proton", "DeleteEnvironmentAccountConnection", json!({"id": id})).unwrap();
    let gone = call(&s, &mgmt, "proton", "GetEnvironmentAccountConnection", json!({"id": id}))
        .unwrap_err();
    assert_eq!(gone.code, "ResourceNotFoundException");
}

#[test]
fn an_interrupted_deployment_can_be_retried_but_a_running_one_cannot() {
    let (_dir, s) = services();
    let mgmt = Caller::root("111111111111", "AKIAMGMT");
    let now = s.clock().now_epoch_f64();
    let mut record = EnvironmentRecord {
        account: "111111111111".into(),
        region: "us-east-1".into(),
        name: "prod".into(),
        arn: "arn:aws:proton:us-east-1:111111111111:environment/prod".into(),
        description: None,
        template_name: "t".into(),
        template_major: 1,
        template_minor: 0,
        spec: "proton: EnvironmentSpec\n".into(),
        environment_account_connection_id: None,
        environment_account_id: "111111111111".into(),
        proton_service_role_arn: Some("arn:aws:iam::111111111111:role/p".into()),
        component_role_arn: None,
        codebuild_role_arn: None,
        deployment_status: DeploymentStatus::InProgress,
        deployment_status_message: None,
        created_at: now,
        last_deployment_attempted_at: now,
        last_deployment_succeeded_at: now,
        last_attempted_deployment_id: None,
        last_succeeded_deployment_id: None,
        stack_id: None,
        tags: Vec::new(),
    };
    let key = super::model::scoped_key("111111111111", "us-east-1", "prod");
    let put = |r: &EnvironmentRecord| {
        let mut tx = s.store().write().unwrap();
        ENVIRONMENTS.put(&mut *tx, &key, r).unwrap();
        tx.commit().unwrap();
    };
    put(&record);
    let busy = call(&s, &mgmt, "proton", "DeleteEnvironment", json!({"name": "prod"})).unwrap_err();
    assert_eq!(busy.code, "ConflictException");
    record.last_deployment_attempted_at =
        now - super::environments::INTERRUPTED_AFTER_SECONDS - 1.0;
    put(&record);
    // No stack was made: deleting it removes the record.
    let out = call(&s, &mgmt, "proton", "DeleteEnvironment", json!({"name": "prod"})).unwrap();
    assert_eq!(out["environment"]["deploymentStatus"], "DELETE_COMPLETE");
    let gone = call(&s, &mgmt, "proton", "GetEnvironment", json!({"name": "prod"})).unwrap_err();
    assert_eq!(gone.code, "ResourceNotFoundException");
}
