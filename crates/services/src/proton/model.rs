//! Persisted Proton records, versioned. Everything is regional: connections are keyed
//! `REGION/ID` and indexed per account (`ACCOUNT/REGION/ID`) for both accounts that see them;
//! templates, versions and environments live in their account and region
//! (`ACCOUNT/REGION/NAME…`).

use serde::{Deserialize, Serialize};
use xacct_store::Table;

/// A tag of a Proton resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// `PENDING`, `CONNECTED` or `REJECTED`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum ConnectionStatus {
    Pending,
    Connected,
    Rejected,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Pending => "PENDING",
            ConnectionStatus::Connected => "CONNECTED",
            ConnectionStatus::Rejected => "REJECTED",
        }
    }
}

/// An environment account connection. It belongs to the environment account (its ARN names
/// that account) and is seen by the management account too.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectionRecord {
    pub id: String,
    pub arn: String,
    pub region: String,
    pub environment_account_id: String,
    pub management_account_id: String,
    pub environment_name: String,
    pub role_arn: String,
    #[serde(default)]
    pub codebuild_role_arn: Option<String>,
    #[serde(default)]
    pub component_role_arn: Option<String>,
    pub status: ConnectionStatus,
    /// Epoch seconds.
    pub requested_at: f64,
    pub last_modified_at: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An environment template.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TemplateRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub encryption_key: Option<String>,
    /// `CUSTOMER_MANAGED` for templates of customer-managed environments.
    #[serde(default)]
    pub provisioning: Option<String>,
    /// `MAJOR.MINOR` of the newest published version.
    #[serde(default)]
    pub recommended_version: Option<String>,
    pub created_at: f64,
    pub last_modified_at: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `REGISTRATION_FAILED`, `DRAFT` or `PUBLISHED` (registration is synchronous, so
/// `REGISTRATION_IN_PROGRESS` is never stored).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum VersionStatus {
    RegistrationFailed,
    Draft,
    Published,
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::RegistrationFailed => "REGISTRATION_FAILED",
            VersionStatus::Draft => "DRAFT",
            VersionStatus::Published => "PUBLISHED",
        }
    }
}

/// One version of an environment template, with its bundle's files.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VersionRecord {
    pub template_name: String,
    pub major: u64,
    pub minor: u64,
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    pub status: VersionStatus,
    #[serde(default)]
    pub status_message: Option<String>,
    /// `schema/schema.yaml` as registered.
    #[serde(default)]
    pub schema: Option<String>,
    /// `infrastructure/cloudformation.yaml` (the Jinja template) as registered.
    #[serde(default)]
    pub infrastructure: Option<String>,
    pub created_at: f64,
    pub last_modified_at: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// Where an environment's last deployment stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum DeploymentStatus {
    InProgress,
    Failed,
    Succeeded,
    DeleteInProgress,
    DeleteFailed,
}

impl DeploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::InProgress => "IN_PROGRESS",
            DeploymentStatus::Failed => "FAILED",
            DeploymentStatus::Succeeded => "SUCCEEDED",
            DeploymentStatus::DeleteInProgress => "DELETE_IN_PROGRESS",
            DeploymentStatus::DeleteFailed => "DELETE_FAILED",
        }
    }
}

/// An environment, in the management account (or the single account without a connection).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnvironmentRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    pub template_name: String,
    pub template_major: u64,
    pub template_minor: u64,
    pub spec: String,
    #[serde(default)]
    pub environment_account_connection_id: Option<String>,
    /// The account the infrastructure is provisioned in.
    pub environment_account_id: String,
    #[serde(default)]
    pub proton_service_role_arn: Option<String>,
    #[serde(default)]
    pub component_role_arn: Option<String>,
    #[serde(default)]
    pub codebuild_role_arn: Option<String>,
    pub deployment_status: DeploymentStatus,
    #[serde(default)]
    pub deployment_status_message: Option<String>,
    pub created_at: f64,
    pub last_deployment_attempted_at: f64,
    pub last_deployment_succeeded_at: f64,
    #[serde(default)]
    pub last_attempted_deployment_id: Option<String>,
    #[serde(default)]
    pub last_succeeded_deployment_id: Option<String>,
    /// The CloudFormation stack in the environment account (its id), once one was created.
    #[serde(default)]
    pub stack_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// Connections, keyed by [`connection_key`].
pub const CONNECTIONS: Table<ConnectionRecord> = Table::new("proton_connections", 1);
/// Both accounts of a connection → its id, keyed by [`account_connection_key`].
pub const CONNECTIONS_BY_ACCOUNT: Table<String> = Table::new("proton_connections_by_account", 1);
/// `CreateEnvironmentAccountConnection` client tokens → connection id, keyed by
/// [`client_token_key`].
pub const CLIENT_TOKENS: Table<String> = Table::new("proton_client_tokens", 1);
/// Templates, keyed by [`scoped_key`] of the name.
pub const TEMPLATES: Table<TemplateRecord> = Table::new("proton_env_templates", 1);
/// Template versions, keyed by [`version_key`].
pub const VERSIONS: Table<VersionRecord> = Table::new("proton_env_template_versions", 1);
/// Environments, keyed by [`scoped_key`] of the name.
pub const ENVIRONMENTS: Table<EnvironmentRecord> = Table::new("proton_environments", 1);

/// Every Proton table, for reset.
pub const TABLE_NAMES: &[&str] = &[
    CONNECTIONS.name(),
    CONNECTIONS_BY_ACCOUNT.name(),
    CLIENT_TOKENS.name(),
    TEMPLATES.name(),
    VERSIONS.name(),
    ENVIRONMENTS.name(),
];

pub fn connection_key(region: &str, id: &str) -> String {
    format!("{region}/{id}")
}

pub fn account_connection_key(account: &str, region: &str, id: &str) -> String {
    format!("{account}/{region}/{id}")
}

pub fn client_token_key(account: &str, region: &str, token: &str) -> String {
    format!("{account}/{region}/{token}")
}

/// `ACCOUNT/REGION/`: the scan prefix of one account's records in one region.
pub fn scope(account: &str, region: &str) -> String {
    format!("{account}/{region}/")
}

pub fn scoped_key(account: &str, region: &str, name: &str) -> String {
    format!("{account}/{region}/{name}")
}

/// Versions sort by number within a template: the parts are zero-padded.
pub fn version_key(account: &str, region: &str, template: &str, major: u64, minor: u64) -> String {
    format!("{account}/{region}/{template}/{major:020}.{minor:020}")
}

/// The scan prefix of one template's versions.
pub fn versions_prefix(account: &str, region: &str, template: &str) -> String {
    format!("{account}/{region}/{template}/")
}
