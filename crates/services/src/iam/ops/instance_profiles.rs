//! Instance profiles: create, read, list, delete, one role each, a role's profiles, tags.

use serde_json::{json, Value};

use super::load_role;
use super::roles::{profiles_of_role, role_json};
use crate::iam::common::{
    check_name, empty, list_tags, merge_tags, path_member, path_prefix, required, tags_json,
    tags_member, untag, with_paging, Paging,
};
use crate::iam::error;
use crate::iam::model::{
    account_prefix, entity_key, InstanceProfileRecord, INSTANCE_PROFILES, ROLES,
};
use crate::{ids, Call, ServiceError, Services};

/// Roles per instance profile (AWS's fixed quota).
pub const ROLES_PER_PROFILE: usize = 1;

fn load(
    tx: &dyn xacct_store::ReadTx,
    account: &str,
    name: &str,
) -> Result<InstanceProfileRecord, ServiceError> {
    INSTANCE_PROFILES
        .get(tx, &entity_key(account, name))?
        .ok_or_else(|| error::no_such_entity(format!("Instance Profile {name} cannot be found.")))
}

fn profile_json(
    tx: &dyn xacct_store::ReadTx,
    p: &InstanceProfileRecord,
) -> Result<Value, ServiceError> {
    let mut roles = Vec::new();
    for r in &p.roles {
        if let Some(role) = ROLES.get(tx, &entity_key(&p.account_id, r))? {
            roles.push(role_json(&role, false));
        }
    }
    let v = json!({
        "Path": p.path,
        "InstanceProfileName": p.name,
        "InstanceProfileId": p.id,
        "Arn": p.arn,
        "CreateDate": p.create_date,
        "Roles": roles,
        "Tags": tags_json(&p.tags),
    });
    Ok(v)
}

pub fn create_instance_profile(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "InstanceProfileName")?;
    check_name(name, "InstanceProfileName", 128)?;
    let path = path_member(call)?;
    let tags = tags_member(call, "Tags")?;
    let record = InstanceProfileRecord {
        account_id: account.clone(),
        name: name.to_owned(),
        id: ids::unique_id("AIPA")?,
        arn: format!("arn:aws:iam::{account}:instance-profile{path}{name}"),
        path,
        create_date: services.clock().now_epoch_f64(),
        roles: Vec::new(),
        tags,
    };
    let mut tx = services.store().write()?;
    if !INSTANCE_PROFILES.insert_new(&mut *tx, &entity_key(account, name), &record)? {
        return Err(error::entity_already_exists(format!(
            "Instance Profile {name} already exists."
        )));
    }
    let out = profile_json(&*tx, &record)?;
    tx.commit()?;
    Ok(json!({ "InstanceProfile": out }))
}

pub fn get_instance_profile(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "InstanceProfileName")?;
    let tx = services.store().read()?;
    let p = load(&*tx, &call.caller.account, name)?;
    Ok(json!({ "InstanceProfile": profile_json(&*tx, &p)? }))
}

pub fn delete_instance_profile(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "InstanceProfileName")?;
    let mut tx = services.store().write()?;
    let p = load(&*tx, account, name)?;
    if !p.roles.is_empty() {
        return Err(error::delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    INSTANCE_PROFILES.delete(&mut *tx, &entity_key(account, &p.name))?;
    tx.commit()?;
    Ok(empty())
}

pub fn list_instance_profiles(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let paging = Paging::from_call(call)?;
    let prefix = path_prefix(call)?;
    let tx = services.store().read()?;
    let items: Vec<_> = INSTANCE_PROFILES
        .scan(&*tx, &account_prefix(&call.caller.account), None, usize::MAX)?
        .into_iter()
        .filter(|(_, p)| p.path.starts_with(&prefix))
        .collect();
    let (page, next) = paging.page(items);
    let list = page.iter().map(|p| profile_json(&*tx, p)).collect::<Result<Vec<_>, _>>()?;
    Ok(with_paging(json!({ "InstanceProfiles": list }), next))
}

pub fn add_role_to_instance_profile(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "InstanceProfileName")?;
    let role_name = required(call, "RoleName")?;
    let mut tx = services.store().write()?;
    let mut p = load(&*tx, account, name)?;
    let role = load_role(&*tx, account, role_name)?;
    if p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role.role_name)) {
        return Err(error::entity_already_exists(format!(
            "Role {} already exists in instance profile.",
            role.role_name
        )));
    }
    if p.roles.len() >= ROLES_PER_PROFILE {
        return Err(error::quota("InstanceSessionsPerInstanceProfile", ROLES_PER_PROFILE));
    }
    p.roles.push(role.role_name);
    INSTANCE_PROFILES.put(&mut *tx, &entity_key(account, &p.name), &p)?;
    tx.commit()?;
    Ok(empty())
}

pub fn remove_role_from_instance_profile(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "InstanceProfileName")?;
    let role_name = required(call, "RoleName")?;
    let mut tx = services.store().write()?;
    let mut p = load(&*tx, account, name)?;
    let role = load_role(&*tx, account, role_name)?;
    let before = p.roles.len();
    p.roles.retain(|r| !r.eq_ignore_ascii_case(&role.role_name));
    if p.roles.len() == before {
        return Err(error::no_such_entity(format!(
            "The role with name {} cannot be found in instance profile {}.",
            role.role_name, p.name
        )));
    }
    INSTANCE_PROFILES.put(&mut *tx, &entity_key(account, &p.name), &p)?;
    tx.commit()?;
    Ok(empty())
}

pub fn list_instance_profiles_for_role(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let role_name = required(call, "RoleName")?;
    let paging = Paging::from_call(call)?;
    let tx = services.store().read()?;
    let role = load_role(&*tx, account, role_name)?;
    let items: Vec<_> = profiles_of_role(&*tx, account, &role.role_name)?
        .into_iter()
        .map(|p| (entity_key(account, &p.name), p))
        .collect();
    let (page, next) = paging.page(items);
    let list = page.iter().map(|p| profile_json(&*tx, p)).collect::<Result<Vec<_>, _>>()?;
    Ok(with_paging(json!({ "InstanceProfiles": list }), next))
}

fn modify(
    services: &Services,
    call: &Call<'_>,
    change: impl FnOnce(&mut InstanceProfileRecord) -> Result<(), ServiceError>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "InstanceProfileName")?;
    let mut tx = services.store().write()?;
    let mut p = load(&*tx, account, name)?;
    change(&mut p)?;
    INSTANCE_PROFILES.put(&mut *tx, &entity_key(account, &p.name), &p)?;
    tx.commit()?;
    Ok(empty())
}

pub fn tag_instance_profile(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tags = tags_member(call, "Tags")?;
    modify(services, call, |p| merge_tags(&mut p.tags, tags))
}

pub fn untag_instance_profile(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    modify(services, call, |p| untag(call, &mut p.tags))
}

pub fn list_instance_profile_tags(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let name = required(call, "InstanceProfileName")?;
    let tx = services.store().read()?;
    let p = load(&*tx, &call.caller.account, name)?;
    list_tags(call, &p.tags)
}
