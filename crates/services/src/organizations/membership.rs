//! Accounts leaving the organization and the organization's end: `CloseAccount`,
//! `RemoveAccountFromOrganization`, `LeaveOrganization` and `DeleteOrganization`.
//!
//! An account that leaves keeps existing (its record, IAM principals and keys stay, as a
//! standalone AWS account does); a [`DepartedAccountRecord`] takes it out of every Organizations
//! view and of SCP/RCP evaluation, and its placement, policy attachments, tags and delegated
//! administrator registrations go with it.

use serde_json::{json, Value};
use xacct_store::WriteTx;

use super::model::{
    DepartedAccountRecord, OrganizationRecord, ACCOUNT_PLACEMENTS, ATTACHMENTS_BY_POLICY,
    ATTACHMENTS_BY_TARGET, CREATE_ACCOUNT_STATUS, DELEGATED_ADMINS, DEPARTED_ACCOUNTS,
    ORGANIZATION, ORGANIZATIONAL_UNITS, ORGANIZATION_KEY, ORG_POLICIES, RESOURCE_POLICY, ROOTS,
    SERVICE_ACCESS, TAGS,
};
use super::ous::required;
use super::tree;
use super::{error, organization_for_management, organization_for_member};
use crate::accounts::ACCOUNTS;
use crate::{ids, Call, ServiceError, Services};

/// `AccountStatus` of a closed account. AWS shows `PENDING_CLOSURE` while it closes the account
/// in the background, then `SUSPENDED`; xacct closes it within the request, so the account is
/// `SUSPENDED` as soon as `CloseAccount` answers.
pub const SUSPENDED: &str = "SUSPENDED";
pub const PENDING_CLOSURE: &str = "PENDING_CLOSURE";

/// The member account `AccountId` names: malformed → `InvalidInputException`, not a member →
/// `AccountNotFoundException`.
fn member_from(
    tx: &dyn xacct_store::ReadTx,
    input: &Value,
) -> Result<crate::accounts::AccountRecord, ServiceError> {
    let id = required(input, "AccountId")?;
    if !ids::is_account_id(id) {
        return Err(error::invalid_pattern());
    }
    tree::member_account(tx, id)?.ok_or_else(error::account_not_found)
}

pub fn close_account(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let mut account = member_from(&*tx, call.input)?;
    if account.id == org.management_account_id {
        // The model's description of the reason (AWS's exact text is not known).
        return Err(error::constraint_violation(
            "CANNOT_CLOSE_MANAGEMENT_ACCOUNT",
            "You attempted to close the management account. To close the management account for the organization, you must first either remove or close all member accounts in the organization.",
        ));
    }
    if account.status == SUSPENDED || account.status == PENDING_CLOSURE {
        return Err(error::account_already_closed());
    }
    // The account stays in the organization, suspended, as AWS keeps a closed account for 90
    // days before it leaves.
    account.status = SUSPENDED.to_owned();
    ACCOUNTS.put(&mut *tx, &account.id, &account)?;
    tx.commit()?;
    Ok(json!({}))
}

/// `ConstraintViolationException` if `account_id` is a delegated administrator (AWS requires
/// deregistering it first).
fn check_not_delegated_admin(
    tx: &dyn xacct_store::ReadTx,
    account_id: &str,
) -> Result<(), ServiceError> {
    if !DELEGATED_ADMINS.scan(tx, &format!("{account_id}/"), None, 1)?.is_empty() {
        // The model's description of the reason (AWS's exact text is not known).
        return Err(error::constraint_violation(
            "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
            "You must first deregister this account as a delegated administrator before removing the account from the organization.",
        ));
    }
    Ok(())
}

/// Takes `account_id` out of the organization: its placement, attachments and tags go, and it
/// is recorded as departed.
fn depart(tx: &mut dyn WriteTx, account_id: &str, now: f64) -> Result<(), ServiceError> {
    for (_, a) in tree::scan_all(tx, ATTACHMENTS_BY_TARGET, &format!("{account_id}/"))? {
        tree::detach(tx, &a.policy_id, account_id)?;
    }
    ACCOUNT_PLACEMENTS.delete(tx, account_id)?;
    super::tags::drop_tags(tx, account_id)?;
    let record =
        DepartedAccountRecord { account_id: account_id.to_owned(), departed_timestamp: now };
    DEPARTED_ACCOUNTS.put(tx, account_id, &record)?;
    Ok(())
}

pub fn remove_account_from_organization(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let account = member_from(&*tx, call.input)?;
    if account.id == org.management_account_id {
        return Err(error::master_cannot_leave());
    }
    check_not_delegated_admin(&*tx, &account.id)?;
    depart(&mut *tx, &account.id, services.clock().now_epoch_f64())?;
    tx.commit()?;
    Ok(json!({}))
}

pub fn leave_organization(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_member(services, call.caller)?;
    if call.caller.account == org.management_account_id {
        return Err(error::master_cannot_leave());
    }
    let mut tx = services.store().write()?;
    if tree::member_account(&*tx, &call.caller.account)?.is_none() {
        return Err(error::not_in_use());
    }
    check_not_delegated_admin(&*tx, &call.caller.account)?;
    depart(&mut *tx, &call.caller.account, services.clock().now_epoch_f64())?;
    tx.commit()?;
    Ok(json!({}))
}

/// Deletes every record of `table` (one of the organization's own tables).
fn clear<T>(tx: &mut dyn WriteTx, table: xacct_store::Table<T>) -> Result<(), ServiceError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    for (key, _) in tree::scan_all(tx, table, "")? {
        table.delete(tx, &key)?;
    }
    Ok(())
}

pub fn delete_organization(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org: OrganizationRecord = organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let members = tree::member_accounts(&*tx)?;
    if members.iter().any(|a| a.id != org.management_account_id) {
        return Err(error::organization_not_empty());
    }
    // The organization's OUs, policies, attachments, tags and settings go with it; accounts
    // that left earlier stay standalone.
    clear(&mut *tx, ORGANIZATIONAL_UNITS)?;
    clear(&mut *tx, ACCOUNT_PLACEMENTS)?;
    clear(&mut *tx, ROOTS)?;
    clear(&mut *tx, ORG_POLICIES)?;
    clear(&mut *tx, ATTACHMENTS_BY_TARGET)?;
    clear(&mut *tx, ATTACHMENTS_BY_POLICY)?;
    clear(&mut *tx, TAGS)?;
    clear(&mut *tx, SERVICE_ACCESS)?;
    clear(&mut *tx, DELEGATED_ADMINS)?;
    clear(&mut *tx, RESOURCE_POLICY)?;
    clear(&mut *tx, CREATE_ACCOUNT_STATUS)?;
    super::handshakes::clear_handshakes(&mut *tx)?;
    ORGANIZATION.delete(&mut *tx, ORGANIZATION_KEY)?;
    tx.commit()?;
    Ok(json!({}))
}
