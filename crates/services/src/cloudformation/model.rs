//! Persisted CloudFormation records, versioned: one record per stack (its template, parameters,
//! resources, outputs and events), keyed by account, region and stack id, and an index of the
//! live (not deleted) stack names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use xacct_store::Table;

/// A resolved parameter of a stack.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParameterRecord {
    pub key: String,
    /// The value as given (a `CommaDelimitedList` keeps its commas).
    pub value: String,
    /// `NoEcho` parameters are shown as `****`.
    pub no_echo: bool,
}

/// An output, evaluated when the stack reached its final state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutputRecord {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export_name: Option<String>,
}

/// One resource of a stack.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResourceRecord {
    pub logical_id: String,
    pub resource_type: String,
    /// Empty until the resource exists.
    pub physical_id: String,
    pub status: String,
    pub status_reason: Option<String>,
    /// Epoch seconds of the last status change.
    pub timestamp: f64,
    /// The properties as evaluated when the resource was last created or updated (compared on
    /// update to decide what changes).
    pub properties: Value,
    /// `Fn::GetAtt` attributes the provider reported (secrets included, as AWS keeps them).
    pub attributes: BTreeMap<String, String>,
    /// Logical ids this resource depends on (Ref, Fn::GetAtt, Fn::Sub, DependsOn).
    pub depends_on: Vec<String>,
    /// `DeletionPolicy: Retain` leaves the resource in place when the stack deletes it.
    pub retain: bool,
}

/// One stack event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventRecord {
    pub event_id: String,
    pub logical_id: String,
    pub physical_id: String,
    pub resource_type: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub timestamp: f64,
    pub properties: Option<String>,
}

/// A stack in one account and region.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StackRecord {
    /// `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`.
    pub stack_id: String,
    pub stack_name: String,
    pub account: String,
    pub region: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub description: Option<String>,
    /// The template as the client sent it.
    pub template_body: String,
    pub parameters: Vec<ParameterRecord>,
    pub capabilities: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub role_arn: Option<String>,
    pub notification_arns: Vec<String>,
    pub timeout_in_minutes: Option<i64>,
    pub disable_rollback: bool,
    pub enable_termination_protection: bool,
    pub creation_time: f64,
    pub last_updated_time: Option<f64>,
    pub deletion_time: Option<f64>,
    pub outputs: Vec<OutputRecord>,
    /// In creation order.
    pub resources: Vec<ResourceRecord>,
    /// Oldest first (the API shows newest first).
    pub events: Vec<EventRecord>,
    /// Export names this stack imports (`Fn::ImportValue`): their exporters cannot go.
    #[serde(default)]
    pub imports: Vec<String>,
}

/// Stacks by `ACCOUNT/REGION/STACK_ID` (deleted stacks stay, as `DELETE_COMPLETE`).
pub const STACKS: Table<StackRecord> = Table::new("cfn_stacks", 1);

/// The live stack of each name: `ACCOUNT/REGION/NAME` → stack id.
pub const STACK_NAMES: Table<String> = Table::new("cfn_stack_names", 1);

/// Every table of this module, for `Services::reset`.
pub const TABLE_NAMES: &[&str] =
    &[STACKS.name(), STACK_NAMES.name(), super::changesets::CHANGE_SETS.name()];

/// The key of a stack record.
pub fn stack_key(account: &str, region: &str, stack_id: &str) -> String {
    format!("{account}/{region}/{stack_id}")
}

/// The key of a live stack name.
pub fn name_key(account: &str, region: &str, name: &str) -> String {
    format!("{account}/{region}/{name}")
}

/// The prefix of every stack of an account and region.
pub fn region_prefix(account: &str, region: &str) -> String {
    format!("{account}/{region}/")
}
