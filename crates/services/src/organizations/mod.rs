//! AWS Organizations (json 1.1): one function per operation, named as AWS names it.
//!
//! Only the management account may create and list accounts; every account of the
//! organization may describe it. `CreateAccount` completes within the request: the account, its
//! `OrganizationAccountAccessRole` and the request's status are written in one transaction, so
//! its answer is the request's true state, `SUCCEEDED` with the `AccountId` (see
//! [`create_account`]).

pub mod actions;
pub mod delegation;
pub mod effective;
pub mod error;
pub mod handshakes;
pub mod membership;
pub mod model;
pub mod ous;
pub mod policies;
pub mod resource_policy;
pub mod resources;
pub mod tags;
#[cfg(test)]
mod tests;
pub mod tree;

use serde_json::{json, Value};
use xacct_store::WriteTx;

use crate::accounts::{self, AccountRecord, NewAccessKey, ACCOUNTS};
use crate::iam::model::{role_key, RoleRecord, ROLES};
use crate::{ids, input_str, unknown_operation, Call, Caller, ServiceError, Services};
use model::{
    CreateAccountStatusRecord, OrganizationRecord, CREATE_ACCOUNT_STATUS, ORGANIZATION,
    ORGANIZATION_KEY,
};

/// The role `CreateAccount` makes in a new account unless `RoleName` says otherwise.
pub const DEFAULT_ACCESS_ROLE: &str = "OrganizationAccountAccessRole";
/// The managed policy that role gets, as in AWS.
pub const ADMINISTRATOR_ACCESS_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

pub(crate) fn dispatch(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    match call.operation {
        "CreateOrganization" => create_organization(services, call),
        "DescribeOrganization" => describe_organization(services, call),
        "CreateAccount" => create_account(services, call),
        "DescribeCreateAccountStatus" => describe_create_account_status(services, call),
        "ListAccounts" => list_accounts(services, call),
        "DescribeAccount" => describe_account(services, call),
        "ListRoots" => ous::list_roots(services, call),
        "CreateOrganizationalUnit" => ous::create_organizational_unit(services, call),
        "DescribeOrganizationalUnit" => ous::describe_organizational_unit(services, call),
        "UpdateOrganizationalUnit" => ous::update_organizational_unit(services, call),
        "DeleteOrganizationalUnit" => ous::delete_organizational_unit(services, call),
        "ListOrganizationalUnitsForParent" => {
            ous::list_organizational_units_for_parent(services, call)
        }
        "ListChildren" => ous::list_children(services, call),
        "ListParents" => ous::list_parents(services, call),
        "ListAccountsForParent" => ous::list_accounts_for_parent(services, call),
        "MoveAccount" => ous::move_account(services, call),
        "EnablePolicyType" => policies::enable_policy_type(services, call),
        "DisablePolicyType" => policies::disable_policy_type(services, call),
        "CreatePolicy" => policies::create_policy(services, call),
        "DescribePolicy" => policies::describe_policy(services, call),
        "UpdatePolicy" => policies::update_policy(services, call),
        "DeletePolicy" => policies::delete_policy(services, call),
        "ListPolicies" => policies::list_policies(services, call),
        "AttachPolicy" => policies::attach_policy(services, call),
        "DetachPolicy" => policies::detach_policy(services, call),
        "ListPoliciesForTarget" => policies::list_policies_for_target(services, call),
        "ListTargetsForPolicy" => policies::list_targets_for_policy(services, call),
        "ListCreateAccountStatus" => list_create_account_status(services, call),
        "CloseAccount" => membership::close_account(services, call),
        "RemoveAccountFromOrganization" => {
            membership::remove_account_from_organization(services, call)
        }
        "LeaveOrganization" => membership::leave_organization(services, call),
        "DeleteOrganization" => membership::delete_organization(services, call),
        "TagResource" => tags::tag_resource(services, call),
        "UntagResource" => tags::untag_resource(services, call),
        "ListTagsForResource" => tags::list_tags_for_resource(services, call),
        "EnableAWSServiceAccess" => delegation::enable_aws_service_access(services, call),
        "DisableAWSServiceAccess" => delegation::disable_aws_service_access(services, call),
        "ListAWSServiceAccessForOrganization" => {
            delegation::list_aws_service_access_for_organization(services, call)
        }
        "RegisterDelegatedAdministrator" => {
            delegation::register_delegated_administrator(services, call)
        }
        "DeregisterDelegatedAdministrator" => {
            delegation::deregister_delegated_administrator(services, call)
        }
        "ListDelegatedAdministrators" => delegation::list_delegated_administrators(services, call),
        "ListDelegatedServicesForAccount" => {
            delegation::list_delegated_services_for_account(services, call)
        }
        "DescribeEffectivePolicy" => effective::describe_effective_policy(services, call),
        "EnableAllFeatures" => handshakes::enable_all_features(services, call),
        "InviteAccountToOrganization" => handshakes::invite_account_to_organization(services, call),
        "AcceptHandshake" => handshakes::accept_handshake(services, call),
        "DeclineHandshake" => handshakes::decline_handshake(services, call),
        "CancelHandshake" => handshakes::cancel_handshake(services, call),
        "DescribeHandshake" => handshakes::describe_handshake(services, call),
        "ListHandshakesForAccount" => handshakes::list_handshakes_for_account(services, call),
        "ListHandshakesForOrganization" => {
            handshakes::list_handshakes_for_organization(services, call)
        }
        "PutResourcePolicy" => resource_policy::put_resource_policy(services, call),
        "DescribeResourcePolicy" => resource_policy::describe_resource_policy(services, call),
        "DeleteResourcePolicy" => resource_policy::delete_resource_policy(services, call),
        _ => Err(unknown_operation(call)),
    }
}

fn organization_json(org: &OrganizationRecord) -> Value {
    let policy_types = if org.feature_set == "ALL" {
        json!([{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}])
    } else {
        json!([])
    };
    json!({
        "Id": org.id,
        "Arn": org.arn(),
        "FeatureSet": org.feature_set,
        "MasterAccountArn": org.account_arn(&org.management_account_id),
        "MasterAccountId": org.management_account_id,
        "MasterAccountEmail": org.management_account_email,
        "AvailablePolicyTypes": policy_types,
    })
}

fn account_json(org: &OrganizationRecord, a: &AccountRecord) -> Value {
    json!({
        "Id": a.id,
        "Arn": org.account_arn(&a.id),
        "Email": a.email,
        "Name": a.name,
        "Status": a.status,
        "State": a.status,
        "JoinedMethod": a.joined_method,
        "JoinedTimestamp": a.joined_timestamp,
    })
}

fn status_json(s: &CreateAccountStatusRecord) -> Value {
    let mut v = json!({
        "Id": s.id,
        "AccountName": s.account_name,
        "State": s.state,
        "RequestedTimestamp": s.requested_timestamp,
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(t) = s.completed_timestamp {
            obj.insert("CompletedTimestamp".into(), json!(t));
        }
        if let Some(a) = &s.account_id {
            obj.insert("AccountId".into(), json!(a));
        }
        if let Some(r) = &s.failure_reason {
            obj.insert("FailureReason".into(), json!(r));
        }
    }
    v
}

/// The organization, or `AWSOrganizationsNotInUseException`.
fn organization_of(services: &Services) -> Result<OrganizationRecord, ServiceError> {
    let tx = services.store().read()?;
    ORGANIZATION.get(&*tx, ORGANIZATION_KEY)?.ok_or_else(error::not_in_use)
}

/// The organization, provided `caller` belongs to it (xacct's accounts all do once it exists).
fn organization_for_member(
    services: &Services,
    caller: &Caller,
) -> Result<OrganizationRecord, ServiceError> {
    let org = organization_of(services)?;
    let tx = services.store().read()?;
    if tree::member_account(&*tx, &caller.account)?.is_none() {
        return Err(error::not_in_use());
    }
    Ok(org)
}

/// The organization, provided `caller` is in its management account.
fn organization_for_management(
    services: &Services,
    caller: &Caller,
) -> Result<OrganizationRecord, ServiceError> {
    let org = organization_of(services)?;
    if caller.account != org.management_account_id {
        return Err(error::access_denied());
    }
    Ok(org)
}

pub fn create_organization(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let feature_set = input_str(call.input, "FeatureSet").unwrap_or("ALL");
    if feature_set != "ALL" && feature_set != "CONSOLIDATED_BILLING" {
        return Err(error::invalid_input(
            "INVALID_ENUM",
            format!("Value `{feature_set}` at 'featureSet' failed to satisfy constraint: Member must satisfy enum value set: [ALL, CONSOLIDATED_BILLING]"),
        ));
    }
    let mgmt = &services.config().management_account_id;
    if &call.caller.account != mgmt {
        // Every other account xacct knows was created inside the organization.
        return Err(error::already_in_organization());
    }
    let mut tx = services.store().write()?;
    let partition = model::partition_of(call.region);
    let org = ensure_organization(services, &mut *tx, feature_set, partition, true)?;
    tx.commit()?;
    Ok(json!({ "Organization": organization_json(&org) }))
}

/// The organization, created now in `partition` (management account as its first member) if
/// there is none. With `fail_if_exists`, an existing organization is
/// `AlreadyInOrganizationException`.
fn ensure_organization(
    services: &Services,
    tx: &mut dyn WriteTx,
    feature_set: &str,
    partition: &str,
    fail_if_exists: bool,
) -> Result<OrganizationRecord, ServiceError> {
    if let Some(org) = ORGANIZATION.get(tx, ORGANIZATION_KEY)? {
        if fail_if_exists {
            return Err(error::already_in_organization());
        }
        return Ok(org);
    }
    let config = services.config();
    let org = OrganizationRecord {
        id: format!("o-{}", ids::lower_alnum(10)?),
        root_id: format!("r-{}", ids::lower_alnum(4)?),
        feature_set: feature_set.to_owned(),
        management_account_id: config.management_account_id.clone(),
        management_account_email: config.management_account_email.clone(),
        partition: partition.to_owned(),
    };
    ORGANIZATION.put(tx, ORGANIZATION_KEY, &org)?;
    if feature_set == "ALL" {
        // CreateOrganization's reference: with all features, "service control policies
        // [are] automatically enabled in the root", with FullAWSAccess attached (accounts and
        // OUs get it as they join, see `tree`).
        let scp = "SERVICE_CONTROL_POLICY";
        let root = model::RootRecord { policy_types: vec![scp.to_owned()] };
        model::ROOTS.put(tx, &org.root_id, &root)?;
        if let Some(default) = tree::default_policy_id(scp) {
            tree::attach(tx, default, scp, &org.root_id)?;
        }
    }
    Ok(org)
}

pub fn describe_organization(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_member(services, call.caller)?;
    Ok(json!({ "Organization": organization_json(&org) }))
}

/// What a new account request asks for.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role_name: &'a str,
    /// A fixed id (the `xacct accounts create --id` extension); random otherwise.
    pub id: Option<&'a str>,
    /// Also give the account's root user an access key (the extension; AWS gives none).
    pub with_root_key: bool,
}

/// What creating an account produced.
#[derive(Debug)]
pub struct CreatedAccount {
    pub status: CreateAccountStatusRecord,
    pub account: AccountRecord,
    pub root_key: Option<NewAccessKey>,
}

fn validate_new_account(req: &NewAccount<'_>) -> Result<(), ServiceError> {
    let email_ok = (6..=64).contains(&req.email.len())
        && req.email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !local.contains(char::is_whitespace)
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.contains(char::is_whitespace)
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !email_ok {
        return Err(error::invalid_input(
            "INVALID_EMAIL_ADDRESS_TARGET",
            "You provided an email address that is not valid.",
        ));
    }
    let name_len = req.name.chars().count();
    if name_len == 0 {
        return Err(error::invalid_input(
            "MIN_LENGTH_EXCEEDED",
            "You provided a value that is too short.",
        ));
    }
    if name_len > 50 {
        return Err(error::invalid_input(
            "MAX_LENGTH_EXCEEDED",
            "You provided a value that is too long.",
        ));
    }
    let role_ok = (1..=64).contains(&req.role_name.len())
        && req.role_name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
    if !role_ok {
        return Err(error::invalid_input(
            "INVALID_ROLE_NAME",
            "You provided a role name that isn't valid.",
        ));
    }
    if let Some(id) = req.id {
        if !ids::is_account_id(id) {
            return Err(error::invalid_input(
                "INVALID_PATTERN",
                format!("The account id `{id}` is not 12 digits."),
            ));
        }
    }
    Ok(())
}

/// Creates a member account (and the organization, when `create_organization` and there is
/// none) in one transaction: the account record, its access role trusting the management
/// account with AdministratorAccess, the request's status, and optionally a root key.
pub fn create_member_account(
    services: &Services,
    caller: &Caller,
    req: &NewAccount<'_>,
    create_organization: bool,
) -> Result<CreatedAccount, ServiceError> {
    create_member_account_with_tags(services, caller, req, create_organization, &[])
}

/// [`create_member_account`] that also tags the new account (`CreateAccount`'s `Tags`), in the
/// same transaction.
pub fn create_member_account_with_tags(
    services: &Services,
    caller: &Caller,
    req: &NewAccount<'_>,
    create_organization: bool,
    tags: &[model::TagRecord],
) -> Result<CreatedAccount, ServiceError> {
    validate_new_account(req)?;
    tags::validate_new_tags(tags)?;
    let mgmt = services.config().management_account_id.clone();
    if caller.account != mgmt {
        return Err(error::access_denied());
    }
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let org = if create_organization {
        ensure_organization(services, &mut *tx, "ALL", "aws", false)?
    } else {
        ORGANIZATION.get(&*tx, ORGANIZATION_KEY)?.ok_or_else(error::not_in_use)?
    };
    let account_id = match req.id {
        Some(id) => {
            if ACCOUNTS.get(&*tx, id)?.is_some() {
                return Err(error::duplicate_account());
            }
            id.to_owned()
        }
        None => loop {
            let candidate = ids::account_id()?;
            if ACCOUNTS.get(&*tx, &candidate)?.is_none() {
                break candidate;
            }
        },
    };
    let account = AccountRecord {
        id: account_id.clone(),
        name: req.name.to_owned(),
        email: req.email.to_owned(),
        status: "ACTIVE".to_owned(),
        joined_method: "CREATED".to_owned(),
        joined_timestamp: now,
    };
    ACCOUNTS.put(&mut *tx, &account_id, &account)?;
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{}:root", org.management_account_id)},
            "Action": "sts:AssumeRole"
        }]
    });
    let role = RoleRecord {
        account_id: account_id.clone(),
        role_name: req.role_name.to_owned(),
        role_id: ids::unique_id("AROA")?,
        path: "/".to_owned(),
        arn: format!("arn:aws:iam::{account_id}:role/{}", req.role_name),
        assume_role_policy_document: trust.to_string(),
        description: String::new(),
        max_session_duration: 3600,
        attached_policies: vec![ADMINISTRATOR_ACCESS_ARN.to_owned()],
        create_date: now,
        inline_policies: Default::default(),
        permissions_boundary: Default::default(),
        tags: Default::default(),
    };
    ROLES.put(&mut *tx, &role_key(&account_id, req.role_name), &role)?;
    let status = CreateAccountStatusRecord {
        id: format!("car-{}", ids::lower_alnum(32)?),
        account_name: req.name.to_owned(),
        state: "SUCCEEDED".to_owned(),
        requested_timestamp: now,
        completed_timestamp: Some(now),
        account_id: Some(account_id.clone()),
        failure_reason: None,
    };
    CREATE_ACCOUNT_STATUS.put(&mut *tx, &status.id, &status)?;
    tags::add_tags(&mut *tx, &account_id, tags)?;
    let root_key = if req.with_root_key {
        Some(accounts::create_root_key(&mut *tx, &account_id, now, None)?)
    } else {
        None
    };
    tx.commit()?;
    Ok(CreatedAccount { status, account, root_key })
}

pub fn create_account(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let req = NewAccount {
        name: input_str(call.input, "AccountName").unwrap_or_default(),
        email: input_str(call.input, "Email").unwrap_or_default(),
        role_name: input_str(call.input, "RoleName").unwrap_or(DEFAULT_ACCESS_ROLE),
        id: None,
        with_root_key: false,
    };
    let tags = tags::tags_from(call.input)?;
    let created = create_member_account_with_tags(services, call.caller, &req, false, &tags)?;
    // AWS creates accounts asynchronously and usually answers IN_PROGRESS without an AccountId.
    // xacct has created the account (and written the request's status) before answering, so the
    // truthful answer is the request's real state: SUCCEEDED, with the AccountId and the
    // CompletedTimestamp. Clients written for AWS poll DescribeCreateAccountStatus until the
    // state leaves IN_PROGRESS and see the same SUCCEEDED there.
    Ok(json!({ "CreateAccountStatus": status_json(&created.status) }))
}

/// `ListCreateAccountStatus`: the management account's `CreateAccount` requests, oldest first,
/// optionally only those in the given `States`.
pub fn list_create_account_status(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    organization_for_management(services, call.caller)?;
    let states: Option<Vec<&str>> = match call.input.get("States") {
        Some(Value::Array(list)) => Some(list.iter().filter_map(Value::as_str).collect()),
        _ => None,
    };
    if let Some(states) = &states {
        if states.iter().any(|s| !matches!(*s, "IN_PROGRESS" | "SUCCEEDED" | "FAILED")) {
            return Err(error::invalid_enum());
        }
    }
    let tx = services.store().read()?;
    let mut statuses: Vec<CreateAccountStatusRecord> =
        tree::scan_all(&*tx, CREATE_ACCOUNT_STATUS, "")?
            .into_iter()
            .map(|(_, s)| s)
            .filter(|s| states.as_ref().is_none_or(|w| w.contains(&s.state.as_str())))
            .collect();
    statuses.sort_by(|a, b| {
        a.requested_timestamp.total_cmp(&b.requested_timestamp).then_with(|| a.id.cmp(&b.id))
    });
    let items = statuses
        .iter()
        .map(|s| (format!("{:020.6}/{}", s.requested_timestamp, s.id), status_json(s)))
        .collect();
    ous::page(call.input, "CreateAccountStatuses", items)
}

pub fn describe_create_account_status(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    organization_for_management(services, call.caller)?;
    let id = input_str(call.input, "CreateAccountRequestId").unwrap_or_default();
    let tx = services.store().read()?;
    let status =
        CREATE_ACCOUNT_STATUS.get(&*tx, id)?.ok_or_else(error::create_account_status_not_found)?;
    Ok(json!({ "CreateAccountStatus": status_json(&status) }))
}

pub fn list_accounts(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let tx = services.store().read()?;
    let items = tree::member_accounts(&*tx)?
        .iter()
        .map(|a| (tree::account_sort_key(a), account_json(&org, a)))
        .collect();
    ous::page(call.input, "Accounts", items)
}

pub fn describe_account(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let id = input_str(call.input, "AccountId").unwrap_or_default();
    if !ids::is_account_id(id) {
        return Err(error::invalid_pattern());
    }
    let tx = services.store().read()?;
    let account = tree::member_account(&*tx, id)?.ok_or_else(error::account_not_found)?;
    Ok(json!({ "Account": account_json(&org, &account) }))
}

/// Paging tokens are opaque to clients: the hex of the last key returned.
fn encode_token(last_key: &str) -> String {
    last_key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Result<String, ServiceError> {
    let invalid = || {
        error::invalid_input("INVALID_NEXT_TOKEN", "You specified an invalid value for nextToken.")
    };
    if token.len() % 2 != 0 || token.len() > 256 {
        return Err(invalid());
    }
    let bytes: Result<Vec<u8>, _> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .map(|h| u8::from_str_radix(h, 16))
                .ok_or(())
                .and_then(|r| r.map_err(|_| ()))
        })
        .collect();
    let bytes = bytes.map_err(|_| invalid())?;
    String::from_utf8(bytes).map_err(|_| invalid())
}
