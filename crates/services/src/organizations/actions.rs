//! Organizations operation → the permission it needs: action `organizations:<Operation>` (every
//! Organizations operation is its own IAM action, as the Service Authorization Reference lists
//! them) and the resource ARN where the operation names one xacct can resolve: an account
//! (`arn:aws:organizations::MGMT:account/o-ID/ACCOUNT`) for `DescribeAccount`, `CloseAccount`,
//! `RemoveAccountFromOrganization`, `MoveAccount` and tag operations on an account id; `*`
//! otherwise (organization-wide operations, and resources — OUs, policies, handshakes — that
//! xacct does not store yet).
//!
//! Principals of the management account need these permissions like any other principal; the
//! root user passes (it is all-powerful in its own account).

use serde_json::Value;

use super::model::{ORGANIZATION, ORGANIZATION_KEY};
use crate::authz::ActionRequest;
use crate::{ids, input_str, Call, ServiceError, Services};

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

/// The account id an operation acts on, if it names one.
fn target_account<'v>(operation: &str, input: &'v Value) -> Option<&'v str> {
    let member = match operation {
        "DescribeAccount" | "CloseAccount" | "RemoveAccountFromOrganization" | "MoveAccount" => {
            "AccountId"
        }
        "ListTagsForResource" | "TagResource" | "UntagResource" => "ResourceId",
        _ => return None,
    };
    input_str(input, member).filter(|id| ids::is_account_id(id))
}

/// The permissions `call` needs before its handler runs. Unknown operations need none (dispatch
/// refuses them).
pub fn requests(services: &Services, call: &Call<'_>) -> Result<Vec<ActionRequest>, ServiceError> {
    let Some(action) = action(call.operation) else {
        return Ok(Vec::new());
    };
    let mut resource = "*".to_owned();
    let mut resource_account = None;
    if let Some(account) = target_account(call.operation, call.input) {
        let tx = services.store().read()?;
        if let Some(org) = ORGANIZATION.get(&*tx, ORGANIZATION_KEY)? {
            resource = org.account_arn(account);
            resource_account = Some(org.management_account_id.clone());
        }
    }
    Ok(vec![ActionRequest::new(action, resource, resource_account.as_deref())])
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

    #[test]
    fn account_targets() {
        let input = serde_json::json!({"AccountId": "111111111111"});
        assert_eq!(target_account("DescribeAccount", &input), Some("111111111111"));
        assert_eq!(target_account("ListAccounts", &input), None);
        let bad = serde_json::json!({"AccountId": "abc"});
        assert_eq!(target_account("DescribeAccount", &bad), None);
    }
}
