//! One decision described as JSON, for `xacct policy evaluate FILE` and the JSON test corpus.
//!
//! Input: `{"request": {...}, "policies": {...}}` (unknown top-level members, such as a
//! corpus case's `"expect"`, are ignored). Output: `{"decision", "matched", "reason",
//! "denied_by", "message"}`. See [`evaluate_json`].

use std::fmt;

use serde_json::{json, Map, Value};

use crate::context::Context;
use crate::error::PolicyError;
use crate::eval::{evaluate, PolicySet, Request};
use crate::policy::{Policy, PolicyKind};
use crate::principal::{Principal, PrincipalKind};

/// Why a JSON decision could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// The input is not the expected JSON shape; the text says what is wrong.
    Input(String),
    /// A policy document was refused; `label` names it (`identity[0]`, `scps[1][0]`, …).
    Policy {
        /// Which policy.
        label: String,
        /// IAM's refusal.
        error: PolicyError,
    },
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(msg) => write!(f, "invalid input: {msg}"),
            CliError::Policy { label, error } => write!(f, "{label}: {error}"),
        }
    }
}

impl std::error::Error for CliError {}

fn input(msg: impl Into<String>) -> CliError {
    CliError::Input(msg.into())
}

fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, CliError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(input(format!("`{key}` must be a string"))),
    }
}

fn req_str<'a>(obj: &'a Map<String, Value>, key: &str, whose: &str) -> Result<&'a str, CliError> {
    opt_str(obj, key)?.ok_or_else(|| input(format!("`{whose}.{key}` is required")))
}

fn account_of(arn: &str) -> Option<&str> {
    crate::arn::ArnParts::parse(arn).map(|p| p.account).filter(|a| !a.is_empty())
}

/// Parses one policy entry: a document (object or JSON string) or `{"name", "document",
/// "kind"}`. Returns the document text, an optional name and an optional kind override.
fn entry(v: &Value) -> Result<(String, Option<String>, Option<PolicyKind>), CliError> {
    let (doc, name, kind) = match v {
        Value::Object(o) if o.contains_key("document") && !o.contains_key("Statement") => {
            let name = opt_str(o, "name")?.or(opt_str(o, "label")?).map(str::to_owned);
            let kind = match opt_str(o, "kind")? {
                None => None,
                Some(k) => Some(parse_kind(k)?),
            };
            (o.get("document").cloned().unwrap_or(Value::Null), name, kind)
        }
        other => (other.clone(), None, None),
    };
    let text = match doc {
        Value::String(s) => s,
        Value::Object(_) => doc.to_string(),
        _ => return Err(input("a policy must be a JSON object or a string holding JSON")),
    };
    Ok((text, name, kind))
}

fn parse_kind(k: &str) -> Result<PolicyKind, CliError> {
    Ok(match k {
        "Identity" => PolicyKind::Identity,
        "Resource" => PolicyKind::Resource,
        "Trust" => PolicyKind::Trust,
        "Scp" => PolicyKind::Scp,
        "Rcp" => PolicyKind::Rcp,
        "PermissionsBoundary" => PolicyKind::PermissionsBoundary,
        "Session" => PolicyKind::Session,
        other => return Err(input(format!("unknown policy kind `{other}`"))),
    })
}

fn compile(v: &Value, default_label: String, kind: PolicyKind) -> Result<Policy, CliError> {
    let (text, name, kind_override) = entry(v)?;
    let label = name.unwrap_or(default_label);
    Policy::parse(&text, kind_override.unwrap_or(kind))
        .map(|p| p.with_label(label.clone()))
        .map_err(|error| CliError::Policy { label, error })
}

fn list<'a>(policies: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], CliError> {
    match policies.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(input(format!("`policies.{key}` must be an array"))),
    }
}

fn levels(
    policies: &Map<String, Value>,
    key: &str,
    kind: PolicyKind,
) -> Result<Vec<Vec<Policy>>, CliError> {
    list(policies, key)?
        .iter()
        .enumerate()
        .map(|(i, level)| {
            let Value::Array(items) = level else {
                return Err(input(format!(
                    "`policies.{key}[{i}]` must be an array of policies (one organization level)"
                )));
            };
            items
                .iter()
                .enumerate()
                .map(|(j, p)| compile(p, format!("{key}[{i}][{j}]"), kind))
                .collect()
        })
        .collect()
}

fn context(v: Option<&Value>) -> Result<Context, CliError> {
    let mut ctx = Context::new();
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(ctx);
    };
    let obj = v.as_object().ok_or_else(|| input("`request.context` must be an object"))?;
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    for (k, v) in obj {
        match v {
            Value::Array(items) => {
                let values: Option<Vec<String>> = items.iter().map(scalar).collect();
                let values =
                    values.ok_or_else(|| input(format!("context key `{k}` must hold strings")))?;
                ctx.insert_many(k, values);
            }
            other => {
                let s = scalar(other)
                    .ok_or_else(|| input(format!("context key `{k}` must hold strings")))?;
                ctx.insert(k, s);
            }
        }
    }
    Ok(ctx)
}

/// Decides the request described by `input` (see the module docs for the shape).
///
/// Policies without a `name` are labelled by position (`identity[0]`, `scps[1][0]`,
/// `permissions_boundary`, `resource`). The resource policy is validated as a role trust
/// policy when the resource is an IAM role ARN (else as a resource-based policy) unless its
/// entry gives `"kind"`; `resource_policy_required` defaults to true for trust policies.
pub fn evaluate_json(input_text: &str) -> Result<Value, CliError> {
    let root: Value =
        serde_json::from_str(input_text).map_err(|e| input(format!("not JSON: {e}")))?;
    let root = root.as_object().ok_or_else(|| input("the input must be a JSON object"))?;
    let req = root
        .get("request")
        .and_then(Value::as_object)
        .ok_or_else(|| input("`request` object is required"))?;
    let pol = match root.get("policies") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(input("`policies` must be an object")),
    };

    let pr = req
        .get("principal")
        .and_then(Value::as_object)
        .ok_or_else(|| input("`request.principal` object is required"))?;
    let kind = match req_str(pr, "type", "request.principal")? {
        "Root" => PrincipalKind::Root,
        "IAMUser" => PrincipalKind::IAMUser,
        "AssumedRole" => PrincipalKind::AssumedRole,
        "FederatedUser" => PrincipalKind::FederatedUser,
        "Service" => PrincipalKind::Service,
        "WebIdentity" => PrincipalKind::WebIdentity,
        "Anonymous" => PrincipalKind::Anonymous,
        other => return Err(input(format!("unknown principal type `{other}`"))),
    };
    let account_field = opt_str(pr, "account")?;
    let root_arn;
    let arn = match (opt_str(pr, "arn")?, kind) {
        (Some(a), _) => a,
        (None, PrincipalKind::Root) => {
            let acct = account_field
                .ok_or_else(|| input("`request.principal.account` is required for Root"))?;
            root_arn = format!("arn:aws:iam::{acct}:root");
            &root_arn
        }
        (None, PrincipalKind::Anonymous) => "",
        (None, _) => return Err(input("`request.principal.arn` is required")),
    };
    let account = account_field.or_else(|| account_of(arn)).unwrap_or("");
    let role_arn = opt_str(pr, "role_arn")?;
    if kind == PrincipalKind::AssumedRole && role_arn.is_none() {
        return Err(input("`request.principal.role_arn` is required for AssumedRole"));
    }
    let principal = Principal {
        kind,
        arn,
        account,
        role_arn,
        unique_id: opt_str(pr, "unique_id")?,
        source_user_arn: opt_str(pr, "source_user_arn")?,
    };
    let action = req_str(req, "action", "request")?;
    let resource = opt_str(req, "resource")?.unwrap_or("*");
    let resource_account = opt_str(req, "resource_account")?.or_else(|| account_of(resource));
    let ctx = context(req.get("context"))?;

    let identity: Vec<Policy> = list(&pol, "identity")?
        .iter()
        .enumerate()
        .map(|(i, p)| compile(p, format!("identity[{i}]"), PolicyKind::Identity))
        .collect::<Result<_, _>>()?;
    let session: Vec<Policy> = list(&pol, "session")?
        .iter()
        .enumerate()
        .map(|(i, p)| compile(p, format!("session[{i}]"), PolicyKind::Session))
        .collect::<Result<_, _>>()?;
    let boundary = match pol.get("permissions_boundary") {
        None | Some(Value::Null) => None,
        Some(p) => {
            Some(compile(p, "permissions_boundary".into(), PolicyKind::PermissionsBoundary)?)
        }
    };
    let scps = levels(&pol, "scps", PolicyKind::Scp)?;
    let rcps = levels(&pol, "rcps", PolicyKind::Rcp)?;
    let is_role = crate::arn::ArnParts::parse(resource)
        .is_some_and(|p| p.service == "iam" && p.resource.starts_with("role/"));
    let default_resource_kind = if is_role { PolicyKind::Trust } else { PolicyKind::Resource };
    let resource_policy = match pol.get("resource") {
        None | Some(Value::Null) => None,
        Some(p) => Some(compile(p, "resource".into(), default_resource_kind)?),
    };
    let required = match pol.get("resource_policy_required") {
        None | Some(Value::Null) => {
            resource_policy.as_ref().is_some_and(|p| p.kind() == PolicyKind::Trust)
        }
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(input("`policies.resource_policy_required` must be a boolean")),
    };

    let identity_refs: Vec<&Policy> = identity.iter().collect();
    let session_refs: Vec<&Policy> = session.iter().collect();
    let scp_levels: Vec<Vec<&Policy>> = scps.iter().map(|l| l.iter().collect()).collect();
    let scp_refs: Vec<&[&Policy]> = scp_levels.iter().map(Vec::as_slice).collect();
    let rcp_levels: Vec<Vec<&Policy>> = rcps.iter().map(|l| l.iter().collect()).collect();
    let rcp_refs: Vec<&[&Policy]> = rcp_levels.iter().map(Vec::as_slice).collect();
    let set = PolicySet {
        identity: &identity_refs,
        permissions_boundary: boundary.as_ref(),
        session: &session_refs,
        scps: &scp_refs,
        rcps: &rcp_refs,
        resource: resource_policy.as_ref(),
        resource_policy_required: required,
    };
    let request = Request { principal, action, resource, resource_account, context: &ctx };
    let decision = evaluate(&request, &set);

    let matched: Vec<Value> = decision
        .matched
        .iter()
        .map(|m| {
            json!({
                "policy_type": m.policy_type.as_str(),
                "policy": &*m.policy,
                "sid": m.sid.as_deref(),
                "statement_index": m.statement_index,
                "effect": m.effect.as_str(),
            })
        })
        .collect();
    let message =
        (!decision.is_allowed()).then(|| decision.access_denied_message(arn, action, resource));
    Ok(json!({
        "decision": decision.effect.as_str(),
        "matched": matched,
        "reason": decision.reason,
        "denied_by": decision.denied_by.map(|t| t.as_str()),
        "message": message,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TUTORIAL: &str = r#"{
      "request": {"principal": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/David", "account": "111111111111"},
                  "action": "sts:AssumeRole",
                  "resource": "arn:aws:iam::999999999999:role/UpdateApp",
                  "resource_account": "999999999999",
                  "context": {"aws:username": "David", "aws:TagKeys": ["a", "b"]}},
      "policies": {"identity": [{"Version": "2012-10-17", "Statement": {"Sid": "S", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::999999999999:role/UpdateApp"}}],
                   "permissions_boundary": null, "session": [],
                   "scps": [[{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}]],
                   "rcps": [],
                   "resource": "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111111111111\"},\"Action\":\"sts:AssumeRole\"}}"},
      "expect": {"decision": "Allow"}
    }"#;

    #[test]
    fn tutorial_case() {
        let out = evaluate_json(TUTORIAL).unwrap();
        assert_eq!(out["decision"], "Allow");
        let matched = out["matched"].as_array().unwrap();
        assert_eq!(matched.len(), 3);
        assert_eq!(matched[0]["policy_type"], "identity");
        assert_eq!(matched[0]["policy"], "identity[0]");
        assert_eq!(matched[0]["sid"], "S");
        assert_eq!(matched[0]["statement_index"], 0);
        assert_eq!(matched[0]["effect"], "Allow");
        assert_eq!(matched[1]["policy"], "scps[0][0]");
        assert_eq!(matched[2]["policy"], "resource");
        assert_eq!(out["reason"], "");
        assert!(out["message"].is_null());
    }

    #[test]
    fn denied_case_has_reason_and_message() {
        let input = TUTORIAL
            .replace(r#""identity": [{"Version""#, r#""identity": [], "unused": [{"Version""#);
        let out = evaluate_json(&input).unwrap();
        assert_eq!(out["decision"], "ImplicitDeny");
        assert_eq!(out["reason"], "no identity-based policy allows the sts:AssumeRole action");
        assert_eq!(out["denied_by"], "identity");
        assert!(out["message"]
            .as_str()
            .unwrap()
            .starts_with("User: arn:aws:iam::111111111111:user/David is not authorized"));
    }

    #[test]
    fn named_policies_and_kind_override() {
        let input = r#"{"request": {"principal": {"type": "AssumedRole", "arn": "arn:aws:sts::111111111111:assumed-role/R/s", "role_arn": "arn:aws:iam::111111111111:role/R"},
                         "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"},
                        "policies": {"identity": [{"name": "ReadB", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}}]}}"#;
        let out = evaluate_json(input).unwrap();
        assert_eq!(out["decision"], "ExplicitDeny");
        assert_eq!(out["matched"][0]["policy"], "ReadB");
        assert_eq!(out["reason"], "explicit deny in an identity-based policy");
    }

    #[test]
    fn malformed_policy_is_labelled() {
        let input = r#"{"request": {"principal": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/D"}, "action": "s3:GetObject", "resource": "*"},
                        "policies": {"scps": [[], [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*"}}]]}}"#;
        let err = evaluate_json(input).unwrap_err();
        assert_eq!(err.to_string(), "scps[1][0]: Policy statement must contain resources.");
        assert!(matches!(err, CliError::Policy { .. }));
    }

    #[test]
    fn bad_input_is_reported() {
        assert!(matches!(evaluate_json("nope"), Err(CliError::Input(_))));
        assert!(matches!(evaluate_json("{}"), Err(CliError::Input(_))));
        let e = evaluate_json(
            r#"{"request": {"principal": {"type": "Alien", "arn": "x"}, "action": "a:b"}}"#,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "invalid input: unknown principal type `Alien`");
        let e = evaluate_json(
            r#"{"request": {"principal": {"type": "AssumedRole", "arn": "x"}, "action": "a:b"}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("role_arn"));
    }

    #[test]
    fn service_principal_and_root() {
        let input = r#"{"request": {"principal": {"type": "Service", "arn": "ecs.amazonaws.com"}, "action": "sts:AssumeRole", "resource": "arn:aws:iam::111111111111:role/ecs"},
                        "policies": {"resource": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}}}}"#;
        assert_eq!(evaluate_json(input).unwrap()["decision"], "Allow");
        let root = r#"{"request": {"principal": {"type": "Root", "account": "111111111111"}, "action": "s3:DeleteBucket", "resource": "arn:aws:s3:::b"}, "policies": {}}"#;
        assert_eq!(evaluate_json(root).unwrap()["decision"], "Allow");
    }
}
