//! Environment account connections: an environment account asks a management account for the
//! right to provision one named environment's infrastructure with a role of the environment
//! account; the management account accepts or rejects.
//!
//! The rules, from AWS's Proton user guide ("Environment account connections") and API
//! reference:
//! - `PENDING` → `CONNECTED` (accept) or `REJECTED` (reject); a rejected connection can never be
//!   accepted or used; a connection an environment uses cannot be rejected until that
//!   environment is deleted.
//! - The environment account creates, updates and deletes; the management account accepts and
//!   rejects and cannot delete. Only these two accounts see a connection, and only in its
//!   region (a third account gets `ResourceNotFoundException`).
//! - At most 5 connections per environment account and region (`ServiceQuotaExceeded`), and one
//!   per management account and environment name (`ConflictException`).
//! - The role must be a role of the environment account whose trust policy lets
//!   `proton.amazonaws.com` assume it for the environment (`aws:SourceAccount` = the management
//!   account, `aws:SourceArn` = the environment's ARN), evaluated by the policy engine as a
//!   service `AssumeRole`.
//!
//! Deleting a connection an environment uses is allowed; the environment then cannot be
//! deployed until a new connection for the same account and environment name is accepted
//! (see `environments`).

use serde_json::{json, Value};
use xacct_store::ReadTx;

use super::error::{access_denied, conflict, connection_not_found, quota_exceeded, validation};
use super::model::{self, ConnectionRecord, ConnectionStatus, CONNECTIONS, CONNECTIONS_BY_ACCOUNT};
use super::{environment_arn, page, required, tags_of, with_next, SERVICE_PRINCIPAL};
use crate::authz::ContextValue;
use crate::{input_str, Call, ServiceError, Services};

/// Connections one environment account may have per region (AWS's default quota).
pub const MAX_CONNECTIONS_PER_ACCOUNT: usize = 5;

/// The session name Proton's role sessions carry (chosen; AWS does not document it).
pub const ROLE_SESSION_NAME: &str = "AWSProton";

pub(crate) fn arn(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:proton:{region}:{account}:environment-account-connection/{id}")
}

/// Whether `account` is one of the connection's two accounts.
pub(crate) fn visible_to(c: &ConnectionRecord, account: &str) -> bool {
    c.environment_account_id == account || c.management_account_id == account
}

/// The `EnvironmentAccountConnection` shape (`summary` leaves out `codebuildRoleArn`, as the
/// summary shape does).
pub(crate) fn to_value(c: &ConnectionRecord, summary: bool) -> Value {
    let mut v = json!({
        "arn": c.arn,
        "id": c.id,
        "environmentAccountId": c.environment_account_id,
        "managementAccountId": c.management_account_id,
        "environmentName": c.environment_name,
        "roleArn": c.role_arn,
        "status": c.status.as_str(),
        "requestedAt": c.requested_at,
        "lastModifiedAt": c.last_modified_at,
    });
    if !summary {
        super::opt(&mut v, "codebuildRoleArn", c.codebuild_role_arn.as_deref());
    }
    super::opt(&mut v, "componentRoleArn", c.component_role_arn.as_deref());
    v
}

fn output(c: &ConnectionRecord) -> Value {
    json!({ "environmentAccountConnection": to_value(c, false) })
}

/// The connection `id` as `account` sees it in `region`.
pub(crate) fn find(
    tx: &dyn ReadTx,
    region: &str,
    account: &str,
    id: &str,
) -> Result<ConnectionRecord, ServiceError> {
    CONNECTIONS
        .get(tx, &model::connection_key(region, id))?
        .filter(|c| visible_to(c, account))
        .ok_or_else(|| connection_not_found(id))
}

/// Every connection `account` sees in `region`, oldest first.
pub(crate) fn of_account(
    tx: &dyn ReadTx,
    account: &str,
    region: &str,
) -> Result<Vec<ConnectionRecord>, ServiceError> {
    let prefix = model::scope(account, region);
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = CONNECTIONS_BY_ACCOUNT.scan(tx, &prefix, after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        for (_, id) in batch {
            if let Some(c) = CONNECTIONS.get(tx, &model::connection_key(region, &id))? {
                out.push(c);
            }
        }
    }
    out.sort_by(|a, b| a.requested_at.total_cmp(&b.requested_at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// The role check of a connection's role members: a role of the environment account that
/// `proton.amazonaws.com` may assume for `environment_name` of `management_account`.
pub(crate) fn check_role(
    services: &Services,
    region: &str,
    member: &str,
    role_arn: &str,
    environment_account: &str,
    management_account: &str,
    environment_name: &str,
) -> Result<(), ServiceError> {
    let role_account = role_arn.split(':').nth(4).unwrap_or_default();
    if role_account != environment_account {
        return Err(validation(format!(
            "The {member} {role_arn} must be a role in the environment account {environment_account}"
        ))); // guessed text
    }
    let name = role_arn.rsplit('/').next().unwrap_or_default();
    let exists = {
        let tx = services.store().read()?;
        crate::iam::lookup::role(&*tx, environment_account, name)?
            .is_some_and(|r| r.arn == role_arn)
    };
    if !exists {
        return Err(validation(format!("The {member} {role_arn} does not exist")));
        // guessed text
    }
    let context = source_context(region, management_account, environment_name);
    crate::sts::assume_role_for_service_with(
        services,
        role_arn,
        SERVICE_PRINCIPAL,
        ROLE_SESSION_NAME,
        region,
        &context,
    )
    .map(|_| ())
    .map_err(|e| {
        if e.status >= 500 {
            return e;
        }
        validation(format!(
            "AWS Proton is not authorized to assume the {member} {role_arn}: its trust policy must allow proton.amazonaws.com to call sts:AssumeRole"
        )) // guessed text
    })
}

/// `aws:SourceAccount` and `aws:SourceArn` of Proton acting for an environment.
pub(crate) fn source_context(
    region: &str,
    management_account: &str,
    environment_name: &str,
) -> Vec<(String, ContextValue)> {
    vec![
        ("aws:SourceAccount".to_owned(), ContextValue::One(management_account.to_owned())),
        (
            "aws:SourceArn".to_owned(),
            ContextValue::One(environment_arn(region, management_account, environment_name)),
        ),
    ]
}

/// Checks every role member given in the call.
fn check_roles(
    services: &Services,
    call: &Call<'_>,
    environment_account: &str,
    management_account: &str,
    environment_name: &str,
) -> Result<(), ServiceError> {
    for member in ["roleArn", "codebuildRoleArn", "componentRoleArn"] {
        if let Some(role) = input_str(call.input, member) {
            check_role(
                services,
                call.region,
                member,
                role,
                environment_account,
                management_account,
                environment_name,
            )?;
        }
    }
    Ok(())
}

/// `CreateEnvironmentAccountConnection`, in the environment account.
pub fn create_environment_account_connection(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let me = call.caller.account.as_str();
    let region = call.region;
    let management = required(call, "managementAccountId")?;
    let environment_name = required(call, "environmentName")?;
    let tags = tags_of(call.input)?;
    if !crate::ids::is_account_id(management) {
        return Err(validation(format!(
            "1 validation error detected: Value '{management}' at 'managementAccountId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^\\d{{12}}$"
        )));
    }
    if management == me {
        return Err(validation(
            "The management account and the environment account of a connection must be different accounts",
        )); // guessed text
    }
    // xacct provisions with CloudFormation only, which needs the connection's role.
    let Some(role_arn) = input_str(call.input, "roleArn") else {
        return Err(validation("roleArn is required for AWS-managed provisioning"));
        // guessed text
    };
    let token = input_str(call.input, "clientToken").filter(|t| !t.is_empty());
    if let Some(t) = token {
        let tx = services.store().read()?;
        if let Some(id) = model::CLIENT_TOKENS.get(&*tx, &model::client_token_key(me, region, t))? {
            if let Some(c) = CONNECTIONS.get(&*tx, &model::connection_key(region, &id))? {
                return Ok(output(&c));
            }
        }
    }
    check_roles(services, call, me, management, environment_name)?;
    let now = services.clock().now_epoch_f64();
    let id = crate::cloudformation::uuid()?;
    let record = ConnectionRecord {
        arn: arn(region, me, &id),
        id: id.clone(),
        region: region.to_owned(),
        environment_account_id: me.to_owned(),
        management_account_id: management.to_owned(),
        environment_name: environment_name.to_owned(),
        role_arn: role_arn.to_owned(),
        codebuild_role_arn: input_str(call.input, "codebuildRoleArn").map(str::to_owned),
        component_role_arn: input_str(call.input, "componentRoleArn").map(str::to_owned),
        status: ConnectionStatus::Pending,
        requested_at: now,
        last_modified_at: now,
        tags,
    };
    let mut tx = services.store().write()?;
    let mine: Vec<ConnectionRecord> = of_account(&*tx, me, region)?
        .into_iter()
        .filter(|c| c.environment_account_id == me)
        .collect();
    if let Some(existing) = mine
        .iter()
        .find(|c| c.management_account_id == management && c.environment_name == environment_name)
    {
        return Err(conflict(format!(
            "An environment account connection for environment {environment_name} of management account {management} already exists: {}",
            existing.id
        ))); // guessed text
    }
    if mine.len() >= MAX_CONNECTIONS_PER_ACCOUNT {
        return Err(quota_exceeded(format!(
            "You have reached the limit of {MAX_CONNECTIONS_PER_ACCOUNT} environment account connections in this account and region"
        ))); // guessed text
    }
    CONNECTIONS.put(&mut *tx, &model::connection_key(region, &id), &record)?;
    for account in [me, management] {
        CONNECTIONS_BY_ACCOUNT.put(
            &mut *tx,
            &model::account_connection_key(account, region, &id),
            &id,
        )?;
    }
    if let Some(t) = token {
        model::CLIENT_TOKENS.put(&mut *tx, &model::client_token_key(me, region, t), &id)?;
    }
    tx.commit()?;
    Ok(output(&record))
}

/// The side of a connection an operation must be called from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Management,
    Environment,
}

/// The connection of `call`'s `id`, which the caller must see and be `side` of.
fn for_side(
    tx: &dyn ReadTx,
    call: &Call<'_>,
    side: Side,
) -> Result<ConnectionRecord, ServiceError> {
    let id = required(call, "id")?;
    let me = call.caller.account.as_str();
    let c = find(tx, call.region, me, id)?;
    let ok = match side {
        Side::Management => c.management_account_id == me,
        Side::Environment => c.environment_account_id == me,
    };
    if !ok {
        let who = match side {
            Side::Management => "the management account",
            Side::Environment => "the environment account",
        };
        return Err(access_denied(format!(
            "Only {who} of environment account connection {id} can call {}",
            call.operation
        ))); // guessed text
    }
    Ok(c)
}

/// Whether an environment of the management account uses connection `id`.
pub(crate) fn used_by_environment(
    tx: &dyn ReadTx,
    c: &ConnectionRecord,
) -> Result<Option<String>, ServiceError> {
    Ok(super::environments::all(tx, &c.management_account_id, &c.region)?
        .into_iter()
        .find(|e| e.environment_account_connection_id.as_deref() == Some(c.id.as_str()))
        .map(|e| e.name))
}

/// The transition of `AcceptEnvironmentAccountConnection`.
pub(crate) fn accept(c: &ConnectionRecord) -> Result<Option<ConnectionStatus>, ServiceError> {
    match c.status {
        ConnectionStatus::Pending => Ok(Some(ConnectionStatus::Connected)),
        // Accepting again changes nothing (the operation is idempotent).
        ConnectionStatus::Connected => Ok(None),
        ConnectionStatus::Rejected => Err(conflict(format!(
            "Environment account connection {} was rejected and can't be accepted",
            c.id
        ))), // guessed text
    }
}

/// The transition of `RejectEnvironmentAccountConnection`; `used_by` is the environment that
/// uses the connection, if any.
pub(crate) fn reject(
    c: &ConnectionRecord,
    used_by: Option<&str>,
) -> Result<Option<ConnectionStatus>, ServiceError> {
    if c.status == ConnectionStatus::Rejected {
        return Ok(None);
    }
    if let Some(env) = used_by {
        return Err(conflict(format!(
            "Environment account connection {} is used by environment {env}: delete the environment before rejecting the connection",
            c.id
        ))); // guessed text
    }
    Ok(Some(ConnectionStatus::Rejected))
}

fn transition(
    services: &Services,
    call: &Call<'_>,
    decide: impl FnOnce(
        &dyn ReadTx,
        &ConnectionRecord,
    ) -> Result<Option<ConnectionStatus>, ServiceError>,
) -> Result<Value, ServiceError> {
    let mut tx = services.store().write()?;
    let mut c = for_side(&*tx, call, Side::Management)?;
    let Some(next) = decide(&*tx, &c)? else {
        return Ok(output(&c));
    };
    c.status = next;
    c.last_modified_at = services.clock().now_epoch_f64();
    CONNECTIONS.put(&mut *tx, &model::connection_key(&c.region, &c.id), &c)?;
    tx.commit()?;
    Ok(output(&c))
}

/// `AcceptEnvironmentAccountConnection`, in the management account.
pub fn accept_environment_account_connection(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    transition(services, call, |_, c| accept(c))
}

/// `RejectEnvironmentAccountConnection`, in the management account.
pub fn reject_environment_account_connection(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    transition(services, call, |tx, c| {
        let used = used_by_environment(tx, c)?;
        reject(c, used.as_deref())
    })
}

/// `GetEnvironmentAccountConnection`: either account.
pub fn get_environment_account_connection(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let id = required(call, "id")?;
    let tx = services.store().read()?;
    let c = find(&*tx, call.region, &call.caller.account, id)?;
    Ok(output(&c))
}

/// `ListEnvironmentAccountConnections`: the caller's connections as the side `requestedBy`
/// names.
pub fn list_environment_account_connections(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let me = call.caller.account.as_str();
    let side = match required(call, "requestedBy")? {
        "MANAGEMENT_ACCOUNT" => Side::Management,
        "ENVIRONMENT_ACCOUNT" => Side::Environment,
        other => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'requestedBy' failed to satisfy constraint: Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]"
            )))
        }
    };
    let name = input_str(call.input, "environmentName");
    let statuses: Vec<&str> = call
        .input
        .get("statuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let tx = services.store().read()?;
    let items: Vec<Value> = of_account(&*tx, me, call.region)?
        .iter()
        .filter(|c| match side {
            Side::Management => c.management_account_id == me,
            Side::Environment => c.environment_account_id == me,
        })
        .filter(|c| name.is_none_or(|n| c.environment_name == n))
        .filter(|c| statuses.is_empty() || statuses.contains(&c.status.as_str()))
        .map(|c| to_value(c, true))
        .collect();
    let (items, next) = page(call, &items)?;
    Ok(with_next(json!({ "environmentAccountConnections": items }), next))
}

/// `UpdateEnvironmentAccountConnection`, in the environment account: new roles.
pub fn update_environment_account_connection(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let current = {
        let tx = services.store().read()?;
        for_side(&*tx, call, Side::Environment)?
    };
    if current.status == ConnectionStatus::Rejected {
        return Err(conflict(format!(
            "Environment account connection {} was rejected and can't be updated",
            current.id
        ))); // guessed text
    }
    check_roles(
        services,
        call,
        &current.environment_account_id,
        &current.management_account_id,
        &current.environment_name,
    )?;
    let mut tx = services.store().write()?;
    let mut c = for_side(&*tx, call, Side::Environment)?;
    let input = call.input;
    if let Some(r) = input_str(input, "roleArn") {
        c.role_arn = r.to_owned();
    }
    if let Some(r) = input_str(input, "codebuildRoleArn") {
        c.codebuild_role_arn = Some(r.to_owned());
    }
    if let Some(r) = input_str(input, "componentRoleArn") {
        c.component_role_arn = Some(r.to_owned());
    }
    c.last_modified_at = services.clock().now_epoch_f64();
    CONNECTIONS.put(&mut *tx, &model::connection_key(&c.region, &c.id), &c)?;
    tx.commit()?;
    Ok(output(&c))
}

/// `DeleteEnvironmentAccountConnection`, in the environment account only.
pub fn delete_environment_account_connection(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut tx = services.store().write()?;
    let c = for_side(&*tx, call, Side::Environment)?;
    CONNECTIONS.delete(&mut *tx, &model::connection_key(&c.region, &c.id))?;
    for account in [&c.environment_account_id, &c.management_account_id] {
        CONNECTIONS_BY_ACCOUNT
            .delete(&mut *tx, &model::account_connection_key(account, &c.region, &c.id))?;
    }
    tx.commit()?;
    Ok(output(&c))
}
