//! Users: create, read, list, rename/move, delete (with AWS's `DeleteConflict` rules), tags,
//! permissions boundaries and login profiles.

use serde_json::{json, Value};

use super::{check_boundary, load_user};
use crate::accounts::{KeyOwner, ACCESS_KEYS};
use crate::iam::common::{
    check_name, empty, list_tags, merge_tags, opt, opt_bool, path_member, path_prefix, put_opt,
    required, tags_json, tags_member, untag, with_paging, Paging,
};
use crate::iam::error;
use crate::iam::model::{account_prefix, entity_key, LoginProfile, UserRecord, USERS, VIRTUAL_MFA};
use crate::{ids, Call, ServiceError, Services};

/// `PermissionsBoundary` as IAM shows it.
pub(crate) fn boundary_json(arn: Option<&String>) -> Option<Value> {
    arn.map(|a| json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": a}))
}

/// A `User` structure; `with_tags` for `GetUser`/`CreateUser` (ListUsers shows none).
/// A `User` structure. `full` (CreateUser, GetUser) adds the permissions boundary and tags,
/// which AWS leaves out of list answers (checked against AWS by moto's
/// `test_iam_response_attributes.py`).
pub(crate) fn user_json(u: &UserRecord, full: bool) -> Value {
    let mut v = json!({
        "Path": u.path,
        "UserName": u.user_name,
        "UserId": u.user_id,
        "Arn": u.arn,
        "CreateDate": u.create_date,
    });
    if full {
        put_opt(&mut v, "PermissionsBoundary", boundary_json(u.permissions_boundary.as_ref()));
        if !u.tags.is_empty() {
            put_opt(&mut v, "Tags", Some(tags_json(&u.tags)));
        }
    }
    v
}

pub fn create_user(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "UserName")?;
    check_name(name, "UserName", 64)?;
    let path = path_member(call)?;
    let tags = tags_member(call, "Tags")?;
    let boundary = opt(call, "PermissionsBoundary");
    let mut tx = services.store().write()?;
    if let Some(arn) = boundary {
        check_boundary(&*tx, account, arn)?;
    }
    let user = UserRecord {
        account_id: account.clone(),
        user_name: name.to_owned(),
        user_id: ids::unique_id("AIDA")?,
        arn: format!("arn:aws:iam::{account}:user{path}{name}"),
        path,
        create_date: services.clock().now_epoch_f64(),
        tags,
        permissions_boundary: boundary.map(str::to_owned),
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        groups: Vec::new(),
        access_keys: Vec::new(),
        login_profile: None,
    };
    if !USERS.insert_new(&mut *tx, &entity_key(account, name), &user)? {
        return Err(error::entity_already_exists(format!("User with name {name} already exists.")));
    }
    tx.commit()?;
    Ok(json!({ "User": user_json(&user, true) }))
}

pub fn get_user(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = match opt(call, "UserName") {
        Some(n) => n.to_owned(),
        None => match super::implicit_user(call)? {
            Some(n) => n,
            None => {
                // The root user describes itself.
                return Ok(json!({"User": {
                    "UserId": account,
                    "Arn": format!("arn:aws:iam::{account}:root"),
                    "CreateDate": 0.0,
                }}));
            }
        },
    };
    let tx = services.store().read()?;
    let user = load_user(&*tx, account, &name)?;
    Ok(json!({ "User": user_json(&user, true) }))
}

/// Every user of `account`, in key order.
pub(crate) fn all_users(
    tx: &dyn xacct_store::ReadTx,
    account: &str,
) -> Result<Vec<(String, UserRecord)>, ServiceError> {
    Ok(USERS.scan(tx, &account_prefix(account), None, usize::MAX)?)
}

pub fn list_users(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let paging = Paging::from_call(call)?;
    let prefix = path_prefix(call)?;
    let tx = services.store().read()?;
    let users: Vec<(String, UserRecord)> = all_users(&*tx, &call.caller.account)?
        .into_iter()
        .filter(|(_, u)| u.path.starts_with(&prefix))
        .collect();
    let (page, next) = paging.page(users);
    let list: Vec<Value> = page.iter().map(|u| user_json(u, false)).collect();
    Ok(with_paging(json!({ "Users": list }), next))
}

pub fn update_user(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "UserName")?;
    let new_name = opt(call, "NewUserName");
    if let Some(n) = new_name {
        check_name(n, "NewUserName", 64)?;
    }
    let new_path = match opt(call, "NewPath") {
        Some(p) => {
            crate::iam::common::check_path(p, "NewPath")?;
            Some(p.to_owned())
        }
        None => None,
    };
    let mut tx = services.store().write()?;
    let mut user = load_user(&*tx, account, name)?;
    let old_key = entity_key(account, &user.user_name);
    if let Some(n) = new_name {
        let new_key = entity_key(account, n);
        if new_key != old_key && USERS.get(&*tx, &new_key)?.is_some() {
            return Err(error::entity_already_exists(format!(
                "User with name {n} already exists."
            )));
        }
        user.user_name = n.to_owned();
    }
    if let Some(p) = new_path {
        user.path = p;
    }
    user.arn = format!("arn:aws:iam::{account}:user{}{}", user.path, user.user_name);
    USERS.delete(&mut *tx, &old_key)?;
    USERS.put(&mut *tx, &entity_key(account, &user.user_name), &user)?;
    // Keys and MFA devices name their user: keep them pointing at it.
    for key_id in &user.access_keys {
        if let Some(mut key) = ACCESS_KEYS.get(&*tx, key_id)? {
            key.owner = KeyOwner::User {
                name: user.user_name.clone(),
                user_id: user.user_id.clone(),
                path: user.path.clone(),
            };
            ACCESS_KEYS.put(&mut *tx, key_id, &key)?;
        }
    }
    for (key, mut device) in VIRTUAL_MFA.scan(&*tx, &account_prefix(account), None, usize::MAX)? {
        if device.user_name.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(name)) {
            device.user_name = Some(user.user_name.clone());
            VIRTUAL_MFA.put(&mut *tx, &key, &device)?;
        }
    }
    tx.commit()?;
    for key_id in &user.access_keys {
        services.key_cache().invalidate(key_id);
    }
    Ok(empty())
}

pub fn delete_user(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "UserName")?;
    let mut tx = services.store().write()?;
    let user = load_user(&*tx, account, name)?;
    if !user.access_keys.is_empty() {
        return Err(error::delete_conflict("Cannot delete entity, must delete access keys first."));
    }
    if !user.groups.is_empty() {
        return Err(error::delete_conflict(
            "Cannot delete entity, must remove users from group first.",
        ));
    }
    if !user.inline_policies.is_empty() {
        return Err(error::delete_conflict("Cannot delete entity, must delete policies first."));
    }
    if !user.attached_policies.is_empty() {
        return Err(error::delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if user.login_profile.is_some() {
        return Err(error::delete_conflict(
            "Cannot delete entity, must delete login profile first.",
        ));
    }
    let has_mfa =
        VIRTUAL_MFA.scan(&*tx, &account_prefix(account), None, usize::MAX)?.iter().any(|(_, d)| {
            d.user_name.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&user.user_name))
        });
    if has_mfa {
        return Err(error::delete_conflict("Cannot delete entity, must delete MFA device first."));
    }
    USERS.delete(&mut *tx, &entity_key(account, &user.user_name))?;
    tx.commit()?;
    Ok(empty())
}

fn modify_user(
    services: &Services,
    call: &Call<'_>,
    change: impl FnOnce(
        &Call<'_>,
        &dyn xacct_store::ReadTx,
        &mut UserRecord,
    ) -> Result<(), ServiceError>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "UserName")?;
    let mut tx = services.store().write()?;
    let mut user = load_user(&*tx, account, name)?;
    change(call, &*tx, &mut user)?;
    USERS.put(&mut *tx, &entity_key(account, &user.user_name), &user)?;
    tx.commit()?;
    Ok(empty())
}

pub fn tag_user(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tags = tags_member(call, "Tags")?;
    modify_user(services, call, |_, _, u| merge_tags(&mut u.tags, tags))
}

pub fn untag_user(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    modify_user(services, call, |call, _, u| untag(call, &mut u.tags))
}

pub fn list_user_tags(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "UserName")?;
    let tx = services.store().read()?;
    let user = load_user(&*tx, &call.caller.account, name)?;
    list_tags(call, &user.tags)
}

pub fn put_user_permissions_boundary(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let arn = required(call, "PermissionsBoundary")?.to_owned();
    modify_user(services, call, |call, tx, u| {
        check_boundary(tx, &call.caller.account, &arn)?;
        u.permissions_boundary = Some(arn);
        Ok(())
    })
}

pub fn delete_user_permissions_boundary(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    modify_user(services, call, |_, _, u| {
        if u.permissions_boundary.take().is_none() {
            return Err(error::no_such_entity(format!(
                "The user with name {} does not have a permissions boundary.",
                u.user_name
            )));
        }
        Ok(())
    })
}

fn login_profile_json(u: &UserRecord, p: &LoginProfile) -> Value {
    json!({"LoginProfile": {
        "UserName": u.user_name,
        "CreateDate": p.create_date,
        "PasswordResetRequired": p.password_reset_required,
    }})
}

/// `CreateLoginProfile`: xacct keeps no console, so only the profile's existence is stored
/// (the password itself is not kept).
pub fn create_login_profile(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = match opt(call, "UserName") {
        Some(n) => n.to_owned(),
        None => super::implicit_user(call)?.ok_or_else(|| {
            error::invalid_input("The root user cannot have a login profile created through IAM.")
        })?,
    };
    let password = required(call, "Password")?;
    if password.is_empty() || password.chars().count() > 128 {
        return Err(error::validation(
            "******",
            "password",
            "Member must have length less than or equal to 128",
        ));
    }
    let mut tx = services.store().write()?;
    let mut user = load_user(&*tx, account, &name)?;
    if user.login_profile.is_some() {
        return Err(error::entity_already_exists(format!(
            "Login Profile for user {name} already exists."
        )));
    }
    let profile = LoginProfile {
        create_date: services.clock().now_epoch_f64(),
        password_reset_required: opt_bool(call, "PasswordResetRequired").unwrap_or(false),
    };
    user.login_profile = Some(profile.clone());
    USERS.put(&mut *tx, &entity_key(account, &user.user_name), &user)?;
    tx.commit()?;
    Ok(login_profile_json(&user, &profile))
}

pub fn get_login_profile(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "UserName")?;
    let tx = services.store().read()?;
    let user = load_user(&*tx, &call.caller.account, name)?;
    let profile = user.login_profile.as_ref().ok_or_else(|| {
        error::no_such_entity(format!("Login Profile for User {name} cannot be found."))
    })?;
    Ok(login_profile_json(&user, profile))
}

pub fn update_login_profile(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    modify_user(services, call, |call, _, u| {
        let name = u.user_name.clone();
        let profile = u.login_profile.as_mut().ok_or_else(|| {
            error::no_such_entity(format!("Login Profile for User {name} cannot be found."))
        })?;
        if let Some(reset) = opt_bool(call, "PasswordResetRequired") {
            profile.password_reset_required = reset;
        }
        Ok(())
    })
}

pub fn delete_login_profile(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    modify_user(services, call, |_, _, u| {
        if u.login_profile.take().is_none() {
            return Err(error::no_such_entity(format!(
                "Login Profile for User {} cannot be found.",
                u.user_name
            )));
        }
        Ok(())
    })
}
