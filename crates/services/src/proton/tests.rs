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

use super::model::{
    DeploymentStatus, EnvironmentRecord, TemplateRecord, VersionRecord, VersionStatus,
    ENVIRONMENTS, TEMPLATES, VERSIONS,
};
use crate::jobs::{self, JobRecord, JobState, Work, JOBS_DONE};
use crate::{Caller, Config, ServiceError, Services};

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
    let c = crate::test_support::call(service, op, "us-east-1", caller, &input);
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

fn environment(status: DeploymentStatus, now: f64) -> EnvironmentRecord {
    EnvironmentRecord {
        account: "111111111111".into(),
        region: "us-east-1".into(),
        name: "prod".into(),
        arn: "arn:aws:proton:us-east-1:111111111111:environment/prod".into(),
        description: None,
        template_name: "t".into(),
        template_major: 1,
        template_minor: 0,
        spec: "proton: EnvironmentSpec\nspec:\n  bucket: b\n".into(),
        environment_account_connection_id: None,
        environment_account_id: "111111111111".into(),
        proton_service_role_arn: Some("arn:aws:iam::111111111111:role/missing".into()),
        component_role_arn: None,
        codebuild_role_arn: None,
        deployment_status: status,
        deployment_status_message: None,
        created_at: now,
        last_deployment_attempted_at: now,
        last_deployment_succeeded_at: now,
        last_attempted_deployment_id: None,
        last_succeeded_deployment_id: None,
        stack_id: None,
        tags: Vec::new(),
    }
}

const ENV_KEY: &str = "111111111111/us-east-1/prod";

fn put_env(s: &Services, e: &EnvironmentRecord) {
    let mut tx = s.store().write().unwrap();
    ENVIRONMENTS.put(&mut *tx, ENV_KEY, e).unwrap();
    tx.commit().unwrap();
}

fn queued(s: &Services) -> Vec<JobRecord> {
    jobs::queued(&*s.store().read().unwrap()).unwrap()
}

fn done(s: &Services) -> Vec<JobRecord> {
    JOBS_DONE
        .scan(&*s.store().read().unwrap(), "", None, 100)
        .unwrap()
        .into_iter()
        .map(|(_, j)| j)
        .collect()
}

fn status(s: &Services, caller: &Caller) -> Result<String, ServiceError> {
    call(s, caller, "proton", "GetEnvironment", json!({"name": "prod"}))
        .map(|o| o["environment"]["deploymentStatus"].as_str().unwrap().to_owned())
}

#[test]
fn a_deletion_is_a_job_and_the_environment_is_busy_until_it_ran() {
    let (_dir, s) = services();
    let s = s.without_job_worker();
    let mgmt = Caller::root("111111111111", "AKIAMGMT");
    let now = s.clock().now_epoch_f64();
    // A deployment under way: neither an update nor a deletion may start, and none is queued.
    put_env(&s, &environment(DeploymentStatus::InProgress, now));
    let busy = call(&s, &mgmt, "proton", "DeleteEnvironment", json!({"name": "prod"})).unwrap_err();
    assert_eq!(busy.code, "ConflictException");
    let busy = call(
        &s,
        &mgmt,
        "proton",
        "UpdateEnvironment",
        json!({"name": "prod", "deploymentType": "NONE", "description": "d"}),
    )
    .unwrap_err();
    assert_eq!(busy.code, "ConflictException");
    assert!(queued(&s).is_empty(), "a refused request queues nothing");

    // Deployed without a stack: the deletion answers DELETE_IN_PROGRESS and queues one job.
    put_env(&s, &environment(DeploymentStatus::Succeeded, now));
    let out = call(&s, &mgmt, "proton", "DeleteEnvironment", json!({"name": "prod"})).unwrap();
    assert_eq!(out["environment"]["deploymentStatus"], "DELETE_IN_PROGRESS");
    assert_eq!(status(&s, &mgmt).unwrap(), "DELETE_IN_PROGRESS");
    let jobs = queued(&s);
    assert_eq!(jobs.len(), 1);
    assert!(
        matches!(jobs[0].work, Work::ProtonDeleteEnvironment { ref name, .. } if name == "prod")
    );
    let again =
        call(&s, &mgmt, "proton", "DeleteEnvironment", json!({"name": "prod"})).unwrap_err();
    assert_eq!(again.code, "ConflictException");

    assert_eq!(s.run_jobs(), 1);
    assert_eq!(status(&s, &mgmt).unwrap_err().code, "ResourceNotFoundException");
    assert!(queued(&s).is_empty());
    let finished = done(&s);
    assert_eq!(finished.len(), 1);
    assert_eq!((finished[0].state, finished[0].attempts), (JobState::Succeeded, 1));
    assert_eq!(s.run_jobs(), 0, "nothing left to run");
}

#[test]
fn a_deployment_refused_by_sts_fails_at_once_with_the_reason_and_is_not_retried() {
    let (_dir, s) = services();
    let s = s.without_job_worker();
    let mgmt = Caller::root("111111111111", "AKIAMGMT");
    let now = s.clock().now_epoch_f64();
    let version = VersionRecord {
        template_name: "t".into(),
        major: 1,
        minor: 0,
        arn: "arn:aws:proton:us-east-1:111111111111:environment-template/t:1.0".into(),
        description: None,
        status: VersionStatus::Published,
        status_message: None,
        schema: Some("schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"In\"\n  types:\n    In:\n      type: object\n      properties:\n        bucket:\n          type: string\n".into()),
        infrastructure: Some("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: '{{ environment.inputs.bucket }}'\n".into()),
        created_at: now,
        last_modified_at: now,
        tags: Vec::new(),
    };
    let mut e = environment(DeploymentStatus::InProgress, now);
    e.last_attempted_deployment_id = Some("d-1".into());
    {
        let mut tx = s.store().write().unwrap();
        VERSIONS
            .put(
                &mut *tx,
                &super::model::version_key("111111111111", "us-east-1", "t", 1, 0),
                &version,
            )
            .unwrap();
        let template = TemplateRecord {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            name: "t".into(),
            arn: "arn:aws:proton:us-east-1:111111111111:environment-template/t".into(),
            description: None,
            display_name: None,
            encryption_key: None,
            provisioning: None,
            recommended_version: Some("1.0".into()),
            created_at: now,
            last_modified_at: now,
            tags: Vec::new(),
        };
        TEMPLATES.put(&mut *tx, ENV_KEY.replace("prod", "t").as_str(), &template).unwrap();
        ENVIRONMENTS.put(&mut *tx, ENV_KEY, &e).unwrap();
        jobs::enqueue(
            &mut *tx,
            now,
            Work::ProtonDeployEnvironment {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                name: "prod".into(),
                deployment_id: "d-1".into(),
                stack_name: "AWSProton-prod-TEST".into(),
            },
        )
        .unwrap();
        tx.commit().unwrap();
    }
    assert_eq!(status(&s, &mgmt).unwrap(), "IN_PROGRESS");
    assert_eq!(s.run_jobs(), 1);
    let got = call(&s, &mgmt, "proton", "GetEnvironment", json!({"name": "prod"})).unwrap();
    assert_eq!(got["environment"]["deploymentStatus"], "FAILED");
    let message = got["environment"]["deploymentStatusMessage"].as_str().unwrap();
    assert!(
        message.contains("could not assume the role arn:aws:iam::111111111111:role/missing"),
        "{message}"
    );
    assert!(got["environment"].get("lastSucceededDeploymentId").is_none());
    // Final at the first attempt: nothing queued for a retry.
    assert!(queued(&s).is_empty());
    let finished = done(&s);
    assert_eq!((finished[0].state, finished[0].attempts), (JobState::Failed, 1));
    assert_eq!(finished[0].last_error.as_deref(), Some(message));
    // The update that follows is allowed again (the deployment is over) and queues a new job.
    let out = call(
        &s,
        &mgmt,
        "proton",
        "UpdateEnvironment",
        json!({"name": "prod", "deploymentType": "CURRENT_VERSION"}),
    )
    .unwrap();
    assert_eq!(out["environment"]["deploymentStatus"], "IN_PROGRESS");
    assert_ne!(out["environment"]["lastAttemptedDeploymentId"], "d-1");
    assert_eq!(queued(&s).len(), 1);
}

#[test]
fn a_transaction_that_does_not_commit_leaves_no_job() {
    let (_dir, s) = services();
    let s = s.without_job_worker();
    let now = s.clock().now_epoch_f64();
    let failed = || -> Result<(), ServiceError> {
        let mut tx = s.store().write()?;
        ENVIRONMENTS.put(
            &mut *tx,
            ENV_KEY,
            &environment(DeploymentStatus::DeleteInProgress, now),
        )?;
        jobs::enqueue(
            &mut *tx,
            now,
            Work::ProtonDeleteEnvironment {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                name: "prod".into(),
                deployment_id: "d".into(),
            },
        )?;
        // A later step of the same change fails: the transaction is dropped, not committed.
        Err(ServiceError::internal("a later step failed"))
    };
    assert!(failed().is_err());
    assert!(queued(&s).is_empty());
    assert!(ENVIRONMENTS.get(&*s.store().read().unwrap(), ENV_KEY).unwrap().is_none());
    assert_eq!(s.run_jobs(), 0);
}

#[test]
fn a_job_queued_or_left_running_before_a_restart_runs_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let mgmt = Caller::root("111111111111", "AKIAMGMT");
    {
        let store = xacct_store::open_sqlite(dir.path()).unwrap();
        let s = Services::new(store, Arc::new(crate::Clock::new()), Config::default())
            .without_job_worker();
        s.bootstrap(None).unwrap();
        let now = s.clock().now_epoch_f64();
        put_env(&s, &environment(DeploymentStatus::Succeeded, now));
        let out = call(&s, &mgmt, "proton", "DeleteEnvironment", json!({"name": "prod"})).unwrap();
        assert_eq!(out["environment"]["deploymentStatus"], "DELETE_IN_PROGRESS");
        // The job was claimed when the server went down: its lease has not lapsed.
        let mut job = queued(&s).pop().unwrap();
        job.state = JobState::Running;
        job.attempts = 1;
        job.lease_until = now + jobs::LEASE_SECONDS;
        let mut tx = s.store().write().unwrap();
        jobs::JOBS.put(&mut *tx, &job.id, &job).unwrap();
        tx.commit().unwrap();
    }
    let store = xacct_store::open_sqlite(dir.path()).unwrap();
    let s = Services::new(store, Arc::new(crate::Clock::new()), Config::default());
    s.bootstrap(None).unwrap();
    // The worker picks the job up at start; wait for it, bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while status(&s, &mgmt).is_ok() {
        assert!(std::time::Instant::now() < deadline, "the job did not run after the restart");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(status(&s, &mgmt).unwrap_err().code, "ResourceNotFoundException");
    let finished = done(&s);
    assert_eq!((finished[0].state, finished[0].attempts), (JobState::Succeeded, 2));
    drop(s);
}

#[test]
fn a_deployment_run_again_after_an_interruption_updates_the_stack_it_made_instead_of_making_another(
) {
    let (_dir, s) = services();
    let s = s.without_job_worker();
    let mgmt = Caller::root("111111111111", "AKIAMGMT");
    let now = s.clock().now_epoch_f64();
    call(
        &s,
        &mgmt,
        "iam",
        "CreateRole",
        json!({"RoleName": "proton-service", "AssumeRolePolicyDocument": TRUST}),
    )
    .unwrap();
    call(
        &s,
        &mgmt,
        "iam",
        "PutRolePolicy",
        json!({"RoleName": "proton-service", "PolicyName": "p", "PolicyDocument": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudformation:*","s3:*"],"Resource":"*"}]}"#}),
    )
    .unwrap();
    let version = VersionRecord {
        template_name: "t".into(),
        major: 1,
        minor: 0,
        arn: "arn:aws:proton:us-east-1:111111111111:environment-template/t:1.0".into(),
        description: None,
        status: VersionStatus::Published,
        status_message: None,
        schema: Some("schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"In\"\n  types:\n    In:\n      type: object\n      properties:\n        bucket:\n          type: string\n".into()),
        infrastructure: Some("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: 'interrupted-{{ environment.inputs.bucket }}'\n".into()),
        created_at: now,
        last_modified_at: now,
        tags: Vec::new(),
    };
    // The environment's earlier stack rolled back and was deleted by this deployment before
    // it made the new one.
    let old = call(
        &s,
        &mgmt,
        "cloudformation",
        "CreateStack",
        json!({"StackName": "AWSProton-prod-OLD", "TemplateBody": "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: 'old-b'\n"}),
    )
    .unwrap();
    let old_id = old["StackId"].as_str().unwrap().to_owned();
    call(&s, &mgmt, "cloudformation", "DeleteStack", json!({"StackName": old_id})).unwrap();
    let mut e = environment(DeploymentStatus::InProgress, now);
    e.proton_service_role_arn = Some("arn:aws:iam::111111111111:role/proton-service".into());
    e.last_attempted_deployment_id = Some("d-1".into());
    e.stack_id = Some(old_id);
    {
        let mut tx = s.store().write().unwrap();
        VERSIONS
            .put(
                &mut *tx,
                &super::model::version_key("111111111111", "us-east-1", "t", 1, 0),
                &version,
            )
            .unwrap();
        ENVIRONMENTS.put(&mut *tx, ENV_KEY, &e).unwrap();
        jobs::enqueue(
            &mut *tx,
            now,
            Work::ProtonDeployEnvironment {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                name: "prod".into(),
                deployment_id: "d-1".into(),
                stack_name: "AWSProton-prod-INTERRUPTED".into(),
            },
        )
        .unwrap();
        tx.commit().unwrap();
    }
    // An earlier attempt made the stack, then the server stopped before recording it.
    let made = call(
        &s,
        &mgmt,
        "cloudformation",
        "CreateStack",
        json!({"StackName": "AWSProton-prod-INTERRUPTED", "TemplateBody": "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: 'interrupted-b'\n"}),
    )
    .unwrap();
    let stack_id = made["StackId"].as_str().unwrap().to_owned();

    assert_eq!(s.run_jobs(), 1);
    let got = call(&s, &mgmt, "proton", "GetEnvironment", json!({"name": "prod"})).unwrap();
    assert_eq!(
        got["environment"]["deploymentStatus"], "SUCCEEDED",
        "{}",
        got["environment"]["deploymentStatusMessage"]
    );
    assert_eq!(got["environment"]["lastSucceededDeploymentId"], "d-1");
    let stored = ENVIRONMENTS.get(&*s.store().read().unwrap(), ENV_KEY).unwrap().unwrap();
    assert_eq!(stored.stack_id.as_deref(), Some(stack_id.as_str()));
    let stacks = call(&s, &mgmt, "cloudformation", "DescribeStacks", json!({})).unwrap();
    let live: Vec<&Value> = stacks["Stacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["StackStatus"] != "DELETE_COMPLETE")
        .collect();
    assert_eq!(live.len(), 1, "one stack, not two: {stacks}");
    assert_eq!(live[0]["StackId"], stack_id.as_str());

    // Deleting runs as a job too, and deleting again what is already gone is no error.
    let out = call(&s, &mgmt, "proton", "DeleteEnvironment", json!({"name": "prod"})).unwrap();
    assert_eq!(out["environment"]["deploymentStatus"], "DELETE_IN_PROGRESS");
    call(&s, &mgmt, "cloudformation", "DeleteStack", json!({"StackName": stack_id})).unwrap();
    assert_eq!(s.run_jobs(), 1);
    assert_eq!(status(&s, &mgmt).unwrap_err().code, "ResourceNotFoundException");
}
