//! Persisted IAM records, versioned. Every entity is keyed by [`entity_key`]: the account id and
//! the lowercased name, because IAM names are unique per account case-insensitively.
//!
//! Relations are stored on one side only: group membership and access key ids on the user,
//! attached managed policy ARNs on the user/group/role, roles on the instance profile, the user
//! an MFA device is enabled for on the device. Reverse questions (a group's members, a policy's
//! attachments) scan the account's records.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xacct_store::Table;

/// One IAM tag.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An IAM role.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RoleRecord {
    pub account_id: String,
    pub role_name: String,
    pub role_id: String,
    pub path: String,
    pub arn: String,
    /// The trust policy document as the caller wrote it.
    pub assume_role_policy_document: String,
    pub description: String,
    pub max_session_duration: u32,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
    /// Epoch seconds.
    pub create_date: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The ARN of the managed policy used as permissions boundary.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    /// Inline policies: name → document as written.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

/// Roles, keyed by [`role_key`].
pub const ROLES: Table<RoleRecord> = Table::new("iam_roles", 1);

/// The store key of a role: names are unique per account case-insensitively, as in IAM.
pub fn role_key(account_id: &str, role_name: &str) -> String {
    entity_key(account_id, role_name)
}

/// The store key of any named IAM entity of `account_id`.
pub fn entity_key(account_id: &str, name: &str) -> String {
    format!("{account_id}/{}", name.to_ascii_lowercase())
}

/// The scan prefix of every entity of `account_id` in one table.
pub fn account_prefix(account_id: &str) -> String {
    format!("{account_id}/")
}

/// A console password (only its existence matters to xacct: it blocks `DeleteUser`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoginProfile {
    pub create_date: f64,
    pub password_reset_required: bool,
}

/// An IAM user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserRecord {
    pub account_id: String,
    pub user_name: String,
    pub user_id: String,
    pub path: String,
    pub arn: String,
    pub create_date: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Names of the groups the user belongs to, as the groups spell them.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Ids of the user's access keys (the keys live in `accounts::ACCESS_KEYS`).
    #[serde(default)]
    pub access_keys: Vec<String>,
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
}

/// Users, keyed by [`entity_key`].
pub const USERS: Table<UserRecord> = Table::new("iam_users", 1);

/// An IAM group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupRecord {
    pub account_id: String,
    pub group_name: String,
    pub group_id: String,
    pub path: String,
    pub arn: String,
    pub create_date: f64,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
}

/// Groups, keyed by [`entity_key`].
pub const GROUPS: Table<GroupRecord> = Table::new("iam_groups", 1);

/// One version of a customer managed policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PolicyVersionRecord {
    /// `v1`, `v2`, …
    pub version_id: String,
    pub document: String,
    pub create_date: f64,
}

/// A customer managed policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ManagedPolicyRecord {
    pub account_id: String,
    pub policy_name: String,
    pub policy_id: String,
    pub path: String,
    pub arn: String,
    pub description: String,
    pub create_date: f64,
    pub update_date: f64,
    pub default_version_id: String,
    /// Oldest first.
    pub versions: Vec<PolicyVersionRecord>,
    /// The number the next version gets (IAM never reuses a version id).
    pub next_version: u32,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl ManagedPolicyRecord {
    /// The default version's document.
    pub fn default_document(&self) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version_id)
            .map(|v| v.document.as_str())
    }
}

/// Customer managed policies, keyed by [`entity_key`] of the policy name.
pub const POLICIES: Table<ManagedPolicyRecord> = Table::new("iam_policies", 1);

/// An instance profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstanceProfileRecord {
    pub account_id: String,
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub create_date: f64,
    /// Role names (at most one, as AWS allows).
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// Instance profiles, keyed by [`entity_key`].
pub const INSTANCE_PROFILES: Table<InstanceProfileRecord> = Table::new("iam_instance_profiles", 1);

/// A virtual MFA device.
///
/// Security: `seed` is the TOTP secret; it leaves the server once, in `CreateVirtualMFADevice`.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct VirtualMfaRecord {
    pub account_id: String,
    pub name: String,
    pub path: String,
    pub serial_number: String,
    /// The TOTP seed, hex.
    pub seed_hex: String,
    pub create_date: f64,
    /// The user it is enabled for.
    pub user_name: Option<String>,
    pub enable_date: Option<f64>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl std::fmt::Debug for VirtualMfaRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualMfaRecord")
            .field("serial_number", &self.serial_number)
            .field("user_name", &self.user_name)
            .finish_non_exhaustive()
    }
}

/// Virtual MFA devices, keyed by [`entity_key`] of the device's path (without its leading `/`)
/// and name (`lookup::mfa_device_key`).
pub const VIRTUAL_MFA: Table<VirtualMfaRecord> = Table::new("iam_virtual_mfa", 1);

/// A service-linked role deletion task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeletionTaskRecord {
    pub account_id: String,
    /// `SUCCEEDED`, `IN_PROGRESS`, `FAILED`, `NOT_STARTED`.
    pub status: String,
}

/// Deletion tasks, keyed by task id.
pub const DELETION_TASKS: Table<DeletionTaskRecord> = Table::new("iam_deletion_tasks", 1);

/// The account alias (at most one per account), keyed by account id.
pub const ACCOUNT_ALIASES: Table<String> = Table::new("iam_account_aliases", 1);

/// An OpenID Connect identity provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OidcProviderRecord {
    pub account_id: String,
    pub arn: String,
    /// Host and path, without scheme or query (as IAM shows it).
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub create_date: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// OIDC providers, keyed by `ACCOUNT/` + lowercased host and path.
pub const OIDC_PROVIDERS: Table<OidcProviderRecord> = Table::new("iam_oidc_providers", 1);

/// A SAML identity provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SamlProviderRecord {
    pub account_id: String,
    pub name: String,
    pub arn: String,
    pub uuid: String,
    pub metadata_document: String,
    pub create_date: f64,
    pub valid_until: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// SAML providers, keyed by [`entity_key`] of the name.
pub const SAML_PROVIDERS: Table<SamlProviderRecord> = Table::new("iam_saml_providers", 1);

/// An SSH public key or an X.509 signing certificate of a user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserCredentialRecord {
    pub account_id: String,
    pub user_name: String,
    pub id: String,
    pub body: String,
    /// SSH keys: the MD5 fingerprint of the key.
    #[serde(default)]
    pub fingerprint: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub upload_date: f64,
}

/// SSH public keys, keyed by `ACCOUNT/lowercased user/KEY ID`.
pub const SSH_PUBLIC_KEYS: Table<UserCredentialRecord> = Table::new("iam_ssh_public_keys", 1);
/// Signing certificates, keyed by `ACCOUNT/lowercased user/CERTIFICATE ID`.
pub const SIGNING_CERTIFICATES: Table<UserCredentialRecord> =
    Table::new("iam_signing_certificates", 1);

/// A server certificate. The private key is never stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerCertificateRecord {
    pub account_id: String,
    pub name: String,
    pub id: String,
    pub arn: String,
    pub path: String,
    pub body: String,
    pub chain: Option<String>,
    pub upload_date: f64,
    /// The certificate's notAfter, epoch seconds.
    pub expiration: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// Server certificates, keyed by [`entity_key`] of the name.
pub const SERVER_CERTIFICATES: Table<ServerCertificateRecord> =
    Table::new("iam_server_certificates", 1);

/// The account password policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct PasswordPolicyRecord {
    pub minimum_password_length: i64,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    pub max_password_age: Option<i64>,
    pub password_reuse_prevention: Option<i64>,
    pub hard_expiry: Option<bool>,
}

/// Password policies, keyed by account id.
pub const PASSWORD_POLICIES: Table<PasswordPolicyRecord> = Table::new("iam_password_policies", 1);

/// The time the account's credential report was generated, keyed by account id.
pub const CREDENTIAL_REPORTS: Table<f64> = Table::new("iam_credential_reports", 1);

/// Every IAM table, for a full reset of the store.
pub const TABLE_NAMES: &[&str] = &[
    ROLES.name(),
    USERS.name(),
    GROUPS.name(),
    POLICIES.name(),
    INSTANCE_PROFILES.name(),
    VIRTUAL_MFA.name(),
    DELETION_TASKS.name(),
    ACCOUNT_ALIASES.name(),
    OIDC_PROVIDERS.name(),
    SAML_PROVIDERS.name(),
    SSH_PUBLIC_KEYS.name(),
    SIGNING_CERTIFICATES.name(),
    SERVER_CERTIFICATES.name(),
    PASSWORD_POLICIES.name(),
    CREDENTIAL_REPORTS.name(),
];
