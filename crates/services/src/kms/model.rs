//! Persisted KMS records, versioned. Keys, aliases and grants live per account AND per region,
//! as in AWS: every store key starts with `ACCOUNT/REGION/`.
//!
//! Security: [`KeyRecord::material`] holds the key's secret AES-256 material (base64); it is
//! never logged and never leaves the service except as ciphertext.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xacct_store::Table;

/// One KMS tag.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// One generation of a key's material (a rotation adds one).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Material {
    /// The 32 secret bytes, standard base64.
    pub secret: String,
    /// `KeyMaterialId` (64 hex characters, as AWS shows it).
    pub id: String,
    /// Epoch seconds the material was made.
    pub created: f64,
    /// `AUTOMATIC` or `ON_DEMAND` for rotations; empty for the first material.
    #[serde(default)]
    pub rotation_type: String,
}

/// A KMS key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyRecord {
    pub account: String,
    pub region: String,
    /// The UUID.
    pub key_id: String,
    pub arn: String,
    pub description: String,
    /// `ENCRYPT_DECRYPT`, `GENERATE_VERIFY_MAC`, `SIGN_VERIFY`, `KEY_AGREEMENT`.
    pub key_usage: String,
    /// `SYMMETRIC_DEFAULT`, `HMAC_256`, …
    pub key_spec: String,
    /// `AWS_KMS` (the only origin served).
    pub origin: String,
    /// `Enabled`, `Disabled` or `PendingDeletion`.
    pub key_state: String,
    /// Epoch seconds.
    pub creation_date: f64,
    /// Epoch seconds at which a key pending deletion is gone.
    #[serde(default)]
    pub deletion_date: Option<f64>,
    #[serde(default)]
    pub pending_window_days: Option<i64>,
    /// The key policy as written.
    pub policy: String,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Every generation of material, oldest first; encryption uses the last one.
    pub material: Vec<Material>,
    #[serde(default)]
    pub rotation_enabled: bool,
    #[serde(default)]
    pub rotation_period_days: Option<i64>,
    /// Epoch seconds of the next automatic rotation (when enabled).
    #[serde(default)]
    pub next_rotation_date: Option<f64>,
    #[serde(default)]
    pub multi_region: bool,
    /// An AWS managed key (`KeyManager` AWS: `aws/<service>`, created by a service on first
    /// use); customer managed otherwise.
    #[serde(default)]
    pub aws_managed: bool,
}

impl KeyRecord {
    /// Whether the key has reached its deletion date at `now` (it is then gone).
    pub fn deleted_at(&self, now: f64) -> bool {
        self.key_state == "PendingDeletion" && self.deletion_date.is_some_and(|d| now >= d)
    }
}

/// An alias.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AliasRecord {
    /// `alias/NAME`.
    pub alias_name: String,
    pub alias_arn: String,
    /// The key's UUID.
    pub target_key_id: String,
    pub creation_date: f64,
    pub last_updated_date: f64,
}

/// A grant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GrantRecord {
    pub grant_id: String,
    pub key_id: String,
    pub key_arn: String,
    #[serde(default)]
    pub name: Option<String>,
    pub grantee_principal: String,
    #[serde(default)]
    pub retiring_principal: Option<String>,
    /// `arn:aws:iam::ACCOUNT:root` of the key's account.
    pub issuing_account: String,
    pub operations: Vec<String>,
    #[serde(default)]
    pub encryption_context_subset: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub encryption_context_equals: Option<BTreeMap<String, String>>,
    pub creation_date: f64,
    pub grant_token: String,
}

/// Where a grant token points.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GrantTokenRecord {
    /// The grant's store key in [`GRANTS`].
    pub grant_key: String,
}

/// Keys, keyed by [`key_key`].
pub const KEYS: Table<KeyRecord> = Table::new("kms_keys", 1);
/// Aliases, keyed by [`alias_key`].
pub const ALIASES: Table<AliasRecord> = Table::new("kms_aliases", 1);
/// Grants, keyed by [`grant_key`].
pub const GRANTS: Table<GrantRecord> = Table::new("kms_grants", 1);
/// Grant tokens → grants.
pub const GRANT_TOKENS: Table<GrantTokenRecord> = Table::new("kms_grant_tokens", 1);

/// Every KMS table, for reset.
pub const TABLE_NAMES: &[&str] = &[KEYS.name(), ALIASES.name(), GRANTS.name(), GRANT_TOKENS.name()];

/// `ACCOUNT/REGION/`: the scan prefix of one account's keys or aliases in one region.
pub fn scope(account: &str, region: &str) -> String {
    format!("{account}/{region}/")
}

pub fn key_key(account: &str, region: &str, key_id: &str) -> String {
    format!("{account}/{region}/{key_id}")
}

pub fn alias_key(account: &str, region: &str, alias_name: &str) -> String {
    format!("{account}/{region}/{alias_name}")
}

/// Grants of one key share the prefix `ACCOUNT/REGION/KEYID/`.
pub fn grant_key(account: &str, region: &str, key_id: &str, grant_id: &str) -> String {
    format!("{account}/{region}/{key_id}/{grant_id}")
}
