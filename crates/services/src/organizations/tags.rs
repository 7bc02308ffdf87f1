//! Tags of Organizations resources: `TagResource`, `UntagResource`, `ListTagsForResource`, and
//! the `Tags` that `CreateAccount`, `CreateOrganizationalUnit`, `CreatePolicy` and
//! `PutResourcePolicy` accept. Taggable resources are accounts, the root, OUs, customer policies
//! and the resource policy; management account only.

use serde_json::{json, Value};
use xacct_store::{ReadTx, WriteTx};

use super::model::{
    OrganizationRecord, TagRecord, TagsRecord, RESOURCE_POLICY, RESOURCE_POLICY_KEY, TAGS,
};
use super::ous::required;
use super::tree::{self, Node};
use super::{error, organization_for_management};
use crate::{Call, ServiceError, Services};

/// Most tags one resource may carry (AWS's quota).
pub const MAX_TAGS: usize = 50;

/// The `Tags` member of `input` (absent = none), in request order.
pub fn tags_from(input: &Value) -> Result<Vec<TagRecord>, ServiceError> {
    let Some(list) = input.get("Tags") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err(error::invalid_input(
            "INVALID_LIST_MEMBER",
            "You provided a list to a parameter that contains at least one invalid value.",
        ));
    };
    list.iter()
        .map(|t| {
            let key = t.get("Key").and_then(Value::as_str);
            let value = t.get("Value").and_then(Value::as_str);
            match (key, value) {
                (Some(k), Some(v)) => Ok(TagRecord { key: k.to_owned(), value: v.to_owned() }),
                _ => Err(error::invalid_input(
                    "INPUT_REQUIRED",
                    "You must include a value for all required parameters.",
                )),
            }
        })
        .collect()
}

/// Rules on the tags of one request: no `aws:` keys (reserved for AWS), no key twice. Texts of
/// both errors are the model's descriptions of their reasons (AWS's exact texts are not known).
pub fn validate_new_tags(tags: &[TagRecord]) -> Result<(), ServiceError> {
    for (i, tag) in tags.iter().enumerate() {
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(error::invalid_input(
                "INVALID_SYSTEM_TAGS_PARAMETER",
                "You specified a tag key that is a system tag. You can’t add, edit, or delete system tag keys because they're reserved for AWS use.",
            ));
        }
        if tags.iter().take(i).any(|t| t.key == tag.key) {
            return Err(error::invalid_input(
                "DUPLICATE_TAG_KEY",
                "Tag keys must be unique among the tags attached to the same entity.",
            ));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(tag_limit_exceeded());
    }
    Ok(())
}

/// The model's description of the reason (AWS's exact text is not known).
fn tag_limit_exceeded() -> ServiceError {
    error::constraint_violation(
        "MAX_TAG_LIMIT_EXCEEDED",
        "You have exceeded the number of tags allowed on this resource.",
    )
}

/// Adds `tags` to `resource_id`'s (a key already there gets the new value) within the quota.
pub fn add_tags(
    tx: &mut dyn WriteTx,
    resource_id: &str,
    tags: &[TagRecord],
) -> Result<(), ServiceError> {
    if tags.is_empty() {
        return Ok(());
    }
    let mut record = TAGS.get(tx, resource_id)?.unwrap_or_default();
    for tag in tags {
        match record.tags.iter_mut().find(|t| t.key == tag.key) {
            Some(existing) => existing.value.clone_from(&tag.value),
            None => record.tags.push(tag.clone()),
        }
    }
    if record.tags.len() > MAX_TAGS {
        return Err(tag_limit_exceeded());
    }
    TAGS.put(tx, resource_id, &record)?;
    Ok(())
}

/// Forgets every tag of `resource_id` (the resource is gone).
pub fn drop_tags(tx: &mut dyn WriteTx, resource_id: &str) -> Result<(), ServiceError> {
    TAGS.delete(tx, resource_id)?;
    Ok(())
}

/// `TargetNotFoundException` unless `id` names a taggable resource of the organization.
fn check_resource<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    id: &str,
) -> Result<(), ServiceError> {
    let found = if tree::is_policy_id(id) {
        // AWS managed policies are not the organization's to tag.
        tree::get_policy(tx, org, id)?.is_some_and(|p| !p.aws_managed)
    } else if id.starts_with("rp-") {
        RESOURCE_POLICY.get(tx, RESOURCE_POLICY_KEY)?.is_some_and(|rp| rp.id == id)
    } else {
        matches!(
            tree::find_node(tx, org, id)?,
            Some(Node::Root | Node::OrganizationalUnit(_) | Node::Account(_))
        )
    };
    if found {
        Ok(())
    } else {
        Err(error::target_not_found())
    }
}

/// The resource id of a tag operation (its shape was checked against the model's pattern).
fn resource_id(input: &Value) -> Result<&str, ServiceError> {
    required(input, "ResourceId")
}

pub fn tag_resource(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let id = resource_id(call.input)?;
    let tags = tags_from(call.input)?;
    validate_new_tags(&tags)?;
    let mut tx = services.store().write()?;
    check_resource(&*tx, &org, id)?;
    add_tags(&mut *tx, id, &tags)?;
    tx.commit()?;
    Ok(json!({}))
}

pub fn untag_resource(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let id = resource_id(call.input)?;
    let keys: Vec<&str> = match call.input.get("TagKeys") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => {
            return Err(error::invalid_input(
                "INPUT_REQUIRED",
                "You must include a value for all required parameters.",
            ))
        }
    };
    let mut tx = services.store().write()?;
    check_resource(&*tx, &org, id)?;
    // Keys the resource does not have are ignored, as AWS does.
    let mut record = TAGS.get(&*tx, id)?.unwrap_or_default();
    record.tags.retain(|t| !keys.contains(&t.key.as_str()));
    if record.tags.is_empty() {
        TAGS.delete(&mut *tx, id)?;
    } else {
        TAGS.put(&mut *tx, id, &record)?;
    }
    tx.commit()?;
    Ok(json!({}))
}

pub fn list_tags_for_resource(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let id = resource_id(call.input)?;
    let tx = services.store().read()?;
    check_resource(&*tx, &org, id)?;
    let record: TagsRecord = TAGS.get(&*tx, id)?.unwrap_or_default();
    // One page holds every tag (at most 50); the keys keep the tags' order for paging.
    let items = record
        .tags
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("{i:04}"), json!({"Key": t.key, "Value": t.value})))
        .collect();
    super::ous::page(&json!({"NextToken": call.input.get("NextToken")}), "Tags", items)
}
