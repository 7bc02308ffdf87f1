//! The resources the tree and policy operations act on, as the Service Authorization Reference
//! lists them for Organizations: the ARNs of the root, OUs, accounts and policies an operation
//! names, and the `organizations:PolicyType` condition value. `actions.rs` (authz's table) can
//! ask here instead of knowing the tree's storage.
//!
//! Ids that name nothing resolve to no ARN: the operation itself then answers the
//! `…NotFoundException` AWS gives.

use serde_json::Value;
use xacct_store::ReadTx;

use super::handshakes::HANDSHAKES;
use super::model::{ORGANIZATION, ORGANIZATION_KEY, RESOURCE_POLICY, RESOURCE_POLICY_KEY};
use super::tree::{self, Node};
use crate::{ids, input_str, ServiceError};

/// What one tree or policy operation acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationResources {
    /// The resource ARNs, in the reference's order (the policy first, then the target); empty
    /// means `*` (the operation has no resource type, or its ids name nothing).
    pub resources: Vec<String>,
    /// The `organizations:PolicyType` condition value, for the operations that carry it.
    pub policy_type: Option<String>,
}

/// The resources of `operation` (one of the root/OU/policy operations) with `input`; `None`
/// for any other operation.
pub fn operation_resources(
    tx: &dyn ReadTx,
    operation: &str,
    input: &Value,
) -> Result<Option<OperationResources>, ServiceError> {
    // Which members name what: policies, targets (root/OU/account), and where the type comes from.
    let (policy_member, target_members, type_member): (Option<&str>, &[&str], Option<&str>) =
        match operation {
            "AttachPolicy" | "DetachPolicy" => (Some("PolicyId"), &["TargetId"], None),
            "DescribePolicy" | "UpdatePolicy" | "DeletePolicy" | "ListTargetsForPolicy" => {
                (Some("PolicyId"), &[], None)
            }
            "CreatePolicy" => (None, &[], Some("Type")),
            "ListPolicies" => (None, &[], Some("Filter")),
            "ListPoliciesForTarget" => (None, &["TargetId"], Some("Filter")),
            "EnablePolicyType" | "DisablePolicyType" => (None, &["RootId"], Some("PolicyType")),
            "CreateOrganizationalUnit"
            | "ListAccountsForParent"
            | "ListChildren"
            | "ListOrganizationalUnitsForParent" => (None, &["ParentId"], None),
            "DescribeOrganizationalUnit"
            | "UpdateOrganizationalUnit"
            | "DeleteOrganizationalUnit" => (None, &["OrganizationalUnitId"], None),
            "ListParents" => (None, &["ChildId"], None),
            "MoveAccount" => (None, &["AccountId", "SourceParentId", "DestinationParentId"], None),
            "ListRoots" => (None, &[], None),
            "DescribeAccount"
            | "CloseAccount"
            | "RemoveAccountFromOrganization"
            | "RegisterDelegatedAdministrator"
            | "DeregisterDelegatedAdministrator"
            | "ListDelegatedServicesForAccount" => (None, &["AccountId"], None),
            "DescribeEffectivePolicy" => (None, &["TargetId"], Some("PolicyType")),
            // A tagged resource is a policy, the resource policy, or a root, OU or account.
            "TagResource" | "UntagResource" | "ListTagsForResource" => {
                (Some("ResourceId"), &["ResourceId"], None)
            }
            "AcceptHandshake" | "DeclineHandshake" | "CancelHandshake" | "DescribeHandshake" => {
                (None, &[], None)
            }
            _ => return Ok(None),
        };
    let mut out = OperationResources {
        policy_type: type_member.and_then(|m| input_str(input, m)).map(str::to_owned),
        ..OperationResources::default()
    };
    let Some(org) = ORGANIZATION.get(tx, ORGANIZATION_KEY)? else {
        return Ok(Some(out));
    };
    if let Some(id) = input_str(input, "HandshakeId") {
        if let Some(h) = HANDSHAKES.get(tx, id)? {
            out.resources.push(format!(
                "arn:{}:organizations::{}:handshake/{}/{}/{}",
                org.partition,
                org.management_account_id,
                org.id,
                h.action.to_ascii_lowercase(),
                h.id
            ));
        }
    }
    if let Some(id) = policy_member.and_then(|m| input_str(input, m)) {
        if tree::is_policy_id(id) {
            if let Some(policy) = tree::get_policy(tx, &org, id)? {
                out.resources.push(policy.arn);
                out.policy_type = Some(policy.policy_type);
            }
        } else if id.starts_with("rp-") {
            if let Some(rp) = RESOURCE_POLICY.get(tx, RESOURCE_POLICY_KEY)? {
                if rp.id == id {
                    out.resources.push(format!(
                        "arn:{}:organizations::{}:resourcepolicy/{}/{}",
                        org.partition, org.management_account_id, org.id, rp.id
                    ));
                }
            }
        }
    }
    for member in target_members {
        let Some(id) = input_str(input, member) else { continue };
        if !(tree::is_root_id(id) || tree::is_ou_id(id) || ids::is_account_id(id)) {
            continue;
        }
        match tree::find_node(tx, &org, id)? {
            Some(Node::Root) => out.resources.push(tree::root_arn(&org)),
            Some(Node::OrganizationalUnit(ou)) => out.resources.push(tree::ou_arn(&org, &ou.id)),
            Some(Node::Account(a)) => out.resources.push(org.account_arn(&a.id)),
            None => {}
        }
    }
    Ok(Some(out))
}
