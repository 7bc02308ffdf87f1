//! Environments and their deployments. An environment lives in the account that creates it
//! (the management account when it uses an environment account connection) and its
//! infrastructure is a CloudFormation stack in the environment account.
//!
//! A deployment, as Proton does it with AWS-managed provisioning:
//! 1. Proton assumes the provisioning role — the connection's `roleArn` (or the environment's
//!    `protonServiceRoleArn` in a single account) — as `proton.amazonaws.com`, with
//!    `aws:SourceAccount` = the environment's account and `aws:SourceArn` = the environment's
//!    ARN for the trust policy's conditions; the `AssumeRole` event is written in the role's
//!    account.
//! 2. It renders the version's `infrastructure/cloudformation.yaml` with the spec's inputs over
//!    the schema's defaults (see [`render`](super::render)).
//! 3. As the role session it calls CloudFormation in the environment account (`CreateStack`, or
//!    `UpdateStack` for a deployed environment, then `DescribeStacks`/`DescribeStackEvents`),
//!    so the stack's resources are created with the role's permissions.
//!
//! The request writes the environment and a job ([`crate::jobs`]) in one transaction and
//! answers; the job worker runs the steps above (`run_job`). `deploymentStatus` goes
//! `IN_PROGRESS` → `SUCCEEDED` or `FAILED` (`deploymentStatusMessage` carries the reason: an
//! `AssumeRole` refusal, a rendering error, or the CloudFormation resource failure such as an
//! `AccessDenied`), and for deletion `DELETE_IN_PROGRESS` → gone, or `DELETE_FAILED` with the
//! reason. While a deployment or deletion is under way, updating or deleting the environment
//! is a `ConflictException`. Only transient failures (the server at fault) are retried.
//!
//! A job may run again after an interruption, so its steps are idempotent: a new stack's name
//! is chosen when the job is written, and a deployment that finds no recorded stack first looks
//! for one by that name (made by an attempt that stopped before recording it) and updates it;
//! deleting a stack already deleted is no error; a job whose environment moved on (another
//! deployment id, or gone) does nothing.
//!
//! An environment whose connection was deleted (or is no longer `CONNECTED`) cannot be updated or
//! deleted until a new connection for the same environment account and environment name is
//! accepted; the next update or delete then uses that connection.
//!
//! Stack names are `AWSProton-<environment name>-<12 random characters>` (guessed: AWS does not
//! document the names of the stacks Proton makes).

use serde_json::{json, Map, Value};
use xacct_store::ReadTx;

use super::connections::{self, source_context, ROLE_SESSION_NAME};
use super::error::{conflict, not_found, validation};
use super::model::{
    self, ConnectionRecord, ConnectionStatus, DeploymentStatus, EnvironmentRecord, VersionRecord,
    ENVIRONMENTS,
};
use super::{environment_arn, opt, page, render, required, tags_of, with_next, SERVICE_PRINCIPAL};
use crate::jobs::{self, JobError, JobRecord, JobState, Work};
use crate::{input_str, Call, Caller, ServiceError, Services};

fn environment_not_found(name: &str) -> ServiceError {
    not_found(format!("Resource of type 'environment' with name '{name}' was not found"))
    // guessed text
}

pub(crate) fn value(e: &EnvironmentRecord, status: &str, summary: bool) -> Value {
    let mut v = json!({
        "arn": e.arn,
        "name": e.name,
        "templateName": e.template_name,
        "templateMajorVersion": e.template_major.to_string(),
        "templateMinorVersion": e.template_minor.to_string(),
        "deploymentStatus": status,
        "createdAt": e.created_at,
        "lastDeploymentAttemptedAt": e.last_deployment_attempted_at,
        "lastDeploymentSucceededAt": e.last_deployment_succeeded_at,
        "environmentAccountId": e.environment_account_id,
    });
    opt(&mut v, "description", e.description.as_deref());
    opt(&mut v, "deploymentStatusMessage", e.deployment_status_message.as_deref());
    opt(&mut v, "environmentAccountConnectionId", e.environment_account_connection_id.as_deref());
    opt(&mut v, "protonServiceRoleArn", e.proton_service_role_arn.as_deref());
    opt(&mut v, "componentRoleArn", e.component_role_arn.as_deref());
    opt(&mut v, "lastAttemptedDeploymentId", e.last_attempted_deployment_id.as_deref());
    opt(&mut v, "lastSucceededDeploymentId", e.last_succeeded_deployment_id.as_deref());
    if !summary {
        opt(&mut v, "spec", Some(&e.spec));
        opt(&mut v, "codebuildRoleArn", e.codebuild_role_arn.as_deref());
    }
    v
}

fn output(e: &EnvironmentRecord) -> Value {
    json!({ "environment": value(e, e.deployment_status.as_str(), false) })
}

/// Every environment of `account` in `region`.
pub(crate) fn all(
    tx: &dyn ReadTx,
    account: &str,
    region: &str,
) -> Result<Vec<EnvironmentRecord>, ServiceError> {
    let prefix = model::scope(account, region);
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = ENVIRONMENTS.scan(tx, &prefix, after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        out.extend(batch.into_iter().map(|(_, e)| e));
    }
    Ok(out)
}

fn find(tx: &dyn ReadTx, call: &Call<'_>, name: &str) -> Result<EnvironmentRecord, ServiceError> {
    ENVIRONMENTS
        .get(tx, &model::scoped_key(&call.caller.account, call.region, name))?
        .ok_or_else(|| environment_not_found(name))
}

/// Writes metadata changes of `e`, unless a deployment started meanwhile.
fn save(services: &Services, e: &EnvironmentRecord) -> Result<(), ServiceError> {
    let key = model::scoped_key(&e.account, &e.region, &e.name);
    let mut tx = services.store().write()?;
    let current = ENVIRONMENTS.get(&*tx, &key)?.ok_or_else(|| environment_not_found(&e.name))?;
    refuse_while_busy(&current)?;
    ENVIRONMENTS.put(&mut *tx, &key, e)?;
    tx.commit()?;
    Ok(())
}

/// A connection the management account `me` may deploy environment `name` through: its own,
/// `CONNECTED`, and for that environment name.
fn usable_connection(
    tx: &dyn ReadTx,
    call: &Call<'_>,
    id: &str,
    name: &str,
) -> Result<ConnectionRecord, ServiceError> {
    let me = call.caller.account.as_str();
    let c = connections::find(tx, call.region, me, id)?;
    if c.management_account_id != me {
        return Err(super::error::access_denied(format!(
            "Environment account connection {id} can only be used by its management account {}",
            c.management_account_id
        ))); // guessed text
    }
    match c.status {
        ConnectionStatus::Connected => {}
        ConnectionStatus::Pending => {
            return Err(validation(format!(
                "Environment account connection {id} has not been accepted"
            ))); // guessed text
        }
        ConnectionStatus::Rejected => {
            return Err(validation(format!(
                "Environment account connection {id} was rejected and can't be used"
            ))); // guessed text
        }
    }
    if c.environment_name != name {
        return Err(validation(format!(
            "Environment account connection {id} is for environment {}, not {name}",
            c.environment_name
        ))); // guessed text
    }
    Ok(c)
}

/// The connection an existing environment deploys through: `requested` (a switch, within the
/// same environment account and environment name), else its own while `CONNECTED`, else an
/// accepted replacement for the same environment account and name.
fn current_connection(
    tx: &dyn ReadTx,
    call: &Call<'_>,
    e: &EnvironmentRecord,
    requested: Option<&str>,
) -> Result<Option<ConnectionRecord>, ServiceError> {
    let Some(own) = e.environment_account_connection_id.as_deref() else {
        if requested.is_some() {
            return Err(validation(format!(
                "Environment {} was not created with an environment account connection; one can't be added",
                e.name
            ))); // guessed text
        }
        return Ok(None);
    };
    if let Some(id) = requested {
        let c = usable_connection(tx, call, id, &e.name)?;
        if c.environment_account_id != e.environment_account_id {
            return Err(validation(format!(
                "Environment account connection {id} is for account {}, not the environment's account {}",
                c.environment_account_id, e.environment_account_id
            ))); // guessed text
        }
        return Ok(Some(c));
    }
    if let Ok(c) = usable_connection(tx, call, own, &e.name) {
        return Ok(Some(c));
    }
    let replacement =
        connections::of_account(tx, &call.caller.account, call.region)?.into_iter().find(|c| {
            c.management_account_id == call.caller.account
                && c.environment_account_id == e.environment_account_id
                && c.environment_name == e.name
                && c.status == ConnectionStatus::Connected
        });
    replacement.map(Some).ok_or_else(|| {
        validation(format!(
            "Environment {} can't be managed: its environment account connection {own} no longer exists or is not connected, and no other connection for account {} and environment {} has been accepted",
            e.name, e.environment_account_id, e.name
        )) // guessed text
    })
}

/// The spec's inputs for `version`'s schema, as a `ValidationException` when they do not fit.
fn spec_inputs(version: &VersionRecord, spec: &str) -> Result<Map<String, Value>, ServiceError> {
    let schema = version.schema.as_deref().unwrap_or_default();
    let schema = crate::cloudformation::template::parse(schema).map_err(|e| {
        validation(format!("The template version's schema is not valid: {}", e.message))
    })?;
    let spec = crate::cloudformation::template::parse(spec)
        .map_err(|e| validation(format!("The spec is not valid YAML: {}", e.message)))?;
    render::inputs(&schema, &spec).map_err(|m| validation(format!("The spec is not valid: {m}")))
    // guessed texts
}

/// A stack name for environment `name` (guessed form, see the module docs).
fn stack_name(name: &str) -> Result<String, ServiceError> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bytes = crate::ids::random_bytes::<12>()?;
    let suffix: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET.get(usize::from(*b) & 31).copied().unwrap_or(b'A')))
        .collect();
    let clean: String = name.chars().map(|c| if c == '_' { '-' } else { c }).take(100).collect();
    Ok(format!("AWSProton-{clean}-{suffix}"))
}

/// Proton acting in the environment account for one job attempt.
struct Deployer<'a> {
    services: &'a Services,
    region: String,
    /// The request id of every call this attempt makes.
    request_id: String,
    session: Caller,
}

/// `ROLLBACK_COMPLETE` and `ROLLBACK_FAILED` stacks can only be deleted and made again.
fn rolled_back(status: &str) -> bool {
    status == "ROLLBACK_COMPLETE" || status == "ROLLBACK_FAILED"
}

impl Deployer<'_> {
    /// Assumes `role_arn` for environment `e` (recorded in the role's account).
    fn assume<'a>(
        services: &'a Services,
        e: &EnvironmentRecord,
        role_arn: &str,
    ) -> Result<Deployer<'a>, JobError> {
        let request_id = crate::cloudformation::uuid()?;
        let context = source_context(&e.region, &e.account, &e.name);
        crate::sts::assume_role_for_service_recorded(
            services,
            role_arn,
            SERVICE_PRINCIPAL,
            ROLE_SESSION_NAME,
            &e.region,
            &context,
            &request_id,
        )
        .map(|session| Deployer { services, region: e.region.clone(), request_id, session })
        .map_err(|err| JobError {
            message: format!("AWS Proton could not assume the role {role_arn}: {}", err.message),
            retry: err.status >= 500,
        })
    }

    fn cloudformation(&self, operation: &str, input: &Value) -> Result<Value, ServiceError> {
        let call = Call {
            service: "cloudformation",
            operation,
            region: &self.region,
            caller: &self.session,
            input,
            request_id: &self.request_id,
            // AWS sets no source address a policy could test for calls a service makes.
            source_ip: "",
            user_agent: SERVICE_PRINCIPAL,
            streams: None,
        };
        self.services.call(&call)
    }

    /// The stack's id, status and status reason (`None` when there is no such stack).
    fn describe(&self, stack: &str) -> Result<Option<(String, String, String)>, JobError> {
        let out = match self.cloudformation("DescribeStacks", &json!({ "StackName": stack })) {
            Ok(out) => out,
            Err(e) if e.code == "ValidationError" && e.message.ends_with("does not exist") => {
                return Ok(None)
            }
            Err(e) => return Err(JobError::of("DescribeStacks", &e)),
        };
        Ok(out.get("Stacks").and_then(Value::as_array).and_then(|s| s.first()).map(|s| {
            (
                input_str(s, "StackId").unwrap_or(stack).to_owned(),
                input_str(s, "StackStatus").unwrap_or_default().to_owned(),
                input_str(s, "StackStatusReason").unwrap_or_default().to_owned(),
            )
        }))
    }

    /// The first resource failure of the stack's latest operation, in CloudFormation's words.
    fn failure(&self, stack_id: &str, status: &str, reason: &str) -> String {
        let events = self
            .cloudformation("DescribeStackEvents", &json!({ "StackName": stack_id }))
            .ok()
            .and_then(|o| o.get("StackEvents").and_then(Value::as_array).cloned())
            .unwrap_or_default();
        // Newest first: the latest run's events come before its "User Initiated" start, and
        // its oldest resource failure is the cause.
        let is_stack =
            |ev: &Value| input_str(ev, "ResourceType") == Some("AWS::CloudFormation::Stack");
        let latest: Vec<&Value> = events
            .iter()
            .take_while(|ev| {
                !(is_stack(ev) && input_str(ev, "ResourceStatusReason") == Some("User Initiated"))
            })
            .collect();
        let cause = latest.iter().rev().find(|ev| {
            input_str(ev, "ResourceStatus").is_some_and(|s| s.ends_with("_FAILED")) && !is_stack(ev)
        });
        match cause {
            Some(ev) => format!(
                "CloudFormation stack {stack_id} is {status}: resource {} ({}) failed: {}",
                input_str(ev, "LogicalResourceId").unwrap_or_default(),
                input_str(ev, "ResourceType").unwrap_or_default(),
                input_str(ev, "ResourceStatusReason").unwrap_or_default()
            ),
            None => format!("CloudFormation stack {stack_id} is {status}: {reason}"),
        }
    }

    /// Deploys `body` as the environment's stack; returns the stack id and the outcome.
    ///
    /// Safe to run again after an interruption: when the environment has no live recorded
    /// stack, it first looks for the stack this deployment names `planned` (made by an attempt
    /// that stopped before recording it) and updates it rather than making a second one.
    fn deploy(
        &self,
        e: &EnvironmentRecord,
        planned: &str,
        body: &str,
    ) -> (Option<String>, Result<(), JobError>) {
        let capabilities = json!(["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]);
        let mut existing = match self.live(e.stack_id.as_deref().unwrap_or(planned)) {
            Ok(found) => found,
            Err((id, err)) => return (id.or_else(|| e.stack_id.clone()), Err(err)),
        };
        if existing.is_none() && e.stack_id.is_some() {
            existing = match self.live(planned) {
                Ok(found) => found,
                Err((id, err)) => return (id.or_else(|| e.stack_id.clone()), Err(err)),
            };
        }
        let stack_id = match existing {
            Some(id) => {
                let input = json!({
                    "StackName": id,
                    "TemplateBody": body,
                    "Capabilities": capabilities,
                });
                match self.cloudformation("UpdateStack", &input) {
                    Ok(_) => id,
                    Err(err) if err.message.contains("No updates are to be performed") => {
                        return (Some(id), Ok(()));
                    }
                    Err(err) => return (Some(id), Err(JobError::of("UpdateStack", &err))),
                }
            }
            None => {
                let input = json!({
                    "StackName": planned,
                    "TemplateBody": body,
                    "Capabilities": capabilities,
                });
                match self.cloudformation("CreateStack", &input) {
                    Ok(out) => input_str(&out, "StackId").unwrap_or_default().to_owned(),
                    Err(err) => return (None, Err(JobError::of("CreateStack", &err))),
                }
            }
        };
        let outcome = match self.describe(&stack_id) {
            Ok(Some((_, s, _))) if s == "CREATE_COMPLETE" || s == "UPDATE_COMPLETE" => Ok(()),
            Ok(Some((_, s, reason))) => Err(JobError::fatal(self.failure(&stack_id, &s, &reason))),
            Ok(None) => Err(JobError::fatal(format!("CloudFormation stack {stack_id} is gone"))),
            Err(err) => Err(err),
        };
        (Some(stack_id), outcome)
    }

    /// The id of stack `name` when it exists and can be updated. A rolled-back stack is
    /// deleted first (it can only be made again); on failure, the stack's id if known.
    fn live(&self, name: &str) -> Result<Option<String>, (Option<String>, JobError)> {
        match self.describe(name) {
            Ok(Some((id, s, _))) if rolled_back(&s) => {
                match self.cloudformation("DeleteStack", &json!({ "StackName": id })) {
                    Ok(_) => Ok(None),
                    Err(err) => Err((Some(id), JobError::of("DeleteStack", &err))),
                }
            }
            Ok(Some((_, s, _))) if s == "DELETE_COMPLETE" => Ok(None),
            Ok(Some((id, _, _))) => Ok(Some(id)),
            Ok(None) => Ok(None),
            Err(err) => Err((None, err)),
        }
    }

    /// Deletes the environment's stack (one already deleted is no error).
    fn destroy(&self, stack_id: &str) -> Result<(), JobError> {
        self.cloudformation("DeleteStack", &json!({ "StackName": stack_id }))
            .map_err(|e| JobError::of("DeleteStack", &e))?;
        match self.describe(stack_id)? {
            None => Ok(()),
            Some((_, s, _)) if s == "DELETE_COMPLETE" => Ok(()),
            Some((_, s, reason)) => Err(JobError::fatal(self.failure(stack_id, &s, &reason))),
        }
    }
}

/// The role a deployment of `e` uses: its connection's (which must still be `CONNECTED` and
/// for this management account and environment), else its `protonServiceRoleArn`.
fn provisioning_role(tx: &dyn ReadTx, e: &EnvironmentRecord) -> Result<String, JobError> {
    let Some(id) = e.environment_account_connection_id.as_deref() else {
        return e
            .proton_service_role_arn
            .clone()
            .ok_or_else(|| JobError::fatal("the environment has no provisioning role"));
    };
    let usable = model::CONNECTIONS.get(tx, &model::connection_key(&e.region, id))?.filter(|c| {
        c.status == ConnectionStatus::Connected
            && c.management_account_id == e.account
            && c.environment_account_id == e.environment_account_id
            && c.environment_name == e.name
    });
    usable.map(|c| c.role_arn).ok_or_else(|| {
        JobError::fatal(format!(
            "Environment account connection {id} no longer exists or is not connected"
        )) // guessed text
    })
}

/// The environment a job works on, if it is still the job's: in the status the job's request
/// wrote, with the job's deployment id. `None` once the job is stale (nothing to do).
fn job_environment(
    tx: &dyn ReadTx,
    account: &str,
    region: &str,
    name: &str,
    deployment_id: &str,
    status: DeploymentStatus,
) -> Result<Option<EnvironmentRecord>, JobError> {
    Ok(ENVIRONMENTS.get(tx, &model::scoped_key(account, region, name))?.filter(|e| {
        e.deployment_status == status
            && e.last_attempted_deployment_id.as_deref() == Some(deployment_id)
    }))
}

/// Runs a Proton environment job (see [`jobs`](crate::jobs)): a deployment or a deletion. A
/// final failure is recorded on the environment here; a transient one is returned for a retry.
pub(crate) fn run_job(services: &Services, job: &JobRecord) -> Result<(), JobError> {
    match &job.work {
        Work::ProtonDeployEnvironment { account, region, name, deployment_id, stack_name } => {
            let (e, version, role) = {
                let tx = services.store().read()?;
                let Some(e) = job_environment(
                    &*tx,
                    account,
                    region,
                    name,
                    deployment_id,
                    DeploymentStatus::InProgress,
                )?
                else {
                    return finish_stale(services, job);
                };
                let version = model::VERSIONS.get(
                    &*tx,
                    &model::version_key(
                        account,
                        region,
                        &e.template_name,
                        e.template_major,
                        e.template_minor,
                    ),
                )?;
                let role = provisioning_role(&*tx, &e);
                (e, version, role)
            };
            let attempt = || -> (Option<String>, Result<(), JobError>) {
                let Some(version) = version else {
                    return (
                        None,
                        Err(JobError::fatal(format!(
                            "Template version {}.{} of {} no longer exists",
                            e.template_major, e.template_minor, e.template_name
                        ))),
                    ); // guessed text
                };
                let inputs = match spec_inputs(&version, &e.spec) {
                    Ok(i) => i,
                    Err(err) => return (None, Err(JobError::fatal(err.message))),
                };
                let vars = render::Vars { environment_name: &e.name, inputs: &inputs };
                let template = version.infrastructure.as_deref().unwrap_or_default();
                let body = match render::render(template, &vars) {
                    Ok(b) => b,
                    Err(m) => {
                        return (
                            None,
                            Err(JobError::fatal(format!(
                                "rendering infrastructure/cloudformation.yaml failed: {m}"
                            ))),
                        )
                    }
                };
                let deployer = match role.and_then(|r| Deployer::assume(services, &e, &r)) {
                    Ok(d) => d,
                    Err(err) => return (None, Err(err)),
                };
                deployer.deploy(&e, stack_name, &body)
            };
            let (stack_id, outcome) = attempt();
            match outcome {
                Err(err) if err.retry => Err(err),
                outcome => {
                    conclude_deployment(services, job, stack_id, outcome.map_err(|e| e.message))
                }
            }
        }
        Work::ProtonDeleteEnvironment { account, region, name, deployment_id } => {
            let (e, role) = {
                let tx = services.store().read()?;
                let Some(e) = job_environment(
                    &*tx,
                    account,
                    region,
                    name,
                    deployment_id,
                    DeploymentStatus::DeleteInProgress,
                )?
                else {
                    return finish_stale(services, job);
                };
                let role = provisioning_role(&*tx, &e);
                (e, role)
            };
            let outcome = match &e.stack_id {
                None => Ok(()),
                Some(stack) => role
                    .and_then(|r| Deployer::assume(services, &e, &r))
                    .and_then(|d| d.destroy(stack)),
            };
            match outcome {
                Err(err) if err.retry => Err(err),
                outcome => conclude_deletion(services, job, outcome.map_err(|e| e.message)),
            }
        }
        #[cfg(test)]
        Work::Probe { .. } => Err(JobError::fatal("not a Proton job")),
    }
}

/// Records the final failure of a job that ran out of attempts.
pub(crate) fn abandon_job(
    services: &Services,
    job: &JobRecord,
    message: &str,
) -> Result<(), ServiceError> {
    let result = match &job.work {
        Work::ProtonDeployEnvironment { .. } => {
            conclude_deployment(services, job, None, Err(message.to_owned()))
        }
        Work::ProtonDeleteEnvironment { .. } => {
            conclude_deletion(services, job, Err(message.to_owned()))
        }
        #[cfg(test)]
        Work::Probe { .. } => Err(JobError::fatal("not a Proton job")),
    };
    result.map_err(|e| ServiceError::internal(e.message))
}

/// Finishes a job whose environment moved on (deleted, or deployed again since).
fn finish_stale(services: &Services, job: &JobRecord) -> Result<(), JobError> {
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    jobs::finish(
        &mut *tx,
        job,
        now,
        JobState::Failed,
        Some("the environment no longer waits for this deployment".to_owned()),
    )?;
    tx.commit()?;
    Ok(())
}

/// Writes a deployment's outcome to its environment and finishes its job, in one transaction.
fn conclude_deployment(
    services: &Services,
    job: &JobRecord,
    stack_id: Option<String>,
    outcome: Result<(), String>,
) -> Result<(), JobError> {
    let Work::ProtonDeployEnvironment { account, region, name, deployment_id, .. } = &job.work
    else {
        return Err(JobError::fatal("not a deployment job"));
    };
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let current =
        job_environment(&*tx, account, region, name, deployment_id, DeploymentStatus::InProgress)?;
    if let Some(mut e) = current {
        if stack_id.is_some() {
            e.stack_id = stack_id;
        }
        match &outcome {
            Ok(()) => {
                e.deployment_status = DeploymentStatus::Succeeded;
                e.deployment_status_message = None;
                e.last_deployment_succeeded_at = now;
                e.last_succeeded_deployment_id = Some(deployment_id.clone());
            }
            Err(message) => {
                e.deployment_status = DeploymentStatus::Failed;
                e.deployment_status_message = Some(message.clone());
            }
        }
        ENVIRONMENTS.put(&mut *tx, &model::scoped_key(account, region, name), &e)?;
    }
    let (state, error) = match outcome {
        Ok(()) => (JobState::Succeeded, None),
        Err(m) => (JobState::Failed, Some(m)),
    };
    jobs::finish(&mut *tx, job, now, state, error)?;
    tx.commit()?;
    Ok(())
}

/// Removes a deleted environment (or records `DELETE_FAILED`) and finishes its job, in one
/// transaction.
fn conclude_deletion(
    services: &Services,
    job: &JobRecord,
    outcome: Result<(), String>,
) -> Result<(), JobError> {
    let Work::ProtonDeleteEnvironment { account, region, name, deployment_id } = &job.work else {
        return Err(JobError::fatal("not a deletion job"));
    };
    let now = services.clock().now_epoch_f64();
    let key = model::scoped_key(account, region, name);
    let mut tx = services.store().write()?;
    let current = job_environment(
        &*tx,
        account,
        region,
        name,
        deployment_id,
        DeploymentStatus::DeleteInProgress,
    )?;
    if let Some(mut e) = current {
        match &outcome {
            Ok(()) => {
                ENVIRONMENTS.delete(&mut *tx, &key)?;
            }
            Err(message) => {
                e.deployment_status = DeploymentStatus::DeleteFailed;
                e.deployment_status_message = Some(message.clone());
                ENVIRONMENTS.put(&mut *tx, &key, &e)?;
            }
        }
    }
    let (state, error) = match outcome {
        Ok(()) => (JobState::Succeeded, None),
        Err(m) => (JobState::Failed, Some(m)),
    };
    jobs::finish(&mut *tx, job, now, state, error)?;
    tx.commit()?;
    Ok(())
}

/// Whether a deployment or deletion of `e` is under way (the status its job will change).
fn busy(e: &EnvironmentRecord) -> bool {
    matches!(e.deployment_status, DeploymentStatus::InProgress | DeploymentStatus::DeleteInProgress)
}

/// Refuses to start a deployment or deletion while another is under way.
fn refuse_while_busy(e: &EnvironmentRecord) -> Result<(), ServiceError> {
    if busy(e) {
        return Err(conflict(format!(
            "Environment {} has a deployment in progress ({})",
            e.name,
            e.deployment_status.as_str()
        ))); // guessed text
    }
    Ok(())
}

/// Writes `e` (about to be deployed or deleted, by `work`) and its job in one transaction,
/// unless another request started a deployment meanwhile (`new`: `e` must not exist yet), then
/// wakes the worker.
fn start_job(
    services: &Services,
    e: &EnvironmentRecord,
    work: Work,
    new: bool,
) -> Result<(), ServiceError> {
    let key = model::scoped_key(&e.account, &e.region, &e.name);
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    if new {
        if !ENVIRONMENTS.insert_new(&mut *tx, &key, e)? {
            return Err(conflict(format!(
                "Resource of type 'environment' with name '{}' already exists",
                e.name
            ))); // guessed text
        }
    } else {
        let current =
            ENVIRONMENTS.get(&*tx, &key)?.ok_or_else(|| environment_not_found(&e.name))?;
        refuse_while_busy(&current)?;
        ENVIRONMENTS.put(&mut *tx, &key, e)?;
    }
    jobs::enqueue(&mut *tx, now, work)?;
    tx.commit()?;
    services.jobs_enqueued();
    Ok(())
}

/// Marks `e` as deploying a new deployment and returns its job.
fn begin_deployment(services: &Services, e: &mut EnvironmentRecord) -> Result<Work, ServiceError> {
    let deployment_id = crate::cloudformation::uuid()?;
    e.deployment_status = DeploymentStatus::InProgress;
    e.deployment_status_message = None;
    e.last_deployment_attempted_at = services.clock().now_epoch_f64();
    e.last_attempted_deployment_id = Some(deployment_id.clone());
    Ok(Work::ProtonDeployEnvironment {
        account: e.account.clone(),
        region: e.region.clone(),
        name: e.name.clone(),
        deployment_id,
        stack_name: stack_name(&e.name)?,
    })
}

/// `CreateEnvironment`: through an environment account connection, or in the caller's own
/// account with `protonServiceRoleArn`.
pub fn create_environment(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let input = call.input;
    let name = required(call, "name")?;
    let template = required(call, "templateName")?;
    let spec = required(call, "spec")?;
    let major = super::version_part(call, "templateMajorVersion")?
        .ok_or_else(|| super::error::missing("templateMajorVersion"))?;
    let minor = super::version_part(call, "templateMinorVersion")?;
    let tags = tags_of(input)?;
    let me = call.caller.account.as_str();
    let connection_id = input_str(input, "environmentAccountConnectionId");
    let service_role = input_str(input, "protonServiceRoleArn");
    if input.get("provisioningRepository").is_some() || input.get("codebuildRoleArn").is_some() {
        return Err(validation(
            "Self-managed and CodeBuild provisioning are not served by xacct: use environmentAccountConnectionId or protonServiceRoleArn",
        ));
    }
    let (version, connection) = {
        let tx = services.store().read()?;
        if ENVIRONMENTS.get(&*tx, &model::scoped_key(me, call.region, name))?.is_some() {
            return Err(conflict(format!(
                "Resource of type 'environment' with name '{name}' already exists"
            ))); // guessed text
        }
        let version =
            super::templates::published_version(&*tx, me, call.region, template, major, minor)?;
        // The worker renders the spec again; a spec that does not fit is refused now.
        spec_inputs(&version, spec)?;
        let connection = match (connection_id, service_role) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(validation(
                    "Specify either environmentAccountConnectionId or protonServiceRoleArn for AWS-managed provisioning",
                )); // guessed text
            }
            (Some(id), None) => Some(usable_connection(&*tx, call, id, name)?),
            (None, Some(role)) => {
                if role.split(':').nth(4) != Some(me) {
                    return Err(validation(format!(
                        "The protonServiceRoleArn {role} must be a role in account {me}"
                    ))); // guessed text
                }
                None
            }
        };
        (version, connection)
    };
    let now = services.clock().now_epoch_f64();
    let mut e = EnvironmentRecord {
        account: me.to_owned(),
        region: call.region.to_owned(),
        name: name.to_owned(),
        arn: environment_arn(call.region, me, name),
        description: input_str(input, "description").map(str::to_owned),
        template_name: template.to_owned(),
        template_major: version.major,
        template_minor: version.minor,
        spec: spec.to_owned(),
        environment_account_connection_id: connection.as_ref().map(|c| c.id.clone()),
        environment_account_id: connection
            .as_ref()
            .map_or_else(|| me.to_owned(), |c| c.environment_account_id.clone()),
        proton_service_role_arn: service_role.map(str::to_owned),
        component_role_arn: input_str(input, "componentRoleArn").map(str::to_owned),
        codebuild_role_arn: None,
        deployment_status: DeploymentStatus::InProgress,
        deployment_status_message: None,
        created_at: now,
        last_deployment_attempted_at: now,
        last_deployment_succeeded_at: now,
        last_attempted_deployment_id: None,
        last_succeeded_deployment_id: None,
        stack_id: None,
        tags,
    };
    let work = begin_deployment(services, &mut e)?;
    start_job(services, &e, work, true)?;
    Ok(output(&e))
}

/// `GetEnvironment`.
pub fn get_environment(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "name")?;
    let tx = services.store().read()?;
    Ok(output(&find(&*tx, call, name)?))
}

/// `ListEnvironments`, optionally only those of the given template major versions.
pub fn list_environments(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let filters: Vec<(String, String)> = call
        .input
        .get("environmentTemplates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                input_str(f, "templateName")?.to_owned(),
                input_str(f, "majorVersion")?.to_owned(),
            ))
        })
        .collect();
    let tx = services.store().read()?;
    let items: Vec<Value> = all(&*tx, &call.caller.account, call.region)?
        .iter()
        .filter(|e| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|(t, m)| *t == e.template_name && *m == e.template_major.to_string())
        })
        .map(|e| value(e, e.deployment_status.as_str(), true))
        .collect();
    let (items, next) = page(call, &items)?;
    Ok(with_next(json!({ "environments": items }), next))
}

/// `UpdateEnvironment`: `deploymentType` `NONE` changes only metadata; `CURRENT_VERSION`
/// redeploys (with a new spec); `MINOR_VERSION`/`MAJOR_VERSION` move to another published
/// version and redeploy.
pub fn update_environment(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let input = call.input;
    let name = required(call, "name")?;
    let deployment_type = required(call, "deploymentType")?;
    let requested_connection = input_str(input, "environmentAccountConnectionId");
    let new_service_role = input_str(input, "protonServiceRoleArn");
    if requested_connection.is_some() && new_service_role.is_some() {
        return Err(validation(
            "You can update either environmentAccountConnectionId or protonServiceRoleArn, not both",
        )); // guessed text
    }
    let major = super::version_part(call, "templateMajorVersion")?;
    let minor = super::version_part(call, "templateMinorVersion")?;
    let tx = services.store().read()?;
    let mut e = find(&*tx, call, name)?;
    refuse_while_busy(&e)?;
    if new_service_role.is_some() && e.environment_account_connection_id.is_some() {
        return Err(validation(format!(
            "Environment {name} is provisioned through an environment account connection; it can't use protonServiceRoleArn"
        ))); // guessed text
    }
    let connection = current_connection(&*tx, call, &e, requested_connection)?;
    let version = match deployment_type {
        "NONE" | "CURRENT_VERSION" => {
            if major.is_some_and(|m| m != e.template_major) || minor.is_some_and(|m| m != e.template_minor) {
                return Err(validation(format!(
                    "deploymentType {deployment_type} can't change the template version"
                ))); // guessed text
            }
            None
        }
        "MINOR_VERSION" => {
            if major.is_some_and(|m| m != e.template_major) {
                return Err(validation(
                    "deploymentType MINOR_VERSION can't change the template major version",
                )); // guessed text
            }
            Some((e.template_major, minor))
        }
        "MAJOR_VERSION" => {
            let Some(m) = major else {
                return Err(validation("deploymentType MAJOR_VERSION needs templateMajorVersion")); // guessed text
            };
            Some((m, minor))
        }
        other => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'deploymentType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, CURRENT_VERSION, MINOR_VERSION, MAJOR_VERSION]"
            )))
        }
    };
    let version = match version {
        None => super::templates::published_version(
            &*tx,
            &e.account,
            &e.region,
            &e.template_name,
            e.template_major,
            Some(e.template_minor),
        ),
        Some((m, n)) => {
            super::templates::published_version(&*tx, &e.account, &e.region, &e.template_name, m, n)
        }
    };
    let spec = input_str(input, "spec").unwrap_or(&e.spec).to_owned();
    if let Some(d) = input_str(input, "description") {
        e.description = Some(d.to_owned());
    }
    if let Some(r) = input_str(input, "componentRoleArn") {
        e.component_role_arn = Some(r.to_owned());
    }
    if let Some(r) = new_service_role {
        e.proton_service_role_arn = Some(r.to_owned());
    }
    if let Some(c) = &connection {
        e.environment_account_connection_id = Some(c.id.clone());
    }
    drop(tx);
    if deployment_type == "NONE" {
        if input.get("spec").is_some() {
            return Err(validation("deploymentType NONE can't change the spec"));
            // guessed text
        }
        save(services, &e)?;
        return Ok(output(&e));
    }
    let version = version?;
    spec_inputs(&version, &spec)?;
    e.spec = spec;
    e.template_major = version.major;
    e.template_minor = version.minor;
    let work = begin_deployment(services, &mut e)?;
    start_job(services, &e, work, false)?;
    Ok(output(&e))
}

/// `DeleteEnvironment`: answers `DELETE_IN_PROGRESS`; the job deletes the stack through the
/// provisioning role, then the environment (or records `DELETE_FAILED`). Not while an
/// environment account connection is missing (see the module docs).
pub fn delete_environment(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "name")?;
    let (mut e, connection) = {
        let tx = services.store().read()?;
        let e = find(&*tx, call, name)?;
        refuse_while_busy(&e)?;
        let connection = current_connection(&*tx, call, &e, None)?;
        (e, connection)
    };
    if let Some(c) = &connection {
        e.environment_account_connection_id = Some(c.id.clone());
    }
    let deployment_id = crate::cloudformation::uuid()?;
    e.deployment_status = DeploymentStatus::DeleteInProgress;
    e.deployment_status_message = None;
    e.last_deployment_attempted_at = services.clock().now_epoch_f64();
    e.last_attempted_deployment_id = Some(deployment_id.clone());
    let work = Work::ProtonDeleteEnvironment {
        account: e.account.clone(),
        region: e.region.clone(),
        name: e.name.clone(),
        deployment_id,
    };
    start_job(services, &e, work, false)?;
    Ok(output(&e))
}
