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
