//! Account-wide views: `GetAccountAuthorizationDetails`, `GetAccountSummary`, account aliases.

use serde_json::{json, Map, Value};

use super::policies::{attached_json, inline_details, policies_for_details, policy_detail_json};
use super::roles::{all_roles, profiles_of_role, role_json};
use super::users::{all_users, boundary_json};
use crate::accounts::{KeyOwner, ACCESS_KEYS};
use crate::iam::common::{
    empty, opt_strings, put_opt, required, tags_json, url_encode, with_paging, Paging,
};
use crate::iam::error;
use crate::iam::managed::ManagedPolicy;
use crate::iam::model::{
    account_prefix, ACCOUNT_ALIASES, GROUPS, INSTANCE_PROFILES, POLICIES, SERVER_CERTIFICATES,
    VIRTUAL_MFA,
};
use crate::{Call, ServiceError, Services};

pub fn get_account_authorization_details(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let paging = Paging::from_call(call)?;
    let filter = opt_strings(call, "Filter");
    let want = |f: &str| filter.is_empty() || filter.iter().any(|x| x == f);
    let tx = services.store().read()?;
    let mut items: Vec<(String, (&'static str, Value))> = Vec::new();
    if want("User") {
        for (k, u) in all_users(&*tx, account)? {
            let mut v = json!({
                "Path": u.path, "UserName": u.user_name, "UserId": u.user_id, "Arn": u.arn,
                "CreateDate": u.create_date,
                "UserPolicyList": inline_details(&u.inline_policies),
                "GroupList": u.groups,
                "AttachedManagedPolicies": u.attached_policies.iter().map(|a| attached_json(a)).collect::<Vec<_>>(),
                "Tags": tags_json(&u.tags),
            });
            put_opt(&mut v, "PermissionsBoundary", boundary_json(u.permissions_boundary.as_ref()));
            items.push((format!("1/{k}"), ("UserDetailList", v)));
        }
    }
    if want("Group") {
        for (k, g) in GROUPS.scan(&*tx, &account_prefix(account), None, usize::MAX)? {
            let v = json!({
                "Path": g.path, "GroupName": g.group_name, "GroupId": g.group_id, "Arn": g.arn,
                "CreateDate": g.create_date,
                "GroupPolicyList": inline_details(&g.inline_policies),
                "AttachedManagedPolicies": g.attached_policies.iter().map(|a| attached_json(a)).collect::<Vec<_>>(),
            });
            items.push((format!("2/{k}"), ("GroupDetailList", v)));
        }
    }
    if want("Role") {
        for (k, r) in all_roles(&*tx, account)? {
            let profiles: Vec<Value> = profiles_of_role(&*tx, account, &r.role_name)?
                .iter()
                .map(|p| {
                    json!({
                        "Path": p.path, "InstanceProfileName": p.name, "InstanceProfileId": p.id,
                        "Arn": p.arn, "CreateDate": p.create_date, "Roles": [role_json(&r, false)],
                    })
                })
                .collect();
            let mut v = json!({
                "Path": r.path, "RoleName": r.role_name, "RoleId": r.role_id, "Arn": r.arn,
                "CreateDate": r.create_date,
                "AssumeRolePolicyDocument": url_encode(&r.assume_role_policy_document),
                "InstanceProfileList": profiles,
                "RolePolicyList": inline_details(&r.inline_policies),
                "AttachedManagedPolicies": r.attached_policies.iter().map(|a| attached_json(a)).collect::<Vec<_>>(),
                "Tags": tags_json(&r.tags),
                "RoleLastUsed": {},
            });
            put_opt(&mut v, "PermissionsBoundary", boundary_json(r.permissions_boundary.as_ref()));
            items.push((format!("3/{k}"), ("RoleDetailList", v)));
        }
    }
    if want("LocalManagedPolicy") || want("AWSManagedPolicy") {
        for (p, counts) in policies_for_details(&*tx, account)? {
            let wanted = match p {
                ManagedPolicy::Customer(_) => want("LocalManagedPolicy"),
                ManagedPolicy::Aws(_) => want("AWSManagedPolicy"),
            };
            if wanted {
                items.push((
                    format!("4/{}", p.arn().to_ascii_lowercase()),
                    ("Policies", policy_detail_json(&p, counts)),
                ));
            }
        }
    }
    let (page, next) = paging.page(items);
    let mut out =
        json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []});
    for (member, v) in page {
        if let Some(list) = out.get_mut(member).and_then(Value::as_array_mut) {
            list.push(v);
        }
    }
    Ok(with_paging(out, next))
}

pub fn get_account_summary(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let prefix = account_prefix(account);
    let tx = services.store().read()?;
    let users = all_users(&*tx, account)?;
    let groups = GROUPS.scan(&*tx, &prefix, None, usize::MAX)?.len();
    let roles = all_roles(&*tx, account)?.len();
    let policies = POLICIES.scan(&*tx, &prefix, None, usize::MAX)?;
    let versions: usize = policies.iter().map(|(_, p)| p.versions.len()).sum();
    let profiles = INSTANCE_PROFILES.scan(&*tx, &prefix, None, usize::MAX)?.len();
    let mfa = VIRTUAL_MFA.scan(&*tx, &prefix, None, usize::MAX)?;
    let server_certificates = SERVER_CERTIFICATES.scan(&*tx, &prefix, None, usize::MAX)?.len();
    let mfa_in_use = mfa.iter().filter(|(_, d)| d.user_name.is_some()).count();
    let root_keys = ACCESS_KEYS
        .scan(&*tx, "", None, usize::MAX)?
        .iter()
        .filter(|(_, k)| k.account_id == *account && k.owner == KeyOwner::Root)
        .count();
    let mut map = Map::new();
    let entries: [(&str, usize); 32] = [
        ("Users", users.len()),
        ("UsersQuota", 5000),
        ("Groups", groups),
        ("GroupsQuota", 300),
        ("Roles", roles),
        ("RolesQuota", 1000),
        ("Policies", policies.len()),
        ("PoliciesQuota", 1500),
        ("PolicyVersionsInUse", versions),
        ("PolicyVersionsInUseQuota", 10000),
        ("VersionsPerPolicyQuota", 5),
        ("PolicySizeQuota", 6144),
        ("UserPolicySizeQuota", 2048),
        ("GroupPolicySizeQuota", 5120),
        ("RolePolicySizeQuota", 10240),
        ("AssumeRolePolicySizeQuota", 2048),
        ("InstanceProfiles", profiles),
        ("InstanceProfilesQuota", 1000),
        ("MFADevices", mfa.len()),
        ("MFADevicesInUse", mfa_in_use),
        ("AccountMFAEnabled", 0),
        ("AccessKeysPerUserQuota", 2),
        ("AccountAccessKeysPresent", usize::from(root_keys > 0)),
        ("GroupsPerUserQuota", 10),
        ("AttachedPoliciesPerUserQuota", 10),
        ("AttachedPoliciesPerGroupQuota", 10),
        ("AttachedPoliciesPerRoleQuota", 10),
        ("ServerCertificates", server_certificates),
        ("ServerCertificatesQuota", 20),
        ("SigningCertificatesPerUserQuota", 2),
        ("AccountSigningCertificatesPresent", 0),
        ("GlobalEndpointTokenVersion", 1),
    ];
    for (k, v) in entries {
        map.insert(k.to_owned(), json!(v));
    }
    map.insert("Providers".to_owned(), json!(0));
    Ok(json!({ "SummaryMap": map }))
}

fn valid_alias(alias: &str) -> bool {
    let b = alias.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.first().is_some_and(|c| *c != b'-')
        && b.last().is_some_and(|c| *c != b'-')
        && !alias.contains("--")
}

pub fn create_account_alias(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let alias = required(call, "AccountAlias")?;
    if !valid_alias(alias) {
        return Err(error::validation(
            alias,
            "accountAlias",
            "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
        ));
    }
    let mut tx = services.store().write()?;
    let taken = ACCOUNT_ALIASES
        .scan(&*tx, "", None, usize::MAX)?
        .into_iter()
        .any(|(k, a)| a == alias && k != *account);
    if taken {
        return Err(error::entity_already_exists(format!(
            "The account alias {alias} already exists."
        )));
    }
    ACCOUNT_ALIASES.put(&mut *tx, account, &alias.to_owned())?;
    tx.commit()?;
    Ok(empty())
}

pub fn delete_account_alias(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let alias = required(call, "AccountAlias")?;
    let mut tx = services.store().write()?;
    if ACCOUNT_ALIASES.get(&*tx, account)?.as_deref() != Some(alias) {
        return Err(error::no_such_entity(format!("The account alias {alias} cannot be found.")));
    }
    ACCOUNT_ALIASES.delete(&mut *tx, account)?;
    tx.commit()?;
    Ok(empty())
}

pub fn list_account_aliases(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let aliases: Vec<String> =
        ACCOUNT_ALIASES.get(&*tx, &call.caller.account)?.into_iter().collect();
    Ok(json!({ "AccountAliases": aliases, "IsTruncated": false }))
}
