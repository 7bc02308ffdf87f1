//! The organization's tree (root → OUs → accounts) and the policies attached along it, over the
//! store: where an account or OU sits, which policies a target has, which targets a policy has,
//! and [`policy_levels`], the seam `authz` reads SCPs and RCPs through.
//!
//! Accounts start under the root. An account nothing has moved or attached a policy to has no
//! placement record: it is under the root with the default policy of every enabled type
//! (`FullAWSAccess`, `RCPFullAWSAccess`) attached, which is how AWS starts a new account. The
//! first write that concerns such an account ([`materialize_account`]) stores that state, so
//! `CreateAccount` needs no knowledge of the tree.
//!
//! Security: [`policy_levels`] returns `None` (no SCP limit) only for the management account,
//! an account outside the organization, or an organization without the policy type enabled;
//! an attachment naming a policy that no longer exists is an internal error, never skipped.

use sha2::{Digest, Sha256};
use xacct_store::{ReadTx, Table, WriteTx};

use super::error;
use super::model::{
    AccountPlacementRecord, AttachmentRecord, OrgPolicyRecord, OrganizationRecord,
    OrganizationalUnitRecord, ACCOUNT_PLACEMENTS, ATTACHMENTS_BY_POLICY, ATTACHMENTS_BY_TARGET,
    DEPARTED_ACCOUNTS, ORGANIZATION, ORGANIZATIONAL_UNITS, ORGANIZATION_KEY, ORG_POLICIES, ROOTS,
};
use crate::accounts::{AccountRecord, ACCOUNTS};
use crate::{ids, ServiceError};

/// The SCP policy type.
pub const SERVICE_CONTROL_POLICY: &str = "SERVICE_CONTROL_POLICY";
/// The RCP policy type.
pub const RESOURCE_CONTROL_POLICY: &str = "RESOURCE_CONTROL_POLICY";
/// The AWS managed SCP attached to every root, OU and account when SCPs are enabled.
pub const FULL_AWS_ACCESS_ID: &str = "p-FullAWSAccess";
/// The AWS managed RCP attached to every root, OU and account when RCPs are enabled; it cannot
/// be detached.
pub const RCP_FULL_AWS_ACCESS_ID: &str = "p-RCPFullAWSAccess";
/// Deepest OU nesting under a root (AWS: five levels).
pub const MAX_OU_DEPTH: usize = 5;

/// The AWS managed policy a policy type attaches everywhere when it is enabled.
pub fn default_policy_id(policy_type: &str) -> Option<&'static str> {
    match policy_type {
        SERVICE_CONTROL_POLICY => Some(FULL_AWS_ACCESS_ID),
        RESOURCE_CONTROL_POLICY => Some(RCP_FULL_AWS_ACCESS_ID),
        _ => None,
    }
}

/// `r-` + 4 to 32 lowercase alphanumerics.
pub fn is_root_id(id: &str) -> bool {
    id.strip_prefix("r-").is_some_and(|rest| (4..=32).contains(&rest.len()) && is_lower_alnum(rest))
}

/// `ou-` + 4 to 32 lowercase alphanumerics + `-` + 8 to 32 lowercase alphanumerics.
pub fn is_ou_id(id: &str) -> bool {
    id.strip_prefix("ou-").and_then(|rest| rest.split_once('-')).is_some_and(|(root, own)| {
        (4..=32).contains(&root.len())
            && is_lower_alnum(root)
            && (8..=32).contains(&own.len())
            && is_lower_alnum(own)
    })
}

/// `p-` + 8 to 128 letters, digits or `_`.
pub fn is_policy_id(id: &str) -> bool {
    id.strip_prefix("p-").is_some_and(|rest| {
        (8..=128).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

fn is_lower_alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Every record of `table` whose key starts with `prefix`, in key order.
pub(crate) fn scan_all<T, X>(
    tx: &X,
    table: Table<T>,
    prefix: &str,
) -> Result<Vec<(String, T)>, ServiceError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    X: ReadTx + ?Sized,
{
    let mut out: Vec<(String, T)> = Vec::new();
    loop {
        let after = out.last().map(|(k, _)| k.clone());
        let batch = table.scan(tx, prefix, after.as_deref(), 500)?;
        let done = batch.len() < 500;
        out.extend(batch);
        if done {
            return Ok(out);
        }
    }
}

/// A policy as Organizations shows it: customer managed (stored) or AWS managed (shipped).
#[derive(Debug, Clone, PartialEq)]
pub struct OrgPolicy {
    pub id: String,
    /// Epoch seconds (0 for AWS managed policies).
    pub created: f64,
    /// Epoch seconds of the last change (0 for AWS managed policies).
    pub updated: f64,
    pub arn: String,
    pub name: String,
    pub description: String,
    pub policy_type: String,
    pub content: String,
    pub aws_managed: bool,
}

/// The paging key of a policy in lists: AWS managed first, then customer policies in creation
/// order.
pub fn policy_sort_key(p: &OrgPolicy) -> String {
    if p.aws_managed {
        format!("0/{}", p.id)
    } else {
        format!("1/{:020.6}/{}", p.created, p.id)
    }
}

/// The ARN path segment of a policy type (`service_control_policy`).
fn type_segment(policy_type: &str) -> String {
    policy_type.to_ascii_lowercase()
}

/// The ARN of customer policy `id` of `policy_type` in `org`.
pub fn policy_arn(org: &OrganizationRecord, policy_type: &str, id: &str) -> String {
    format!(
        "arn:{}:organizations::{}:policy/{}/{}/{id}",
        org.partition,
        org.management_account_id,
        org.id,
        type_segment(policy_type)
    )
}

/// The AWS managed Organizations policies (`FullAWSAccess`, `RCPFullAWSAccess`).
pub fn aws_managed_policies() -> Vec<OrgPolicy> {
    crate::iam::aws_managed::organizations_policies().iter().filter_map(managed_policy).collect()
}

/// The AWS managed policy with `id`; only that one is copied (this runs on every authorized
/// request through [`policy_levels`]).
fn aws_managed_policy(id: &str) -> Option<OrgPolicy> {
    crate::iam::aws_managed::organizations_policies()
        .iter()
        .find(|p| p.arn.rsplit('/').next() == Some(id))
        .and_then(managed_policy)
}

/// An AWS managed policy as the organization's partition shows it (`arn:aws-cn:…` in China).
fn in_partition(org: &OrganizationRecord, mut p: OrgPolicy) -> OrgPolicy {
    if org.partition != "aws" {
        if let Some(rest) = p.arn.strip_prefix("arn:aws:") {
            p.arn = format!("arn:{}:{rest}", org.partition);
        }
    }
    p
}

fn managed_policy(p: &crate::iam::aws_managed::AwsManagedPolicy) -> Option<OrgPolicy> {
    // arn:aws:organizations::aws:policy/<type segment>/<id>
    let mut parts = p.arn.rsplit('/');
    let id = parts.next()?;
    let segment = parts.next()?;
    Some(OrgPolicy {
        id: id.to_owned(),
        arn: p.arn.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        policy_type: segment.to_ascii_uppercase(),
        content: p.document.clone(),
        aws_managed: true,
        created: 0.0,
        updated: 0.0,
    })
}

fn customer_policy(org: &OrganizationRecord, p: OrgPolicyRecord) -> OrgPolicy {
    OrgPolicy {
        arn: policy_arn(org, &p.policy_type, &p.id),
        id: p.id,
        name: p.name,
        description: p.description,
        policy_type: p.policy_type,
        content: p.content,
        aws_managed: false,
        created: p.created,
        updated: p.updated,
    }
}

/// The policy with `id`, AWS managed or customer managed.
pub fn get_policy<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    id: &str,
) -> Result<Option<OrgPolicy>, ServiceError> {
    if let Some(p) = aws_managed_policy(id) {
        return Ok(Some(in_partition(org, p)));
    }
    Ok(ORG_POLICIES.get(tx, id)?.map(|p| customer_policy(org, p)))
}

/// Every policy of `policy_type`, AWS managed first, then customer policies in creation order.
pub fn policies_of_type<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    policy_type: &str,
) -> Result<Vec<OrgPolicy>, ServiceError> {
    let mut out: Vec<OrgPolicy> = aws_managed_policies()
        .into_iter()
        .filter(|p| p.policy_type == policy_type)
        .map(|p| in_partition(org, p))
        .collect();
    let mut customer: Vec<OrgPolicyRecord> = scan_all(tx, ORG_POLICIES, "")?
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| p.policy_type == policy_type)
        .collect();
    customer.sort_by(|a, b| a.created.total_cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
    out.extend(customer.into_iter().map(|p| customer_policy(org, p)));
    Ok(out)
}

/// The policy types enabled in the organization's root.
pub fn enabled_types<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
) -> Result<Vec<String>, ServiceError> {
    Ok(ROOTS.get(tx, &org.root_id)?.map(|r| r.policy_types).unwrap_or_default())
}

/// The root's ARN.
pub fn root_arn(org: &OrganizationRecord) -> String {
    format!(
        "arn:{}:organizations::{}:root/{}/{}",
        org.partition, org.management_account_id, org.id, org.root_id
    )
}

/// An OU's ARN.
pub fn ou_arn(org: &OrganizationRecord, ou_id: &str) -> String {
    format!(
        "arn:{}:organizations::{}:ou/{}/{ou_id}",
        org.partition, org.management_account_id, org.id
    )
}

/// A root, OU or account of the organization.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Root,
    OrganizationalUnit(OrganizationalUnitRecord),
    Account(AccountRecord),
}

impl Node {
    /// `ROOT`, `ORGANIZATIONAL_UNIT` or `ACCOUNT` (the model's `TargetType`).
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Root => "ROOT",
            Node::OrganizationalUnit(_) => "ORGANIZATIONAL_UNIT",
            Node::Account(_) => "ACCOUNT",
        }
    }
}

/// The node with `id`, if it exists (ids of any other shape find nothing).
pub fn find_node<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    id: &str,
) -> Result<Option<Node>, ServiceError> {
    if id == org.root_id {
        return Ok(Some(Node::Root));
    }
    if is_ou_id(id) {
        return Ok(ORGANIZATIONAL_UNITS.get(tx, id)?.map(Node::OrganizationalUnit));
    }
    if ids::is_account_id(id) {
        return Ok(member_account(tx, id)?.map(Node::Account));
    }
    Ok(None)
}

/// The account `id`, if it is a member of the organization (it exists and has not left it).
pub fn member_account<X: ReadTx + ?Sized>(
    tx: &X,
    id: &str,
) -> Result<Option<AccountRecord>, ServiceError> {
    if DEPARTED_ACCOUNTS.get(tx, id)?.is_some() {
        return Ok(None);
    }
    Ok(ACCOUNTS.get(tx, id)?)
}

/// Every member account, in the order they joined (then by id), as AWS lists them.
pub fn member_accounts<X: ReadTx + ?Sized>(tx: &X) -> Result<Vec<AccountRecord>, ServiceError> {
    let departed: std::collections::HashSet<String> =
        scan_all(tx, DEPARTED_ACCOUNTS, "")?.into_iter().map(|(k, _)| k).collect();
    let mut out: Vec<AccountRecord> = scan_all(tx, ACCOUNTS, "")?
        .into_iter()
        .filter(|(k, _)| !departed.contains(k))
        .map(|(_, a)| a)
        .collect();
    out.sort_by(|a, b| {
        a.joined_timestamp.total_cmp(&b.joined_timestamp).then_with(|| a.id.cmp(&b.id))
    });
    Ok(out)
}

/// The paging key of an account in lists: its join time (fixed width, so string order is time
/// order), then its id.
pub fn account_sort_key(a: &AccountRecord) -> String {
    format!("{:020.6}/{}", a.joined_timestamp, a.id)
}

/// The parent (root or OU) `id` names, if it exists.
pub fn find_parent<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    id: &str,
) -> Result<Option<Node>, ServiceError> {
    Ok(find_node(tx, org, id)?.filter(|n| !matches!(n, Node::Account(_))))
}

/// The root or OU `account_id` is in.
pub fn account_parent<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    account_id: &str,
) -> Result<String, ServiceError> {
    Ok(ACCOUNT_PLACEMENTS
        .get(tx, account_id)?
        .map(|p| p.parent_id)
        .unwrap_or_else(|| org.root_id.clone()))
}

/// The OUs from the root down to `ou_id` included (empty for the root).
pub fn ou_path<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    ou_id: &str,
) -> Result<Vec<OrganizationalUnitRecord>, ServiceError> {
    let mut chain = Vec::new();
    let mut current = ou_id.to_owned();
    while current != org.root_id {
        let ou = ORGANIZATIONAL_UNITS
            .get(tx, &current)?
            .ok_or_else(|| ServiceError::internal(format!("ou `{current}` is not in the tree")))?;
        current = ou.parent_id.clone();
        chain.push(ou);
        // A cycle cannot be written; this bound keeps a corrupt store from looping.
        if chain.len() > MAX_OU_DEPTH + 1 {
            return Err(ServiceError::internal(format!("ou `{ou_id}` is nested too deeply")));
        }
    }
    chain.reverse();
    Ok(chain)
}

/// The policy ids attached to `target_id` (of `policy_type` when given), in id order.
pub fn attached_policies<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    target_id: &str,
    policy_type: Option<&str>,
) -> Result<Vec<String>, ServiceError> {
    let wanted = |t: &str| policy_type.is_none_or(|w| w == t);
    if ids::is_account_id(target_id) && ACCOUNT_PLACEMENTS.get(tx, target_id)?.is_none() {
        let mut defaults: Vec<String> = enabled_types(tx, org)?
            .iter()
            .filter(|t| wanted(t))
            .filter_map(|t| default_policy_id(t).map(str::to_owned))
            .collect();
        defaults.sort();
        return Ok(defaults);
    }
    Ok(scan_all(tx, ATTACHMENTS_BY_TARGET, &format!("{target_id}/"))?
        .into_iter()
        .filter(|(_, a)| wanted(&a.policy_type))
        .map(|(_, a)| a.policy_id)
        .collect())
}

/// The targets `policy_id` is attached to, in id order.
pub fn policy_targets<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    policy: &OrgPolicy,
) -> Result<Vec<String>, ServiceError> {
    let mut targets: Vec<String> = scan_all(tx, ATTACHMENTS_BY_POLICY, &format!("{}/", policy.id))?
        .into_iter()
        .map(|(_, a)| a.target_id)
        .collect();
    let is_enabled_default = default_policy_id(&policy.policy_type) == Some(policy.id.as_str())
        && enabled_types(tx, org)?.contains(&policy.policy_type);
    if is_enabled_default {
        for account in member_accounts(tx)? {
            if ACCOUNT_PLACEMENTS.get(tx, &account.id)?.is_none() {
                targets.push(account.id);
            }
        }
    }
    targets.sort();
    targets.dedup();
    Ok(targets)
}

/// Attaches `policy_id` (of `policy_type`) to `target_id`; `false` if it already was.
pub fn attach(
    tx: &mut dyn WriteTx,
    policy_id: &str,
    policy_type: &str,
    target_id: &str,
) -> Result<bool, ServiceError> {
    let record = AttachmentRecord {
        policy_id: policy_id.to_owned(),
        target_id: target_id.to_owned(),
        policy_type: policy_type.to_owned(),
    };
    if !ATTACHMENTS_BY_TARGET.insert_new(tx, &format!("{target_id}/{policy_id}"), &record)? {
        return Ok(false);
    }
    ATTACHMENTS_BY_POLICY.put(tx, &format!("{policy_id}/{target_id}"), &record)?;
    Ok(true)
}

/// Detaches `policy_id` from `target_id`; `false` if it was not attached.
pub fn detach(
    tx: &mut dyn WriteTx,
    policy_id: &str,
    target_id: &str,
) -> Result<bool, ServiceError> {
    let was = ATTACHMENTS_BY_TARGET.delete(tx, &format!("{target_id}/{policy_id}"))?;
    ATTACHMENTS_BY_POLICY.delete(tx, &format!("{policy_id}/{target_id}"))?;
    Ok(was)
}

/// Stores `account_id`'s implicit state (under the root, default policies of the enabled types
/// attached) so it can be changed; a no-op for an account already placed.
pub fn materialize_account(
    tx: &mut dyn WriteTx,
    org: &OrganizationRecord,
    account_id: &str,
) -> Result<AccountPlacementRecord, ServiceError> {
    if let Some(p) = ACCOUNT_PLACEMENTS.get(tx, account_id)? {
        return Ok(p);
    }
    let placement = AccountPlacementRecord {
        account_id: account_id.to_owned(),
        parent_id: org.root_id.clone(),
    };
    for policy_type in enabled_types(tx, org)? {
        if let Some(default) = default_policy_id(&policy_type) {
            attach(tx, default, &policy_type, account_id)?;
        }
    }
    ACCOUNT_PLACEMENTS.put(tx, account_id, &placement)?;
    Ok(placement)
}

/// The engine's cache key for one version of a policy's content.
fn cache_key(policy: &OrgPolicy) -> String {
    let digest = Sha256::digest(policy.content.as_bytes());
    let hash: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    let kind = if policy.policy_type == RESOURCE_CONTROL_POLICY { "rcp" } else { "scp" };
    format!("{kind}:{}#{hash}", policy.id)
}

/// The SCPs (or RCPs) that apply to `account_id`, one inner Vec per level from the root down
/// through each OU to the account itself, as (label, document JSON, cache_key) triples; `None`
/// when the organization has no such policy type enabled, or the account is the management
/// account (SCPs never apply to it), or there is no organization.
///
/// The label is the policy's ARN; the cache key changes whenever the policy's content does.
#[expect(clippy::type_complexity, reason = "the signature authz is written against")]
pub fn policy_levels(
    tx: &dyn ReadTx,
    account_id: &str,
    policy_type: &str, /* "SERVICE_CONTROL_POLICY" | "RESOURCE_CONTROL_POLICY" */
) -> Result<Option<Vec<Vec<(String, String, String)>>>, ServiceError> {
    let Some(org) = ORGANIZATION.get(tx, ORGANIZATION_KEY)? else {
        return Ok(None);
    };
    if account_id == org.management_account_id || member_account(tx, account_id)?.is_none() {
        return Ok(None);
    }
    if !enabled_types(tx, &org)?.iter().any(|t| t == policy_type) {
        return Ok(None);
    }
    let parent = account_parent(tx, &org, account_id)?;
    let mut targets = vec![org.root_id.clone()];
    if parent != org.root_id {
        targets.extend(ou_path(tx, &org, &parent)?.into_iter().map(|ou| ou.id));
    }
    targets.push(account_id.to_owned());
    let mut levels = Vec::with_capacity(targets.len());
    for target in &targets {
        let mut level = Vec::new();
        for policy_id in attached_policies(tx, &org, target, Some(policy_type))? {
            let policy = get_policy(tx, &org, &policy_id)?.ok_or_else(|| {
                ServiceError::internal(format!(
                    "policy `{policy_id}` attached to `{target}` does not exist"
                ))
            })?;
            let key = cache_key(&policy);
            level.push((policy.arn, policy.content, key));
        }
        levels.push(level);
    }
    Ok(Some(levels))
}

/// `policy_type` is one the model knows (`PolicyType` enum).
pub fn is_policy_type(policy_type: &str) -> bool {
    matches!(
        policy_type,
        "SERVICE_CONTROL_POLICY"
            | "RESOURCE_CONTROL_POLICY"
            | "TAG_POLICY"
            | "BACKUP_POLICY"
            | "AISERVICES_OPT_OUT_POLICY"
            | "CHATBOT_POLICY"
            | "DECLARATIVE_POLICY_EC2"
            | "SECURITYHUB_POLICY"
            | "INSPECTOR_POLICY"
            | "UPGRADE_ROLLOUT_POLICY"
            | "BEDROCK_POLICY"
            | "S3_POLICY"
            | "NETWORK_SECURITY_DIRECTOR_POLICY"
    )
}

/// The error for an id in `member` that does not have its shape (AWS's text names no member).
pub(crate) fn invalid_pattern(_member: &str) -> ServiceError {
    error::invalid_pattern()
}
