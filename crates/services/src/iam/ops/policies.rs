//! Policies: inline policies of users, groups and roles (with IAM's aggregate size quotas),
//! customer managed policies with up to five versions, AWS managed policies (read-only),
//! attachment with IAM's per-entity quota, and the usage questions (`ListEntitiesForPolicy`,
//! `AttachmentCount`).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};
use xacct_policy::{ParseOptions, Policy, PolicyKind};
use xacct_store::{ReadTx, WriteTx};

use super::{load_group, load_policy, load_role, load_user};
use crate::iam::common::{
    base32, check_name, empty, fnv1a, list_tags, merge_tags, opt, opt_bool, path_member,
    path_prefix, put_opt, required, tags_json, tags_member, untag, url_encode, with_paging, Paging,
};
use crate::iam::error;
use crate::iam::managed::{self, parse_policy_arn, AwsPolicy, ManagedPolicy};
use crate::iam::model::{
    account_prefix, entity_key, GroupRecord, ManagedPolicyRecord, PolicyVersionRecord, RoleRecord,
    UserRecord, GROUPS, POLICIES, ROLES, USERS,
};
use crate::{ids, Call, ServiceError, Services};

/// (attachments, permissions boundary uses) of a managed policy in one account.
type Counts = (u64, u64);

/// Managed policies attached per user, group or role (AWS's default quota).
pub const ATTACHED_PER_ENTITY: usize = 10;
/// Versions kept per managed policy.
pub const VERSIONS_PER_POLICY: usize = 5;

/// The kinds of entities that hold policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolderKind {
    User,
    Group,
    Role,
}

impl HolderKind {
    fn word(self) -> &'static str {
        match self {
            HolderKind::User => "user",
            HolderKind::Group => "group",
            HolderKind::Role => "role",
        }
    }

    fn name_member(self) -> &'static str {
        match self {
            HolderKind::User => "UserName",
            HolderKind::Group => "GroupName",
            HolderKind::Role => "RoleName",
        }
    }

    /// AWS's aggregate inline policy size per entity (characters without whitespace).
    fn inline_quota(self) -> usize {
        match self {
            HolderKind::User => 2048,
            HolderKind::Group => 5120,
            HolderKind::Role => 10240,
        }
    }

    fn attach_quota_name(self) -> &'static str {
        match self {
            HolderKind::User => "PoliciesPerUser",
            HolderKind::Group => "PoliciesPerGroup",
            HolderKind::Role => "PoliciesPerRole",
        }
    }
}

/// A user, group or role, as far as policies go.
enum Holder {
    User(UserRecord),
    Group(GroupRecord),
    Role(RoleRecord),
}

impl Holder {
    fn load(
        tx: &dyn ReadTx,
        kind: HolderKind,
        account: &str,
        name: &str,
    ) -> Result<Holder, ServiceError> {
        Ok(match kind {
            HolderKind::User => Holder::User(load_user(tx, account, name)?),
            HolderKind::Group => Holder::Group(load_group(tx, account, name)?),
            HolderKind::Role => Holder::Role(load_role(tx, account, name)?),
        })
    }

    fn name(&self) -> &str {
        match self {
            Holder::User(u) => &u.user_name,
            Holder::Group(g) => &g.group_name,
            Holder::Role(r) => &r.role_name,
        }
    }

    fn inline(&self) -> &BTreeMap<String, String> {
        match self {
            Holder::User(u) => &u.inline_policies,
            Holder::Group(g) => &g.inline_policies,
            Holder::Role(r) => &r.inline_policies,
        }
    }

    fn inline_mut(&mut self) -> &mut BTreeMap<String, String> {
        match self {
            Holder::User(u) => &mut u.inline_policies,
            Holder::Group(g) => &mut g.inline_policies,
            Holder::Role(r) => &mut r.inline_policies,
        }
    }

    fn attached(&self) -> &[String] {
        match self {
            Holder::User(u) => &u.attached_policies,
            Holder::Group(g) => &g.attached_policies,
            Holder::Role(r) => &r.attached_policies,
        }
    }

    fn attached_mut(&mut self) -> &mut Vec<String> {
        match self {
            Holder::User(u) => &mut u.attached_policies,
            Holder::Group(g) => &mut g.attached_policies,
            Holder::Role(r) => &mut r.attached_policies,
        }
    }

    /// Service-linked roles are AWS's to change.
    fn check_modifiable(&self) -> Result<(), ServiceError> {
        if let Holder::Role(r) = self {
            if r.path.starts_with("/aws-service-role/") {
                return Err(error::unmodifiable(format!(
                    "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
                    r.role_name
                )));
            }
        }
        Ok(())
    }

    fn save(&self, tx: &mut dyn WriteTx, account: &str) -> Result<(), ServiceError> {
        let key = entity_key(account, self.name());
        match self {
            Holder::User(u) => USERS.put(tx, &key, u)?,
            Holder::Group(g) => GROUPS.put(tx, &key, g)?,
            Holder::Role(r) => ROLES.put(tx, &key, r)?,
        }
        Ok(())
    }
}

fn inline_not_found(kind: HolderKind, name: &str) -> ServiceError {
    error::no_such_entity(format!("The {} policy with name {name} cannot be found.", kind.word()))
}

pub fn put_inline_policy(
    services: &Services,
    call: &Call<'_>,
    kind: HolderKind,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let holder_name = required(call, kind.name_member())?;
    let policy_name = required(call, "PolicyName")?;
    check_name(policy_name, "PolicyName", 128)?;
    let document = required(call, "PolicyDocument")?;
    let quota = kind.inline_quota();
    let options = ParseOptions { max_size: Some(quota.max(6144)), ..ParseOptions::default() };
    Policy::parse_with(document, PolicyKind::Identity, &options)
        .map_err(|e| error::from_policy(&e))?;
    let mut tx = services.store().write()?;
    let mut holder = Holder::load(&*tx, kind, account, holder_name)?;
    holder.check_modifiable()?;
    holder.inline_mut().insert(policy_name.to_owned(), document.to_owned());
    let total: usize = holder.inline().values().map(|d| xacct_policy::policy_size(d)).sum();
    if total > quota {
        return Err(error::limit_exceeded(format!(
            "Maximum policy size of {quota} bytes exceeded for {} {}",
            kind.word(),
            holder.name()
        )));
    }
    holder.save(&mut *tx, account)?;
    tx.commit()?;
    Ok(empty())
}

pub fn get_inline_policy(
    services: &Services,
    call: &Call<'_>,
    kind: HolderKind,
) -> Result<Value, ServiceError> {
    let holder_name = required(call, kind.name_member())?;
    let policy_name = required(call, "PolicyName")?;
    let tx = services.store().read()?;
    let holder = Holder::load(&*tx, kind, &call.caller.account, holder_name)?;
    let document =
        holder.inline().get(policy_name).ok_or_else(|| inline_not_found(kind, policy_name))?;
    let mut out = json!({ "PolicyName": policy_name, "PolicyDocument": url_encode(document) });
    put_opt(&mut out, kind.name_member(), Some(json!(holder.name())));
    Ok(out)
}

pub fn delete_inline_policy(
    services: &Services,
    call: &Call<'_>,
    kind: HolderKind,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let holder_name = required(call, kind.name_member())?;
    let policy_name = required(call, "PolicyName")?;
    let mut tx = services.store().write()?;
    let mut holder = Holder::load(&*tx, kind, account, holder_name)?;
    holder.check_modifiable()?;
    if holder.inline_mut().remove(policy_name).is_none() {
        return Err(inline_not_found(kind, policy_name));
    }
    holder.save(&mut *tx, account)?;
    tx.commit()?;
    Ok(empty())
}

pub fn list_inline_policies(
    services: &Services,
    call: &Call<'_>,
    kind: HolderKind,
) -> Result<Value, ServiceError> {
    let holder_name = required(call, kind.name_member())?;
    let paging = Paging::from_call(call)?;
    let tx = services.store().read()?;
    let holder = Holder::load(&*tx, kind, &call.caller.account, holder_name)?;
    let names: Vec<(String, String)> =
        holder.inline().keys().map(|k| (k.clone(), k.clone())).collect();
    let (page, next) = paging.page(names);
    Ok(with_paging(json!({ "PolicyNames": page }), next))
}

/// How often each managed policy ARN is used in `account`: (attachments, boundary uses).
fn usage(tx: &dyn ReadTx, account: &str) -> Result<HashMap<String, (u64, u64)>, ServiceError> {
    let mut out: HashMap<String, (u64, u64)> = HashMap::new();
    let prefix = account_prefix(account);
    for (_, u) in USERS.scan(tx, &prefix, None, usize::MAX)? {
        for a in &u.attached_policies {
            out.entry(a.clone()).or_default().0 += 1;
        }
        if let Some(b) = &u.permissions_boundary {
            out.entry(b.clone()).or_default().1 += 1;
        }
    }
    for (_, g) in GROUPS.scan(tx, &prefix, None, usize::MAX)? {
        for a in &g.attached_policies {
            out.entry(a.clone()).or_default().0 += 1;
        }
    }
    for (_, r) in ROLES.scan(tx, &prefix, None, usize::MAX)? {
        for a in &r.attached_policies {
            out.entry(a.clone()).or_default().0 += 1;
        }
        if let Some(b) = &r.permissions_boundary {
            out.entry(b.clone()).or_default().1 += 1;
        }
    }
    Ok(out)
}

/// A stable `ANPA…` id for an AWS managed policy (derived from its ARN).
fn aws_policy_id(arn: &str) -> String {
    let a = fnv1a(arn).to_be_bytes();
    let b = fnv1a(&format!("{arn}#id")).to_be_bytes();
    let mut bytes = a.to_vec();
    bytes.extend_from_slice(&b);
    let mut id = String::from("ANPA");
    id.extend(base32(&bytes).chars().take(17));
    id
}

/// A `Policy` structure. `detail` adds Description and Tags (GetPolicy/CreatePolicy).
/// Which answer a `Policy` structure is for: AWS returns different subsets (checked against AWS
/// by moto's `test_iam_response_attributes.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PolicyView {
    /// `CreatePolicy`: tags when given, never the description.
    Create,
    /// `GetPolicy`: the description when set, the tags always (possibly empty).
    Get,
    /// `ListPolicies` and the like: neither.
    List,
}

fn policy_json(p: &ManagedPolicy, counts: (u64, u64), view: PolicyView) -> Value {
    let mut v = match p {
        ManagedPolicy::Customer(c) => json!({
            "PolicyName": c.policy_name,
            "PolicyId": c.policy_id,
            "Arn": c.arn,
            "Path": c.path,
            "DefaultVersionId": c.default_version_id,
            "CreateDate": c.create_date,
            "UpdateDate": c.update_date,
        }),
        ManagedPolicy::Aws(a) => json!({
            "PolicyName": a.name,
            "PolicyId": aws_policy_id(&a.arn),
            "Arn": a.arn,
            "Path": a.path,
            "DefaultVersionId": a.default_version_id,
            "CreateDate": a.create_date,
            "UpdateDate": a.update_date,
        }),
    };
    put_opt(&mut v, "AttachmentCount", Some(json!(counts.0)));
    put_opt(&mut v, "PermissionsBoundaryUsageCount", Some(json!(counts.1)));
    put_opt(&mut v, "IsAttachable", Some(json!(true)));
    let (description, tags) = match p {
        ManagedPolicy::Customer(c) => (c.description.as_str(), c.tags.as_slice()),
        ManagedPolicy::Aws(a) => (a.description.as_str(), &[][..]),
    };
    match view {
        PolicyView::Create if !tags.is_empty() => {
            put_opt(&mut v, "Tags", Some(tags_json(tags)));
        }
        PolicyView::Get => {
            if !description.is_empty() {
                put_opt(&mut v, "Description", Some(json!(description)));
            }
            put_opt(&mut v, "Tags", Some(tags_json(tags)));
        }
        PolicyView::Create | PolicyView::List => {}
    }
    v
}

fn description(call: &Call<'_>) -> Result<String, ServiceError> {
    let d = opt(call, "Description").unwrap_or_default();
    if d.chars().count() > 1000 {
        return Err(error::validation(
            d,
            "description",
            "Member must have length less than or equal to 1000",
        ));
    }
    Ok(d.to_owned())
}

fn check_managed_document(document: &str) -> Result<(), ServiceError> {
    Policy::parse_managed(document).map(|_| ()).map_err(|e| error::from_policy(&e))
}

pub fn create_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "PolicyName")?;
    check_name(name, "PolicyName", 128)?;
    let path = path_member(call)?;
    let document = required(call, "PolicyDocument")?;
    let description = description(call)?;
    let tags = tags_member(call, "Tags")?;
    check_managed_document(document)?;
    let now = services.clock().now_epoch_f64();
    let record = ManagedPolicyRecord {
        account_id: account.clone(),
        policy_name: name.to_owned(),
        policy_id: ids::unique_id("ANPA")?,
        arn: format!("arn:aws:iam::{account}:policy{path}{name}"),
        path,
        description,
        create_date: now,
        update_date: now,
        default_version_id: "v1".to_owned(),
        versions: vec![PolicyVersionRecord {
            version_id: "v1".to_owned(),
            document: document.to_owned(),
            create_date: now,
        }],
        next_version: 2,
        tags,
    };
    let mut tx = services.store().write()?;
    if !POLICIES.insert_new(&mut *tx, &entity_key(account, name), &record)? {
        return Err(error::entity_already_exists(format!(
            "A policy called {name} already exists. Duplicate names are not allowed."
        )));
    }
    tx.commit()?;
    Ok(
        json!({ "Policy": policy_json(&ManagedPolicy::Customer(record), (0, 0), PolicyView::Create) }),
    )
}

pub fn get_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "PolicyArn")?;
    let tx = services.store().read()?;
    let policy = load_policy(&*tx, account, arn)?;
    let counts = usage(&*tx, account)?.get(policy.arn()).copied().unwrap_or_default();
    Ok(json!({ "Policy": policy_json(&policy, counts, PolicyView::Get) }))
}

/// AWS managed policies belong to AWS: no account may change them.
fn aws_owned(verb: &str) -> ServiceError {
    ServiceError::client(
        "AccessDenied",
        403,
        format!("Cannot {verb} policies outside your own account."),
    )
}

/// The customer managed policy `arn` for a change, or the error AWS gives.
fn customer_for_change(
    tx: &dyn ReadTx,
    account: &str,
    arn: &str,
    verb: &str,
) -> Result<ManagedPolicyRecord, ServiceError> {
    match load_policy(tx, account, arn)? {
        ManagedPolicy::Customer(p) => Ok(p),
        ManagedPolicy::Aws(_) => Err(aws_owned(verb)),
    }
}

pub fn delete_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "PolicyArn")?;
    let mut tx = services.store().write()?;
    let policy = customer_for_change(&*tx, account, arn, "delete")?;
    let counts = usage(&*tx, account)?.get(&policy.arn).copied().unwrap_or_default();
    if counts.0 > 0 || counts.1 > 0 {
        return Err(error::delete_conflict("Cannot delete a policy attached to entities."));
    }
    if policy.versions.len() > 1 {
        return Err(error::delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        ));
    }
    POLICIES.delete(&mut *tx, &entity_key(account, &policy.policy_name))?;
    tx.commit()?;
    Ok(empty())
}

pub fn list_policies(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let paging = Paging::from_call(call)?;
    let prefix = path_prefix(call)?;
    let scope = opt(call, "Scope").unwrap_or("All");
    let only_attached = opt_bool(call, "OnlyAttached").unwrap_or(false);
    let usage_filter = opt(call, "PolicyUsageFilter");
    let tx = services.store().read()?;
    let counts = usage(&*tx, account)?;
    let mut all: Vec<ManagedPolicy> = Vec::new();
    if scope != "Local" {
        all.extend(managed::aws_policies().into_iter().map(ManagedPolicy::Aws));
    }
    if scope != "AWS" {
        all.extend(
            POLICIES
                .scan(&*tx, &account_prefix(account), None, usize::MAX)?
                .into_iter()
                .map(|(_, p)| ManagedPolicy::Customer(p)),
        );
    }
    let mut items: Vec<(String, (ManagedPolicy, Counts))> = all
        .into_iter()
        .filter(|p| {
            let path = match p {
                ManagedPolicy::Customer(c) => &c.path,
                ManagedPolicy::Aws(a) => &a.path,
            };
            path.starts_with(&prefix)
        })
        .filter_map(|p| {
            let c = counts.get(p.arn()).copied().unwrap_or_default();
            let keep = (!only_attached || c.0 + c.1 > 0)
                && match usage_filter {
                    Some("PermissionsPolicy") => !only_attached || c.0 > 0,
                    Some("PermissionsBoundary") => !only_attached || c.1 > 0,
                    _ => true,
                };
            keep.then(|| (p.arn().to_ascii_lowercase(), (p, c)))
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = paging.page(items);
    let list: Vec<Value> = page.iter().map(|(p, c)| policy_json(p, *c, PolicyView::List)).collect();
    Ok(with_paging(json!({ "Policies": list }), next))
}

fn version_json(v: &PolicyVersionRecord, default: &str, with_document: bool) -> Value {
    let mut out = json!({
        "VersionId": v.version_id,
        "IsDefaultVersion": v.version_id == default,
        "CreateDate": v.create_date,
    });
    if with_document {
        put_opt(&mut out, "Document", Some(json!(url_encode(&v.document))));
    }
    out
}

/// The versions of any managed policy (an AWS policy shows its default version only).
fn versions_of(p: &ManagedPolicy) -> (Vec<PolicyVersionRecord>, String) {
    match p {
        ManagedPolicy::Customer(c) => (c.versions.clone(), c.default_version_id.clone()),
        ManagedPolicy::Aws(AwsPolicy { default_version_id, document, update_date, .. }) => (
            vec![PolicyVersionRecord {
                version_id: default_version_id.clone(),
                document: document.clone(),
                create_date: *update_date,
            }],
            default_version_id.clone(),
        ),
    }
}

fn version_not_found(arn: &str, version: &str) -> ServiceError {
    error::no_such_entity(format!(
        "Policy {arn} version {version} does not exist or is not attachable."
    ))
}

pub fn create_policy_version(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "PolicyArn")?;
    let document = required(call, "PolicyDocument")?;
    let set_default = opt_bool(call, "SetAsDefault").unwrap_or(false);
    let mut tx = services.store().write()?;
    let mut policy = customer_for_change(&*tx, account, arn, "update")?;
    check_managed_document(document)?;
    if policy.versions.len() >= VERSIONS_PER_POLICY {
        return Err(error::limit_exceeded(
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
        ));
    }
    let now = services.clock().now_epoch_f64();
    let version = PolicyVersionRecord {
        version_id: format!("v{}", policy.next_version),
        document: document.to_owned(),
        create_date: now,
    };
    policy.next_version += 1;
    if set_default {
        policy.default_version_id.clone_from(&version.version_id);
    }
    policy.update_date = now;
    policy.versions.push(version.clone());
    POLICIES.put(&mut *tx, &entity_key(account, &policy.policy_name), &policy)?;
    tx.commit()?;
    Ok(json!({ "PolicyVersion": version_json(&version, &policy.default_version_id, false) }))
}

pub fn get_policy_version(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let arn = required(call, "PolicyArn")?;
    let version_id = required(call, "VersionId")?;
    let tx = services.store().read()?;
    let policy = load_policy(&*tx, &call.caller.account, arn)?;
    let (versions, default) = versions_of(&policy);
    let v = versions
        .iter()
        .find(|v| v.version_id == version_id)
        .ok_or_else(|| version_not_found(arn, version_id))?;
    Ok(json!({ "PolicyVersion": version_json(v, &default, true) }))
}

pub fn list_policy_versions(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let arn = required(call, "PolicyArn")?;
    let paging = Paging::from_call(call)?;
    let tx = services.store().read()?;
    let policy = load_policy(&*tx, &call.caller.account, arn)?;
    let (versions, default) = versions_of(&policy);
    // Newest first, as IAM lists them.
    let items: Vec<(String, Value)> = versions
        .iter()
        .rev()
        .enumerate()
        .map(|(i, v)| (format!("{i:04}"), version_json(v, &default, false)))
        .collect();
    let (page, next) = paging.page(items);
    Ok(with_paging(json!({ "Versions": page }), next))
}

pub fn delete_policy_version(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "PolicyArn")?;
    let version_id = required(call, "VersionId")?;
    let mut tx = services.store().write()?;
    let mut policy = customer_for_change(&*tx, account, arn, "update")?;
    if !policy.versions.iter().any(|v| v.version_id == version_id) {
        return Err(version_not_found(arn, version_id));
    }
    if policy.default_version_id == version_id {
        return Err(error::delete_conflict("Cannot delete the default version of a policy."));
    }
    policy.versions.retain(|v| v.version_id != version_id);
    POLICIES.put(&mut *tx, &entity_key(account, &policy.policy_name), &policy)?;
    tx.commit()?;
    Ok(empty())
}

pub fn set_default_policy_version(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "PolicyArn")?;
    let version_id = required(call, "VersionId")?;
    let mut tx = services.store().write()?;
    let mut policy = customer_for_change(&*tx, account, arn, "update")?;
    if !policy.versions.iter().any(|v| v.version_id == version_id) {
        return Err(version_not_found(arn, version_id));
    }
    policy.default_version_id = version_id.to_owned();
    policy.update_date = services.clock().now_epoch_f64();
    POLICIES.put(&mut *tx, &entity_key(account, &policy.policy_name), &policy)?;
    tx.commit()?;
    Ok(empty())
}

pub fn attach_policy(
    services: &Services,
    call: &Call<'_>,
    kind: HolderKind,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let holder_name = required(call, kind.name_member())?;
    let arn = required(call, "PolicyArn")?;
    let mut tx = services.store().write()?;
    let mut holder = Holder::load(&*tx, kind, account, holder_name)?;
    holder.check_modifiable()?;
    load_policy(&*tx, account, arn)?;
    if holder.attached().iter().any(|a| a == arn) {
        return Ok(empty());
    }
    if holder.attached().len() >= ATTACHED_PER_ENTITY {
        return Err(error::quota(kind.attach_quota_name(), ATTACHED_PER_ENTITY));
    }
    holder.attached_mut().push(arn.to_owned());
    holder.save(&mut *tx, account)?;
    tx.commit()?;
    Ok(empty())
}

pub fn detach_policy(
    services: &Services,
    call: &Call<'_>,
    kind: HolderKind,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let holder_name = required(call, kind.name_member())?;
    let arn = required(call, "PolicyArn")?;
    let mut tx = services.store().write()?;
    let mut holder = Holder::load(&*tx, kind, account, holder_name)?;
    holder.check_modifiable()?;
    let before = holder.attached().len();
    holder.attached_mut().retain(|a| a != arn);
    if holder.attached().len() == before {
        return Err(error::no_such_entity(format!("Policy {arn} was not found.")));
    }
    holder.save(&mut *tx, account)?;
    tx.commit()?;
    Ok(empty())
}

/// `{PolicyName, PolicyArn}` for an attached ARN.
pub(crate) fn attached_json(arn: &str) -> Value {
    let name = parse_policy_arn(arn).map(|(_, n)| n).unwrap_or(arn);
    json!({ "PolicyName": name, "PolicyArn": arn })
}

/// The path part of a policy ARN (`/service-role/` of `…:policy/service-role/X`).
fn policy_arn_path(arn: &str) -> String {
    let resource = arn.split_once(":policy").map(|(_, r)| r).unwrap_or("/");
    match resource.rfind('/') {
        Some(i) => resource.get(..=i).unwrap_or("/").to_owned(),
        None => "/".to_owned(),
    }
}

pub fn list_attached_policies(
    services: &Services,
    call: &Call<'_>,
    kind: HolderKind,
) -> Result<Value, ServiceError> {
    let holder_name = required(call, kind.name_member())?;
    let paging = Paging::from_call(call)?;
    let prefix = path_prefix(call)?;
    let tx = services.store().read()?;
    let holder = Holder::load(&*tx, kind, &call.caller.account, holder_name)?;
    let mut items: Vec<(String, Value)> = holder
        .attached()
        .iter()
        .filter(|a| policy_arn_path(a).starts_with(&prefix))
        .map(|a| (a.to_ascii_lowercase(), attached_json(a)))
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = paging.page(items);
    Ok(with_paging(json!({ "AttachedPolicies": page }), next))
}

pub fn list_entities_for_policy(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "PolicyArn")?;
    let paging = Paging::from_call(call)?;
    let prefix = path_prefix(call)?;
    let filter = opt(call, "EntityFilter");
    let usage_filter = opt(call, "PolicyUsageFilter");
    let tx = services.store().read()?;
    let policy = load_policy(&*tx, account, arn)?;
    let is_aws = matches!(policy, ManagedPolicy::Aws(_));
    if (filter == Some("LocalManagedPolicy") && is_aws)
        || (filter == Some("AWSManagedPolicy") && !is_aws)
    {
        return Ok(with_paging(
            json!({"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}),
            None,
        ));
    }
    let want = |kind: &str| filter.is_none_or(|f| f == kind || f.ends_with("ManagedPolicy"));
    let uses = |attached: &[String], boundary: Option<&String>| -> bool {
        let as_policy = attached.iter().any(|a| a == arn);
        let as_boundary = boundary.is_some_and(|b| b == arn);
        match usage_filter {
            Some("PermissionsPolicy") => as_policy,
            Some("PermissionsBoundary") => as_boundary,
            _ => as_policy || as_boundary,
        }
    };
    let prefix_all = account_prefix(account);
    let mut items: Vec<(String, (&'static str, Value))> = Vec::new();
    if want("Group") {
        for (k, g) in GROUPS.scan(&*tx, &prefix_all, None, usize::MAX)? {
            if g.path.starts_with(&prefix) && uses(&g.attached_policies, None) {
                items.push((
                    format!("g/{k}"),
                    ("PolicyGroups", json!({"GroupName": g.group_name, "GroupId": g.group_id})),
                ));
            }
        }
    }
    if want("Role") {
        for (k, r) in ROLES.scan(&*tx, &prefix_all, None, usize::MAX)? {
            if r.path.starts_with(&prefix)
                && uses(&r.attached_policies, r.permissions_boundary.as_ref())
            {
                items.push((
                    format!("r/{k}"),
                    ("PolicyRoles", json!({"RoleName": r.role_name, "RoleId": r.role_id})),
                ));
            }
        }
    }
    if want("User") {
        for (k, u) in USERS.scan(&*tx, &prefix_all, None, usize::MAX)? {
            if u.path.starts_with(&prefix)
                && uses(&u.attached_policies, u.permissions_boundary.as_ref())
            {
                items.push((
                    format!("u/{k}"),
                    ("PolicyUsers", json!({"UserName": u.user_name, "UserId": u.user_id})),
                ));
            }
        }
    }
    let (page, next) = paging.page(items);
    let mut out = json!({"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []});
    for (member, v) in page {
        if let Some(list) = out.get_mut(member).and_then(Value::as_array_mut) {
            list.push(v);
        }
    }
    Ok(with_paging(out, next))
}

fn modify_customer_policy(
    services: &Services,
    call: &Call<'_>,
    change: impl FnOnce(&mut ManagedPolicyRecord) -> Result<(), ServiceError>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "PolicyArn")?;
    let mut tx = services.store().write()?;
    let mut policy = customer_for_change(&*tx, account, arn, "update")?;
    change(&mut policy)?;
    POLICIES.put(&mut *tx, &entity_key(account, &policy.policy_name), &policy)?;
    tx.commit()?;
    Ok(empty())
}

pub fn tag_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tags = tags_member(call, "Tags")?;
    modify_customer_policy(services, call, |p| merge_tags(&mut p.tags, tags))
}

pub fn untag_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    modify_customer_policy(services, call, |p| untag(call, &mut p.tags))
}

pub fn list_policy_tags(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let arn = required(call, "PolicyArn")?;
    let tx = services.store().read()?;
    match load_policy(&*tx, &call.caller.account, arn)? {
        ManagedPolicy::Customer(p) => list_tags(call, &p.tags),
        ManagedPolicy::Aws(_) => list_tags(call, &[]),
    }
}

/// Every customer managed policy of `account` and every AWS managed policy attached in it,
/// with counts (for `GetAccountAuthorizationDetails`).
pub(crate) fn policies_for_details(
    tx: &dyn ReadTx,
    account: &str,
) -> Result<Vec<(ManagedPolicy, Counts)>, ServiceError> {
    let counts = usage(tx, account)?;
    let mut out = Vec::new();
    for (_, p) in POLICIES.scan(tx, &account_prefix(account), None, usize::MAX)? {
        let c = counts.get(&p.arn).copied().unwrap_or_default();
        out.push((ManagedPolicy::Customer(p), c));
    }
    let mut aws: Vec<_> =
        counts.iter().filter(|(arn, _)| arn.starts_with("arn:aws:iam::aws:")).collect();
    aws.sort_by(|a, b| a.0.cmp(b.0));
    for (arn, c) in aws {
        if let Some(p) = managed::aws_policy(arn) {
            out.push((ManagedPolicy::Aws(p), *c));
        }
    }
    Ok(out)
}

/// A `ManagedPolicyDetail` structure.
pub(crate) fn policy_detail_json(p: &ManagedPolicy, counts: (u64, u64)) -> Value {
    let mut v = policy_json(p, counts, PolicyView::List);
    let (versions, default) = versions_of(p);
    let list: Vec<Value> = versions.iter().map(|ver| version_json(ver, &default, true)).collect();
    if let ManagedPolicy::Customer(c) = p {
        if !c.description.is_empty() {
            put_opt(&mut v, "Description", Some(json!(c.description)));
        }
    }
    put_opt(&mut v, "PolicyVersionList", Some(Value::Array(list)));
    v
}

/// `PolicyDetail` list of inline policies.
pub(crate) fn inline_details(inline: &BTreeMap<String, String>) -> Value {
    Value::Array(
        inline
            .iter()
            .map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": url_encode(d)}))
            .collect(),
    )
}
