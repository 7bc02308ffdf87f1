//! Persisted Organizations records, versioned.

use serde::{Deserialize, Serialize};
use xacct_store::Table;

/// The organization (xacct has at most one: the management account's).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrganizationRecord {
    /// `o-` + 10 lowercase alphanumerics.
    pub id: String,
    /// `r-` + 4 lowercase alphanumerics.
    pub root_id: String,
    /// `ALL` or `CONSOLIDATED_BILLING`.
    pub feature_set: String,
    pub management_account_id: String,
    pub management_account_email: String,
    /// The partition the organization was created in (`aws`, `aws-cn`, …: the partition of the
    /// region `CreateOrganization` was called in); every Organizations ARN carries it.
    #[serde(default = "aws_partition")]
    pub partition: String,
}

fn aws_partition() -> String {
    "aws".to_owned()
}

/// The partition of `region`, as AWS names them.
pub fn partition_of(region: &str) -> &'static str {
    let prefixes: [(&str, &str); 7] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-iso-", "aws-iso"),
        ("eusc-", "aws-eusc"),
    ];
    prefixes.iter().find(|(p, _)| region.starts_with(p)).map_or("aws", |(_, partition)| partition)
}

impl OrganizationRecord {
    pub fn arn(&self) -> String {
        format!(
            "arn:{}:organizations::{}:organization/{}",
            self.partition, self.management_account_id, self.id
        )
    }

    pub fn account_arn(&self, account_id: &str) -> String {
        format!(
            "arn:{}:organizations::{}:account/{}/{}",
            self.partition, self.management_account_id, self.id, account_id
        )
    }
}

/// The state of one `CreateAccount` request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreateAccountStatusRecord {
    /// `car-` + 32 lowercase alphanumerics.
    pub id: String,
    pub account_name: String,
    /// `IN_PROGRESS`, `SUCCEEDED` or `FAILED`.
    pub state: String,
    pub requested_timestamp: f64,
    pub completed_timestamp: Option<f64>,
    pub account_id: Option<String>,
    pub failure_reason: Option<String>,
}

/// The organization, under the single key [`ORGANIZATION_KEY`].
pub const ORGANIZATION: Table<OrganizationRecord> = Table::new("organization", 1);
pub const ORGANIZATION_KEY: &str = "organization";
/// `CreateAccount` requests by id.
pub const CREATE_ACCOUNT_STATUS: Table<CreateAccountStatusRecord> =
    Table::new("org_create_account_status", 1);

/// An organizational unit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrganizationalUnitRecord {
    /// `ou-` + the root's 4 characters + `-` + 8 lowercase alphanumerics.
    pub id: String,
    pub name: String,
    /// The root or OU this OU is in.
    pub parent_id: String,
    /// Epoch seconds; lists show OUs in creation order (0 for records written before the
    /// field existed).
    #[serde(default)]
    pub created: f64,
}

/// Where an account sits in the tree, once anything placed it or attached a policy to it.
/// An account without this record is under the root with the default policies of every
/// enabled policy type (`FullAWSAccess`, `RCPFullAWSAccess`) attached, as AWS starts accounts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountPlacementRecord {
    pub account_id: String,
    /// The root or OU the account is in.
    pub parent_id: String,
}

/// The state of a root: the policy types enabled in it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RootRecord {
    /// Enabled policy types (`SERVICE_CONTROL_POLICY`, …), in the order they were enabled.
    pub policy_types: Vec<String>,
}

/// A customer-managed Organizations policy (AWS managed ones ship as data, see
/// `iam::aws_managed::organizations_policies`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrgPolicyRecord {
    /// `p-` + 8 lowercase alphanumerics.
    pub id: String,
    pub name: String,
    pub description: String,
    /// `SERVICE_CONTROL_POLICY`, `RESOURCE_CONTROL_POLICY`, …
    pub policy_type: String,
    /// The document exactly as given.
    pub content: String,
    /// Epoch seconds; lists show customer policies in creation order (0 for records written
    /// before the field existed).
    #[serde(default)]
    pub created: f64,
    /// Epoch seconds of the last `CreatePolicy`/`UpdatePolicy` (0 for older records).
    #[serde(default)]
    pub updated: f64,
}

/// One policy attached to one target (root, OU or account).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttachmentRecord {
    pub policy_id: String,
    pub target_id: String,
    pub policy_type: String,
}

/// OUs by id.
pub const ORGANIZATIONAL_UNITS: Table<OrganizationalUnitRecord> = Table::new("org_ous", 1);
/// Account placements by account id.
pub const ACCOUNT_PLACEMENTS: Table<AccountPlacementRecord> =
    Table::new("org_account_placements", 1);
/// Roots' enabled policy types, by root id.
pub const ROOTS: Table<RootRecord> = Table::new("org_roots", 1);
/// Customer-managed policies by id.
pub const ORG_POLICIES: Table<OrgPolicyRecord> = Table::new("org_policies", 1);
/// Attachments keyed `TARGET/POLICY` (a target's policies by prefix).
pub const ATTACHMENTS_BY_TARGET: Table<AttachmentRecord> = Table::new("org_attachments", 1);
/// The same attachments keyed `POLICY/TARGET` (a policy's targets by prefix).
pub const ATTACHMENTS_BY_POLICY: Table<AttachmentRecord> = Table::new("org_policy_targets", 1);

/// An account that left the organization (`RemoveAccountFromOrganization`,
/// `LeaveOrganization`). Its [`crate::accounts::AccountRecord`] stays (the account keeps existing
/// as a standalone account with its IAM principals); this record takes it out of every
/// Organizations view and out of SCP/RCP evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DepartedAccountRecord {
    pub account_id: String,
    /// Epoch seconds.
    pub departed_timestamp: f64,
}

/// One tag of an Organizations resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TagRecord {
    pub key: String,
    pub value: String,
}

/// The tags of one resource (account, root, OU, policy or resource policy), in the order their
/// keys were first added.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TagsRecord {
    pub tags: Vec<TagRecord>,
}

/// An AWS service given trusted access to the organization (`EnableAWSServiceAccess`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServiceAccessRecord {
    pub service_principal: String,
    /// Epoch seconds.
    pub date_enabled: f64,
}

/// A member account registered as delegated administrator for one service.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DelegatedAdminRecord {
    pub account_id: String,
    pub service_principal: String,
    /// Epoch seconds.
    pub delegation_enabled_date: f64,
}

/// The organization's resource-based policy (`PutResourcePolicy`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResourcePolicyRecord {
    /// `rp-` + 8 lowercase alphanumerics.
    pub id: String,
    /// The document exactly as given.
    pub content: String,
}

/// Departed accounts by account id.
pub const DEPARTED_ACCOUNTS: Table<DepartedAccountRecord> = Table::new("org_departed_accounts", 1);
/// Tags by resource id.
pub const TAGS: Table<TagsRecord> = Table::new("org_tags", 1);
/// Trusted service access by service principal.
pub const SERVICE_ACCESS: Table<ServiceAccessRecord> = Table::new("org_service_access", 1);
/// Delegated administrators keyed `ACCOUNT/PRINCIPAL`.
pub const DELEGATED_ADMINS: Table<DelegatedAdminRecord> = Table::new("org_delegated_admins", 1);
/// The resource policy, under the single key [`RESOURCE_POLICY_KEY`].
pub const RESOURCE_POLICY: Table<ResourcePolicyRecord> = Table::new("org_resource_policy", 1);
pub const RESOURCE_POLICY_KEY: &str = "resource-policy";
