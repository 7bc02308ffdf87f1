//! `DescribeEffectivePolicy`: the management policy (tag, backup, AI services opt-out, …) that
//! applies to an account, computed as AWS documents management policy inheritance: the
//! policies attached to the root, then to each OU down to the account, then to the account,
//! merged in that order (policies attached to one target in id order).
//!
//! Operators implemented: the value-setting operators `@@assign` (replace), `@@append` (add to a
//! list, or set) and `@@remove` (take from a list, or unset), and the child control operator
//! `@@operators_allowed_for_child_policies` (`@@all`, `@@none` or a list of value-setting
//! operators), which restricts what policies further down may do at that node and below; an
//! operator a parent does not allow is ignored, as AWS ignores it. Not implemented: the
//! validation errors AWS reports for such ignored operators
//! (`ListEffectivePolicyValidationErrors`), and the policy-type-specific shaping AWS applies
//! to some types' output (e.g. the lower-cased tag keys of tag policies).

use serde_json::{json, Map, Value};
use xacct_store::ReadTx;

use super::model::OrganizationRecord;
use super::ous::required;
use super::tree;
use super::{error, organization_for_member};
use crate::{ids, input_str, Call, ServiceError, Services};

/// The value-setting operators a node allows (true = allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Allowed {
    assign: bool,
    append: bool,
    remove: bool,
}

impl Allowed {
    const ALL: Allowed = Allowed { assign: true, append: true, remove: true };

    /// The operators `list` (the value of `@@operators_allowed_for_child_policies`) allows,
    /// within what `self` already allows.
    fn restrict(self, list: &Value) -> Allowed {
        let names: Vec<&str> = match list {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            Value::String(one) => vec![one.as_str()],
            _ => Vec::new(),
        };
        if names.contains(&"@@all") {
            return self;
        }
        Allowed {
            assign: self.assign && names.contains(&"@@assign"),
            append: self.append && names.contains(&"@@append"),
            remove: self.remove && names.contains(&"@@remove"),
        }
    }
}

/// One node of the effective policy being built.
#[derive(Debug, Clone)]
struct Node {
    value: Option<Value>,
    children: Vec<(String, Node)>,
    /// What later (lower) policies may do here and below.
    allowed: Allowed,
}

impl Node {
    fn new(allowed: Allowed) -> Node {
        Node { value: None, children: Vec::new(), allowed }
    }

    /// The child under `key`, made (with this node's restrictions) if absent.
    fn child(&mut self, key: &str) -> Option<&mut Node> {
        if !self.children.iter().any(|(k, _)| k == key) {
            let allowed = self.allowed;
            self.children.push((key.to_owned(), Node::new(allowed)));
        }
        self.children.iter_mut().find(|(k, _)| k == key).map(|(_, n)| n)
    }

    /// Applies one policy's `object` at this node.
    fn merge(&mut self, object: &Map<String, Value>) {
        // The operators this policy may use here are those allowed before it restricts them.
        let allowed = self.allowed;
        if let Some(v) = object.get("@@assign") {
            if allowed.assign {
                self.value = Some(v.clone());
            }
        }
        if let Some(v) = object.get("@@append") {
            if allowed.append {
                self.value = Some(match (self.value.take(), v) {
                    (Some(Value::Array(mut have)), Value::Array(add)) => {
                        for item in add {
                            if !have.contains(item) {
                                have.push(item.clone());
                            }
                        }
                        Value::Array(have)
                    }
                    (Some(Value::Array(mut have)), one) => {
                        if !have.contains(one) {
                            have.push(one.clone());
                        }
                        Value::Array(have)
                    }
                    (_, add) => add.clone(),
                });
            }
        }
        if let Some(v) = object.get("@@remove") {
            if allowed.remove {
                self.value = match (self.value.take(), v) {
                    (Some(Value::Array(have)), Value::Array(gone)) => {
                        Some(Value::Array(have.into_iter().filter(|i| !gone.contains(i)).collect()))
                    }
                    (Some(Value::Array(have)), one) => {
                        Some(Value::Array(have.into_iter().filter(|i| i != one).collect()))
                    }
                    // Removing a single value unsets it.
                    _ => None,
                };
            }
        }
        if let Some(list) = object.get("@@operators_allowed_for_child_policies") {
            self.allowed = self.allowed.restrict(list);
        }
        for (key, v) in object {
            if key.starts_with("@@") {
                continue;
            }
            let Some(child) = self.child(key) else { continue };
            match v {
                Value::Object(inner) => child.merge(inner),
                // A plain value is an assignment.
                other => {
                    if child.allowed.assign {
                        child.value = Some(other.clone());
                    }
                }
            }
        }
    }

    /// The node as the effective policy shows it (operators gone); `None` when empty.
    fn render(&self) -> Option<Value> {
        if let Some(v) = &self.value {
            if self.children.is_empty() {
                return Some(v.clone());
            }
        }
        let mut out = Map::new();
        for (key, child) in &self.children {
            if let Some(v) = child.render() {
                out.insert(key.clone(), v);
            }
        }
        if out.is_empty() {
            self.value.clone()
        } else {
            Some(Value::Object(out))
        }
    }
}

/// The effective policy of `policy_type` for `account_id`: its content and the time the last
/// contributing policy changed; `None` when no policy of that type applies.
pub fn effective_policy<X: ReadTx + ?Sized>(
    tx: &X,
    org: &OrganizationRecord,
    account_id: &str,
    policy_type: &str,
) -> Result<Option<(Value, f64)>, ServiceError> {
    let parent = tree::account_parent(tx, org, account_id)?;
    let mut targets = vec![org.root_id.clone()];
    if parent != org.root_id {
        targets.extend(tree::ou_path(tx, org, &parent)?.into_iter().map(|ou| ou.id));
    }
    targets.push(account_id.to_owned());
    let mut root = Node::new(Allowed::ALL);
    let mut applied = 0usize;
    let mut last_updated = 0.0f64;
    for target in &targets {
        for policy_id in tree::attached_policies(tx, org, target, Some(policy_type))? {
            let policy = tree::get_policy(tx, org, &policy_id)?.ok_or_else(|| {
                ServiceError::internal(format!("attached policy `{policy_id}` is missing"))
            })?;
            let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(&policy.content) else {
                // Stored documents were checked to be JSON objects when written.
                return Err(ServiceError::internal(format!(
                    "policy `{policy_id}` is not a JSON object"
                )));
            };
            root.merge(&doc);
            applied += 1;
            last_updated = last_updated.max(policy.updated);
        }
    }
    if applied == 0 {
        return Ok(None);
    }
    Ok(Some((root.render().unwrap_or_else(|| json!({})), last_updated)))
}

pub fn describe_effective_policy(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_member(services, call.caller)?;
    let policy_type = required(call.input, "PolicyType")?;
    let target = input_str(call.input, "TargetId").unwrap_or(&call.caller.account);
    if tree::is_root_id(target) || tree::is_ou_id(target) {
        // The model's description of the reason (AWS's exact text is not known).
        return Err(error::invalid_input(
            "TARGET_NOT_SUPPORTED",
            "You can't perform the specified operation on that target entity.",
        ));
    }
    if !ids::is_account_id(target) {
        return Err(error::invalid_pattern());
    }
    // A member account sees its own effective policy only.
    if call.caller.account != org.management_account_id && target != call.caller.account {
        return Err(error::access_denied());
    }
    let tx = services.store().read()?;
    if tree::member_account(&*tx, target)?.is_none() {
        return Err(error::target_not_found());
    }
    let (content, updated) = effective_policy(&*tx, &org, target, policy_type)?
        .ok_or_else(error::effective_policy_not_found)?;
    Ok(json!({
        "EffectivePolicy": {
            "PolicyContent": content.to_string(),
            "LastUpdatedTimestamp": updated,
            "TargetId": target,
            "PolicyType": policy_type,
        }
    }))
}
