//! Organizations policies: enabling policy types in the root, customer policies (create,
//! describe, update, delete, list), attaching them to the root, OUs and accounts, and the two
//! views of attachments. Management account only.
//!
//! SCP and RCP documents are validated by the policy engine (`PolicyKind::Scp` / `Rcp`) with
//! AWS's messages; documents of the other policy types (tag, backup, AI opt-out, …) are checked
//! to be JSON objects within their size quota, which is all xacct uses them for.

use serde_json::{json, Value};
use xacct_policy::{Policy, PolicyErrorCode, PolicyKind};
use xacct_store::ReadTx;

use super::model::{
    OrgPolicyRecord, OrganizationRecord, ORGANIZATIONAL_UNITS, ORG_POLICIES, ROOTS,
};
use super::ous::{page, required, root_json};
use super::tree::{self, Node, OrgPolicy, RESOURCE_CONTROL_POLICY, SERVICE_CONTROL_POLICY};
use super::{error, organization_for_management};
use crate::{ids, input_str, Call, ServiceError, Services};

/// Most policies of one type attached to one target (AWS's quota for SCPs and RCPs).
pub const MAX_ATTACHMENTS_PER_TYPE: usize = 5;
/// Size quota of the management policy types other than SCPs and RCPs (10,000 characters).
const OTHER_POLICY_MAX_SIZE: usize = 10_000;

/// The model's `PolicySummary`.
fn summary_json(p: &OrgPolicy) -> Value {
    json!({
        "Id": p.id,
        "Arn": p.arn,
        "Name": p.name,
        "Description": p.description,
        "Type": p.policy_type,
        "AwsManaged": p.aws_managed,
    })
}

/// The model's `Policy` (summary and content).
fn policy_json(p: &OrgPolicy) -> Value {
    json!({ "PolicySummary": summary_json(p), "Content": p.content })
}

/// A `PolicyType` member: one of the model's values.
fn policy_type_from<'v>(input: &'v Value, member: &str) -> Result<&'v str, ServiceError> {
    let t = required(input, member)?;
    if !tree::is_policy_type(t) {
        return Err(error::invalid_enum());
    }
    Ok(t)
}

/// The policy `PolicyId` names.
fn policy_from<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    input: &Value,
) -> Result<OrgPolicy, ServiceError> {
    let id = required(input, "PolicyId")?;
    if !tree::is_policy_id(id) {
        return Err(error::invalid_input(
            "INVALID_SYNTAX_POLICY_ID",
            "You specified an invalid policy ID.",
        ));
    }
    tree::get_policy(tx, org, id)?.ok_or_else(error::policy_not_found)
}

/// The root, OU or account `TargetId` names.
fn target_from<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    input: &Value,
) -> Result<(String, Node), ServiceError> {
    let id = required(input, "TargetId")?;
    if !tree::is_root_id(id) && !tree::is_ou_id(id) && !ids::is_account_id(id) {
        return Err(error::invalid_input(
            "INVALID_PATTERN_TARGET_ID",
            "You specified a policy target ID that doesn't match the required pattern.",
        ));
    }
    match tree::find_node(tx, org, id)? {
        Some(node) => Ok((id.to_owned(), node)),
        None => Err(error::target_not_found()),
    }
}

/// Policy types other than SCPs need all features; xacct's organization may be billing-only.
fn require_all_features(org: &OrganizationRecord) -> Result<(), ServiceError> {
    if org.feature_set != "ALL" {
        return Err(error::policy_type_not_available());
    }
    Ok(())
}

fn validate_name(name: &str) -> Result<(), ServiceError> {
    let len = name.chars().count();
    if len == 0 {
        return Err(error::invalid_input(
            "MIN_LENGTH_EXCEEDED",
            "You provided a value that is too short for Name.",
        ));
    }
    if len > 128 {
        return Err(error::invalid_input(
            "MAX_LENGTH_EXCEEDED",
            "You provided a value that is too long for Name.",
        ));
    }
    Ok(())
}

fn validate_description(description: &str) -> Result<(), ServiceError> {
    if description.chars().count() > 512 {
        return Err(error::invalid_input(
            "MAX_LENGTH_EXCEEDED",
            "You provided a value that is too long for Description.",
        ));
    }
    Ok(())
}

/// Validates `content` as a policy of `policy_type`.
fn validate_content(policy_type: &str, content: &str) -> Result<(), ServiceError> {
    let kind = match policy_type {
        SERVICE_CONTROL_POLICY => Some(PolicyKind::Scp),
        RESOURCE_CONTROL_POLICY => Some(PolicyKind::Rcp),
        _ => None,
    };
    match kind {
        Some(kind) => match Policy::parse(content, kind) {
            Ok(_) => Ok(()),
            Err(e) if e.code() == PolicyErrorCode::LimitExceeded => {
                Err(error::constraint_violation("POLICY_CONTENT_LIMIT_EXCEEDED", e.message()))
            }
            Err(e) => Err(error::malformed_policy_document(e.message())),
        },
        None => {
            if content.chars().count() > OTHER_POLICY_MAX_SIZE {
                return Err(error::constraint_violation(
                    "POLICY_CONTENT_LIMIT_EXCEEDED",
                    "You attempted to create a policy that is larger than the maximum size.",
                ));
            }
            match serde_json::from_str::<Value>(content) {
                Ok(Value::Object(_)) => Ok(()),
                _ => Err(error::malformed_policy_document(
                    "The provided policy document doesn't meet the requirements of the specified policy type.",
                )),
            }
        }
    }
}

/// `DuplicatePolicyException` when another policy of `policy_type` (other than `except`) is
/// named `name`.
fn check_unique_name<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    policy_type: &str,
    name: &str,
    except: Option<&str>,
) -> Result<(), ServiceError> {
    let taken = tree::policies_of_type(tx, org, policy_type)?
        .iter()
        .any(|p| p.name == name && Some(p.id.as_str()) != except);
    if taken {
        return Err(error::duplicate_policy());
    }
    Ok(())
}

fn root_id_from<'v>(org: &OrganizationRecord, input: &'v Value) -> Result<&'v str, ServiceError> {
    let root_id = required(input, "RootId")?;
    if !tree::is_root_id(root_id) {
        return Err(tree::invalid_pattern("RootId"));
    }
    if root_id != org.root_id {
        return Err(error::root_not_found());
    }
    Ok(root_id)
}

pub fn enable_policy_type(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let root_id = root_id_from(&org, call.input)?;
    let policy_type = policy_type_from(call.input, "PolicyType")?;
    require_all_features(&org)?;
    let mut tx = services.store().write()?;
    let mut root = ROOTS.get(&*tx, root_id)?.unwrap_or_default();
    if root.policy_types.iter().any(|t| t == policy_type) {
        return Err(error::policy_type_already_enabled());
    }
    // Accounts still in their implicit state keep exactly their current policies.
    let accounts: Vec<String> = tree::member_accounts(&*tx)?.into_iter().map(|a| a.id).collect();
    for id in &accounts {
        tree::materialize_account(&mut *tx, &org, id)?;
    }
    root.policy_types.push(policy_type.to_owned());
    ROOTS.put(&mut *tx, root_id, &root)?;
    // AWS attaches the type's managed default to every root, OU and account.
    if let Some(default) = tree::default_policy_id(policy_type) {
        tree::attach(&mut *tx, default, policy_type, root_id)?;
        for (ou_id, _) in tree::scan_all(&*tx, ORGANIZATIONAL_UNITS, "")? {
            tree::attach(&mut *tx, default, policy_type, &ou_id)?;
        }
        for id in &accounts {
            tree::attach(&mut *tx, default, policy_type, id)?;
        }
    }
    let out = root_json(&*tx, &org)?;
    tx.commit()?;
    Ok(json!({ "Root": out }))
}

pub fn disable_policy_type(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let root_id = root_id_from(&org, call.input)?;
    let policy_type = policy_type_from(call.input, "PolicyType")?;
    let mut tx = services.store().write()?;
    let mut root = ROOTS.get(&*tx, root_id)?.unwrap_or_default();
    if !root.policy_types.iter().any(|t| t == policy_type) {
        return Err(error::policy_type_not_enabled());
    }
    // Disabling a type detaches every policy of that type from every target.
    for (_, a) in tree::scan_all(&*tx, super::model::ATTACHMENTS_BY_TARGET, "")? {
        if a.policy_type == policy_type {
            tree::detach(&mut *tx, &a.policy_id, &a.target_id)?;
        }
    }
    root.policy_types.retain(|t| t != policy_type);
    ROOTS.put(&mut *tx, root_id, &root)?;
    let out = root_json(&*tx, &org)?;
    tx.commit()?;
    Ok(json!({ "Root": out }))
}

pub fn create_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let content = required(call.input, "Content")?;
    let description = required(call.input, "Description")?;
    let name = required(call.input, "Name")?;
    let policy_type = policy_type_from(call.input, "Type")?;
    validate_name(name)?;
    validate_description(description)?;
    require_all_features(&org)?;
    validate_content(policy_type, content)?;
    let new_tags = super::tags::tags_from(call.input)?;
    super::tags::validate_new_tags(&new_tags)?;
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    check_unique_name(&*tx, &org, policy_type, name, None)?;
    let id = loop {
        let candidate = format!("p-{}", ids::lower_alnum(8)?);
        if tree::get_policy(&*tx, &org, &candidate)?.is_none() {
            break candidate;
        }
    };
    let record = OrgPolicyRecord {
        id: id.clone(),
        name: name.to_owned(),
        description: description.to_owned(),
        policy_type: policy_type.to_owned(),
        content: content.to_owned(),
        created: now,
        updated: now,
    };
    ORG_POLICIES.put(&mut *tx, &id, &record)?;
    super::tags::add_tags(&mut *tx, &id, &new_tags)?;
    tx.commit()?;
    let created = OrgPolicy {
        arn: tree::policy_arn(&org, policy_type, &id),
        id,
        name: record.name,
        description: record.description,
        policy_type: record.policy_type,
        content: record.content,
        aws_managed: false,
        created: record.created,
        updated: record.updated,
    };
    Ok(json!({ "Policy": policy_json(&created) }))
}

pub fn describe_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let tx = services.store().read()?;
    let policy = policy_from(&*tx, &org, call.input).map_err(reworded_not_found)?;
    Ok(json!({ "Policy": policy_json(&policy) }))
}

/// The read operations' wording of a missing policy (see `error::policy_not_found_to_read`).
fn reworded_not_found(e: ServiceError) -> ServiceError {
    if e.code == "PolicyNotFoundException" {
        error::policy_not_found_to_read()
    } else {
        e
    }
}

fn immutable_policy() -> ServiceError {
    error::invalid_input(
        "IMMUTABLE_POLICY",
        "You specified a policy that is managed by AWS and can't be modified.",
    )
}

pub fn update_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let policy = policy_from(&*tx, &org, call.input)?;
    if policy.aws_managed {
        return Err(immutable_policy());
    }
    let mut record = ORG_POLICIES.get(&*tx, &policy.id)?.ok_or_else(error::policy_not_found)?;
    if let Some(name) = input_str(call.input, "Name") {
        validate_name(name)?;
        check_unique_name(&*tx, &org, &record.policy_type, name, Some(&record.id))?;
        record.name = name.to_owned();
    }
    if let Some(description) = input_str(call.input, "Description") {
        validate_description(description)?;
        record.description = description.to_owned();
    }
    if let Some(content) = input_str(call.input, "Content") {
        validate_content(&record.policy_type, content)?;
        record.content = content.to_owned();
    }
    record.updated = services.clock().now_epoch_f64();
    ORG_POLICIES.put(&mut *tx, &record.id, &record)?;
    let updated = tree::get_policy(&*tx, &org, &record.id)?.ok_or_else(error::policy_not_found)?;
    tx.commit()?;
    Ok(json!({ "Policy": policy_json(&updated) }))
}

pub fn delete_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let policy = policy_from(&*tx, &org, call.input)?;
    if policy.aws_managed {
        return Err(immutable_policy());
    }
    if !tree::policy_targets(&*tx, &org, &policy)?.is_empty() {
        return Err(error::policy_in_use());
    }
    ORG_POLICIES.delete(&mut *tx, &policy.id)?;
    super::tags::drop_tags(&mut *tx, &policy.id)?;
    tx.commit()?;
    Ok(json!({}))
}

pub fn list_policies(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let policy_type = policy_type_from(call.input, "Filter")?;
    let tx = services.store().read()?;
    let items: Vec<(String, Value)> = tree::policies_of_type(&*tx, &org, policy_type)?
        .iter()
        .map(|p| (tree::policy_sort_key(p), summary_json(p)))
        .collect();
    page(call.input, "Policies", items)
}

pub fn attach_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let policy = policy_from(&*tx, &org, call.input)?;
    let (target_id, node) = target_from(&*tx, &org, call.input)?;
    if !tree::enabled_types(&*tx, &org)?.contains(&policy.policy_type) {
        return Err(error::policy_type_not_enabled());
    }
    if matches!(node, Node::Account(_)) {
        tree::materialize_account(&mut *tx, &org, &target_id)?;
    }
    let current = tree::attached_policies(&*tx, &org, &target_id, Some(&policy.policy_type))?;
    if current.contains(&policy.id) {
        return Err(error::duplicate_policy_attachment());
    }
    if current.len() >= MAX_ATTACHMENTS_PER_TYPE {
        return Err(error::constraint_violation(
            "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
            "You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time.",
        ));
    }
    tree::attach(&mut *tx, &policy.id, &policy.policy_type, &target_id)?;
    tx.commit()?;
    Ok(json!({}))
}

pub fn detach_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let policy = policy_from(&*tx, &org, call.input)?;
    let (target_id, node) = target_from(&*tx, &org, call.input)?;
    let current = tree::attached_policies(&*tx, &org, &target_id, Some(&policy.policy_type))?;
    if !current.contains(&policy.id) {
        return Err(error::policy_not_attached());
    }
    if policy.id == tree::RCP_FULL_AWS_ACCESS_ID {
        return Err(error::invalid_input(
            "NON_DETACHABLE_POLICY",
            "You can't detach this AWS Managed Policy.",
        ));
    }
    // Every target keeps at least one SCP while SCPs are enabled.
    if policy.policy_type == SERVICE_CONTROL_POLICY && current.len() <= 1 {
        return Err(error::constraint_violation(
            "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
            "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.",
        ));
    }
    if matches!(node, Node::Account(_)) {
        tree::materialize_account(&mut *tx, &org, &target_id)?;
    }
    tree::detach(&mut *tx, &policy.id, &target_id)?;
    tx.commit()?;
    Ok(json!({}))
}

pub fn list_policies_for_target(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let policy_type = policy_type_from(call.input, "Filter")?;
    let tx = services.store().read()?;
    let (target_id, _) = target_from(&*tx, &org, call.input)?;
    let mut items = Vec::new();
    for id in tree::attached_policies(&*tx, &org, &target_id, Some(policy_type))? {
        let policy = tree::get_policy(&*tx, &org, &id)?
            .ok_or_else(|| ServiceError::internal(format!("attached policy `{id}` is missing")))?;
        items.push((id, summary_json(&policy)));
    }
    page(call.input, "Policies", items)
}

pub fn list_targets_for_policy(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let tx = services.store().read()?;
    let policy = policy_from(&*tx, &org, call.input).map_err(reworded_not_found)?;
    let mut items = Vec::new();
    for target_id in tree::policy_targets(&*tx, &org, &policy)? {
        let Some(node) = tree::find_node(&*tx, &org, &target_id)? else { continue };
        let (arn, name) = match &node {
            Node::Root => (tree::root_arn(&org), "Root".to_owned()),
            Node::OrganizationalUnit(ou) => (tree::ou_arn(&org, &ou.id), ou.name.clone()),
            Node::Account(a) => (org.account_arn(&a.id), a.name.clone()),
        };
        let summary = json!({"TargetId": target_id, "Arn": arn, "Name": name, "Type": node.kind()});
        items.push((target_id, summary));
    }
    page(call.input, "Targets", items)
}
