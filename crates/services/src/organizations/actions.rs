//! Organizations operation → the permission it needs: action `organizations:<Operation>` (every
//! Organizations operation is its own IAM action, as the Service Authorization Reference lists
//! them) on the resources it names (`resources.rs`: the root, OUs, accounts, policies and the
//! resource policy, `arn:aws:organizations::MGMT:account/o-ID/ACCOUNT` and the like), or `*` for
//! organization-wide operations.
//!
//! Principals of the management account need these permissions like any other principal; the
//! root user passes (it is all-powerful in its own account).

use serde_json::Value;

use super::model::{ORGANIZATION, ORGANIZATION_KEY};
use super::resources::operation_resources;
use crate::authz::{ActionRequest, ContextValue};
use crate::{input_str, Call, ServiceError, Services};

/// The IAM action of an Organizations operation.
pub fn action(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "AcceptHandshake" => "organizations:AcceptHandshake",
        "AttachPolicy" => "organizations:AttachPolicy",
        "CancelHandshake" => "organizations:CancelHandshake",
        "CloseAccount" => "organizations:CloseAccount",
        "CreateAccount" => "organizations:CreateAccount",
        "CreateGovCloudAccount" => "organizations:CreateGovCloudAccount",
        "CreateOrganization" => "organizations:CreateOrganization",
        "CreateOrganizationalUnit" => "organizations:CreateOrganizationalUnit",
        "CreatePolicy" => "organizations:CreatePolicy",
        "DeclineHandshake" => "organizations:DeclineHandshake",
        "DeleteOrganization" => "organizations:DeleteOrganization",
        "DeleteOrganizationalUnit" => "organizations:DeleteOrganizationalUnit",
        "DeletePolicy" => "organizations:DeletePolicy",
        "DeleteResourcePolicy" => "organizations:DeleteResourcePolicy",
        "DeregisterDelegatedAdministrator" => "organizations:DeregisterDelegatedAdministrator",
        "DescribeAccount" => "organizations:DescribeAccount",
        "DescribeCreateAccountStatus" => "organizations:DescribeCreateAccountStatus",
        "DescribeEffectivePolicy" => "organizations:DescribeEffectivePolicy",
        "DescribeHandshake" => "organizations:DescribeHandshake",
        "DescribeOrganization" => "organizations:DescribeOrganization",
        "DescribeOrganizationalUnit" => "organizations:DescribeOrganizationalUnit",
        "DescribePolicy" => "organizations:DescribePolicy",
        "DescribeResourcePolicy" => "organizations:DescribeResourcePolicy",
        "DescribeResponsibilityTransfer" => "organizations:DescribeResponsibilityTransfer",
        "DetachPolicy" => "organizations:DetachPolicy",
        "DisableAWSServiceAccess" => "organizations:DisableAWSServiceAccess",
        "DisablePolicyType" => "organizations:DisablePolicyType",
        "EnableAWSServiceAccess" => "organizations:EnableAWSServiceAccess",
        "EnableAllFeatures" => "organizations:EnableAllFeatures",
        "EnablePolicyType" => "organizations:EnablePolicyType",
        "InviteAccountToOrganization" => "organizations:InviteAccountToOrganization",
        "InviteOrganizationToTransferResponsibility" => {
            "organizations:InviteOrganizationToTransferResponsibility"
        }
        "LeaveOrganization" => "organizations:LeaveOrganization",
        "ListAWSServiceAccessForOrganization" => {
            "organizations:ListAWSServiceAccessForOrganization"
        }
        "ListAccounts" => "organizations:ListAccounts",
        "ListAccountsForParent" => "organizations:ListAccountsForParent",
        "ListAccountsWithInvalidEffectivePolicy" => {
            "organizations:ListAccountsWithInvalidEffectivePolicy"
        }
        "ListChildren" => "organizations:ListChildren",
        "ListCreateAccountStatus" => "organizations:ListCreateAccountStatus",
        "ListDelegatedAdministrators" => "organizations:ListDelegatedAdministrators",
        "ListDelegatedServicesForAccount" => "organizations:ListDelegatedServicesForAccount",
        "ListEffectivePolicyValidationErrors" => {
            "organizations:ListEffectivePolicyValidationErrors"
        }
        "ListHandshakesForAccount" => "organizations:ListHandshakesForAccount",
        "ListHandshakesForOrganization" => "organizations:ListHandshakesForOrganization",
        "ListInboundResponsibilityTransfers" => "organizations:ListInboundResponsibilityTransfers",
        "ListOrganizationalUnitsForParent" => "organizations:ListOrganizationalUnitsForParent",
        "ListOutboundResponsibilityTransfers" => {
            "organizations:ListOutboundResponsibilityTransfers"
        }
        "ListParents" => "organizations:ListParents",
        "ListPolicies" => "organizations:ListPolicies",
        "ListPoliciesForTarget" => "organizations:ListPoliciesForTarget",
        "ListRoots" => "organizations:ListRoots",
        "ListTagsForResource" => "organizations:ListTagsForResource",
        "ListTargetsForPolicy" => "organizations:ListTargetsForPolicy",
        "MoveAccount" => "organizations:MoveAccount",
        "PutResourcePolicy" => "organizations:PutResourcePolicy",
        "RegisterDelegatedAdministrator" => "organizations:RegisterDelegatedAdministrator",
        "RemoveAccountFromOrganization" => "organizations:RemoveAccountFromOrganization",
        "TagResource" => "organizations:TagResource",
        "TerminateResponsibilityTransfer" => "organizations:TerminateResponsibilityTransfer",
        "UntagResource" => "organizations:UntagResource",
        "UpdateOrganizationalUnit" => "organizations:UpdateOrganizationalUnit",
        "UpdatePolicy" => "organizations:UpdatePolicy",
        "UpdateResponsibilityTransfer" => "organizations:UpdateResponsibilityTransfer",
        _ => return None,
    })
}

/// The permissions `call` needs before its handler runs: the action on each resource the
/// operation names (the policy first, then its targets, as the reference lists them; `*` when
/// it names none or names nothing that exists, in which case the handler answers the
/// not-found error), with the operation's condition keys: `organizations:PolicyType`,
/// `organizations:ServicePrincipal`, `aws:RequestTag/…` and `aws:TagKeys`. Unknown operations
/// need none (dispatch refuses them).
pub fn requests(services: &Services, call: &Call<'_>) -> Result<Vec<ActionRequest>, ServiceError> {
    let Some(action) = action(call.operation) else {
        return Ok(Vec::new());
    };
    let tx = services.store().read()?;
    let resolved = operation_resources(&*tx, call.operation, call.input)?.unwrap_or_default();
    // Organizations resources belong to the management account. A member account's calls on
    // them (DescribeOrganization, LeaveOrganization, AcceptHandshake, its own effective policy,
    // a delegated administrator's reads) are decided by its identity policies alone: they are
    // not cross-account requests needing a resource policy (xacct does not evaluate the
    // organization's resource policy; handlers check who may call what).
    let owner = ORGANIZATION
        .get(&*tx, ORGANIZATION_KEY)?
        .map(|o| o.management_account_id)
        .filter(|mgmt| *mgmt == call.caller.account);
    let mut context: Vec<(String, ContextValue)> = Vec::new();
    if let Some(t) = &resolved.policy_type {
        context.push(("organizations:PolicyType".to_owned(), ContextValue::One(t.clone())));
    }
    if let Some(p) = input_str(call.input, "ServicePrincipal") {
        context
            .push(("organizations:ServicePrincipal".to_owned(), ContextValue::One(p.to_owned())));
    }
    let mut tag_keys: Vec<String> = Vec::new();
    if let Some(Value::Array(tags)) = call.input.get("Tags") {
        for tag in tags {
            if let (Some(k), Some(v)) =
                (tag.get("Key").and_then(Value::as_str), tag.get("Value").and_then(Value::as_str))
            {
                context.push((format!("aws:RequestTag/{k}"), ContextValue::One(v.to_owned())));
                tag_keys.push(k.to_owned());
            }
        }
    }
    if let Some(Value::Array(keys)) = call.input.get("TagKeys") {
        tag_keys.extend(keys.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if !tag_keys.is_empty() {
        context.push(("aws:TagKeys".to_owned(), ContextValue::Many(tag_keys)));
    }
    let with_context = |mut req: ActionRequest| {
        req.context.clone_from(&context);
        req
    };
    if resolved.resources.is_empty() {
        return Ok(vec![with_context(ActionRequest::new(action, "*", None))]);
    }
    Ok(resolved
        .resources
        .into_iter()
        .map(|arn| with_context(ActionRequest::new(action, arn, owner.as_deref())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_operation_has_its_action() {
        assert_eq!(action("CreateAccount"), Some("organizations:CreateAccount"));
        assert_eq!(action("ListAccounts"), Some("organizations:ListAccounts"));
        assert_eq!(action("DescribeOrganization"), Some("organizations:DescribeOrganization"));
        assert_eq!(action("AttachPolicy"), Some("organizations:AttachPolicy"));
        assert_eq!(action("NoSuchThing"), None);
        for op in [
            "AcceptHandshake",
            "AttachPolicy",
            "CancelHandshake",
            "CloseAccount",
            "CreateAccount",
            "CreateGovCloudAccount",
            "CreateOrganization",
            "CreateOrganizationalUnit",
            "CreatePolicy",
            "DeclineHandshake",
            "DeleteOrganization",
            "DeleteOrganizationalUnit",
            "DeletePolicy",
            "DeleteResourcePolicy",
            "DeregisterDelegatedAdministrator",
            "DescribeAccount",
            "DescribeCreateAccountStatus",
            "DescribeEffectivePolicy",
            "DescribeHandshake",
            "DescribeOrganization",
            "DescribeOrganizationalUnit",
            "DescribePolicy",
            "DescribeResourcePolicy",
            "DescribeResponsibilityTransfer",
            "DetachPolicy",
            "DisableAWSServiceAccess",
            "DisablePolicyType",
            "EnableAWSServiceAccess",
            "EnableAllFeatures",
            "EnablePolicyType",
            "InviteAccountToOrganization",
            "InviteOrganizationToTransferResponsibility",
            "LeaveOrganization",
            "ListAWSServiceAccessForOrganization",
            "ListAccounts",
            "ListAccountsForParent",
            "ListAccountsWithInvalidEffectivePolicy",
            "ListChildren",
            "ListCreateAccountStatus",
            "ListDelegatedAdministrators",
            "ListDelegatedServicesForAccount",
            "ListEffectivePolicyValidationErrors",
            "ListHandshakesForAccount",
            "ListHandshakesForOrganization",
            "ListInboundResponsibilityTransfers",
            "ListOrganizationalUnitsForParent",
            "ListOutboundResponsibilityTransfers",
            "ListParents",
            "ListPolicies",
            "ListPoliciesForTarget",
            "ListRoots",
            "ListTagsForResource",
            "ListTargetsForPolicy",
            "MoveAccount",
            "PutResourcePolicy",
            "RegisterDelegatedAdministrator",
            "RemoveAccountFromOrganization",
            "TagResource",
            "TerminateResponsibilityTransfer",
            "UntagResource",
            "UpdateOrganizationalUnit",
            "UpdatePolicy",
            "UpdateResponsibilityTransfer",
        ] {
            assert_eq!(action(op).map(|a| a.trim_start_matches("organizations:")), Some(op));
        }
    }
}
