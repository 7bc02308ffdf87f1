//! AWS IAM (query protocol), per account: users, groups, roles, inline and managed policies
//! (customer managed with versions, AWS managed read-only), attachments, permissions
//! boundaries, access keys, instance profiles, service-linked roles, virtual MFA devices,
//! account views and the policy simulator. One function per operation, named as AWS names it,
//! implemented in `ops/`; [`lookup`] is the read seam for `authz`/`sts`; [`actions`] maps each
//! operation to the permission it needs.
//!
//! Authorization is not done here: `authz` checks [`actions::requests`] before dispatching.

pub mod actions;
pub mod aws_managed;
mod common;
pub mod error;
pub mod lookup;
pub mod managed;
pub mod model;
pub mod ops;
#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::{unknown_operation, Call, ServiceError, Services};
use ops::policies::HolderKind;
use ops::{
    access_keys, account, credentials, groups, instance_profiles, mfa, policies, providers, roles,
    server_certificates, simulate, users,
};

pub use ops::mfa::verify_totp;

/// Epoch seconds of a timestamp in the AWS managed policy data (a number or ISO 8601 text).
pub(crate) fn aws_managed_time<T: DataTime + ?Sized>(t: &T) -> f64 {
    t.epoch()
}

/// Timestamps as the managed policy data may spell them.
pub(crate) trait DataTime {
    fn epoch(&self) -> f64;
}

impl DataTime for f64 {
    fn epoch(&self) -> f64 {
        *self
    }
}

impl DataTime for i64 {
    fn epoch(&self) -> f64 {
        // Epoch seconds of any date IAM shows fit f64 exactly.
        *self as f64
    }
}

impl DataTime for str {
    fn epoch(&self) -> f64 {
        time::OffsetDateTime::parse(self, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp() as f64)
            .unwrap_or(0.0)
    }
}

impl DataTime for &str {
    fn epoch(&self) -> f64 {
        (**self).epoch()
    }
}

impl DataTime for String {
    fn epoch(&self) -> f64 {
        self.as_str().epoch()
    }
}

/// Runs one IAM operation.
pub(crate) fn dispatch(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    use HolderKind::{Group, Role, User};
    let s = services;
    match call.operation {
        // Users
        "CreateUser" => users::create_user(s, call),
        "GetUser" => users::get_user(s, call),
        "ListUsers" => users::list_users(s, call),
        "UpdateUser" => users::update_user(s, call),
        "DeleteUser" => users::delete_user(s, call),
        "TagUser" => users::tag_user(s, call),
        "UntagUser" => users::untag_user(s, call),
        "ListUserTags" => users::list_user_tags(s, call),
        "PutUserPermissionsBoundary" => users::put_user_permissions_boundary(s, call),
        "DeleteUserPermissionsBoundary" => users::delete_user_permissions_boundary(s, call),
        "CreateLoginProfile" => users::create_login_profile(s, call),
        "GetLoginProfile" => users::get_login_profile(s, call),
        "UpdateLoginProfile" => users::update_login_profile(s, call),
        "DeleteLoginProfile" => users::delete_login_profile(s, call),
        // Groups
        "CreateGroup" => groups::create_group(s, call),
        "GetGroup" => groups::get_group(s, call),
        "ListGroups" => groups::list_groups(s, call),
        "UpdateGroup" => groups::update_group(s, call),
        "DeleteGroup" => groups::delete_group(s, call),
        "AddUserToGroup" => groups::add_user_to_group(s, call),
        "RemoveUserFromGroup" => groups::remove_user_from_group(s, call),
        "ListGroupsForUser" => groups::list_groups_for_user(s, call),
        // Roles
        "CreateRole" => roles::create_role(s, call),
        "GetRole" => roles::get_role(s, call),
        "ListRoles" => roles::list_roles(s, call),
        "UpdateRole" => roles::update_role(s, call),
        "UpdateRoleDescription" => roles::update_role_description(s, call),
        "UpdateAssumeRolePolicy" => roles::update_assume_role_policy(s, call),
        "DeleteRole" => roles::delete_role(s, call),
        "TagRole" => roles::tag_role(s, call),
        "UntagRole" => roles::untag_role(s, call),
        "ListRoleTags" => roles::list_role_tags(s, call),
        "PutRolePermissionsBoundary" => roles::put_role_permissions_boundary(s, call),
        "DeleteRolePermissionsBoundary" => roles::delete_role_permissions_boundary(s, call),
        "CreateServiceLinkedRole" => roles::create_service_linked_role(s, call),
        "DeleteServiceLinkedRole" => roles::delete_service_linked_role(s, call),
        "GetServiceLinkedRoleDeletionStatus" => {
            roles::get_service_linked_role_deletion_status(s, call)
        }
        // Inline policies
        "PutUserPolicy" => policies::put_inline_policy(s, call, User),
        "PutGroupPolicy" => policies::put_inline_policy(s, call, Group),
        "PutRolePolicy" => policies::put_inline_policy(s, call, Role),
        "GetUserPolicy" => policies::get_inline_policy(s, call, User),
        "GetGroupPolicy" => policies::get_inline_policy(s, call, Group),
        "GetRolePolicy" => policies::get_inline_policy(s, call, Role),
        "DeleteUserPolicy" => policies::delete_inline_policy(s, call, User),
        "DeleteGroupPolicy" => policies::delete_inline_policy(s, call, Group),
        "DeleteRolePolicy" => policies::delete_inline_policy(s, call, Role),
        "ListUserPolicies" => policies::list_inline_policies(s, call, User),
        "ListGroupPolicies" => policies::list_inline_policies(s, call, Group),
        "ListRolePolicies" => policies::list_inline_policies(s, call, Role),
        // Managed policies
        "CreatePolicy" => policies::create_policy(s, call),
        "GetPolicy" => policies::get_policy(s, call),
        "DeletePolicy" => policies::delete_policy(s, call),
        "ListPolicies" => policies::list_policies(s, call),
        "CreatePolicyVersion" => policies::create_policy_version(s, call),
        "GetPolicyVersion" => policies::get_policy_version(s, call),
        "ListPolicyVersions" => policies::list_policy_versions(s, call),
        "DeletePolicyVersion" => policies::delete_policy_version(s, call),
        "SetDefaultPolicyVersion" => policies::set_default_policy_version(s, call),
        "AttachUserPolicy" => policies::attach_policy(s, call, User),
        "AttachGroupPolicy" => policies::attach_policy(s, call, Group),
        "AttachRolePolicy" => policies::attach_policy(s, call, Role),
        "DetachUserPolicy" => policies::detach_policy(s, call, User),
        "DetachGroupPolicy" => policies::detach_policy(s, call, Group),
        "DetachRolePolicy" => policies::detach_policy(s, call, Role),
        "ListAttachedUserPolicies" => policies::list_attached_policies(s, call, User),
        "ListAttachedGroupPolicies" => policies::list_attached_policies(s, call, Group),
        "ListAttachedRolePolicies" => policies::list_attached_policies(s, call, Role),
        "ListEntitiesForPolicy" => policies::list_entities_for_policy(s, call),
        "TagPolicy" => policies::tag_policy(s, call),
        "UntagPolicy" => policies::untag_policy(s, call),
        "ListPolicyTags" => policies::list_policy_tags(s, call),
        // Access keys
        "CreateAccessKey" => access_keys::create_access_key(s, call),
        "UpdateAccessKey" => access_keys::update_access_key(s, call),
        "DeleteAccessKey" => access_keys::delete_access_key(s, call),
        "ListAccessKeys" => access_keys::list_access_keys(s, call),
        "GetAccessKeyLastUsed" => access_keys::get_access_key_last_used(s, call),
        // Instance profiles
        "CreateInstanceProfile" => instance_profiles::create_instance_profile(s, call),
        "GetInstanceProfile" => instance_profiles::get_instance_profile(s, call),
        "DeleteInstanceProfile" => instance_profiles::delete_instance_profile(s, call),
        "ListInstanceProfiles" => instance_profiles::list_instance_profiles(s, call),
        "AddRoleToInstanceProfile" => instance_profiles::add_role_to_instance_profile(s, call),
        "RemoveRoleFromInstanceProfile" => {
            instance_profiles::remove_role_from_instance_profile(s, call)
        }
        "ListInstanceProfilesForRole" => {
            instance_profiles::list_instance_profiles_for_role(s, call)
        }
        "TagInstanceProfile" => instance_profiles::tag_instance_profile(s, call),
        "UntagInstanceProfile" => instance_profiles::untag_instance_profile(s, call),
        "ListInstanceProfileTags" => instance_profiles::list_instance_profile_tags(s, call),
        // MFA
        "CreateVirtualMFADevice" => mfa::create_virtual_mfa_device(s, call),
        "EnableMFADevice" => mfa::enable_mfa_device(s, call),
        "ResyncMFADevice" => mfa::resync_mfa_device(s, call),
        "DeactivateMFADevice" => mfa::deactivate_mfa_device(s, call),
        "DeleteVirtualMFADevice" => mfa::delete_virtual_mfa_device(s, call),
        "ListMFADevices" => mfa::list_mfa_devices(s, call),
        "ListVirtualMFADevices" => mfa::list_virtual_mfa_devices(s, call),
        "TagMFADevice" => mfa::tag_mfa_device(s, call),
        "UntagMFADevice" => mfa::untag_mfa_device(s, call),
        "ListMFADeviceTags" => mfa::list_mfa_device_tags(s, call),
        // Account
        "GetAccountAuthorizationDetails" => account::get_account_authorization_details(s, call),
        "GetAccountSummary" => account::get_account_summary(s, call),
        "CreateAccountAlias" => account::create_account_alias(s, call),
        "DeleteAccountAlias" => account::delete_account_alias(s, call),
        "ListAccountAliases" => account::list_account_aliases(s, call),
        // Identity providers
        "CreateOpenIDConnectProvider" => providers::create_open_id_connect_provider(s, call),
        "GetOpenIDConnectProvider" => providers::get_open_id_connect_provider(s, call),
        "ListOpenIDConnectProviders" => providers::list_open_id_connect_providers(s, call),
        "DeleteOpenIDConnectProvider" => providers::delete_open_id_connect_provider(s, call),
        "AddClientIDToOpenIDConnectProvider" => {
            providers::add_client_id_to_open_id_connect_provider(s, call)
        }
        "RemoveClientIDFromOpenIDConnectProvider" => {
            providers::remove_client_id_from_open_id_connect_provider(s, call)
        }
        "UpdateOpenIDConnectProviderThumbprint" => {
            providers::update_open_id_connect_provider_thumbprint(s, call)
        }
        "TagOpenIDConnectProvider" => providers::tag_open_id_connect_provider(s, call),
        "UntagOpenIDConnectProvider" => providers::untag_open_id_connect_provider(s, call),
        "ListOpenIDConnectProviderTags" => providers::list_open_id_connect_provider_tags(s, call),
        "CreateSAMLProvider" => providers::create_saml_provider(s, call),
        "GetSAMLProvider" => providers::get_saml_provider(s, call),
        "ListSAMLProviders" => providers::list_saml_providers(s, call),
        "UpdateSAMLProvider" => providers::update_saml_provider(s, call),
        "DeleteSAMLProvider" => providers::delete_saml_provider(s, call),
        "TagSAMLProvider" => providers::tag_saml_provider(s, call),
        "UntagSAMLProvider" => providers::untag_saml_provider(s, call),
        "ListSAMLProviderTags" => providers::list_saml_provider_tags(s, call),
        // Other credentials
        "UploadSSHPublicKey" => credentials::upload_ssh_public_key(s, call),
        "GetSSHPublicKey" => credentials::get_ssh_public_key(s, call),
        "ListSSHPublicKeys" => credentials::list_ssh_public_keys(s, call),
        "UpdateSSHPublicKey" => credentials::update_ssh_public_key(s, call),
        "DeleteSSHPublicKey" => credentials::delete_ssh_public_key(s, call),
        // Server certificates
        "UploadServerCertificate" => server_certificates::upload_server_certificate(s, call),
        "GetServerCertificate" => server_certificates::get_server_certificate(s, call),
        "ListServerCertificates" => server_certificates::list_server_certificates(s, call),
        "UpdateServerCertificate" => server_certificates::update_server_certificate(s, call),
        "DeleteServerCertificate" => server_certificates::delete_server_certificate(s, call),
        "TagServerCertificate" => server_certificates::tag_server_certificate(s, call),
        "UntagServerCertificate" => server_certificates::untag_server_certificate(s, call),
        "ListServerCertificateTags" => server_certificates::list_server_certificate_tags(s, call),
        "UploadSigningCertificate" => credentials::upload_signing_certificate(s, call),
        "ListSigningCertificates" => credentials::list_signing_certificates(s, call),
        "UpdateSigningCertificate" => credentials::update_signing_certificate(s, call),
        "DeleteSigningCertificate" => credentials::delete_signing_certificate(s, call),
        "UpdateAccountPasswordPolicy" => credentials::update_account_password_policy(s, call),
        "GetAccountPasswordPolicy" => credentials::get_account_password_policy(s, call),
        "DeleteAccountPasswordPolicy" => credentials::delete_account_password_policy(s, call),
        "GenerateCredentialReport" => credentials::generate_credential_report(s, call),
        "GetCredentialReport" => credentials::get_credential_report(s, call),
        // Simulator
        "SimulatePrincipalPolicy" => simulate::simulate_principal_policy(s, call),
        "SimulateCustomPolicy" => simulate::simulate_custom_policy(s, call),
        _ => Err(unknown_operation(call)),
    }
}
