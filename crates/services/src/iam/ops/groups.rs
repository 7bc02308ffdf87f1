//! Groups and membership: create, read (with members), list, rename/move, delete, add and
//! remove users, a user's groups.

use serde_json::{json, Value};

use super::users::{all_users, user_json};
use super::{load_group, load_user};
use crate::iam::common::{
    check_name, check_path, empty, opt, path_member, path_prefix, required, with_paging, Paging,
};
use crate::iam::error;
use crate::iam::model::{account_prefix, entity_key, GroupRecord, GROUPS, USERS};
use crate::{ids, Call, ServiceError, Services};

/// Groups per user (AWS's fixed quota).
pub const GROUPS_PER_USER: usize = 10;

pub(crate) fn group_json(g: &GroupRecord) -> Value {
    json!({
        "Path": g.path,
        "GroupName": g.group_name,
        "GroupId": g.group_id,
        "Arn": g.arn,
        "CreateDate": g.create_date,
    })
}

pub fn create_group(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "GroupName")?;
    check_name(name, "GroupName", 128)?;
    let path = path_member(call)?;
    let group = GroupRecord {
        account_id: account.clone(),
        group_name: name.to_owned(),
        group_id: ids::unique_id("AGPA")?,
        arn: format!("arn:aws:iam::{account}:group{path}{name}"),
        path,
        create_date: services.clock().now_epoch_f64(),
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
    };
    let mut tx = services.store().write()?;
    if !GROUPS.insert_new(&mut *tx, &entity_key(account, name), &group)? {
        return Err(error::entity_already_exists(format!(
            "Group with name {name} already exists."
        )));
    }
    tx.commit()?;
    Ok(json!({ "Group": group_json(&group) }))
}

pub fn get_group(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "GroupName")?;
    let paging = Paging::from_call(call)?;
    let tx = services.store().read()?;
    let group = load_group(&*tx, account, name)?;
    let members: Vec<_> = all_users(&*tx, account)?
        .into_iter()
        .filter(|(_, u)| u.groups.iter().any(|g| g.eq_ignore_ascii_case(&group.group_name)))
        .collect();
    let (page, next) = paging.page(members);
    let users: Vec<Value> = page.iter().map(|u| user_json(u, false)).collect();
    Ok(with_paging(json!({ "Group": group_json(&group), "Users": users }), next))
}

pub fn list_groups(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let paging = Paging::from_call(call)?;
    let prefix = path_prefix(call)?;
    let tx = services.store().read()?;
    let groups: Vec<_> = GROUPS
        .scan(&*tx, &account_prefix(&call.caller.account), None, usize::MAX)?
        .into_iter()
        .filter(|(_, g)| g.path.starts_with(&prefix))
        .collect();
    let (page, next) = paging.page(groups);
    let list: Vec<Value> = page.iter().map(group_json).collect();
    Ok(with_paging(json!({ "Groups": list }), next))
}

pub fn update_group(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "GroupName")?;
    let new_name = opt(call, "NewGroupName");
    if let Some(n) = new_name {
        check_name(n, "NewGroupName", 128)?;
    }
    if let Some(p) = opt(call, "NewPath") {
        check_path(p, "NewPath")?;
    }
    let mut tx = services.store().write()?;
    let mut group = load_group(&*tx, account, name)?;
    let old_name = group.group_name.clone();
    let old_key = entity_key(account, &old_name);
    if let Some(n) = new_name {
        let new_key = entity_key(account, n);
        if new_key != old_key && GROUPS.get(&*tx, &new_key)?.is_some() {
            return Err(error::entity_already_exists(format!(
                "Group with name {n} already exists."
            )));
        }
        group.group_name = n.to_owned();
    }
    if let Some(p) = opt(call, "NewPath") {
        group.path = p.to_owned();
    }
    group.arn = format!("arn:aws:iam::{account}:group{}{}", group.path, group.group_name);
    GROUPS.delete(&mut *tx, &old_key)?;
    GROUPS.put(&mut *tx, &entity_key(account, &group.group_name), &group)?;
    if group.group_name != old_name {
        for (key, mut user) in all_users(&*tx, account)? {
            let mut changed = false;
            for g in user.groups.iter_mut().filter(|g| g.eq_ignore_ascii_case(&old_name)) {
                g.clone_from(&group.group_name);
                changed = true;
            }
            if changed {
                USERS.put(&mut *tx, &key, &user)?;
            }
        }
    }
    tx.commit()?;
    Ok(empty())
}

pub fn delete_group(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "GroupName")?;
    let mut tx = services.store().write()?;
    let group = load_group(&*tx, account, name)?;
    let has_members = all_users(&*tx, account)?
        .iter()
        .any(|(_, u)| u.groups.iter().any(|g| g.eq_ignore_ascii_case(&group.group_name)));
    if has_members {
        return Err(error::delete_conflict(
            "Cannot delete entity, must remove users from group first.",
        ));
    }
    if !group.inline_policies.is_empty() {
        return Err(error::delete_conflict("Cannot delete entity, must delete policies first."));
    }
    if !group.attached_policies.is_empty() {
        return Err(error::delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    GROUPS.delete(&mut *tx, &entity_key(account, &group.group_name))?;
    tx.commit()?;
    Ok(empty())
}

pub fn add_user_to_group(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let group_name = required(call, "GroupName")?;
    let user_name = required(call, "UserName")?;
    let mut tx = services.store().write()?;
    let mut user = load_user(&*tx, account, user_name)?;
    let group = load_group(&*tx, account, group_name)?;
    if user.groups.iter().any(|g| g.eq_ignore_ascii_case(&group.group_name)) {
        // AWS answers success when the user is already a member.
        return Ok(empty());
    }
    if user.groups.len() >= GROUPS_PER_USER {
        return Err(error::quota("GroupsPerUser", GROUPS_PER_USER));
    }
    user.groups.push(group.group_name);
    USERS.put(&mut *tx, &entity_key(account, &user.user_name), &user)?;
    tx.commit()?;
    Ok(empty())
}

pub fn remove_user_from_group(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let group_name = required(call, "GroupName")?;
    let user_name = required(call, "UserName")?;
    let mut tx = services.store().write()?;
    let mut user = load_user(&*tx, account, user_name)?;
    let group = load_group(&*tx, account, group_name)?;
    let before = user.groups.len();
    user.groups.retain(|g| !g.eq_ignore_ascii_case(&group.group_name));
    if user.groups.len() == before {
        return Err(error::no_such_entity(format!(
            "User {} is not in group {}.",
            user.user_name, group.group_name
        )));
    }
    USERS.put(&mut *tx, &entity_key(account, &user.user_name), &user)?;
    tx.commit()?;
    Ok(empty())
}

pub fn list_groups_for_user(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let user_name = required(call, "UserName")?;
    let paging = Paging::from_call(call)?;
    let tx = services.store().read()?;
    let user = load_user(&*tx, account, user_name)?;
    let mut groups = Vec::new();
    for g in &user.groups {
        if let Some(group) = GROUPS.get(&*tx, &entity_key(account, g))? {
            groups.push((entity_key(account, g), group));
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = paging.page(groups);
    let list: Vec<Value> = page.iter().map(group_json).collect();
    Ok(with_paging(json!({ "Groups": list }), next))
}
