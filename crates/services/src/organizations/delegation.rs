//! Other AWS services and the organization: trusted access (`EnableAWSServiceAccess`,
//! `DisableAWSServiceAccess`, `ListAWSServiceAccessForOrganization`) and delegated
//! administrators (`RegisterDelegatedAdministrator`, `DeregisterDelegatedAdministrator`,
//! `ListDelegatedAdministrators`, `ListDelegatedServicesForAccount`).
//!
//! xacct records both; no other service acts on them yet.

use serde_json::{json, Value};
use xacct_store::ReadTx;

use super::model::{
    DelegatedAdminRecord, OrganizationRecord, ServiceAccessRecord, DELEGATED_ADMINS, SERVICE_ACCESS,
};
use super::ous::{page, required};
use super::tree;
use super::{account_json, error, organization_for_management, organization_of};
use crate::{ids, Call, Caller, ServiceError, Services};

/// The service principals AWS accepts for trusted access, and whether each supports a delegated
/// administrator, after AWS's "AWS services that you can use with AWS Organizations" table
/// (maintained by hand: a principal missing here is answered as unrecognized).
const SERVICES: &[(&str, bool)] = &[
    ("access-analyzer.amazonaws.com", true),
    ("account.amazonaws.com", true),
    ("auditmanager.amazonaws.com", true),
    ("aws-artifact-account-sync.amazonaws.com", false),
    ("backup.amazonaws.com", true),
    ("cloudtrail.amazonaws.com", true),
    ("compute-optimizer.amazonaws.com", true),
    ("config-multiaccountsetup.amazonaws.com", true),
    ("config.amazonaws.com", true),
    ("controltower.amazonaws.com", false),
    ("cost-optimization-hub.bcm.amazonaws.com", true),
    ("detective.amazonaws.com", true),
    ("devops-guru.amazonaws.com", true),
    ("ds.amazonaws.com", false),
    ("fms.amazonaws.com", true),
    ("guardduty.amazonaws.com", true),
    ("health.amazonaws.com", true),
    ("iam.amazonaws.com", true),
    ("inspector2.amazonaws.com", true),
    ("ipam.amazonaws.com", true),
    ("license-management.marketplace.amazonaws.com", true),
    ("license-manager.amazonaws.com", true),
    ("license-manager.member-account.amazonaws.com", false),
    ("macie.amazonaws.com", true),
    ("malware-protection.guardduty.amazonaws.com", false),
    ("member.org.stacksets.cloudformation.amazonaws.com", true),
    ("mgn.amazonaws.com", true),
    ("networkmanager.amazonaws.com", true),
    ("ram.amazonaws.com", false),
    ("reachabilityanalyzer.networkinsights.amazonaws.com", true),
    ("reporting.trustedadvisor.amazonaws.com", true),
    ("resource-explorer-2.amazonaws.com", true),
    ("securityhub.amazonaws.com", true),
    ("securitylake.amazonaws.com", true),
    ("servicecatalog.amazonaws.com", true),
    ("servicequotas.amazonaws.com", false),
    ("ssm.amazonaws.com", true),
    ("sso.amazonaws.com", true),
    ("storage-lens.s3.amazonaws.com", true),
    ("tagpolicies.tag.amazonaws.com", false),
    ("wellarchitected.amazonaws.com", false),
];

/// `ServicePrincipal` of `input`, which must be a trusted-access service (and support delegated
/// administrators when `delegable`).
fn principal_from(input: &Value, delegable: bool) -> Result<&str, ServiceError> {
    let principal = required(input, "ServicePrincipal")?;
    check_principal(principal, delegable)?;
    Ok(principal)
}

fn check_principal(principal: &str, delegable: bool) -> Result<(), ServiceError> {
    let known = SERVICES.iter().any(|(p, d)| *p == principal && (*d || !delegable));
    if known {
        Ok(())
    } else {
        Err(error::unrecognized_service_principal())
    }
}

/// The organization, provided `caller` is its management account or a delegated administrator
/// (the callers AWS allows for the read operations here).
pub(crate) fn organization_for_admin(
    services: &Services,
    caller: &Caller,
) -> Result<OrganizationRecord, ServiceError> {
    let org = organization_of(services)?;
    if caller.account == org.management_account_id {
        return Ok(org);
    }
    let tx = services.store().read()?;
    let delegated = tree::member_account(&*tx, &caller.account)?.is_some()
        && !DELEGATED_ADMINS.scan(&*tx, &format!("{}/", caller.account), None, 1)?.is_empty();
    if delegated {
        Ok(org)
    } else {
        Err(error::access_denied())
    }
}

pub fn enable_aws_service_access(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    organization_for_management(services, call.caller)?;
    let principal = principal_from(call.input, false)?;
    let mut tx = services.store().write()?;
    // Enabling a service that already has access changes nothing (its date stays).
    if SERVICE_ACCESS.get(&*tx, principal)?.is_none() {
        let record = ServiceAccessRecord {
            service_principal: principal.to_owned(),
            date_enabled: services.clock().now_epoch_f64(),
        };
        SERVICE_ACCESS.put(&mut *tx, principal, &record)?;
        tx.commit()?;
    }
    Ok(json!({}))
}

pub fn disable_aws_service_access(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    organization_for_management(services, call.caller)?;
    let principal = principal_from(call.input, false)?;
    let mut tx = services.store().write()?;
    if SERVICE_ACCESS.delete(&mut *tx, principal)? {
        tx.commit()?;
    }
    Ok(json!({}))
}

pub fn list_aws_service_access_for_organization(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    organization_for_admin(services, call.caller)?;
    let tx = services.store().read()?;
    let items = tree::scan_all(&*tx, SERVICE_ACCESS, "")?
        .into_iter()
        .map(|(k, r)| {
            (k, json!({"ServicePrincipal": r.service_principal, "DateEnabled": r.date_enabled}))
        })
        .collect();
    page(call.input, "EnabledServicePrincipals", items)
}

/// AWS's text for registering or deregistering the management account.
fn cannot_register_management() -> ServiceError {
    error::constraint_violation(
        "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR",
        "You cannot register master account/yourself as delegated administrator for your organization.",
    )
}

/// The `AccountId` of `input`, well formed.
fn account_id_from(input: &Value) -> Result<&str, ServiceError> {
    let id = required(input, "AccountId")?;
    if !ids::is_account_id(id) {
        return Err(error::invalid_pattern());
    }
    Ok(id)
}

/// The delegated administrator registrations of `account_id`, by service principal.
fn registrations<X: ReadTx + ?Sized>(
    tx: &X,
    account_id: &str,
) -> Result<Vec<DelegatedAdminRecord>, ServiceError> {
    Ok(tree::scan_all(tx, DELEGATED_ADMINS, &format!("{account_id}/"))?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

pub fn register_delegated_administrator(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let account_id = account_id_from(call.input)?;
    let principal = principal_from(call.input, true)?;
    if account_id == org.management_account_id {
        return Err(cannot_register_management());
    }
    let mut tx = services.store().write()?;
    let account = tree::member_account(&*tx, account_id)?.ok_or_else(error::account_not_found)?;
    if account.status != "ACTIVE" {
        // The model's description of the reason (AWS's exact text is not known).
        return Err(error::constraint_violation(
            "CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR",
            "You cannot register a suspended account as a delegated administrator.",
        ));
    }
    let key = format!("{account_id}/{principal}");
    let record = DelegatedAdminRecord {
        account_id: account_id.to_owned(),
        service_principal: principal.to_owned(),
        delegation_enabled_date: services.clock().now_epoch_f64(),
    };
    if !DELEGATED_ADMINS.insert_new(&mut *tx, &key, &record)? {
        return Err(error::account_already_registered());
    }
    tx.commit()?;
    Ok(json!({}))
}

pub fn deregister_delegated_administrator(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let account_id = account_id_from(call.input)?;
    let principal = principal_from(call.input, true)?;
    if account_id == org.management_account_id {
        return Err(cannot_register_management());
    }
    let mut tx = services.store().write()?;
    if tree::member_account(&*tx, account_id)?.is_none() {
        return Err(error::account_not_found());
    }
    if registrations(&*tx, account_id)?.is_empty() {
        return Err(error::account_not_registered());
    }
    // An account registered for other services only: AWS answers the principal is unknown
    // (as moto records it).
    if !DELEGATED_ADMINS.delete(&mut *tx, &format!("{account_id}/{principal}"))? {
        return Err(error::unrecognized_service_principal());
    }
    tx.commit()?;
    Ok(json!({}))
}

pub fn list_delegated_administrators(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_admin(services, call.caller)?;
    let filter = crate::input_str(call.input, "ServicePrincipal");
    if let Some(p) = filter {
        check_principal(p, true)?;
    }
    let tx = services.store().read()?;
    let mut items = Vec::new();
    for account in tree::member_accounts(&*tx)? {
        let since = registrations(&*tx, &account.id)?
            .into_iter()
            .filter(|r| filter.is_none_or(|p| p == r.service_principal))
            .map(|r| r.delegation_enabled_date)
            .reduce(f64::min);
        let Some(since) = since else { continue };
        let mut admin = account_json(&org, &account);
        if let Some(obj) = admin.as_object_mut() {
            obj.insert("DelegationEnabledDate".into(), json!(since));
        }
        items.push((tree::account_sort_key(&account), admin));
    }
    page(call.input, "DelegatedAdministrators", items)
}

pub fn list_delegated_services_for_account(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    organization_for_admin(services, call.caller)?;
    let account_id = account_id_from(call.input)?;
    let tx = services.store().read()?;
    if tree::member_account(&*tx, account_id)?.is_none() {
        // An account outside the organization: AWS answers the organization is not in use for
        // it (as moto records it), not AccountNotFoundException.
        return Err(error::not_in_use());
    }
    let items: Vec<(String, Value)> = registrations(&*tx, account_id)?
        .into_iter()
        .map(|r| {
            let v = json!({
                "ServicePrincipal": r.service_principal,
                "DelegationEnabledDate": r.delegation_enabled_date,
            });
            (r.service_principal, v)
        })
        .collect();
    if items.is_empty() {
        return Err(error::account_not_registered());
    }
    page(call.input, "DelegatedServices", items)
}
