//! The organization's resource-based policy: `PutResourcePolicy`, `DescribeResourcePolicy`,
//! `DeleteResourcePolicy`. It says which principals outside the management account may call
//! Organizations operations on the organization; xacct stores and shows it (authz does not
//! evaluate it yet).

use serde_json::{json, Value};
use xacct_policy::{Policy, PolicyKind};

use super::delegation::organization_for_admin;
use super::model::{
    OrganizationRecord, ResourcePolicyRecord, RESOURCE_POLICY, RESOURCE_POLICY_KEY,
};
use super::ous::required;
use super::{error, organization_for_management, tags};
use crate::{ids, Call, ServiceError, Services};

fn resource_policy_json(org: &OrganizationRecord, rp: &ResourcePolicyRecord) -> Value {
    json!({
        "ResourcePolicySummary": {
            "Id": rp.id,
            "Arn": format!(
                "arn:{}:organizations::{}:resourcepolicy/{}/{}",
                org.partition, org.management_account_id, org.id, rp.id
            ),
        },
        "Content": rp.content,
    })
}

/// A resource policy document: valid policy grammar with a `Principal` in every statement, and
/// only Organizations actions. Reason texts are guessed (AWS's are not known).
fn validate_content(content: &str) -> Result<(), ServiceError> {
    if let Err(e) = Policy::parse(content, PolicyKind::Resource) {
        return Err(error::invalid_input("INVALID_RESOURCE_POLICY_JSON", e.message()));
    }
    let doc: Value = serde_json::from_str(content).map_err(|_| {
        error::invalid_input("INVALID_RESOURCE_POLICY_JSON", "The policy is not valid JSON.")
    })?;
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    for statement in statements {
        let actions: Vec<&str> =
            match statement.get("Action").or_else(|| statement.get("NotAction")) {
                Some(Value::String(a)) => vec![a.as_str()],
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
        let foreign = actions
            .iter()
            .any(|a| *a != "*" && !a.to_ascii_lowercase().starts_with("organizations:"));
        if foreign {
            return Err(error::invalid_input(
                "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY",
                "You specified an action that is not supported in a resource policy.",
            ));
        }
    }
    Ok(())
}

pub fn put_resource_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let content = required(call.input, "Content")?;
    validate_content(content)?;
    let new_tags = tags::tags_from(call.input)?;
    tags::validate_new_tags(&new_tags)?;
    let mut tx = services.store().write()?;
    let id = match RESOURCE_POLICY.get(&*tx, RESOURCE_POLICY_KEY)? {
        Some(existing) => existing.id,
        None => format!("rp-{}", ids::lower_alnum(8)?),
    };
    let record = ResourcePolicyRecord { id, content: content.to_owned() };
    RESOURCE_POLICY.put(&mut *tx, RESOURCE_POLICY_KEY, &record)?;
    tags::add_tags(&mut *tx, &record.id, &new_tags)?;
    tx.commit()?;
    Ok(json!({ "ResourcePolicy": resource_policy_json(&org, &record) }))
}

pub fn describe_resource_policy(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_admin(services, call.caller)?;
    let tx = services.store().read()?;
    let record = RESOURCE_POLICY
        .get(&*tx, RESOURCE_POLICY_KEY)?
        .ok_or_else(error::resource_policy_not_found)?;
    Ok(json!({ "ResourcePolicy": resource_policy_json(&org, &record) }))
}

pub fn delete_resource_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let record = RESOURCE_POLICY
        .get(&*tx, RESOURCE_POLICY_KEY)?
        .ok_or_else(error::resource_policy_not_found)?;
    RESOURCE_POLICY.delete(&mut *tx, RESOURCE_POLICY_KEY)?;
    tags::drop_tags(&mut *tx, &record.id)?;
    tx.commit()?;
    Ok(json!({}))
}
