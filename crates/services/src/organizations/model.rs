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
}

impl OrganizationRecord {
    pub fn arn(&self) -> String {
        format!("arn:aws:organizations::{}:organization/{}", self.management_account_id, self.id)
    }

    pub fn account_arn(&self, account_id: &str) -> String {
        format!(
            "arn:aws:organizations::{}:account/{}/{}",
            self.management_account_id, self.id, account_id
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
