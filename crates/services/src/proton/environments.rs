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
//! `deploymentStatus` goes `IN_PROGRESS` → `SUCCEEDED` or `FAILED` (`deploymentStatusMessage`
//! carries the reason: an `AssumeRole` refusal, a rendering error, or the CloudFormation
//! resource failure such as an `AccessDenied`), and for deletion `DELETE_IN_PROGRESS` →
//! gone, or `DELETE_FAILED` with the reason.
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

fn save(services: &Services, e: &EnvironmentRecord) -> Result<(), ServiceError> {
    let mut tx = services.store().write()?;
    ENVIRONMENTS.put(&mut *tx, &model::scoped_key(&e.account, &e.region, &e.name), e)?;
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

/// Proton acting in the environment account for one deployment.
struct Deployer<'a> {
    services: &'a Services,
    parent: &'a Call<'a>,
    session: Caller,
}

impl Deployer<'_> {
    /// Assumes `role_arn` for environment `e` (recorded in the role's account).
    fn assume<'a>(
        services: &'a Services,
        parent: &'a Call<'a>,
        e: &EnvironmentRecord,
        role_arn: &str,
    ) -> Result<Deployer<'a>, String> {
        let context = source_context(&e.region, &e.account, &e.name);
        crate::sts::assume_role_for_service_recorded(
            services,
            role_arn,
            SERVICE_PRINCIPAL,
            ROLE_SESSION_NAME,
            &e.region,
            &context,
            parent.request_id,
        )
        .map(|session| Deployer { services, parent, session })
        .map_err(|err| format!("AWS Proton could not assume the role {role_arn}: {}", err.message))
    }

    fn cloudformation(&self, operation: &str, input: &Value) -> Result<Value, ServiceError> {
        let call = Call {
            service: "cloudformation",
            operation,
            region: self.parent.region,
            caller: &self.session,
            input,
            request_id: self.parent.request_id,
            // AWS sets no source address a policy could test for calls a service makes.
            source_ip: "",
            user_agent: SERVICE_PRINCIPAL,
            streams: None,
        };
        self.services.call(&call)
    }

    /// The stack's status and status reason (`None` when the stack is gone).
    fn status(&self, stack_id: &str) -> Result<Option<(String, String)>, String> {
        let out = self
            .cloudformation("DescribeStacks", &json!({ "StackName": stack_id }))
            .map_err(|e| format!("DescribeStacks failed: {} ({})", e.message, e.code))?;
        Ok(out.get("Stacks").and_then(Value::as_array).and_then(|s| s.first()).map(|s| {
            (
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
    fn deploy(&self, e: &EnvironmentRecord, body: &str) -> (Option<String>, Result<(), String>) {
        let capabilities = json!(["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]);
        let mut existing = e.stack_id.clone();
        if let Some(id) = &existing {
            match self.status(id) {
                // A stack whose creation rolled back can only be deleted and made again.
                Ok(Some((s, _))) if s == "ROLLBACK_COMPLETE" || s == "ROLLBACK_FAILED" => {
                    if let Err(err) =
                        self.cloudformation("DeleteStack", &json!({ "StackName": id }))
                    {
                        return (existing, Err(format!("DeleteStack failed: {}", err.message)));
                    }
                    existing = None;
                }
                Ok(Some((s, _))) if s == "DELETE_COMPLETE" => existing = None,
                Ok(None) => existing = None,
                Ok(Some(_)) => {}
                Err(m) => return (existing, Err(m)),
            }
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
                    Err(err) => {
                        return (
                            Some(id),
                            Err(format!("UpdateStack failed: {} ({})", err.message, err.code)),
                        )
                    }
                }
            }
            None => {
                let name = match stack_name(&e.name) {
                    Ok(n) => n,
                    Err(err) => return (None, Err(err.message)),
                };
                let input = json!({
                    "StackName": name,
                    "TemplateBody": body,
                    "Capabilities": capabilities,
                });
                match self.cloudformation("CreateStack", &input) {
                    Ok(out) => input_str(&out, "StackId").unwrap_or_default().to_owned(),
                    Err(err) => {
                        return (
                            None,
                            Err(format!("CreateStack failed: {} ({})", err.message, err.code)),
                        )
                    }
                }
            }
        };
        let outcome = match self.status(&stack_id) {
            Ok(Some((s, _))) if s == "CREATE_COMPLETE" || s == "UPDATE_COMPLETE" => Ok(()),
            Ok(Some((s, reason))) => Err(self.failure(&stack_id, &s, &reason)),
            Ok(None) => Err(format!("CloudFormation stack {stack_id} is gone")),
            Err(m) => Err(m),
        };
        (Some(stack_id), outcome)
    }

    /// Deletes the environment's stack.
    fn destroy(&self, stack_id: &str) -> Result<(), String> {
        self.cloudformation("DeleteStack", &json!({ "StackName": stack_id }))
            .map_err(|e| format!("DeleteStack failed: {} ({})", e.message, e.code))?;
        match self.status(stack_id)? {
            None => Ok(()),
            Some((s, _)) if s == "DELETE_COMPLETE" => Ok(()),
            Some((s, reason)) => Err(self.failure(stack_id, &s, &reason)),
        }
    }
}

/// The role a deployment of `e` uses.
fn provisioning_role(
    e: &EnvironmentRecord,
    connection: Option<&ConnectionRecord>,
) -> Option<String> {
    match connection {
        Some(c) => Some(c.role_arn.clone()),
        None => e.proton_service_role_arn.clone(),
    }
}

/// Runs one deployment of `e` with `version` and `inputs`, and records its outcome in `e`.
fn run_deployment(
    services: &Services,
    call: &Call<'_>,
    e: &mut EnvironmentRecord,
    connection: Option<&ConnectionRecord>,
    version: &VersionRecord,
    inputs: &Map<String, Value>,
) -> Result<(), ServiceError> {
    let deployment_id = crate::cloudformation::uuid()?;
    let now = services.clock().now_epoch_f64();
    e.deployment_status = DeploymentStatus::InProgress;
    e.deployment_status_message = None;
    e.last_deployment_attempted_at = now;
    e.last_attempted_deployment_id = Some(deployment_id.clone());
    save(services, e)?;

    let outcome = match provisioning_role(e, connection) {
        None => Err("the environment has no provisioning role".to_owned()),
        Some(role) => match Deployer::assume(services, call, e, &role) {
            Err(m) => Err(m),
            Ok(deployer) => {
                let vars = render::Vars { environment_name: &e.name, inputs };
                let template = version.infrastructure.as_deref().unwrap_or_default();
                match render::render(template, &vars) {
                    Err(m) => {
                        Err(format!("rendering infrastructure/cloudformation.yaml failed: {m}"))
                    }
                    Ok(body) => {
                        let (stack_id, result) = deployer.deploy(e, &body);
                        if stack_id.is_some() {
                            e.stack_id = stack_id;
                        }
                        result
                    }
                }
            }
        },
    };
    match outcome {
        Ok(()) => {
            e.deployment_status = DeploymentStatus::Succeeded;
            e.deployment_status_message = None;
            e.last_deployment_succeeded_at = services.clock().now_epoch_f64();
            e.last_succeeded_deployment_id = Some(deployment_id);
        }
        Err(message) => {
            e.deployment_status = DeploymentStatus::Failed;
            e.deployment_status_message = Some(message);
        }
    }
    save(services, e)
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
    let (version, inputs, connection) = {
        let tx = services.store().read()?;
        if ENVIRONMENTS.get(&*tx, &model::scoped_key(me, call.region, name))?.is_some() {
            return Err(conflict(format!(
                "Resource of type 'environment' with name '{name}' already exists"
            ))); // guessed text
        }
        let version =
            super::templates::published_version(&*tx, me, call.region, template, major, minor)?;
        let inputs = spec_inputs(&version, spec)?;
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
        (version, inputs, connection)
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
    {
        let mut tx = services.store().write()?;
        if !ENVIRONMENTS.insert_new(&mut *tx, &model::scoped_key(me, call.region, name), &e)? {
            return Err(conflict(format!(
                "Resource of type 'environment' with name '{name}' already exists"
            ))); // guessed text
        }
        tx.commit()?;
    }
    run_deployment(services, call, &mut e, connection.as_ref(), &version, &inputs)?;
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

/// How long a deployment may stay in progress before it counts as interrupted (the server
/// stopped while it ran): deployments run within their request, so one this old is not running.
pub const INTERRUPTED_AFTER_SECONDS: f64 = 600.0;

/// Refuses to start a deployment while another runs; one left in progress longer than
/// [`INTERRUPTED_AFTER_SECONDS`] was interrupted and may be retried.
fn refuse_while_busy(services: &Services, e: &EnvironmentRecord) -> Result<(), ServiceError> {
    let running = services.clock().now_epoch_f64() - e.last_deployment_attempted_at
        < INTERRUPTED_AFTER_SECONDS;
    if running
        && matches!(
            e.deployment_status,
            DeploymentStatus::InProgress | DeploymentStatus::DeleteInProgress
        )
    {
        return Err(conflict(format!(
            "Environment {} has a deployment in progress ({})",
            e.name,
            e.deployment_status.as_str()
        ))); // guessed text
    }
    Ok(())
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
    refuse_while_busy(services, &e)?;
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
    let inputs = spec_inputs(&version, &spec)?;
    e.spec = spec;
    e.template_major = version.major;
    e.template_minor = version.minor;
    run_deployment(services, call, &mut e, connection.as_ref(), &version, &inputs)?;
    Ok(output(&e))
}

/// `DeleteEnvironment`: deletes the stack through the provisioning role, then the environment.
/// Not while an environment account connection is missing (see the module docs).
pub fn delete_environment(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "name")?;
    let (mut e, connection) = {
        let tx = services.store().read()?;
        let e = find(&*tx, call, name)?;
        refuse_while_busy(services, &e)?;
        let connection = current_connection(&*tx, call, &e, None)?;
        (e, connection)
    };
    if let Some(c) = &connection {
        e.environment_account_connection_id = Some(c.id.clone());
    }
    let outcome = match (&e.stack_id, provisioning_role(&e, connection.as_ref())) {
        (None, _) => Ok(()),
        (Some(_), None) => Err("the environment has no provisioning role".to_owned()),
        (Some(stack), Some(role)) => {
            e.deployment_status = DeploymentStatus::DeleteInProgress;
            e.deployment_status_message = None;
            e.last_deployment_attempted_at = services.clock().now_epoch_f64();
            save(services, &e)?;
            Deployer::assume(services, call, &e, &role).and_then(|d| d.destroy(stack))
        }
    };
    match outcome {
        Ok(()) => {
            let mut tx = services.store().write()?;
            ENVIRONMENTS.delete(&mut *tx, &model::scoped_key(&e.account, &e.region, &e.name))?;
            tx.commit()?;
            Ok(json!({ "environment": value(&e, "DELETE_COMPLETE", false) }))
        }
        Err(message) => {
            e.deployment_status = DeploymentStatus::DeleteFailed;
            e.deployment_status_message = Some(message);
            save(services, &e)?;
            Ok(output(&e))
        }
    }
}
