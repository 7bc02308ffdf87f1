//! Roots, organizational units and the tree: `ListRoots`, the OU operations, `ListChildren`,
//! `ListParents`, `ListAccountsForParent` and `MoveAccount`. Every one of them is for the
//! management account only.

use serde_json::{json, Value};
use xacct_store::ReadTx;

use super::model::{
    AccountPlacementRecord, OrganizationRecord, OrganizationalUnitRecord, ACCOUNT_PLACEMENTS,
    ATTACHMENTS_BY_TARGET, ORGANIZATIONAL_UNITS,
};
use super::tree::{self, Node};
use super::{account_json, decode_token, encode_token, error, organization_for_management};
use crate::{ids, input_str, Call, ServiceError, Services};

/// Page size bounds of every Organizations list (the model's `MaxResults`, 1..=20).
const MAX_RESULTS: u64 = 20;

/// One page of `items` (sorted by their key) under `member`, after the input's `NextToken`,
/// at most the input's `MaxResults`, with a `NextToken` when more follow.
pub(crate) fn page(
    input: &Value,
    member: &str,
    items: Vec<(String, Value)>,
) -> Result<Value, ServiceError> {
    let limit =
        match input.get("MaxResults") {
            None | Some(Value::Null) => MAX_RESULTS,
            Some(v) => {
                match v.as_i64() {
                    Some(n) if (1..=20).contains(&n) => n.unsigned_abs(),
                    Some(n) if n < 1 => return Err(error::invalid_input(
                        "MIN_VALUE_EXCEEDED",
                        "You provided a value that is outside the allowed range for MaxResults.",
                    )),
                    _ => return Err(error::invalid_input(
                        "MAX_VALUE_EXCEEDED",
                        "You provided a value that is outside the allowed range for MaxResults.",
                    )),
                }
            }
        };
    let limit = usize::try_from(limit).unwrap_or(20);
    let after = match input_str(input, "NextToken") {
        Some(token) => Some(decode_token(token)?),
        None => None,
    };
    let mut rest: Vec<(String, Value)> = match &after {
        Some(a) => items.into_iter().filter(|(k, _)| k > a).collect(),
        None => items,
    };
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next = if more { rest.last().map(|(k, _)| encode_token(k)) } else { None };
    let values: Vec<Value> = rest.into_iter().map(|(_, v)| v).collect();
    let mut out = json!({ member: values });
    if let (Some(token), Some(obj)) = (next, out.as_object_mut()) {
        obj.insert("NextToken".into(), json!(token));
    }
    Ok(out)
}

/// A required string member; `InvalidInputException` `INPUT_REQUIRED` when absent.
pub(crate) fn required<'v>(input: &'v Value, member: &str) -> Result<&'v str, ServiceError> {
    input_str(input, member).ok_or_else(|| {
        error::invalid_input("INPUT_REQUIRED", format!("You must specify a value for {member}."))
    })
}

/// The root as the model's `Root` shape shows it.
pub(crate) fn root_json<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
) -> Result<Value, ServiceError> {
    let types: Vec<Value> = tree::enabled_types(tx, org)?
        .into_iter()
        .map(|t| json!({"Type": t, "Status": "ENABLED"}))
        .collect();
    Ok(json!({
        "Id": org.root_id,
        "Arn": tree::root_arn(org),
        "Name": "Root",
        "PolicyTypes": types,
    }))
}

/// An OU as the model's `OrganizationalUnit` shape shows it, with its path
/// (`o-…/r-…/ou-…/…/`).
fn ou_json<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    ou: &OrganizationalUnitRecord,
) -> Result<Value, ServiceError> {
    let mut path = format!("{}/{}/", org.id, org.root_id);
    for step in tree::ou_path(tx, org, &ou.id)? {
        path.push_str(&step.id);
        path.push('/');
    }
    Ok(json!({
        "Id": ou.id,
        "Arn": tree::ou_arn(org, &ou.id),
        "Name": ou.name,
        "Path": path,
    }))
}

/// The parent `member` names: malformed → `InvalidInputException`, unknown → `not_found()`.
fn parent_from<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    input: &Value,
    member: &str,
    not_found: fn() -> ServiceError,
) -> Result<String, ServiceError> {
    let id = required(input, member)?;
    if !tree::is_root_id(id) && !tree::is_ou_id(id) {
        return Err(tree::invalid_pattern(member));
    }
    match tree::find_parent(tx, org, id)? {
        Some(_) => Ok(id.to_owned()),
        None => Err(not_found()),
    }
}

/// The OU `OrganizationalUnitId` names.
fn ou_from<X: ReadTx + ?Sized>(
    tx: &X,
    input: &Value,
) -> Result<OrganizationalUnitRecord, ServiceError> {
    let id = required(input, "OrganizationalUnitId")?;
    if !tree::is_ou_id(id) {
        return Err(tree::invalid_pattern("OrganizationalUnitId"));
    }
    ORGANIZATIONAL_UNITS.get(tx, id)?.ok_or_else(error::organizational_unit_not_found)
}

/// OUs directly under `parent_id`, in creation order (then by id).
fn child_ous<X: ReadTx + ?Sized>(
    tx: &X,
    parent_id: &str,
) -> Result<Vec<OrganizationalUnitRecord>, ServiceError> {
    let mut out: Vec<OrganizationalUnitRecord> = tree::scan_all(tx, ORGANIZATIONAL_UNITS, "")?
        .into_iter()
        .map(|(_, ou)| ou)
        .filter(|ou| ou.parent_id == parent_id)
        .collect();
    out.sort_by(|a, b| a.created.total_cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// The paging key of an OU in lists: creation time (fixed width), then id.
fn ou_sort_key(ou: &OrganizationalUnitRecord) -> String {
    format!("{:020.6}/{}", ou.created, ou.id)
}

/// Accounts directly under `parent_id`, in the order they joined.
fn child_accounts<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    parent_id: &str,
) -> Result<Vec<crate::accounts::AccountRecord>, ServiceError> {
    let mut out = Vec::new();
    for account in tree::member_accounts(tx)? {
        if tree::account_parent(tx, org, &account.id)? == parent_id {
            out.push(account);
        }
    }
    Ok(out)
}

/// An OU name: 1 to 128 characters.
fn validate_ou_name(name: &str) -> Result<(), ServiceError> {
    let len = name.chars().count();
    if len == 0 {
        return Err(error::invalid_input(
            "MIN_LENGTH_EXCEEDED",
            "You provided a value that is too short for Name.",
        ));
    }
    if len > 128 {
        return Err(error::invalid_input(
            "MAX_LENGTH_EXCEEDED",
            "You provided a value that is too long for Name.",
        ));
    }
    Ok(())
}

pub fn list_roots(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let tx = services.store().read()?;
    let root = root_json(&*tx, &org)?;
    page(call.input, "Roots", vec![(org.root_id.clone(), root)])
}

pub fn create_organizational_unit(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let name = required(call.input, "Name")?;
    validate_ou_name(name)?;
    let new_tags = super::tags::tags_from(call.input)?;
    super::tags::validate_new_tags(&new_tags)?;
    let mut tx = services.store().write()?;
    let parent_id = parent_from(&*tx, &org, call.input, "ParentId", error::parent_not_found)?;
    let depth =
        if parent_id == org.root_id { 0 } else { tree::ou_path(&*tx, &org, &parent_id)?.len() };
    if depth >= tree::MAX_OU_DEPTH {
        return Err(error::constraint_violation(
            "OU_DEPTH_LIMIT_EXCEEDED",
            "You attempted to create an OU tree that is too many levels deep.",
        ));
    }
    if child_ous(&*tx, &parent_id)?.iter().any(|ou| ou.name == name) {
        return Err(error::duplicate_organizational_unit());
    }
    let root_part = org.root_id.trim_start_matches("r-");
    let id = loop {
        let candidate = format!("ou-{root_part}-{}", ids::lower_alnum(8)?);
        if ORGANIZATIONAL_UNITS.get(&*tx, &candidate)?.is_none() {
            break candidate;
        }
    };
    let ou = OrganizationalUnitRecord {
        id: id.clone(),
        name: name.to_owned(),
        parent_id,
        created: services.clock().now_epoch_f64(),
    };
    ORGANIZATIONAL_UNITS.put(&mut *tx, &id, &ou)?;
    super::tags::add_tags(&mut *tx, &id, &new_tags)?;
    // A new OU gets the default policy of every enabled type, as AWS attaches it.
    for policy_type in tree::enabled_types(&*tx, &org)? {
        if let Some(default) = tree::default_policy_id(&policy_type) {
            tree::attach(&mut *tx, default, &policy_type, &id)?;
        }
    }
    let out = ou_json(&*tx, &org, &ou)?;
    tx.commit()?;
    Ok(json!({ "OrganizationalUnit": out }))
}

pub fn describe_organizational_unit(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let tx = services.store().read()?;
    let ou = ou_from(&*tx, call.input)?;
    Ok(json!({ "OrganizationalUnit": ou_json(&*tx, &org, &ou)? }))
}

pub fn update_organizational_unit(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let mut ou = ou_from(&*tx, call.input)?;
    if let Some(name) = input_str(call.input, "Name") {
        validate_ou_name(name)?;
        // Any OU of the parent with that name, the OU itself included, is a duplicate: AWS
        // refuses a rename to the current name too (as moto records it).
        if child_ous(&*tx, &ou.parent_id)?.iter().any(|o| o.name == name) {
            return Err(error::duplicate_organizational_unit());
        }
        ou.name = name.to_owned();
        ORGANIZATIONAL_UNITS.put(&mut *tx, &ou.id, &ou)?;
    }
    let out = ou_json(&*tx, &org, &ou)?;
    tx.commit()?;
    Ok(json!({ "OrganizationalUnit": out }))
}

pub fn delete_organizational_unit(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let mut tx = services.store().write()?;
    let ou = ou_from(&*tx, call.input)?;
    if !child_ous(&*tx, &ou.id)?.is_empty() || !child_accounts(&*tx, &org, &ou.id)?.is_empty() {
        return Err(error::organizational_unit_not_empty());
    }
    // Its policies are detached with it.
    for (_, a) in tree::scan_all(&*tx, ATTACHMENTS_BY_TARGET, &format!("{}/", ou.id))? {
        tree::detach(&mut *tx, &a.policy_id, &ou.id)?;
    }
    ORGANIZATIONAL_UNITS.delete(&mut *tx, &ou.id)?;
    super::tags::drop_tags(&mut *tx, &ou.id)?;
    tx.commit()?;
    Ok(json!({}))
}

pub fn list_organizational_units_for_parent(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let tx = services.store().read()?;
    let parent_id = parent_from(&*tx, &org, call.input, "ParentId", error::parent_not_found)?;
    let mut items = Vec::new();
    for ou in child_ous(&*tx, &parent_id)? {
        items.push((ou_sort_key(&ou), ou_json(&*tx, &org, &ou)?));
    }
    page(call.input, "OrganizationalUnits", items)
}

pub fn list_children(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let child_type = required(call.input, "ChildType")?;
    let tx = services.store().read()?;
    let parent_id = parent_from(&*tx, &org, call.input, "ParentId", error::parent_not_found)?;
    // Keys in list order (join or creation time, then id) so paging follows it.
    let keyed: Vec<(String, String)> = match child_type {
        "ACCOUNT" => child_accounts(&*tx, &org, &parent_id)?
            .into_iter()
            .map(|a| (tree::account_sort_key(&a), a.id))
            .collect(),
        "ORGANIZATIONAL_UNIT" => {
            child_ous(&*tx, &parent_id)?.into_iter().map(|o| (ou_sort_key(&o), o.id)).collect()
        }
        _ => return Err(error::invalid_enum()),
    };
    let items =
        keyed.into_iter().map(|(key, id)| (key, json!({"Id": id, "Type": child_type}))).collect();
    page(call.input, "Children", items)
}

pub fn list_parents(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let child_id = required(call.input, "ChildId")?;
    if !ids::is_account_id(child_id) && !tree::is_ou_id(child_id) {
        return Err(tree::invalid_pattern("ChildId"));
    }
    let tx = services.store().read()?;
    let parent_id = match tree::find_node(&*tx, &org, child_id)? {
        Some(Node::Account(a)) => tree::account_parent(&*tx, &org, &a.id)?,
        Some(Node::OrganizationalUnit(ou)) => ou.parent_id,
        _ => return Err(error::child_not_found()),
    };
    let kind = if parent_id == org.root_id { "ROOT" } else { "ORGANIZATIONAL_UNIT" };
    page(call.input, "Parents", vec![(parent_id.clone(), json!({"Id": parent_id, "Type": kind}))])
}

pub fn list_accounts_for_parent(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let tx = services.store().read()?;
    let parent_id = parent_from(&*tx, &org, call.input, "ParentId", error::parent_not_found)?;
    let items = child_accounts(&*tx, &org, &parent_id)?
        .iter()
        .map(|a| (tree::account_sort_key(a), account_json(&org, a)))
        .collect();
    page(call.input, "Accounts", items)
}

pub fn move_account(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let account_id = required(call.input, "AccountId")?;
    if !ids::is_account_id(account_id) {
        return Err(tree::invalid_pattern("AccountId"));
    }
    let mut tx = services.store().write()?;
    if tree::member_account(&*tx, account_id)?.is_none() {
        return Err(error::account_not_found());
    }
    let source =
        parent_from(&*tx, &org, call.input, "SourceParentId", error::source_parent_not_found)?;
    let destination = parent_from(
        &*tx,
        &org,
        call.input,
        "DestinationParentId",
        error::destination_parent_not_found,
    )?;
    let current = tree::account_parent(&*tx, &org, account_id)?;
    if current != source {
        // AWS: the account is not found in the source parent.
        return Err(error::account_not_found());
    }
    if current == destination {
        return Err(error::account_already_in_destination());
    }
    tree::materialize_account(&mut *tx, &org, account_id)?;
    let placement =
        AccountPlacementRecord { account_id: account_id.to_owned(), parent_id: destination };
    ACCOUNT_PLACEMENTS.put(&mut *tx, account_id, &placement)?;
    tx.commit()?;
    Ok(json!({}))
}
