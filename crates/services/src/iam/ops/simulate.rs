//! The policy simulator: `SimulatePrincipalPolicy` and `SimulateCustomPolicy`, answered by the
//! same engine that authorizes requests, with the statements that decided and their positions
//! in the document text.
//!
//! `MissingContextValues` is always empty: the engine does not report which condition keys it
//! looked up without finding them.

use serde_json::{json, Value};
use xacct_policy::{evaluate, Context, Effect, Policy, PolicyKind, PolicySet, Principal, Request};

use super::{load_group, load_role, load_user};
use crate::iam::common::{opt, opt_strings, required, with_paging, Paging};
use crate::iam::error;
use crate::iam::lookup::{role_policies, user_policies, PolicyDoc};
use crate::iam::managed::{self};
use crate::iam::model::GroupRecord;
use crate::{Call, ServiceError, Services};
use xacct_store::ReadTx;

/// One policy taking part in a simulation, with how the simulator names it.
struct SimPolicy {
    id: String,
    source_type: &'static str,
    document: String,
    spans: Vec<(Pos, Pos)>,
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// The start and end positions of each statement object of a policy document, in order.
pub fn statement_spans(doc: &str) -> Vec<(Pos, Pos)> {
    let mut spans = Vec::new();
    let (mut line, mut col) = (1usize, 0usize);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut current_string = String::new();
    let mut last_key_at_depth1: Option<String> = None;
    // Depth at which statement objects open (2 for a single object, 3 inside an array).
    let mut statement_depth: Option<usize> = None;
    let mut start: Option<Pos> = None;
    for c in doc.chars() {
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
                current_string.push(c);
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else {
                current_string.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                current_string.clear();
            }
            ':' if depth == 1 => last_key_at_depth1 = Some(current_string.clone()),
            ',' if depth == 1 => last_key_at_depth1 = None,
            '{' | '[' => {
                depth += 1;
                let in_statement = last_key_at_depth1.as_deref() == Some("Statement");
                if in_statement && depth == 2 && c == '[' {
                    statement_depth = Some(3);
                } else if in_statement && depth == 2 && c == '{' {
                    statement_depth = Some(2);
                }
                if c == '{' && statement_depth == Some(depth) && in_statement {
                    start = Some(Pos { line, column: col });
                }
            }
            '}' | ']' => {
                if c == '}' && statement_depth == Some(depth) {
                    if let Some(s) = start.take() {
                        spans.push((s, Pos { line, column: col + 1 }));
                    }
                }
                if depth == 2 {
                    statement_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    spans
}

impl SimPolicy {
    fn new(id: String, source_type: &'static str, document: String) -> SimPolicy {
        let spans = statement_spans(&document);
        SimPolicy { id, source_type, document, spans }
    }
}

fn parse_all(policies: &[SimPolicy], kind: PolicyKind) -> Result<Vec<Policy>, ServiceError> {
    policies
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Policy::parse(&p.document, kind)
                .map(|compiled| compiled.with_label(i.to_string()))
                .map_err(|e| error::malformed_policy(e.message()))
        })
        .collect()
}

fn input_policies(call: &Call<'_>, member: &str) -> Vec<SimPolicy> {
    opt_strings(call, member)
        .into_iter()
        .enumerate()
        .map(|(i, d)| SimPolicy::new(format!("{member}.{}", i + 1), "none", d))
        .collect()
}

/// The principal's own policies, named as the simulator names them.
fn from_docs(docs: Vec<PolicyDoc>, inline_type: &'static str) -> Vec<SimPolicy> {
    docs.into_iter()
        .map(|d| {
            if d.label.starts_with("arn:aws:iam::aws:policy/") {
                SimPolicy::new(policy_name(&d.label), "aws-managed", d.document)
            } else if d.label.starts_with("arn:") {
                SimPolicy::new(policy_name(&d.label), "user-managed", d.document)
            } else {
                SimPolicy::new(d.label, inline_type, d.document)
            }
        })
        .collect()
}

fn policy_name(arn: &str) -> String {
    managed::parse_policy_arn(arn).map(|(_, n)| n.to_owned()).unwrap_or_else(|| arn.to_owned())
}

fn context_entries(call: &Call<'_>) -> Result<Context, ServiceError> {
    let mut ctx = Context::new();
    let Some(list) = call.input.get("ContextEntries").and_then(Value::as_array) else {
        return Ok(ctx);
    };
    for e in list {
        let name = e.get("ContextKeyName").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() {
            return Err(error::invalid_input("Context key name must not be empty."));
        }
        let values: Vec<String> = e
            .get("ContextKeyValues")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        ctx.insert_many(name, values);
    }
    Ok(ctx)
}

/// Who the simulated request comes from.
struct SimPrincipal {
    kind: SimKind,
    arn: String,
    account: String,
}

enum SimKind {
    User,
    Role,
}

fn run(
    call: &Call<'_>,
    principal: &SimPrincipal,
    identity: &[SimPolicy],
    boundary: &[SimPolicy],
    mut ctx: Context,
    tags: &[(String, String)],
) -> Result<Value, ServiceError> {
    let paging = Paging::from_call(call)?;
    let actions = opt_strings(call, "ActionNames");
    if actions.is_empty() {
        return Err(error::invalid_input("ActionNames must not be empty."));
    }
    let mut resources = opt_strings(call, "ResourceArns");
    if resources.is_empty() {
        resources.push("*".to_owned());
    }
    let identity_compiled = parse_all(identity, PolicyKind::Identity)?;
    let boundary_compiled = parse_all(boundary, PolicyKind::PermissionsBoundary)?;
    let resource_policy = match opt(call, "ResourcePolicy") {
        Some(doc) => Some((
            Policy::parse(doc, PolicyKind::Resource)
                .map_err(|e| error::malformed_policy(e.message()))?
                .with_label("resource"),
            SimPolicy::new("ResourcePolicy".to_owned(), "resource", doc.to_owned()),
        )),
        None => None,
    };
    let resource_owner = opt(call, "ResourceOwner").and_then(|o| {
        o.strip_prefix("arn:aws:iam::").and_then(|r| r.split(':').next()).map(str::to_owned)
    });
    for (k, v) in tags {
        ctx.insert(format!("aws:PrincipalTag/{k}"), v.clone());
    }
    let identity_refs: Vec<&Policy> = identity_compiled.iter().collect();
    // Several boundaries in the simulator all apply; the engine takes one, so each is checked.
    let mut items = Vec::new();
    for action in &actions {
        for resource in &resources {
            let p = match principal.kind {
                SimKind::User => Principal::user(&principal.arn, &principal.account),
                SimKind::Role => {
                    Principal::assumed_role(&principal.arn, &principal.arn, &principal.account)
                }
            };
            let request = Request {
                principal: p,
                action,
                resource,
                resource_account: resource_owner.as_deref(),
                context: &ctx,
            };
            let mut decision = evaluate(
                &request,
                &PolicySet {
                    identity: &identity_refs,
                    permissions_boundary: boundary_compiled.first(),
                    resource: resource_policy.as_ref().map(|(p, _)| p),
                    ..PolicySet::default()
                },
            );
            for b in boundary_compiled.iter().skip(1) {
                if decision.effect != Effect::Allow {
                    break;
                }
                decision = evaluate(
                    &request,
                    &PolicySet {
                        identity: &identity_refs,
                        permissions_boundary: Some(b),
                        resource: resource_policy.as_ref().map(|(p, _)| p),
                        ..PolicySet::default()
                    },
                );
            }
            let eval = match decision.effect {
                Effect::Allow => "allowed",
                Effect::ExplicitDeny => "explicitDeny",
                Effect::ImplicitDeny => "implicitDeny",
            };
            let matched: Vec<Value> = decision
                .matched
                .iter()
                .filter_map(|m| {
                    let source = match m.policy_type {
                        xacct_policy::PolicyType::Identity => identity.get(m.policy.parse::<usize>().ok()?)?,
                        xacct_policy::PolicyType::PermissionsBoundary => {
                            boundary.get(m.policy.parse::<usize>().ok()?)?
                        }
                        xacct_policy::PolicyType::Resource => &resource_policy.as_ref()?.1,
                        _ => return None,
                    };
                    let mut v = json!({ "SourcePolicyId": source.id, "SourcePolicyType": source.source_type });
                    if let (Some((s, e)), Some(obj)) = (source.spans.get(m.statement_index), v.as_object_mut()) {
                        obj.insert("StartPosition".into(), json!({"Line": s.line, "Column": s.column}));
                        obj.insert("EndPosition".into(), json!({"Line": e.line, "Column": e.column}));
                    }
                    Some(v)
                })
                .collect();
            items.push(json!({
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": eval,
                "MatchedStatements": matched,
                "MissingContextValues": [],
            }));
        }
    }
    let keyed: Vec<(String, Value)> =
        items.into_iter().enumerate().map(|(i, v)| (format!("{i:08}"), v)).collect();
    let (page, next) = paging.page(keyed);
    Ok(with_paging(json!({ "EvaluationResults": page }), next))
}

/// The attached managed policies named as the simulator names them.
fn managed_docs(
    tx: &dyn ReadTx,
    account: &str,
    arns: &[String],
) -> Result<Vec<SimPolicy>, ServiceError> {
    let mut out = Vec::new();
    for arn in arns {
        if let Some(doc) = crate::iam::lookup::managed_policy_document(tx, account, arn)? {
            out.extend(from_docs(vec![doc], "none"));
        }
    }
    Ok(out)
}

/// A group's inline (type `group`) and attached policies.
fn group_docs(
    tx: &dyn ReadTx,
    account: &str,
    group: &GroupRecord,
) -> Result<Vec<SimPolicy>, ServiceError> {
    let mut docs: Vec<SimPolicy> = group
        .inline_policies
        .iter()
        .map(|(n, d)| SimPolicy::new(n.clone(), "group", d.clone()))
        .collect();
    docs.extend(managed_docs(tx, account, &group.attached_policies)?);
    Ok(docs)
}

pub fn simulate_principal_policy(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let source = required(call, "PolicySourceArn")?;
    let tx = services.store().read()?;
    let invalid = || error::invalid_input(format!("Invalid PolicySourceArn: {source}"));
    let rest = source.strip_prefix(&format!("arn:aws:iam::{account}:")).ok_or_else(invalid)?;
    let name = rest.rsplit('/').next().unwrap_or_default();
    let (principal, policies, boundary_docs, tags) = if rest.starts_with("user/") {
        let user = load_user(&*tx, account, name)?;
        let pp = user_policies(&*tx, account, name)?.unwrap_or_default();
        let mut docs: Vec<SimPolicy> = user
            .inline_policies
            .iter()
            .map(|(n, d)| SimPolicy::new(n.clone(), "user", d.clone()))
            .collect();
        docs.extend(managed_docs(&*tx, account, &user.attached_policies)?);
        for g in &user.groups {
            if let Ok(group) = load_group(&*tx, account, g) {
                docs.extend(group_docs(&*tx, account, &group)?);
            }
        }
        (
            SimPrincipal { kind: SimKind::User, arn: user.arn, account: account.clone() },
            docs,
            pp.permissions_boundary,
            pp.tags,
        )
    } else if rest.starts_with("role/") {
        let role = load_role(&*tx, account, name)?;
        let pp = role_policies(&*tx, account, name)?.unwrap_or_default();
        (
            SimPrincipal { kind: SimKind::Role, arn: role.arn, account: account.clone() },
            from_docs(pp.identity, "role"),
            pp.permissions_boundary,
            pp.tags,
        )
    } else if rest.starts_with("group/") {
        let group = load_group(&*tx, account, name)?;
        let docs = group_docs(&*tx, account, &group)?;
        (
            SimPrincipal { kind: SimKind::User, arn: group.arn, account: account.clone() },
            docs,
            None,
            Vec::new(),
        )
    } else {
        return Err(invalid());
    };
    let mut identity = policies;
    identity.extend(input_policies(call, "PolicyInputList"));
    let mut boundary: Vec<SimPolicy> =
        boundary_docs.map(|d| from_docs(vec![d], "none")).unwrap_or_default();
    boundary.extend(input_policies(call, "PermissionsBoundaryPolicyInputList"));
    let ctx = context_entries(call)?;
    run(call, &principal, &identity, &boundary, ctx, &tags)
}

pub fn simulate_custom_policy(
    _services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = call.caller.account.clone();
    let identity = input_policies(call, "PolicyInputList");
    if identity.is_empty() {
        return Err(error::invalid_input("PolicyInputList must not be empty."));
    }
    let boundary = input_policies(call, "PermissionsBoundaryPolicyInputList");
    let arn = opt(call, "CallerArn")
        .map_or_else(|| format!("arn:aws:iam::{account}:user/SimulatedUser"), str::to_owned);
    let kind = if arn.contains(":role/") { SimKind::Role } else { SimKind::User };
    let ctx = context_entries(call)?;
    run(call, &SimPrincipal { kind, arn, account }, &identity, &boundary, ctx, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_statements() {
        let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"s3:Delete*\", \"Resource\": \"*\"}\n  ]\n}";
        let spans = statement_spans(doc);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].0, Pos { line: 4, column: 5 });
        assert_eq!(spans[1].0, Pos { line: 5, column: 5 });
        let single =
            "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}}";
        let spans = statement_spans(single);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].0, Pos { line: 1, column: 15 });
    }
}
