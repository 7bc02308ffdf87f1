//! Operation → the permission it needs: the IAM action, the resource ARN and the
//! operation's condition keys, after AWS's Service Authorization Reference for IAM
//! ("Actions, resources, and condition keys for AWS Identity and Access Management").
//!
//! Resource ARNs: AWS's resource for a user, group, role, instance profile or managed policy is
//! `arn:aws:iam::ACCOUNT:TYPE/PATH/NAME`. The path is known here only when the request carries
//! it (`Create*` with `Path`, the caller's own user ARN, a policy ARN); otherwise the name-only
//! form `arn:aws:iam::ACCOUNT:user/NAME` is used, so a policy statement that names a path
//! (`user/division_abc/*`) does not match an operation on an existing user by name alone.
//! `authz` may substitute the stored ARN (via `iam::lookup`) before evaluating.
//!
//! Condition keys added here: `aws:RequestTag/KEY` and `aws:TagKeys` (create and tag
//! operations), `iam:PermissionsBoundary` (create and put-boundary operations),
//! `iam:PolicyARN` (attach/detach), `iam:AWSServiceName` (service-linked roles).
//! `aws:ResourceTag/…` needs the stored entity and is `authz`'s to add.

use serde_json::Value;

use crate::authz::{ActionRequest, ContextValue};
use crate::{Call, PrincipalKind, ServiceError};

/// The resource an operation acts on, and where its name comes from.
#[derive(Debug, Clone, Copy)]
enum Res {
    /// No resource type: `*`.
    Star,
    /// `TYPE/PATH?NAME` from the name member (and `Path` when the operation has one).
    Named(&'static str, &'static str),
    /// A user named by `UserName`, or the caller itself when absent.
    UserOrCaller,
    /// An ARN given directly in a member (`PolicyArn`, `SerialNumber`, `PolicySourceArn`).
    ArnMember(&'static str),
    /// A service-linked role for `AWSServiceName`.
    ServiceLinkedRole,
    /// The role named in a deletion task id.
    DeletionTask,
    /// The OIDC provider a `Url` names.
    OidcUrl,
}

/// Extra condition keys an operation supplies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    None,
    /// `Tags` → `aws:RequestTag/…`, `aws:TagKeys`.
    Tags,
    /// `Tags` and `PermissionsBoundary`.
    TagsBoundary,
    /// `TagKeys` → `aws:TagKeys` (untag operations).
    Untag,
    /// `PermissionsBoundary` → `iam:PermissionsBoundary`.
    Boundary,
    /// `PolicyArn` → `iam:PolicyARN`.
    PolicyArn,
    /// `AWSServiceName` → `iam:AWSServiceName`.
    ServiceName,
}

/// The table: operation → (action, resource, condition keys).
fn entry(operation: &str) -> Option<(&'static str, Res, Keys)> {
    use Keys as K;
    use Res::{ArnMember, Named, Star, UserOrCaller};
    let user = Named("user", "UserName");
    let group = Named("group", "GroupName");
    let role = Named("role", "RoleName");
    let profile = Named("instance-profile", "InstanceProfileName");
    let policy = ArnMember("PolicyArn");
    let mfa = ArnMember("SerialNumber");
    let oidc = ArnMember("OpenIDConnectProviderArn");
    let saml = ArnMember("SAMLProviderArn");
    let server_cert = Named("server-certificate", "ServerCertificateName");
    Some(match operation {
        "CreateUser" => ("iam:CreateUser", user, K::TagsBoundary),
        "GetUser" => ("iam:GetUser", UserOrCaller, K::None),
        "ListUsers" => ("iam:ListUsers", Star, K::None),
        "UpdateUser" => ("iam:UpdateUser", user, K::None),
        "DeleteUser" => ("iam:DeleteUser", user, K::None),
        "TagUser" => ("iam:TagUser", user, K::Tags),
        "UntagUser" => ("iam:UntagUser", user, K::Untag),
        "ListUserTags" => ("iam:ListUserTags", user, K::None),
        "PutUserPermissionsBoundary" => ("iam:PutUserPermissionsBoundary", user, K::Boundary),
        "DeleteUserPermissionsBoundary" => ("iam:DeleteUserPermissionsBoundary", user, K::None),
        "CreateLoginProfile" => ("iam:CreateLoginProfile", UserOrCaller, K::None),
        "GetLoginProfile" => ("iam:GetLoginProfile", user, K::None),
        "UpdateLoginProfile" => ("iam:UpdateLoginProfile", user, K::None),
        "DeleteLoginProfile" => ("iam:DeleteLoginProfile", user, K::None),
        "CreateGroup" => ("iam:CreateGroup", group, K::None),
        "GetGroup" => ("iam:GetGroup", group, K::None),
        "ListGroups" => ("iam:ListGroups", Star, K::None),
        "UpdateGroup" => ("iam:UpdateGroup", group, K::None),
        "DeleteGroup" => ("iam:DeleteGroup", group, K::None),
        "AddUserToGroup" => ("iam:AddUserToGroup", group, K::None),
        "RemoveUserFromGroup" => ("iam:RemoveUserFromGroup", group, K::None),
        "ListGroupsForUser" => ("iam:ListGroupsForUser", user, K::None),
        "CreateRole" => ("iam:CreateRole", role, K::TagsBoundary),
        "GetRole" => ("iam:GetRole", role, K::None),
        "ListRoles" => ("iam:ListRoles", Star, K::None),
        "UpdateRole" => ("iam:UpdateRole", role, K::None),
        "UpdateRoleDescription" => ("iam:UpdateRoleDescription", role, K::None),
        "UpdateAssumeRolePolicy" => ("iam:UpdateAssumeRolePolicy", role, K::None),
        "DeleteRole" => ("iam:DeleteRole", role, K::None),
        "TagRole" => ("iam:TagRole", role, K::Tags),
        "UntagRole" => ("iam:UntagRole", role, K::Untag),
        "ListRoleTags" => ("iam:ListRoleTags", role, K::None),
        "PutRolePermissionsBoundary" => ("iam:PutRolePermissionsBoundary", role, K::Boundary),
        "DeleteRolePermissionsBoundary" => ("iam:DeleteRolePermissionsBoundary", role, K::None),
        "CreateServiceLinkedRole" => {
            ("iam:CreateServiceLinkedRole", Res::ServiceLinkedRole, K::ServiceName)
        }
        "DeleteServiceLinkedRole" => ("iam:DeleteServiceLinkedRole", role, K::None),
        "GetServiceLinkedRoleDeletionStatus" => {
            ("iam:GetServiceLinkedRoleDeletionStatus", Res::DeletionTask, K::None)
        }
        "PutUserPolicy" => ("iam:PutUserPolicy", user, K::None),
        "PutGroupPolicy" => ("iam:PutGroupPolicy", group, K::None),
        "PutRolePolicy" => ("iam:PutRolePolicy", role, K::None),
        "GetUserPolicy" => ("iam:GetUserPolicy", user, K::None),
        "GetGroupPolicy" => ("iam:GetGroupPolicy", group, K::None),
        "GetRolePolicy" => ("iam:GetRolePolicy", role, K::None),
        "DeleteUserPolicy" => ("iam:DeleteUserPolicy", user, K::None),
        "DeleteGroupPolicy" => ("iam:DeleteGroupPolicy", group, K::None),
        "DeleteRolePolicy" => ("iam:DeleteRolePolicy", role, K::None),
        "ListUserPolicies" => ("iam:ListUserPolicies", user, K::None),
        "ListGroupPolicies" => ("iam:ListGroupPolicies", group, K::None),
        "ListRolePolicies" => ("iam:ListRolePolicies", role, K::None),
        "CreatePolicy" => ("iam:CreatePolicy", Named("policy", "PolicyName"), K::Tags),
        "GetPolicy" => ("iam:GetPolicy", policy, K::None),
        "DeletePolicy" => ("iam:DeletePolicy", policy, K::None),
        "ListPolicies" => ("iam:ListPolicies", Star, K::None),
        "CreatePolicyVersion" => ("iam:CreatePolicyVersion", policy, K::None),
        "GetPolicyVersion" => ("iam:GetPolicyVersion", policy, K::None),
        "ListPolicyVersions" => ("iam:ListPolicyVersions", policy, K::None),
        "DeletePolicyVersion" => ("iam:DeletePolicyVersion", policy, K::None),
        "SetDefaultPolicyVersion" => ("iam:SetDefaultPolicyVersion", policy, K::None),
        "AttachUserPolicy" => ("iam:AttachUserPolicy", user, K::PolicyArn),
        "AttachGroupPolicy" => ("iam:AttachGroupPolicy", group, K::PolicyArn),
        "AttachRolePolicy" => ("iam:AttachRolePolicy", role, K::PolicyArn),
        "DetachUserPolicy" => ("iam:DetachUserPolicy", user, K::PolicyArn),
        "DetachGroupPolicy" => ("iam:DetachGroupPolicy", group, K::PolicyArn),
        "DetachRolePolicy" => ("iam:DetachRolePolicy", role, K::PolicyArn),
        "ListAttachedUserPolicies" => ("iam:ListAttachedUserPolicies", user, K::None),
        "ListAttachedGroupPolicies" => ("iam:ListAttachedGroupPolicies", group, K::None),
        "ListAttachedRolePolicies" => ("iam:ListAttachedRolePolicies", role, K::None),
        "ListEntitiesForPolicy" => ("iam:ListEntitiesForPolicy", policy, K::None),
        "TagPolicy" => ("iam:TagPolicy", policy, K::Tags),
        "UntagPolicy" => ("iam:UntagPolicy", policy, K::Untag),
        "ListPolicyTags" => ("iam:ListPolicyTags", policy, K::None),
        "CreateAccessKey" => ("iam:CreateAccessKey", UserOrCaller, K::None),
        "UpdateAccessKey" => ("iam:UpdateAccessKey", UserOrCaller, K::None),
        "DeleteAccessKey" => ("iam:DeleteAccessKey", UserOrCaller, K::None),
        "ListAccessKeys" => ("iam:ListAccessKeys", UserOrCaller, K::None),
        // The key's owner is not in the request; AWS's resource type is the user.
        "GetAccessKeyLastUsed" => ("iam:GetAccessKeyLastUsed", UserOrCaller, K::None),
        "CreateInstanceProfile" => ("iam:CreateInstanceProfile", profile, K::Tags),
        "GetInstanceProfile" => ("iam:GetInstanceProfile", profile, K::None),
        "DeleteInstanceProfile" => ("iam:DeleteInstanceProfile", profile, K::None),
        "ListInstanceProfiles" => ("iam:ListInstanceProfiles", Star, K::None),
        "AddRoleToInstanceProfile" => ("iam:AddRoleToInstanceProfile", profile, K::None),
        "RemoveRoleFromInstanceProfile" => ("iam:RemoveRoleFromInstanceProfile", profile, K::None),
        "ListInstanceProfilesForRole" => ("iam:ListInstanceProfilesForRole", role, K::None),
        "TagInstanceProfile" => ("iam:TagInstanceProfile", profile, K::Tags),
        "UntagInstanceProfile" => ("iam:UntagInstanceProfile", profile, K::Untag),
        "ListInstanceProfileTags" => ("iam:ListInstanceProfileTags", profile, K::None),
        "CreateVirtualMFADevice" => {
            ("iam:CreateVirtualMFADevice", Named("mfa", "VirtualMFADeviceName"), K::Tags)
        }
        "EnableMFADevice" => ("iam:EnableMFADevice", user, K::None),
        "ResyncMFADevice" => ("iam:ResyncMFADevice", user, K::None),
        "DeactivateMFADevice" => ("iam:DeactivateMFADevice", UserOrCaller, K::None),
        "DeleteVirtualMFADevice" => ("iam:DeleteVirtualMFADevice", mfa, K::None),
        "ListMFADevices" => ("iam:ListMFADevices", UserOrCaller, K::None),
        "ListVirtualMFADevices" => ("iam:ListVirtualMFADevices", Star, K::None),
        "TagMFADevice" => ("iam:TagMFADevice", mfa, K::Tags),
        "UntagMFADevice" => ("iam:UntagMFADevice", mfa, K::Untag),
        "ListMFADeviceTags" => ("iam:ListMFADeviceTags", mfa, K::None),
        "GetAccountAuthorizationDetails" => ("iam:GetAccountAuthorizationDetails", Star, K::None),
        "GetAccountSummary" => ("iam:GetAccountSummary", Star, K::None),
        "CreateAccountAlias" => ("iam:CreateAccountAlias", Star, K::None),
        "DeleteAccountAlias" => ("iam:DeleteAccountAlias", Star, K::None),
        "ListAccountAliases" => ("iam:ListAccountAliases", Star, K::None),
        "SimulatePrincipalPolicy" => {
            ("iam:SimulatePrincipalPolicy", ArnMember("PolicySourceArn"), K::None)
        }
        "SimulateCustomPolicy" => ("iam:SimulateCustomPolicy", Star, K::None),
        "CreateOpenIDConnectProvider" => ("iam:CreateOpenIDConnectProvider", Res::OidcUrl, K::Tags),
        "GetOpenIDConnectProvider" => ("iam:GetOpenIDConnectProvider", oidc, K::None),
        "ListOpenIDConnectProviders" => ("iam:ListOpenIDConnectProviders", Star, K::None),
        "DeleteOpenIDConnectProvider" => ("iam:DeleteOpenIDConnectProvider", oidc, K::None),
        "AddClientIDToOpenIDConnectProvider" => {
            ("iam:AddClientIDToOpenIDConnectProvider", oidc, K::None)
        }
        "RemoveClientIDFromOpenIDConnectProvider" => {
            ("iam:RemoveClientIDFromOpenIDConnectProvider", oidc, K::None)
        }
        "UpdateOpenIDConnectProviderThumbprint" => {
            ("iam:UpdateOpenIDConnectProviderThumbprint", oidc, K::None)
        }
        "TagOpenIDConnectProvider" => ("iam:TagOpenIDConnectProvider", oidc, K::Tags),
        "UntagOpenIDConnectProvider" => ("iam:UntagOpenIDConnectProvider", oidc, K::Untag),
        "ListOpenIDConnectProviderTags" => ("iam:ListOpenIDConnectProviderTags", oidc, K::None),
        "CreateSAMLProvider" => ("iam:CreateSAMLProvider", Named("saml-provider", "Name"), K::Tags),
        "GetSAMLProvider" => ("iam:GetSAMLProvider", saml, K::None),
        "ListSAMLProviders" => ("iam:ListSAMLProviders", Star, K::None),
        "UpdateSAMLProvider" => ("iam:UpdateSAMLProvider", saml, K::None),
        "DeleteSAMLProvider" => ("iam:DeleteSAMLProvider", saml, K::None),
        "TagSAMLProvider" => ("iam:TagSAMLProvider", saml, K::Tags),
        "UntagSAMLProvider" => ("iam:UntagSAMLProvider", saml, K::Untag),
        "ListSAMLProviderTags" => ("iam:ListSAMLProviderTags", saml, K::None),
        "UploadSSHPublicKey" => ("iam:UploadSSHPublicKey", user, K::None),
        "GetSSHPublicKey" => ("iam:GetSSHPublicKey", user, K::None),
        "ListSSHPublicKeys" => ("iam:ListSSHPublicKeys", UserOrCaller, K::None),
        "UpdateSSHPublicKey" => ("iam:UpdateSSHPublicKey", user, K::None),
        "DeleteSSHPublicKey" => ("iam:DeleteSSHPublicKey", user, K::None),
        "UploadServerCertificate" => ("iam:UploadServerCertificate", server_cert, K::Tags),
        "GetServerCertificate" => ("iam:GetServerCertificate", server_cert, K::None),
        "ListServerCertificates" => ("iam:ListServerCertificates", Star, K::None),
        "UpdateServerCertificate" => ("iam:UpdateServerCertificate", server_cert, K::None),
        "DeleteServerCertificate" => ("iam:DeleteServerCertificate", server_cert, K::None),
        "TagServerCertificate" => ("iam:TagServerCertificate", server_cert, K::Tags),
        "UntagServerCertificate" => ("iam:UntagServerCertificate", server_cert, K::Untag),
        "ListServerCertificateTags" => ("iam:ListServerCertificateTags", server_cert, K::None),
        "UploadSigningCertificate" => ("iam:UploadSigningCertificate", UserOrCaller, K::None),
        "ListSigningCertificates" => ("iam:ListSigningCertificates", UserOrCaller, K::None),
        "UpdateSigningCertificate" => ("iam:UpdateSigningCertificate", UserOrCaller, K::None),
        "DeleteSigningCertificate" => ("iam:DeleteSigningCertificate", UserOrCaller, K::None),
        "UpdateAccountPasswordPolicy" => ("iam:UpdateAccountPasswordPolicy", Star, K::None),
        "GetAccountPasswordPolicy" => ("iam:GetAccountPasswordPolicy", Star, K::None),
        "DeleteAccountPasswordPolicy" => ("iam:DeleteAccountPasswordPolicy", Star, K::None),
        "GenerateCredentialReport" => ("iam:GenerateCredentialReport", Star, K::None),
        "GetCredentialReport" => ("iam:GetCredentialReport", Star, K::None),
        _ => return None,
    })
}

fn input_str<'v>(input: &'v Value, member: &str) -> Option<&'v str> {
    input.get(member).and_then(Value::as_str)
}

/// The account named in an ARN (`arn:aws:SERVICE::ACCOUNT:…`).
fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// The permission(s) `call` needs: one [`ActionRequest`] per IAM operation. An operation IAM
/// does not have yields the protocol's unknown-operation error, as dispatch would.
pub fn requests(call: &Call<'_>) -> Result<Vec<ActionRequest>, ServiceError> {
    let Some((action, res, keys)) = entry(call.operation) else {
        return Err(crate::unknown_operation(call));
    };
    let account = call.caller.account.as_str();
    let input = call.input;
    let (resource, owner) = match res {
        Res::Star => ("*".to_owned(), None),
        Res::Named(kind, member) => {
            let name = input_str(input, member).unwrap_or("*");
            // Only Create* operations carry the new entity's path.
            let path = if call.operation.starts_with("Create") {
                input_str(input, "Path").unwrap_or("/")
            } else {
                "/"
            };
            (format!("arn:aws:iam::{account}:{kind}{path}{name}"), Some(account.to_owned()))
        }
        Res::UserOrCaller => match input_str(input, "UserName") {
            Some(name) => (format!("arn:aws:iam::{account}:user/{name}"), Some(account.to_owned())),
            None => match call.caller.kind {
                PrincipalKind::IamUser | PrincipalKind::Root => {
                    (call.caller.arn.clone(), Some(account.to_owned()))
                }
                _ => (format!("arn:aws:iam::{account}:user/*"), Some(account.to_owned())),
            },
        },
        Res::ArnMember(member) => {
            let arn = input_str(input, member).unwrap_or("*").to_owned();
            // AWS managed policies live in the `aws` namespace, readable by every account
            // without a resource policy: no owning account to cross into.
            let owner = arn_account(&arn).filter(|a| *a != "aws").map(str::to_owned);
            (arn, owner)
        }
        Res::ServiceLinkedRole => {
            let service = input_str(input, "AWSServiceName").unwrap_or("*");
            (
                format!("arn:aws:iam::{account}:role/aws-service-role/{service}/*"),
                Some(account.to_owned()),
            )
        }
        Res::OidcUrl => {
            let url = input_str(input, "Url").unwrap_or("*");
            let host = url.split_once("://").map_or(url, |(_, rest)| rest);
            let host = host.split(['?', '#']).next().unwrap_or_default().trim_end_matches('/');
            (format!("arn:aws:iam::{account}:oidc-provider/{host}"), Some(account.to_owned()))
        }
        Res::DeletionTask => {
            // `task/aws-service-role/SERVICE/ROLE/UUID` names the role it deletes.
            let id = input_str(input, "DeletionTaskId").unwrap_or_default();
            let role_part =
                id.strip_prefix("task/").and_then(|r| r.rsplit_once('/')).map(|(r, _)| r);
            let resource = match role_part {
                Some(r) => format!("arn:aws:iam::{account}:role/{r}"),
                None => format!("arn:aws:iam::{account}:role/*"),
            };
            (resource, Some(account.to_owned()))
        }
    };
    let mut req = ActionRequest::new(action, resource, owner.as_deref());
    if matches!(keys, Keys::Tags | Keys::TagsBoundary) {
        if let Some(tags) = input.get("Tags").and_then(Value::as_array) {
            let mut tag_keys = Vec::new();
            for t in tags {
                let k = t.get("Key").and_then(Value::as_str).unwrap_or_default();
                let v = t.get("Value").and_then(Value::as_str).unwrap_or_default();
                req.context.push((format!("aws:RequestTag/{k}"), ContextValue::One(v.to_owned())));
                tag_keys.push(k.to_owned());
            }
            req.context.push(("aws:TagKeys".to_owned(), ContextValue::Many(tag_keys)));
        }
    }
    if keys == Keys::Untag {
        let tag_keys: Vec<String> = input
            .get("TagKeys")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        req.context.push(("aws:TagKeys".to_owned(), ContextValue::Many(tag_keys)));
    }
    if matches!(keys, Keys::TagsBoundary | Keys::Boundary) {
        if let Some(b) = input_str(input, "PermissionsBoundary") {
            req.context
                .push(("iam:PermissionsBoundary".to_owned(), ContextValue::One(b.to_owned())));
        }
    }
    if keys == Keys::PolicyArn {
        if let Some(p) = input_str(input, "PolicyArn") {
            req.context.push(("iam:PolicyARN".to_owned(), ContextValue::One(p.to_owned())));
        }
    }
    if keys == Keys::ServiceName {
        if let Some(s) = input_str(input, "AWSServiceName") {
            req.context.push(("iam:AWSServiceName".to_owned(), ContextValue::One(s.to_owned())));
        }
    }
    Ok(vec![req])
}

/// Every operation [`requests`] knows (the IAM operations xacct implements).
pub fn operations() -> impl Iterator<Item = &'static str> {
    OPERATIONS.iter().copied()
}

/// The operations of the table, for tests and docs.
const OPERATIONS: &[&str] = &[
    "CreateUser",
    "GetUser",
    "ListUsers",
    "UpdateUser",
    "DeleteUser",
    "TagUser",
    "UntagUser",
    "ListUserTags",
    "PutUserPermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "CreateLoginProfile",
    "GetLoginProfile",
    "UpdateLoginProfile",
    "DeleteLoginProfile",
    "CreateGroup",
    "GetGroup",
    "ListGroups",
    "UpdateGroup",
    "DeleteGroup",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "ListGroupsForUser",
    "CreateRole",
    "GetRole",
    "ListRoles",
    "UpdateRole",
    "UpdateRoleDescription",
    "UpdateAssumeRolePolicy",
    "DeleteRole",
    "TagRole",
    "UntagRole",
    "ListRoleTags",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "CreateServiceLinkedRole",
    "DeleteServiceLinkedRole",
    "GetServiceLinkedRoleDeletionStatus",
    "PutUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "GetUserPolicy",
    "GetGroupPolicy",
    "GetRolePolicy",
    "DeleteUserPolicy",
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "ListUserPolicies",
    "ListGroupPolicies",
    "ListRolePolicies",
    "CreatePolicy",
    "GetPolicy",
    "DeletePolicy",
    "ListPolicies",
    "CreatePolicyVersion",
    "GetPolicyVersion",
    "ListPolicyVersions",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "AttachUserPolicy",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "DetachUserPolicy",
    "DetachGroupPolicy",
    "DetachRolePolicy",
    "ListAttachedUserPolicies",
    "ListAttachedGroupPolicies",
    "ListAttachedRolePolicies",
    "ListEntitiesForPolicy",
    "TagPolicy",
    "UntagPolicy",
    "ListPolicyTags",
    "CreateAccessKey",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "ListAccessKeys",
    "GetAccessKeyLastUsed",
    "CreateInstanceProfile",
    "GetInstanceProfile",
    "DeleteInstanceProfile",
    "ListInstanceProfiles",
    "AddRoleToInstanceProfile",
    "RemoveRoleFromInstanceProfile",
    "ListInstanceProfilesForRole",
    "TagInstanceProfile",
    "UntagInstanceProfile",
    "ListInstanceProfileTags",
    "CreateVirtualMFADevice",
    "EnableMFADevice",
    "ResyncMFADevice",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "ListMFADevices",
    "ListVirtualMFADevices",
    "TagMFADevice",
    "UntagMFADevice",
    "ListMFADeviceTags",
    "GetAccountAuthorizationDetails",
    "GetAccountSummary",
    "CreateAccountAlias",
    "DeleteAccountAlias",
    "ListAccountAliases",
    "SimulatePrincipalPolicy",
    "SimulateCustomPolicy",
];

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Caller;

    fn one(operation: &str, input: Value, caller: &Caller) -> ActionRequest {
        let call = Call {
            service: "iam",
            operation,
            region: "us-east-1",
            caller,
            input: &input,
            request_id: "r",
            source_ip: "",
            user_agent: "",
            streams: None,
        };
        let mut reqs = requests(&call).unwrap();
        assert_eq!(reqs.len(), 1);
        reqs.remove(0)
    }

    fn ctx(req: &ActionRequest, key: &str) -> Option<ContextValue> {
        req.context.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// Examples after the Service Authorization Reference's IAM table: action, resource type
    /// ARN form and the condition keys it lists for the operation.
    #[test]
    fn service_authorization_reference_examples() {
        let root = Caller::root("111111111111", "AKIAROOT");
        // CreateRole: role* ; aws:RequestTag/${TagKey}, aws:TagKeys, iam:PermissionsBoundary.
        let r = one(
            "CreateRole",
            json!({"RoleName": "UpdateApp", "Path": "/app/", "AssumeRolePolicyDocument": "{}",
                   "PermissionsBoundary": "arn:aws:iam::111111111111:policy/Boundary",
                   "Tags": [{"Key": "team", "Value": "prod"}]}),
            &root,
        );
        assert_eq!(r.action, "iam:CreateRole");
        assert_eq!(r.resource, "arn:aws:iam::111111111111:role/app/UpdateApp");
        assert_eq!(r.resource_account.as_deref(), Some("111111111111"));
        assert_eq!(ctx(&r, "aws:RequestTag/team"), Some(ContextValue::One("prod".into())));
        assert_eq!(ctx(&r, "aws:TagKeys"), Some(ContextValue::Many(vec!["team".into()])));
        assert_eq!(
            ctx(&r, "iam:PermissionsBoundary"),
            Some(ContextValue::One("arn:aws:iam::111111111111:policy/Boundary".into()))
        );
        // AttachRolePolicy: role* ; iam:PolicyARN.
        let r = one(
            "AttachRolePolicy",
            json!({"RoleName": "UpdateApp", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            &root,
        );
        assert_eq!(r.action, "iam:AttachRolePolicy");
        assert_eq!(r.resource, "arn:aws:iam::111111111111:role/UpdateApp");
        assert_eq!(
            ctx(&r, "iam:PolicyARN"),
            Some(ContextValue::One("arn:aws:iam::aws:policy/ReadOnlyAccess".into()))
        );
        // GetPolicy: policy* — the policy ARN itself, owned by the account in it.
        let r = one(
            "GetPolicy",
            json!({"PolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}),
            &root,
        );
        assert_eq!(r.resource, "arn:aws:iam::aws:policy/PowerUserAccess");
        assert_eq!(r.resource_account, None);
        // ListRoles / ListUsers / GetAccountSummary: no resource type.
        for op in [
            "ListRoles",
            "ListUsers",
            "ListPolicies",
            "GetAccountSummary",
            "GetAccountAuthorizationDetails",
        ] {
            let r = one(op, json!({}), &root);
            assert_eq!(r.resource, "*", "{op}");
            assert_eq!(r.resource_account, None);
        }
        // PutGroupPolicy: group*.
        let r = one(
            "PutGroupPolicy",
            json!({"GroupName": "Developers", "PolicyName": "p", "PolicyDocument": "{}"}),
            &root,
        );
        assert_eq!(
            (r.action, r.resource.as_str()),
            ("iam:PutGroupPolicy", "arn:aws:iam::111111111111:group/Developers")
        );
        // CreateServiceLinkedRole: role* ; iam:AWSServiceName.
        let r =
            one("CreateServiceLinkedRole", json!({"AWSServiceName": "ecs.amazonaws.com"}), &root);
        assert_eq!(
            r.resource,
            "arn:aws:iam::111111111111:role/aws-service-role/ecs.amazonaws.com/*"
        );
        assert_eq!(
            ctx(&r, "iam:AWSServiceName"),
            Some(ContextValue::One("ecs.amazonaws.com".into()))
        );
        // UntagUser: user* ; aws:TagKeys.
        let r = one("UntagUser", json!({"UserName": "jane", "TagKeys": ["a", "b"]}), &root);
        assert_eq!(ctx(&r, "aws:TagKeys"), Some(ContextValue::Many(vec!["a".into(), "b".into()])));
    }

    #[test]
    fn access_keys_without_user_name_act_on_the_caller() {
        let david = Caller {
            kind: PrincipalKind::IamUser,
            account: "111111111111".into(),
            arn: "arn:aws:iam::111111111111:user/dev/david".into(),
            user_id: "AIDAEXAMPLE".into(),
            access_key_id: "AKIADAVID".into(),
            name: "david".into(),
            session: None,
        };
        let r = one("CreateAccessKey", json!({}), &david);
        assert_eq!(r.resource, "arn:aws:iam::111111111111:user/dev/david");
        let r = one("CreateAccessKey", json!({"UserName": "jane"}), &david);
        assert_eq!(r.resource, "arn:aws:iam::111111111111:user/jane");
    }

    #[test]
    fn every_dispatched_operation_has_an_entry() {
        for op in operations() {
            assert!(entry(op).is_some(), "{op}");
            let (action, _, _) = entry(op).unwrap();
            assert_eq!(action, format!("iam:{op}"), "the action is named as the operation");
        }
        let root = Caller::root("111111111111", "AKIAROOT");
        let input = json!({});
        let call = Call {
            service: "iam",
            operation: "NoSuchOperation",
            region: "us-east-1",
            caller: &root,
            input: &input,
            request_id: "r",
            source_ip: "",
            user_agent: "",
            streams: None,
        };
        assert!(requests(&call).is_err());
    }
}
