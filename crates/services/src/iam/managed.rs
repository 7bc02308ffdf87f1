//! Managed policies by ARN, whoever owns them: customer managed policies of an account (the
//! `POLICIES` table) and AWS managed policies (`arn:aws:iam::aws:policy/…`, global read-only data
//! from `aws_managed`). Every operation that names a policy ARN resolves it here.

use xacct_store::ReadTx;

use super::model::{entity_key, ManagedPolicyRecord, POLICIES};
use crate::ServiceError;

/// An AWS managed policy as IAM shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsPolicy {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub description: String,
    pub default_version_id: String,
    pub create_date: f64,
    pub update_date: f64,
    pub document: String,
}

/// A managed policy found by ARN.
#[derive(Debug, Clone, PartialEq)]
pub enum ManagedPolicy {
    Customer(ManagedPolicyRecord),
    Aws(AwsPolicy),
}

impl ManagedPolicy {
    pub fn arn(&self) -> &str {
        match self {
            ManagedPolicy::Customer(p) => &p.arn,
            ManagedPolicy::Aws(p) => &p.arn,
        }
    }

    /// The default version's document.
    pub fn default_document(&self) -> Option<&str> {
        match self {
            ManagedPolicy::Customer(p) => p.default_document(),
            ManagedPolicy::Aws(p) => Some(&p.document),
        }
    }

    /// A key unique per document version (and per policy incarnation for customer policies).
    pub fn cache_key(&self) -> String {
        match self {
            ManagedPolicy::Customer(p) => {
                format!("{}#{}#{}", p.arn, p.policy_id, p.default_version_id)
            }
            ManagedPolicy::Aws(p) => format!("{}#{}", p.arn, p.default_version_id),
        }
    }
}

/// The account id and policy name in a policy ARN `arn:aws:iam::ACCT:policy/PATH/NAME`.
pub fn parse_policy_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("policy/")?;
    let name = path_and_name.rsplit('/').next()?;
    if name.is_empty() {
        return None;
    }
    Some((account, name))
}

/// Converts the data of the `aws_managed` module.
fn from_data(p: &super::aws_managed::AwsManagedPolicy) -> AwsPolicy {
    AwsPolicy {
        name: p.name.to_string(),
        arn: p.arn.to_string(),
        path: p.path.to_string(),
        description: p.description.to_string(),
        default_version_id: p.default_version_id.to_string(),
        create_date: super::aws_managed_time(&p.create_date),
        update_date: super::aws_managed_time(&p.update_date),
        document: p.document.to_string(),
    }
}

/// The AWS managed policy with this ARN, if xacct ships it.
pub fn aws_policy(arn: &str) -> Option<AwsPolicy> {
    super::aws_managed::get(arn).map(from_data)
}

/// Every AWS managed policy xacct ships.
pub fn aws_policies() -> Vec<AwsPolicy> {
    super::aws_managed::all().iter().map(from_data).collect()
}

/// The customer managed policy of `account` with this exact ARN.
pub fn customer_policy(
    tx: &dyn ReadTx,
    account: &str,
    arn: &str,
) -> Result<Option<ManagedPolicyRecord>, ServiceError> {
    let Some((arn_account, name)) = parse_policy_arn(arn) else {
        return Ok(None);
    };
    if arn_account != account {
        return Ok(None);
    }
    Ok(POLICIES.get(tx, &entity_key(account, name))?.filter(|p| p.arn == arn))
}

/// The managed policy `arn` as `account` sees it: its own customer policies and AWS's.
pub fn resolve(
    tx: &dyn ReadTx,
    account: &str,
    arn: &str,
) -> Result<Option<ManagedPolicy>, ServiceError> {
    if arn.starts_with("arn:aws:iam::aws:policy/") {
        return Ok(aws_policy(arn).map(ManagedPolicy::Aws));
    }
    Ok(customer_policy(tx, account, arn)?.map(ManagedPolicy::Customer))
}
