//! IAM operation handlers, grouped by family. Loaders here turn a missing entity into AWS's
//! `NoSuchEntity` message for it.

pub mod access_keys;
pub mod account;
pub mod credentials;
pub mod groups;
pub mod instance_profiles;
pub mod mfa;
pub mod policies;
pub mod providers;
pub mod roles;
pub mod server_certificates;
pub mod simulate;
pub mod users;

use xacct_store::ReadTx;

use super::error;
use super::managed::{self, ManagedPolicy};
use super::model::{entity_key, GroupRecord, RoleRecord, UserRecord, GROUPS, ROLES, USERS};
use crate::{Call, PrincipalKind, ServiceError};

pub(crate) fn load_user(
    tx: &dyn ReadTx,
    account: &str,
    name: &str,
) -> Result<UserRecord, ServiceError> {
    USERS
        .get(tx, &entity_key(account, name))?
        .ok_or_else(|| error::no_such_entity(format!("The user with name {name} cannot be found.")))
}

pub(crate) fn load_group(
    tx: &dyn ReadTx,
    account: &str,
    name: &str,
) -> Result<GroupRecord, ServiceError> {
    GROUPS.get(tx, &entity_key(account, name))?.ok_or_else(|| {
        error::no_such_entity(format!("The group with name {name} cannot be found."))
    })
}

pub(crate) fn load_role(
    tx: &dyn ReadTx,
    account: &str,
    name: &str,
) -> Result<RoleRecord, ServiceError> {
    ROLES
        .get(tx, &entity_key(account, name))?
        .ok_or_else(|| error::no_such_entity(format!("The role with name {name} cannot be found.")))
}

/// The managed policy `arn` visible to `account`, or AWS's `NoSuchEntity`.
pub(crate) fn load_policy(
    tx: &dyn ReadTx,
    account: &str,
    arn: &str,
) -> Result<ManagedPolicy, ServiceError> {
    managed::resolve(tx, account, arn)?.ok_or_else(|| policy_not_found(arn))
}

pub(crate) fn policy_not_found(arn: &str) -> ServiceError {
    error::no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

/// The user an access key or MFA operation without `UserName` applies to: the calling IAM
/// user; `None` for the root user (its own credentials).
pub(crate) fn implicit_user(call: &Call<'_>) -> Result<Option<String>, ServiceError> {
    match call.caller.kind {
        PrincipalKind::Root => Ok(None),
        PrincipalKind::IamUser => Ok(Some(call.caller.name.clone())),
        _ => Err(ServiceError::client(
            "ValidationError",
            400,
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

/// A permissions boundary ARN must name a managed policy the account can see.
pub(crate) fn check_boundary(
    tx: &dyn ReadTx,
    account: &str,
    arn: &str,
) -> Result<(), ServiceError> {
    match managed::resolve(tx, account, arn)? {
        Some(_) => Ok(()),
        None => Err(error::no_such_entity(format!(
            "Scope ARN: {arn} does not exist or is not attachable."
        ))),
    }
}
