//! The read seam `authz` and `sts` use: the policies that apply to a user or a role, the
//! principal records, MFA seeds and managed policy documents, read inside the caller's
//! transaction. Nothing here decides anything.
//!
//! Security: [`mfa_seed`] returns a TOTP secret; callers use it to verify a code and drop it.

use xacct_store::ReadTx;

use super::common::{fnv1a, unhex};
use super::managed::{self, ManagedPolicy};
use super::model::{self, entity_key, GROUPS, ROLES, USERS, VIRTUAL_MFA};
use crate::ServiceError;

/// One policy document that applies to a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDoc {
    /// The policy name (inline) or ARN (managed).
    pub label: String,
    /// The JSON text as written.
    pub document: String,
    /// Unique per document version: compiled policies may be cached under it.
    pub cache_key: String,
}

/// Everything identity-side about a principal that policy evaluation needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrincipalPolicies {
    /// Inline and attached managed policies (a user's groups' too).
    pub identity: Vec<PolicyDoc>,
    pub permissions_boundary: Option<PolicyDoc>,
    /// The principal's IAM tags (for `aws:PrincipalTag`).
    pub tags: Vec<(String, String)>,
}

fn inline_doc(owner: &str, name: &str, document: &str) -> PolicyDoc {
    PolicyDoc {
        label: name.to_owned(),
        document: document.to_owned(),
        cache_key: format!("{owner}/inline/{name}@{}-{:016x}", document.len(), fnv1a(document)),
    }
}

fn managed_doc(policy: &ManagedPolicy) -> Option<PolicyDoc> {
    Some(PolicyDoc {
        label: policy.arn().to_owned(),
        document: policy.default_document()?.to_owned(),
        cache_key: policy.cache_key(),
    })
}

/// Appends the documents of attached managed policies; ARNs that no longer resolve are skipped.
fn push_attached(
    tx: &dyn ReadTx,
    account: &str,
    arns: &[String],
    out: &mut Vec<PolicyDoc>,
) -> Result<(), ServiceError> {
    for arn in arns {
        if let Some(doc) = managed_policy_document(tx, account, arn)? {
            out.push(doc);
        }
    }
    Ok(())
}

/// The policies of user `user_name` of `account`: its inline and attached policies and those of
/// each of its groups, its boundary and tags. `None` if there is no such user.
pub fn user_policies(
    tx: &dyn ReadTx,
    account: &str,
    user_name: &str,
) -> Result<Option<PrincipalPolicies>, ServiceError> {
    let Some(user) = USERS.get(tx, &entity_key(account, user_name))? else {
        return Ok(None);
    };
    let mut identity = Vec::new();
    let owner = format!("{account}/user/{}", user.user_id);
    for (name, doc) in &user.inline_policies {
        identity.push(inline_doc(&owner, name, doc));
    }
    push_attached(tx, account, &user.attached_policies, &mut identity)?;
    for group_name in &user.groups {
        let Some(group) = GROUPS.get(tx, &entity_key(account, group_name))? else {
            continue;
        };
        let owner = format!("{account}/group/{}", group.group_id);
        for (name, doc) in &group.inline_policies {
            identity.push(inline_doc(&owner, name, doc));
        }
        push_attached(tx, account, &group.attached_policies, &mut identity)?;
    }
    let permissions_boundary = match &user.permissions_boundary {
        Some(arn) => managed_policy_document(tx, account, arn)?,
        None => None,
    };
    let tags = user.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
    Ok(Some(PrincipalPolicies { identity, permissions_boundary, tags }))
}

/// The policies of role `role_name` of `account`. `None` if there is no such role.
pub fn role_policies(
    tx: &dyn ReadTx,
    account: &str,
    role_name: &str,
) -> Result<Option<PrincipalPolicies>, ServiceError> {
    let Some(role) = ROLES.get(tx, &entity_key(account, role_name))? else {
        return Ok(None);
    };
    let mut identity = Vec::new();
    let owner = format!("{account}/role/{}", role.role_id);
    for (name, doc) in &role.inline_policies {
        identity.push(inline_doc(&owner, name, doc));
    }
    push_attached(tx, account, &role.attached_policies, &mut identity)?;
    let permissions_boundary = match &role.permissions_boundary {
        Some(arn) => managed_policy_document(tx, account, arn)?,
        None => None,
    };
    let tags = role.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
    Ok(Some(PrincipalPolicies { identity, permissions_boundary, tags }))
}

/// The role record (name matched case-insensitively, as IAM does).
pub fn role(
    tx: &dyn ReadTx,
    account: &str,
    role_name: &str,
) -> Result<Option<model::RoleRecord>, ServiceError> {
    Ok(ROLES.get(tx, &entity_key(account, role_name))?)
}

/// The user record (name matched case-insensitively, as IAM does).
pub fn user(
    tx: &dyn ReadTx,
    account: &str,
    user_name: &str,
) -> Result<Option<model::UserRecord>, ServiceError> {
    Ok(USERS.get(tx, &entity_key(account, user_name))?)
}

/// For a virtual MFA device serial number (`arn:aws:iam::ACCT:mfa/PATH/NAME`) of `account` that
/// is enabled for a user: that user's name and the TOTP seed. `None` for an unknown or
/// unassigned device.
pub fn mfa_seed(
    tx: &dyn ReadTx,
    account: &str,
    serial_number: &str,
) -> Result<Option<(String, Vec<u8>)>, ServiceError> {
    let Some(name) = mfa_device_name(account, serial_number) else {
        return Ok(None);
    };
    let Some(device) = VIRTUAL_MFA.get(tx, &entity_key(account, name))? else {
        return Ok(None);
    };
    if device.serial_number != serial_number {
        return Ok(None);
    }
    let (Some(user), Some(seed)) = (device.user_name, unhex(&device.seed_hex)) else {
        return Ok(None);
    };
    Ok(Some((user, seed)))
}

/// The path (without its leading `/`) and name in a serial number of `account`: the device's
/// key, since a name is unique only within its path.
pub(crate) fn mfa_device_name<'s>(account: &str, serial_number: &'s str) -> Option<&'s str> {
    let rest = serial_number.strip_prefix("arn:aws:iam::")?;
    let (acct, resource) = rest.split_once(':')?;
    if acct != account {
        return None;
    }
    let path_and_name = resource.strip_prefix("mfa/")?;
    (!path_and_name.is_empty() && !path_and_name.ends_with('/')).then_some(path_and_name)
}

/// The table key of a virtual MFA device: its path (without the leading `/`) and name, so
/// `/a/x` and `/x` are two devices ("MFADevice entity at the same path and name already
/// exists" is IAM's duplicate error).
pub(crate) fn mfa_device_key(device: &model::VirtualMfaRecord) -> String {
    let path = device.path.strip_prefix('/').unwrap_or(&device.path);
    entity_key(&device.account_id, &format!("{path}{}", device.name))
}

/// The default version of managed policy `arn` (customer managed in `account`, or AWS
/// managed), e.g. for STS `PolicyArns`. `None` if `account` cannot see such a policy.
pub fn managed_policy_document(
    tx: &dyn ReadTx,
    account: &str,
    arn: &str,
) -> Result<Option<PolicyDoc>, ServiceError> {
    Ok(managed::resolve(tx, account, arn)?.as_ref().and_then(managed_doc))
}
