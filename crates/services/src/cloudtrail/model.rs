//! Persisted CloudTrail records, versioned. Events themselves live in the store's audit log
//! (`WriteTx::append_event`), not in a table.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use xacct_store::Table;

/// One trail, keyed by [`trail_key`]: names are unique per account and home region.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrailRecord {
    pub account_id: String,
    pub name: String,
    pub home_region: String,
    pub s3_bucket_name: String,
    #[serde(default)]
    pub s3_key_prefix: Option<String>,
    #[serde(default)]
    pub sns_topic_name: Option<String>,
    pub include_global_service_events: bool,
    pub is_multi_region_trail: bool,
    pub log_file_validation_enabled: bool,
    pub is_organization_trail: bool,
    #[serde(default)]
    pub cloud_watch_logs_log_group_arn: Option<String>,
    #[serde(default)]
    pub cloud_watch_logs_role_arn: Option<String>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    pub is_logging: bool,
    /// Epoch seconds of the last `StartLogging` / `StopLogging`.
    #[serde(default)]
    pub start_logging_time: Option<f64>,
    #[serde(default)]
    pub stop_logging_time: Option<f64>,
    /// `EventSelectors` as put (model member names); `None` means the default selector.
    #[serde(default)]
    pub event_selectors: Option<Value>,
    #[serde(default)]
    pub advanced_event_selectors: Option<Value>,
    #[serde(default)]
    pub insight_selectors: Option<Value>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// Epoch seconds.
    pub created: f64,
}

impl TrailRecord {
    pub fn arn(&self) -> String {
        trail_arn(&self.home_region, &self.account_id, &self.name)
    }
}

/// `arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`.
pub fn trail_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:cloudtrail:{region}:{account}:trail/{name}")
}

/// `ACCOUNT/REGION/NAME`.
pub fn trail_key(account: &str, region: &str, name: &str) -> String {
    format!("{account}/{region}/{name}")
}

pub const TRAILS: Table<TrailRecord> = Table::new("cloudtrail_trails", 1);

/// Every table of this module, for `Services::reset`.
pub const TABLE_NAMES: &[&str] = &[TRAILS.name()];
