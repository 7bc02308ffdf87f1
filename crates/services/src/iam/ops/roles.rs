//! Roles: create (trust policy validated, principals checked to exist), read, list, update,
//! delete (with AWS's `DeleteConflict` rules), tags, permissions boundaries and service-linked
//! roles.
//!
//! Trust policies are kept as written: IAM's rewriting of user/role principals to unique ids
//! (which makes a recreated principal of the same name not match) is not done.

use serde_json::{json, Value};
use xacct_policy::{Policy, PolicyKind};
use xacct_store::ReadTx;

use super::users::boundary_json;
use super::{check_boundary, load_role};
use crate::accounts::ACCOUNTS;
use crate::iam::common::{
    check_name, empty, list_tags, merge_tags, opt, opt_i64, path_member, path_prefix, put_opt,
    required, tags_json, tags_member, untag, url_encode, with_paging, Paging,
};
use crate::iam::error;
use crate::iam::managed;
use crate::iam::model::{
    account_prefix, entity_key, DeletionTaskRecord, RoleRecord, DELETION_TASKS, INSTANCE_PROFILES,
    ROLES, USERS,
};
use crate::{ids, Call, ServiceError, Services};

/// A `Role` structure. The trust policy is URL-encoded as IAM sends it. `full` (CreateRole,
/// GetRole, UpdateRoleDescription) adds the permissions boundary and tags, which AWS leaves out of
/// list answers (checked against AWS by moto's `test_iam_response_attributes.py`).
pub(crate) fn role_json(r: &RoleRecord, full: bool) -> Value {
    let mut v = json!({
        "Path": r.path,
        "RoleName": r.role_name,
        "RoleId": r.role_id,
        "Arn": r.arn,
        "CreateDate": r.create_date,
        "AssumeRolePolicyDocument": url_encode(&r.assume_role_policy_document),
        "MaxSessionDuration": r.max_session_duration,
    });
    if !r.description.is_empty() {
        put_opt(&mut v, "Description", Some(json!(r.description)));
    }
    if full {
        put_opt(&mut v, "PermissionsBoundary", boundary_json(r.permissions_boundary.as_ref()));
        if !r.tags.is_empty() {
            put_opt(&mut v, "Tags", Some(tags_json(&r.tags)));
        }
    }
    v
}

/// Validates a trust policy with the engine, then checks that every `AWS` principal names
/// something that exists: an account xacct knows, or an existing IAM user or role
/// (`MalformedPolicyDocument: Invalid principal in policy: "AWS":"ARN"` otherwise, as IAM says).
pub(crate) fn check_trust_policy(tx: &dyn ReadTx, document: &str) -> Result<(), ServiceError> {
    Policy::parse(document, PolicyKind::Trust).map_err(|e| error::from_policy(&e))?;
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return Ok(());
    };
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s) => vec![s],
        None => Vec::new(),
    };
    for st in statements {
        let Some(aws) = st.get("Principal").and_then(|p| p.get("AWS")) else {
            continue;
        };
        let values: Vec<&str> = match aws {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for p in values {
            if !principal_exists(tx, p)? {
                return Err(error::malformed_policy(format!(
                    "Invalid principal in policy: \"AWS\":\"{p}\""
                )));
            }
        }
    }
    Ok(())
}

pub(crate) fn principal_exists(tx: &dyn ReadTx, p: &str) -> Result<bool, ServiceError> {
    if p == "*" {
        return Ok(true);
    }
    if ids::is_account_id(p) {
        return Ok(ACCOUNTS.get(tx, p)?.is_some());
    }
    // Unique ids (what IAM shows for a deleted principal) are kept as they are.
    if p.len() == 21 && (p.starts_with("AIDA") || p.starts_with("AROA")) {
        return Ok(true);
    }
    let (service, rest) = if let Some(r) = p.strip_prefix("arn:aws:iam::") {
        ("iam", r)
    } else if let Some(r) = p.strip_prefix("arn:aws:sts::") {
        ("sts", r)
    } else {
        return Ok(false);
    };
    let Some((account, resource)) = rest.split_once(':') else {
        return Ok(false);
    };
    if !ids::is_account_id(account) || ACCOUNTS.get(tx, account)?.is_none() {
        return Ok(false);
    }
    let name = resource.rsplit('/').next().unwrap_or_default();
    match (service, resource) {
        ("iam", "root") => Ok(true),
        ("iam", r) if r.starts_with("user/") => {
            Ok(USERS.get(tx, &entity_key(account, name))?.is_some_and(|u| u.arn == p))
        }
        ("iam", r) if r.starts_with("role/") => {
            Ok(ROLES.get(tx, &entity_key(account, name))?.is_some_and(|x| x.arn == p))
        }
        // Session principals name a session, which is free-form.
        ("sts", r) => Ok(r.starts_with("assumed-role/") || r.starts_with("federated-user/")),
        _ => Ok(false),
    }
}

fn max_session_duration(call: &Call<'_>) -> Result<Option<u32>, ServiceError> {
    match opt_i64(call, "MaxSessionDuration") {
        None => Ok(None),
        Some(n) if (3600..=43200).contains(&n) => Ok(u32::try_from(n).ok()),
        Some(n) => {
            let constraint = if n < 3600 {
                "Member must have value greater than or equal to 3600"
            } else {
                "Member must have value less than or equal to 43200"
            };
            Err(error::validation(&n.to_string(), "maxSessionDuration", constraint))
        }
    }
}

fn description(call: &Call<'_>) -> Result<Option<String>, ServiceError> {
    match opt(call, "Description") {
        Some(d) if d.chars().count() > 1000 => Err(error::validation(
            d,
            "description",
            "Member must have length less than or equal to 1000",
        )),
        Some(d) => Ok(Some(d.to_owned())),
        None => Ok(None),
    }
}

fn is_service_linked(r: &RoleRecord) -> bool {
    r.path.starts_with("/aws-service-role/")
}

fn protected_role(r: &RoleRecord) -> ServiceError {
    error::unmodifiable(format!(
        "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
        r.role_name
    ))
}

pub fn create_role(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "RoleName")?;
    check_name(name, "RoleName", 64)?;
    let path = path_member(call)?;
    let document = required(call, "AssumeRolePolicyDocument")?;
    let description = description(call)?.unwrap_or_default();
    let max = max_session_duration(call)?.unwrap_or(3600);
    let tags = tags_member(call, "Tags")?;
    let boundary = opt(call, "PermissionsBoundary");
    let mut tx = services.store().write()?;
    if ROLES.get(&*tx, &entity_key(account, name))?.is_some() {
        return Err(error::entity_already_exists(format!("Role with name {name} already exists.")));
    }
    check_trust_policy(&*tx, document)?;
    if let Some(arn) = boundary {
        check_boundary(&*tx, account, arn)?;
    }
    let role = RoleRecord {
        account_id: account.clone(),
        role_name: name.to_owned(),
        role_id: ids::unique_id("AROA")?,
        arn: format!("arn:aws:iam::{account}:role{path}{name}"),
        path,
        assume_role_policy_document: document.to_owned(),
        description,
        max_session_duration: max,
        attached_policies: Vec::new(),
        create_date: services.clock().now_epoch_f64(),
        tags,
        permissions_boundary: boundary.map(str::to_owned),
        inline_policies: Default::default(),
    };
    ROLES.put(&mut *tx, &entity_key(account, name), &role)?;
    tx.commit()?;
    Ok(json!({ "Role": role_json(&role, true) }))
}

pub fn get_role(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "RoleName")?;
    let tx = services.store().read()?;
    let role = load_role(&*tx, &call.caller.account, name)?;
    let mut v = role_json(&role, true);
    // xacct does not track role use: AWS shows an empty RoleLastUsed for an unused role.
    put_opt(&mut v, "RoleLastUsed", Some(json!({})));
    Ok(json!({ "Role": v }))
}

/// Every role of `account`, in key order.
pub(crate) fn all_roles(
    tx: &dyn ReadTx,
    account: &str,
) -> Result<Vec<(String, RoleRecord)>, ServiceError> {
    Ok(ROLES.scan(tx, &account_prefix(account), None, usize::MAX)?)
}

pub fn list_roles(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let paging = Paging::from_call(call)?;
    let prefix = path_prefix(call)?;
    let tx = services.store().read()?;
    let roles: Vec<_> = all_roles(&*tx, &call.caller.account)?
        .into_iter()
        .filter(|(_, r)| r.path.starts_with(&prefix))
        .collect();
    let (page, next) = paging.page(roles);
    let list: Vec<Value> = page.iter().map(|r| role_json(r, false)).collect();
    Ok(with_paging(json!({ "Roles": list }), next))
}

fn modify_role(
    services: &Services,
    call: &Call<'_>,
    change: impl FnOnce(&dyn ReadTx, &mut RoleRecord) -> Result<(), ServiceError>,
) -> Result<RoleRecord, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "RoleName")?;
    let mut tx = services.store().write()?;
    let mut role = load_role(&*tx, account, name)?;
    change(&*tx, &mut role)?;
    ROLES.put(&mut *tx, &entity_key(account, &role.role_name), &role)?;
    tx.commit()?;
    Ok(role)
}

pub fn update_role(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let desc = description(call)?;
    let max = max_session_duration(call)?;
    modify_role(services, call, |_, r| {
        if is_service_linked(r) && max.is_some() {
            return Err(protected_role(r));
        }
        if let Some(d) = desc {
            r.description = d;
        }
        if let Some(m) = max {
            r.max_session_duration = m;
        }
        Ok(())
    })?;
    Ok(empty())
}

pub fn update_role_description(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let desc = description(call)?.unwrap_or_default();
    let role = modify_role(services, call, |_, r| {
        r.description = desc;
        Ok(())
    })?;
    Ok(json!({ "Role": role_json(&role, true) }))
}

pub fn update_assume_role_policy(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let document = required(call, "PolicyDocument")?.to_owned();
    modify_role(services, call, |tx, r| {
        if is_service_linked(r) {
            return Err(protected_role(r));
        }
        check_trust_policy(tx, &document)?;
        r.assume_role_policy_document = document;
        Ok(())
    })?;
    Ok(empty())
}

/// The names of the instance profiles holding role `role_name`.
pub(crate) fn profiles_of_role(
    tx: &dyn ReadTx,
    account: &str,
    role_name: &str,
) -> Result<Vec<crate::iam::model::InstanceProfileRecord>, ServiceError> {
    Ok(INSTANCE_PROFILES
        .scan(tx, &account_prefix(account), None, usize::MAX)?
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(role_name)))
        .collect())
}

pub fn delete_role(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "RoleName")?;
    let mut tx = services.store().write()?;
    let role = load_role(&*tx, account, name)?;
    if is_service_linked(&role) {
        return Err(protected_role(&role));
    }
    if !role.inline_policies.is_empty() {
        return Err(error::delete_conflict("Cannot delete entity, must delete policies first."));
    }
    if !role.attached_policies.is_empty() {
        return Err(error::delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if !profiles_of_role(&*tx, account, &role.role_name)?.is_empty() {
        return Err(error::delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    ROLES.delete(&mut *tx, &entity_key(account, &role.role_name))?;
    tx.commit()?;
    Ok(empty())
}

pub fn tag_role(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tags = tags_member(call, "Tags")?;
    modify_role(services, call, |_, r| merge_tags(&mut r.tags, tags))?;
    Ok(empty())
}

pub fn untag_role(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    modify_role(services, call, |_, r| untag(call, &mut r.tags))?;
    Ok(empty())
}

pub fn list_role_tags(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "RoleName")?;
    let tx = services.store().read()?;
    let role = load_role(&*tx, &call.caller.account, name)?;
    list_tags(call, &role.tags)
}

pub fn put_role_permissions_boundary(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let arn = required(call, "PermissionsBoundary")?.to_owned();
    let account = call.caller.account.clone();
    modify_role(services, call, |tx, r| {
        if is_service_linked(r) {
            return Err(protected_role(r));
        }
        check_boundary(tx, &account, &arn)?;
        r.permissions_boundary = Some(arn);
        Ok(())
    })?;
    Ok(empty())
}

pub fn delete_role_permissions_boundary(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    modify_role(services, call, |_, r| {
        if r.permissions_boundary.take().is_none() {
            return Err(error::no_such_entity(format!(
                "The role with name {} does not have a permissions boundary.",
                r.role_name
            )));
        }
        Ok(())
    })?;
    Ok(empty())
}

/// Service principal → (role name, AWS managed policy AWS attaches to that role).
const SERVICE_LINKED_ROLES: &[(&str, &str, &str)] = &[
    (
        "ecs.amazonaws.com",
        "AWSServiceRoleForECS",
        "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy",
    ),
    (
        "autoscaling.amazonaws.com",
        "AWSServiceRoleForAutoScaling",
        "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy",
    ),
    (
        "elasticloadbalancing.amazonaws.com",
        "AWSServiceRoleForElasticLoadBalancing",
        "arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy",
    ),
    (
        "organizations.amazonaws.com",
        "AWSServiceRoleForOrganizations",
        "arn:aws:iam::aws:policy/aws-service-role/AWSOrganizationsServiceTrustPolicy",
    ),
    (
        "imagebuilder.amazonaws.com",
        "AWSServiceRoleForImageBuilder",
        "arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForImageBuilder",
    ),
    (
        "spot.amazonaws.com",
        "AWSServiceRoleForEC2Spot",
        "arn:aws:iam::aws:policy/aws-service-role/AWSEC2SpotServiceRolePolicy",
    ),
    (
        "rds.amazonaws.com",
        "AWSServiceRoleForRDS",
        "arn:aws:iam::aws:policy/aws-service-role/AmazonRDSServiceRolePolicy",
    ),
    (
        "cloudtrail.amazonaws.com",
        "AWSServiceRoleForCloudTrail",
        "arn:aws:iam::aws:policy/aws-service-role/CloudTrailServiceRolePolicy",
    ),
    (
        "eks.amazonaws.com",
        "AWSServiceRoleForAmazonEKS",
        "arn:aws:iam::aws:policy/aws-service-role/AmazonEKSServiceRolePolicy",
    ),
    (
        "support.amazonaws.com",
        "AWSServiceRoleForSupport",
        "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy",
    ),
    (
        "trustedadvisor.amazonaws.com",
        "AWSServiceRoleForTrustedAdvisor",
        "arn:aws:iam::aws:policy/aws-service-role/AWSTrustedAdvisorServiceRolePolicy",
    ),
    (
        "config.amazonaws.com",
        "AWSServiceRoleForConfig",
        "arn:aws:iam::aws:policy/aws-service-role/AWSConfigServiceRolePolicy",
    ),
    (
        "guardduty.amazonaws.com",
        "AWSServiceRoleForAmazonGuardDuty",
        "arn:aws:iam::aws:policy/aws-service-role/AmazonGuardDutyServiceRolePolicy",
    ),
    (
        "elasticbeanstalk.amazonaws.com",
        "AWSServiceRoleForElasticBeanstalk",
        "arn:aws:iam::aws:policy/aws-service-role/AWSElasticBeanstalkServiceRolePolicy",
    ),
    (
        "ecs.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
        "arn:aws:iam::aws:policy/aws-service-role/AWSApplicationAutoscalingECSServicePolicy",
    ),
    (
        "dynamodb.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
        "arn:aws:iam::aws:policy/aws-service-role/AWSApplicationAutoscalingDynamoDBTablePolicy",
    ),
    // "Custom resources and Application Auto Scaling",
    // https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-custom.html
    (
        "custom-resource.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_CustomResource",
        "arn:aws:iam::aws:policy/aws-service-role/AWSApplicationAutoScalingCustomResourcePolicy",
    ),
];

pub fn create_service_linked_role(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let service = required(call, "AWSServiceName")?;
    let Some((_, base, policy_arn)) = SERVICE_LINKED_ROLES.iter().find(|(s, _, _)| *s == service)
    else {
        return Err(error::invalid_input(format!("Unrecognized service principal {service}.")));
    };
    let name = match opt(call, "CustomSuffix") {
        Some(suffix) => {
            check_name(suffix, "CustomSuffix", 64)?;
            format!("{base}_{suffix}")
        }
        None => (*base).to_owned(),
    };
    let description = description(call)?.unwrap_or_default();
    let path = format!("/aws-service-role/{service}/");
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
    });
    let mut tx = services.store().write()?;
    if ROLES.get(&*tx, &entity_key(account, &name))?.is_some() {
        return Err(error::invalid_input(format!(
            "Service role name {name} has been taken in this account, please try a different suffix."
        )));
    }
    let attached = if managed::aws_policy(policy_arn).is_some() {
        vec![(*policy_arn).to_owned()]
    } else {
        Vec::new()
    };
    let role = RoleRecord {
        account_id: account.clone(),
        role_name: name.clone(),
        role_id: ids::unique_id("AROA")?,
        arn: format!("arn:aws:iam::{account}:role{path}{name}"),
        path,
        assume_role_policy_document: trust.to_string(),
        description,
        max_session_duration: 3600,
        attached_policies: attached,
        create_date: services.clock().now_epoch_f64(),
        tags: Vec::new(),
        permissions_boundary: None,
        inline_policies: Default::default(),
    };
    ROLES.put(&mut *tx, &entity_key(account, &name), &role)?;
    tx.commit()?;
    Ok(json!({ "Role": role_json(&role, true) }))
}

fn uuid_v4() -> Result<String, ServiceError> {
    let mut b = ids::random_bytes::<16>()?;
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x40;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    let h = crate::iam::common::hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(12..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..32).unwrap_or_default()
    ))
}

/// `DeleteServiceLinkedRole`: the role goes at once (no service holds resources that use it in
/// xacct); the task records `SUCCEEDED`.
pub fn delete_service_linked_role(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "RoleName")?;
    let mut tx = services.store().write()?;
    let role = load_role(&*tx, account, name)?;
    if !is_service_linked(&role) {
        return Err(error::invalid_input(format!(
            "Role {} is not a service-linked role.",
            role.role_name
        )));
    }
    let task_id = format!("task{}{}/{}", role.path, role.role_name, uuid_v4()?);
    for mut profile in profiles_of_role(&*tx, account, &role.role_name)? {
        profile.roles.retain(|r| !r.eq_ignore_ascii_case(&role.role_name));
        INSTANCE_PROFILES.put(&mut *tx, &entity_key(account, &profile.name), &profile)?;
    }
    ROLES.delete(&mut *tx, &entity_key(account, &role.role_name))?;
    DELETION_TASKS.put(
        &mut *tx,
        &task_id,
        &DeletionTaskRecord { account_id: account.clone(), status: "SUCCEEDED".to_owned() },
    )?;
    tx.commit()?;
    Ok(json!({ "DeletionTaskId": task_id }))
}

pub fn get_service_linked_role_deletion_status(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let id = required(call, "DeletionTaskId")?;
    let tx = services.store().read()?;
    let task = DELETION_TASKS
        .get(&*tx, id)?
        .filter(|t| t.account_id == call.caller.account)
        .ok_or_else(|| error::no_such_entity(format!("Deletion task {id} cannot be found.")))?;
    Ok(json!({ "Status": task.status }))
}
