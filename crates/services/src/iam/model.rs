//! Persisted IAM records, versioned.

use serde::{Deserialize, Serialize};
use xacct_store::Table;

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
}

/// Roles, keyed by [`role_key`].
pub const ROLES: Table<RoleRecord> = Table::new("iam_roles", 1);

/// The store key of a role: names are unique per account case-insensitively, as in IAM.
pub fn role_key(account_id: &str, role_name: &str) -> String {
    format!("{account_id}/{}", role_name.to_ascii_lowercase())
}
