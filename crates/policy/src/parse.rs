//! JSON policy document → validated, compiled statements, refusing what IAM refuses with
//! IAM's own message. Checks run in the order IAM reports them (only the first failure is
//! reported): size quota, grammar, version, legacy parser (Effect case, dates, short ARNs),
//! statement ids, kind rules, presence of actions/resources/principals, then the format of
//! resources, of actions, and of principals. The order follows AWS's observed answers as
//! collected by other emulators' test suites (e.g. a bad resource is reported before a bad
//! action in the same statement).
//!
//! Messages whose exact AWS wording we could not find are marked `UNVERIFIED` below.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::arn::ArnPattern;
use crate::condition::Condition;
use crate::error::PolicyError;
use crate::glob::Glob;
use crate::policy::{
    ActionMatcher, ParseOptions, PolicyKind, ResourceMatcher, ResourcePattern, Statement,
    StatementEffect, Version,
};
use crate::principal::PrincipalSpec;
use crate::template::{Mode, Text};

/// What `parse_document` hands to `Policy`.
pub(crate) struct Parsed {
    pub(crate) version: Version,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

const PARTITIONS: [&str; 8] =
    ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

const IAM_RESOURCE_PREFIXES: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// Size as IAM counts it: characters, whitespace excluded.
pub(crate) fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

fn size_error(kind: PolicyKind, limit: usize) -> PolicyError {
    match kind {
        // IAM CreatePolicy / PutUserPolicy: "Cannot exceed quota for PolicySize: 6144" (409).
        PolicyKind::Identity | PolicyKind::PermissionsBoundary | PolicyKind::Resource => {
            PolicyError::limit(format!("Cannot exceed quota for PolicySize: {limit}"))
        }
        // IAM CreateRole / UpdateAssumeRolePolicy (LimitExceeded, 409).
        PolicyKind::Trust => {
            PolicyError::limit(format!("Cannot exceed quota for ACLSizePerRole: {limit}"))
        }
        // Organizations ConstraintViolationException (seen in the wild for SCPs).
        PolicyKind::Scp | PolicyKind::Rcp => {
            PolicyError::limit("You have exceeded the maximum policy size.")
        }
        // UNVERIFIED: STS reports an oversized session policy as a parameter validation
        // failure; this text is ours.
        PolicyKind::Session => PolicyError::limit(format!(
            "Session policy exceeds the maximum size of {limit} characters."
        )),
    }
}

/// A string or array of strings; `None` for any other JSON shape.
fn string_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|i| i.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

/// Condition values may also be JSON numbers and booleans (IAM stringifies them).
fn condition_values(v: &Value) -> Option<Vec<String>> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match v {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}

/// One statement after the grammar pass, before compilation.
struct Raw<'a> {
    obj: &'a Map<String, Value>,
    sid: Option<&'a str>,
    effect: &'a str,
    actions: Option<(Vec<String>, bool)>,
    resources: Option<(Vec<String>, bool)>,
    principal: Option<(&'a Value, bool)>,
}

fn grammar<'a>(obj: &'a Map<String, Value>) -> Result<Raw<'a>, PolicyError> {
    if obj.keys().any(|k| !STATEMENT_KEYS.contains(&k.as_str())) {
        return Err(PolicyError::syntax());
    }
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(PolicyError::syntax()),
    };
    let effect = match obj.get("Effect") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(PolicyError::syntax()),
    };
    if !effect.eq_ignore_ascii_case("allow") && !effect.eq_ignore_ascii_case("deny") {
        return Err(PolicyError::syntax());
    }
    let pair = |pos: &str, neg: &str| -> Result<Option<(Vec<String>, bool)>, PolicyError> {
        match (obj.get(pos), obj.get(neg)) {
            (Some(_), Some(_)) => Err(PolicyError::syntax()),
            (Some(v), None) => {
                string_list(v).map(|l| Some((l, false))).ok_or_else(PolicyError::syntax)
            }
            (None, Some(v)) => {
                string_list(v).map(|l| Some((l, true))).ok_or_else(PolicyError::syntax)
            }
            (None, None) => Ok(None),
        }
    };
    let actions = pair("Action", "NotAction")?;
    let resources = pair("Resource", "NotResource")?;
    let principal = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => return Err(PolicyError::syntax()),
        (Some(v), None) => Some((v, false)),
        (None, Some(v)) => Some((v, true)),
        (None, None) => None,
    };
    if let Some((p, _)) = principal {
        principal_grammar(p)?;
    }
    if let Some(c) = obj.get("Condition") {
        let ops = c.as_object().ok_or_else(PolicyError::syntax)?;
        for keys in ops.values() {
            let keys = keys.as_object().ok_or_else(PolicyError::syntax)?;
            if keys.values().any(|v| condition_values(v).is_none()) {
                return Err(PolicyError::syntax());
            }
        }
    }
    Ok(Raw { obj, sid, effect, actions, resources, principal })
}

fn principal_grammar(p: &Value) -> Result<(), PolicyError> {
    match p {
        Value::String(s) if s == "*" => Ok(()),
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                if !matches!(k.as_str(), "AWS" | "Service" | "Federated" | "CanonicalUser") {
                    return Err(PolicyError::syntax());
                }
                string_list(v).ok_or_else(PolicyError::syntax)?;
            }
            Ok(())
        }
        _ => Err(PolicyError::syntax()),
    }
}

/// Parses and validates `document` as a policy of `kind`.
pub(crate) fn parse_document(
    document: &str,
    kind: PolicyKind,
    options: &ParseOptions,
) -> Result<Parsed, PolicyError> {
    if let Some(limit) = options.max_size.or_else(|| kind.default_max_size()) {
        if policy_size(document) > limit {
            return Err(size_error(kind, limit));
        }
    }
    let doc: Value = serde_json::from_str(document).map_err(|_| match kind {
        // CreateRole / UpdateAssumeRolePolicy word a document that is not JSON differently
        // (reported from AWS in brendanhay/amazonka#434, aws-samples/aws-microservices-deploy-options#118).
        PolicyKind::Trust => PolicyError::malformed("This policy contains invalid Json"),
        _ => PolicyError::syntax(),
    })?;
    let top = doc.as_object().ok_or_else(PolicyError::syntax)?;
    if top.keys().any(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement")) {
        return Err(PolicyError::syntax());
    }
    let version = match top.get("Version") {
        None => Version::V2008,
        Some(Value::String(v)) if v == "2012-10-17" => Version::V2012,
        Some(Value::String(v)) if v == "2008-10-17" => Version::V2008,
        Some(_) => return Err(PolicyError::syntax()),
    };
    let id = match top.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(PolicyError::syntax()),
    };
    let statement_objs: Vec<&Map<String, Value>> = match top.get("Statement") {
        Some(Value::Object(o)) => vec![o],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(Value::as_object)
            .collect::<Option<_>>()
            .ok_or_else(PolicyError::syntax)?,
        _ => return Err(PolicyError::syntax()),
    };
    let raws = statement_objs.into_iter().map(grammar).collect::<Result<Vec<_>, _>>()?;

    if options.require_current_version && version != Version::V2012 {
        return Err(PolicyError::malformed(
            "Policy document must be version 2012-10-17 or greater.",
        ));
    }

    // The legacy parser: exact-case Effect, readable dates, ARNs with all their colons.
    for raw in &raws {
        if raw.effect != "Allow" && raw.effect != "Deny" {
            return Err(PolicyError::legacy());
        }
        if let Some((resources, _)) = &raw.resources {
            if resources.iter().any(|r| fails_legacy_arn(r)) {
                return Err(PolicyError::legacy());
            }
        }
    }
    let variables = version == Version::V2012;
    let conditions = raws
        .iter()
        .map(|raw| compile_conditions(raw.obj, variables))
        .collect::<Result<Vec<_>, _>>()?;

    let mut seen = std::collections::HashSet::new();
    for raw in &raws {
        if let Some(sid) = raw.sid {
            if !sid.is_empty() && !seen.insert(sid) {
                return Err(PolicyError::malformed(
                    "Statement IDs (SID) in a single policy must be unique.",
                ));
            }
        }
    }

    for raw in &raws {
        kind_rules(kind, raw)?;
    }
    for raw in &raws {
        if raw.actions.as_ref().is_none_or(|(a, _)| a.is_empty()) {
            return Err(PolicyError::malformed("Policy statement must contain actions."));
        }
        if kind.requires_principal() && raw.principal.is_none() {
            return Err(missing_principal(kind));
        }
    }

    // IAM reports a malformed resource before a malformed action, whatever their order.
    for raw in &raws {
        if let Some((list, _)) = &raw.resources {
            list.iter().try_for_each(|r| check_resource(r))?;
        }
    }
    for raw in &raws {
        if let Some((actions, negated)) = &raw.actions {
            actions.iter().try_for_each(|a| check_action(a))?;
            if kind == PolicyKind::Trust {
                check_trust_actions(actions, *negated)?;
            }
        }
    }
    // A malformed action is reported before a missing resource (`{"Action": "invalid"}` gets
    // the vendor message, getmoto/moto#2269).
    for raw in &raws {
        if kind.requires_resource() && raw.resources.as_ref().is_none_or(|(r, _)| r.is_empty()) {
            return Err(PolicyError::malformed("Policy statement must contain resources."));
        }
    }

    let mut statements = Vec::with_capacity(raws.len());
    for (index, (raw, conditions)) in raws.iter().zip(conditions).enumerate() {
        let (actions, not_action) = raw.actions.clone().unwrap_or_default();
        let resources = raw.resources.as_ref().map(|(list, negated)| ResourceMatcher {
            patterns: list
                .iter()
                .map(|r| match Text::new(r, variables, Mode::Glob) {
                    Text::Const(c) => ResourcePattern::Fixed(ArnPattern::new(&c)),
                    Text::Template(t) => ResourcePattern::Template(t),
                })
                .collect(),
            negated: *negated,
        });
        let principal = match raw.principal {
            Some((p, negated)) => Some((compile_principal(p)?, negated)),
            None => None,
        };
        if kind == PolicyKind::Rcp {
            if let Some((spec, negated)) = &principal {
                if *negated || !spec.wildcard {
                    return Err(organizations_type_error());
                }
            }
        }
        statements.push(Statement {
            sid: raw.sid.map(Arc::from),
            index,
            effect: if raw.effect == "Allow" {
                StatementEffect::Allow
            } else {
                StatementEffect::Deny
            },
            principal,
            actions: ActionMatcher {
                patterns: actions.iter().map(|a| Glob::new(a, true)).collect(),
                negated: not_action,
            },
            resources,
            conditions,
        });
    }
    Ok(Parsed { version, id, statements })
}

/// IAM's legacy parser refuses a short ARN in a partition it knows (`arn:aws:s3::bucket`); one
/// in an unknown partition reaches the later partition check instead.
fn fails_legacy_arn(r: &str) -> bool {
    if !r.starts_with("arn:") {
        return false;
    }
    let parts: Vec<&str> = r.split(':').collect();
    if !parts.get(1).is_some_and(|p| PARTITIONS.contains(p)) {
        return false;
    }
    match parts.len() {
        4 | 5 => true,
        n if n >= 6 => parts.get(2).is_some_and(|s| s.is_empty()),
        _ => false,
    }
}

fn compile_conditions(
    obj: &Map<String, Value>,
    variables: bool,
) -> Result<Vec<Condition>, PolicyError> {
    let mut out = Vec::new();
    let Some(Value::Object(ops)) = obj.get("Condition") else {
        return Ok(out);
    };
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            return Err(PolicyError::syntax());
        };
        // An operator with no keys is not checked: IAM accepts `{"x": {}}` (an unknown
        // operator) but refuses `{"x": {"a": "1"}}` (getmoto/moto#2269, whose cases were
        // checked against IAM).
        for (key, values) in keys {
            let values = condition_values(values).ok_or_else(PolicyError::syntax)?;
            out.push(Condition::new(op, key, &values, variables)?);
        }
    }
    Ok(out)
}

fn organizations_type_error() -> PolicyError {
    // AWS Organizations' MalformedPolicyDocumentException text for a document that breaks
    // the rules of its policy type.
    PolicyError::malformed(
        "The provided policy document does not meet the requirements of the specified policy type.",
    )
}

fn missing_principal(kind: PolicyKind) -> PolicyError {
    match kind {
        // IAM CreateRole / UpdateAssumeRolePolicy.
        PolicyKind::Trust => PolicyError::malformed(
            "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!",
        ),
        PolicyKind::Rcp => organizations_type_error(),
        // S3 PutBucketPolicy's wording (MalformedPolicy).
        _ => PolicyError::malformed("Missing required field Principal"),
    }
}

fn kind_rules(kind: PolicyKind, raw: &Raw<'_>) -> Result<(), PolicyError> {
    match kind {
        PolicyKind::Identity | PolicyKind::PermissionsBoundary | PolicyKind::Session => {
            if raw.principal.is_some() {
                return Err(PolicyError::malformed(
                    "Policy document should not specify a principal.",
                ));
            }
        }
        PolicyKind::Scp => {
            if raw.principal.is_some() {
                return Err(organizations_type_error());
            }
        }
        PolicyKind::Rcp => {}
        PolicyKind::Trust => {
            if raw.obj.contains_key("Resource") {
                return Err(PolicyError::malformed("Has prohibited field Resource"));
            }
            if raw.obj.contains_key("NotResource") {
                // UNVERIFIED: assumed to mirror the Resource message.
                return Err(PolicyError::malformed("Has prohibited field NotResource"));
            }
            if raw.obj.contains_key("NotPrincipal") {
                // UNVERIFIED: IAM refuses NotPrincipal in trust policies; wording not found.
                return Err(PolicyError::malformed("Has prohibited field NotPrincipal"));
            }
        }
        PolicyKind::Resource => {}
    }
    Ok(())
}

fn check_action(a: &str) -> Result<(), PolicyError> {
    if a == "*" {
        return Ok(());
    }
    let mut parts = a.split(':');
    let vendor = parts.next().unwrap_or("");
    let Some(_name) = parts.next() else {
        return Err(PolicyError::malformed(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ));
    };
    if parts.next().is_some() {
        return Err(PolicyError::malformed("Actions/Condition can contain only one colon."));
    }
    if vendor.contains(['*', '?']) {
        return Err(PolicyError::malformed(
            "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards",
        ));
    }
    if vendor.is_empty()
        || !vendor.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
    {
        return Err(PolicyError::malformed(format!("Vendor {vendor} is not valid")));
    }
    Ok(())
}

fn check_trust_actions(actions: &[String], negated: bool) -> Result<(), PolicyError> {
    // Trust policies may only name the STS actions that act on a role.
    let allowed = |a: &str| {
        let g = Glob::new(a, true);
        [
            "sts:assumerole",
            "sts:assumerolewithsaml",
            "sts:assumerolewithwebidentity",
            "sts:tagsession",
            "sts:setsourceidentity",
            "sts:setcontext",
        ]
        .iter()
        .any(|known| g.matches(known, true))
            && (a.to_ascii_lowercase().starts_with("sts:") || a == "*")
    };
    if negated || !actions.iter().all(|a| allowed(a)) {
        // IAM CreateRole's wording (as reproduced by several AWS emulators' tests).
        return Err(PolicyError::malformed(
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ));
    }
    Ok(())
}

fn check_resource(r: &str) -> Result<(), PolicyError> {
    if r == "*" {
        return Ok(());
    }
    if !r.contains(':') {
        return Err(PolicyError::malformed(format!(
            "Resource {r} must be in ARN format or \"*\"."
        )));
    }
    let parts: Vec<&str> = r.split(':').collect();
    if !r.starts_with("arn:") {
        // IAM reads the text as an ARN whose first segment was mistyped, padding to six.
        let mut shown: Vec<&str> = vec!["arn"];
        shown.extend(parts.iter().skip(1));
        while shown.len() < 6 {
            shown.push("*");
        }
        let partition = parts.get(1).copied().unwrap_or("");
        return Err(PolicyError::malformed(format!(
            "Partition \"{partition}\" is not valid for resource \"{}\".",
            shown.join(":")
        )));
    }
    if parts.len() == 2 {
        return Err(PolicyError::malformed(
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ));
    }
    let partition = parts.get(1).copied().unwrap_or("");
    // A policy variable is no partition (IAM refuses `arn:${ARN_PARTITION}:…`).
    let partition_ok = PARTITIONS.contains(&partition)
        || (partition.contains(['*', '?']) && !partition.contains('$'));
    if !partition_ok {
        return Err(PolicyError::malformed(format!(
            "Partition \"{partition}\" is not valid for resource \"{r}\"."
        )));
    }
    let service = parts.get(2).copied().unwrap_or("");
    let region = parts.get(3).copied().unwrap_or("");
    if service == "iam" && !region.is_empty() {
        return Err(PolicyError::malformed(format!(
            "IAM resource {r} cannot contain region information."
        )));
    }
    // A bucket ARN has neither region nor account; an access point, job or Storage Lens ARN has
    // both (arn:aws:s3:us-west-2:123456789012:accesspoint/test, "Using access points",
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-access-points.html).
    let account = parts.get(4).copied().unwrap_or("");
    if service == "s3" && !region.is_empty() && account.is_empty() {
        return Err(PolicyError::malformed(format!(
            "Resource {r} can not contain region information."
        )));
    }
    if service == "iam" && !r.contains("${") {
        let rest = r.splitn(6, ':').nth(5).unwrap_or("");
        let ok = rest.is_empty()
            || rest == "root"
            || rest.starts_with(['*', '?', '$'])
            || IAM_RESOURCE_PREFIXES.iter().any(|p| rest.starts_with(p));
        if !ok {
            return Err(PolicyError::malformed(format!(
                "IAM resource path must either be \"*\" or start with {}.",
                IAM_RESOURCE_PREFIXES.join(", ")
            )));
        }
    }
    Ok(())
}

fn compile_principal(p: &Value) -> Result<PrincipalSpec, PolicyError> {
    let mut spec = PrincipalSpec::default();
    let Value::Object(m) = p else {
        spec.wildcard = true;
        return Ok(spec);
    };
    for (k, v) in m {
        let values = string_list(v).ok_or_else(PolicyError::syntax)?;
        for value in values {
            match k.as_str() {
                "AWS" => aws_principal(&value, &mut spec)?,
                "Service" => {
                    if value == "*" {
                        spec.wildcard = true;
                    } else if value.is_empty()
                        || value.contains(['*', '?'])
                        || !value.contains('.')
                        || value.contains(char::is_whitespace)
                    {
                        // IAM checks service names against the services it knows; we can
                        // only refuse names that cannot be one.
                        return Err(PolicyError::malformed(format!(
                            "Invalid principal in policy: \"SERVICE\":\"{value}\""
                        )));
                    } else {
                        spec.services.push(value.to_ascii_lowercase().into());
                    }
                }
                "Federated" => {
                    if value.is_empty() || value.contains(['*', '?']) {
                        // UNVERIFIED: the spelling of the key in this message for federated
                        // principals (IAM writes "AWS" and "SERVICE" for the others).
                        return Err(PolicyError::malformed(format!(
                            "Invalid principal in policy: \"FEDERATED\":\"{value}\""
                        )));
                    }
                    spec.federated.push(value.into());
                }
                _ => {
                    if value == "*" {
                        spec.wildcard = true;
                    } else {
                        spec.canonical.push(value.into());
                    }
                }
            }
        }
    }
    Ok(spec)
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn aws_principal(value: &str, spec: &mut PrincipalSpec) -> Result<(), PolicyError> {
    let invalid =
        || PolicyError::malformed(format!("Invalid principal in policy: \"AWS\":\"{value}\""));
    if value == "*" {
        spec.wildcard = true;
        return Ok(());
    }
    if is_account_id(value) {
        spec.accounts.push(value.into());
        return Ok(());
    }
    if value.contains(['*', '?']) {
        return Err(invalid());
    }
    // Unique ids (AIDA…, AROA…) as IAM stores trust-policy principals.
    if value.len() >= 16
        && value.starts_with('A')
        && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        spec.arns.push(value.into());
        return Ok(());
    }
    let Some(parts) = crate::arn::ArnParts::parse(value) else {
        return Err(invalid());
    };
    if !PARTITIONS.contains(&parts.partition)
        || !is_account_id(parts.account)
        || !parts.region.is_empty()
    {
        return Err(invalid());
    }
    let ok = match parts.service {
        "iam" => {
            if parts.resource == "root" {
                spec.accounts.push(parts.account.into());
                return Ok(());
            }
            parts.resource.starts_with("user/") || parts.resource.starts_with("role/")
        }
        "sts" => {
            let session = parts
                .resource
                .strip_prefix("assumed-role/")
                .is_some_and(|r| r.split('/').filter(|s| !s.is_empty()).count() >= 2);
            session || parts.resource.strip_prefix("federated-user/").is_some_and(|n| !n.is_empty())
        }
        _ => false,
    };
    if !ok {
        return Err(invalid());
    }
    spec.arns.push(value.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn err(doc: &str, kind: PolicyKind) -> String {
        Policy::parse(doc, kind).unwrap_err().to_string()
    }

    fn id_err(doc: &str) -> String {
        err(doc, PolicyKind::Identity)
    }

    const OK_STMT: &str =
        r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket""#;

    fn doc(stmt: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":{{{stmt}}}}}"#)
    }

    #[test]
    fn accepts_the_common_shapes() {
        for d in [
            doc(OK_STMT),
            format!(r#"{{"Version":"2012-10-17","Statement":[{{{OK_STMT}}}]}}"#),
            format!(r#"{{"Version":"2008-10-17","Id":"x","Statement":{{{OK_STMT}}}}}"#),
            format!(r#"{{"Statement":{{{OK_STMT}}}}}"#),
            doc(
                r#""Effect":"Allow","Action":"iam: asdf safdsf af ","Resource":["arn:aws:s3:::b","*"]"#,
            ),
            doc(r#""Effect":"Allow","Action":"*","Resource":"arn:aws:fdsasf""#),
            doc(r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:::user/x""#),
            doc(r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{}"#),
            doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateGreaterThan":{"a":[]}}"#,
            ),
            doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}"#,
            ),
            doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true}}"#,
            ),
        ] {
            Policy::parse(&d, PolicyKind::Identity).unwrap_or_else(|e| panic!("{d}: {e}"));
        }
    }

    #[test]
    fn not_json_is_a_syntax_error() {
        assert_eq!(id_err("This is not a json document"), "Syntax errors in policy.");
    }

    #[test]
    fn unknown_top_level_field() {
        assert_eq!(
            id_err(&format!(
                r#"{{"Version":"2012-10-17","Statement":{{{OK_STMT}}},"Extra field":"value"}}"#
            )),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn unknown_statement_field() {
        assert_eq!(
            id_err(&doc(&format!(r#"{OK_STMT},"Extra field":"value""#))),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn bad_version() {
        assert_eq!(
            id_err(&format!(r#"{{"Version":"2013-10-17","Statement":{{{OK_STMT}}}}}"#)),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn managed_policy_requires_current_version() {
        let old = format!(r#"{{"Version":"2008-10-17","Statement":{{{OK_STMT}}}}}"#);
        assert_eq!(
            Policy::parse_managed(&old).unwrap_err().message(),
            "Policy document must be version 2012-10-17 or greater."
        );
        let none = format!(r#"{{"Statement":{{{OK_STMT}}}}}"#);
        assert_eq!(
            Policy::parse_managed(&none).unwrap_err().message(),
            "Policy document must be version 2012-10-17 or greater."
        );
    }

    #[test]
    fn missing_or_empty_statement() {
        assert_eq!(id_err(r#"{"Version":"2012-10-17"}"#), "Syntax errors in policy.");
        assert_eq!(
            id_err(r#"{"Version":"2012-10-17","Statement":[]}"#),
            "Syntax errors in policy."
        );
        assert_eq!(
            id_err(r#"{"Version":"2012-10-17","Statement":["afd"]}"#),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn bad_id() {
        assert_eq!(
            id_err(&format!(r#"{{"Version":"2012-10-17","Id":["x"],"Statement":{{{OK_STMT}}}}}"#)),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn missing_effect() {
        assert_eq!(
            id_err(&doc(r#""Action":"s3:ListBucket","Resource":"*""#)),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn invalid_effect() {
        assert_eq!(
            id_err(&doc(r#""Effect":"invalid","Action":"s3:ListBucket","Resource":"*""#)),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn miscased_effect_fails_legacy_parsing() {
        assert_eq!(
            id_err(&doc(r#""Effect":"denY","Action":"s3:ListBucket","Resource":"*""#)),
            "The policy failed legacy parsing"
        );
    }

    #[test]
    fn action_and_not_action_together() {
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","NotAction":"s3:ListBucket","Action":"iam:dsf","Resource":"*""#
            )),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn resource_and_not_resource_together() {
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","NotResource":"*""#
            )),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn wrong_element_types() {
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":{},"Resource":"*""#)),
            "Syntax errors in policy."
        );
        assert_eq!(
            id_err(&doc(r#""Effect":"Deny","Action":[[]],"Resource":"*""#)),
            "Syntax errors in policy."
        );
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":"s3:ListBucket","Resource":{"a":"b"}"#)),
            "Syntax errors in policy."
        );
        assert_eq!(
            id_err(&doc(r#""Sid":{},"Effect":"Allow","Action":"s3:ListBucket","Resource":"*""#)),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn bad_condition_shapes() {
        for c in [
            r#"[]"#,
            r#""a""#,
            r#"{"a":"b"}"#,
            r#"{"DateGreaterThan":"b"}"#,
            r#"{"DateGreaterThan":{"a":{}}}"#,
        ] {
            let d = doc(&format!(r#"{OK_STMT},"Condition":{c}"#));
            assert_eq!(id_err(&d), "Syntax errors in policy.", "{c}");
        }
    }

    #[test]
    fn unknown_condition_operator() {
        assert_eq!(
            id_err(&doc(&format!(r#"{OK_STMT},"Condition":{{"x":{{"a":"1"}}}}"#))),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn unreadable_date_fails_legacy_parsing() {
        assert_eq!(
            id_err(&doc(&format!(
                r#"{OK_STMT},"Condition":{{"DateGreaterThan":{{"a":"sdfdsf"}}}}"#
            ))),
            "The policy failed legacy parsing"
        );
    }

    #[test]
    fn missing_actions() {
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Resource":"*""#)),
            "Policy statement must contain actions."
        );
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":[],"Resource":"*""#)),
            "Policy statement must contain actions."
        );
        assert_eq!(id_err(&doc(r#""Effect":"Allow""#)), "Policy statement must contain actions.");
    }

    #[test]
    fn missing_resources() {
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":"s3:ListBucket""#)),
            "Policy statement must contain resources."
        );
        // The malformed action is reported first (getmoto/moto#2269, checked against IAM).
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":"invalid""#)),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        );
    }

    #[test]
    fn action_without_vendor() {
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":"invalid","Resource":"*""#)),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        );
    }

    #[test]
    fn action_with_two_colons() {
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":"s3:List:Bucket","Resource":"*""#)),
            "Actions/Condition can contain only one colon."
        );
    }

    #[test]
    fn invalid_vendor() {
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":"a a:ListBucket","Resource":"*""#)),
            "Vendor a a is not valid"
        );
    }

    #[test]
    fn wildcard_vendor() {
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":["*:Untag*","s3:GetObject"],"Resource":"*""#)),
            "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards"
        );
    }

    #[test]
    fn variable_as_partition() {
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:${ARN_PARTITION}:s3:::XYZ-ABC-DEFG""#
            )),
            r#"Partition "${ARN_PARTITION}" is not valid for resource "arn:${ARN_PARTITION}:s3:::XYZ-ABC-DEFG"."#
        );
    }

    #[test]
    fn resource_not_an_arn() {
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"invalid resource""#
            )),
            r#"Resource invalid resource must be in ARN format or "*"."#
        );
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"""#)),
            r#"Resource  must be in ARN format or "*"."#
        );
    }

    #[test]
    fn bad_partition() {
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:error:s3:::example_bucket""#
            )),
            r#"Partition "error" is not valid for resource "arn:error:s3:::example_bucket"."#
        );
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"aws:s3:::example_bucket""#
            )),
            r#"Partition "s3" is not valid for resource "arn:s3:::example_bucket:*"."#
        );
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:bsdfdsafsad""#
            )),
            r#"Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*"."#
        );
    }

    #[test]
    fn arn_missing_colons_fails_legacy_parsing() {
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3::example_bucket""#
            )),
            "The policy failed legacy parsing"
        );
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws::::example_bucket""#
            )),
            "The policy failed legacy parsing"
        );
    }

    #[test]
    fn resource_errors_come_before_action_errors() {
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":"s:3:ListBucket","Resource":"sdfsadf""#)),
            r#"Resource sdfsadf must be in ARN format or "*"."#
        );
    }

    #[test]
    fn first_bad_resource_is_reported() {
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:error:s3:::example_bucket","arn:error:s3::example_bucket"]"#
            )),
            r#"Partition "error" is not valid for resource "arn:error:s3:::example_bucket"."#
        );
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws::fdsasf""#
            )),
            "The policy failed legacy parsing"
        );
    }

    #[test]
    fn arn_without_vendor() {
        assert_eq!(
            id_err(&doc(r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws""#)),
            "Resource vendor must be fully qualified and cannot contain regexes."
        );
    }

    #[test]
    fn region_in_iam_and_s3_arns() {
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:us-east-1::example_bucket""#
            )),
            "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."
        );
        assert_eq!(
            id_err(&doc(
                r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:us-east-1::example_bucket""#
            )),
            "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."
        );
    }

    #[test]
    fn iam_resource_path() {
        assert!(id_err(&doc(
            r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:::example_bucket""#
        ))
        .starts_with(
            r#"IAM resource path must either be "*" or start with user/, federated-user/, role/"#
        ));
    }

    #[test]
    fn duplicate_sids() {
        let d = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"sdf",{OK_STMT}}},{{"Sid":"sdf",{OK_STMT}}}]}}"#
        );
        assert_eq!(id_err(&d), "Statement IDs (SID) in a single policy must be unique.");
    }

    #[test]
    fn principal_in_identity_policy() {
        let d = doc(&format!(r#"{OK_STMT},"Principal":{{"AWS":"111111111111"}}"#));
        assert_eq!(id_err(&d), "Policy document should not specify a principal.");
        assert_eq!(
            err(&d, PolicyKind::PermissionsBoundary),
            "Policy document should not specify a principal."
        );
        assert_eq!(err(&d, PolicyKind::Session), "Policy document should not specify a principal.");
    }

    #[test]
    fn principal_in_scp() {
        let d = doc(&format!(r#"{OK_STMT},"Principal":"*""#));
        assert_eq!(
            err(&d, PolicyKind::Scp),
            "The provided policy document does not meet the requirements of the specified policy type."
        );
    }

    #[test]
    fn trust_policy_without_principal() {
        let d = doc(r#""Effect":"Allow","Action":"sts:AssumeRole""#);
        assert_eq!(
            err(&d, PolicyKind::Trust),
            "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
        );
    }

    #[test]
    fn trust_policy_with_resource() {
        let d = doc(
            r#""Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*""#,
        );
        assert_eq!(err(&d, PolicyKind::Trust), "Has prohibited field Resource");
        assert_eq!(err("some policy", PolicyKind::Trust), "This policy contains invalid Json");
        assert_eq!(err("some policy", PolicyKind::Identity), "Syntax errors in policy.");
    }

    #[test]
    fn trust_policy_with_other_actions() {
        let d = doc(
            r#""Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"s3:GetObject""#,
        );
        assert_eq!(
            err(&d, PolicyKind::Trust),
            "AssumeRole policy may only specify STS AssumeRole actions."
        );
        let ok = doc(
            r#""Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["sts:AssumeRole","sts:TagSession"]"#,
        );
        Policy::parse(&ok, PolicyKind::Trust).unwrap();
    }

    #[test]
    fn resource_policy_without_principal() {
        assert_eq!(err(&doc(OK_STMT), PolicyKind::Resource), "Missing required field Principal");
    }

    #[test]
    fn invalid_aws_principals() {
        for bad in [
            "arn:aws:iam::111111111111:user/*",
            "not-an-arn",
            "arn:aws:s3:::bucket",
            "11111111111",
            "arn:aws:sts::111111111111:assumed-role/R",
        ] {
            let d = doc(&format!(
                r#""Effect":"Allow","Principal":{{"AWS":"{bad}"}},"Action":"s3:GetObject","Resource":"*""#
            ));
            assert_eq!(
                err(&d, PolicyKind::Resource),
                format!(r#"Invalid principal in policy: "AWS":"{bad}""#)
            );
        }
        for good in [
            "111111111111",
            "arn:aws:iam::111111111111:root",
            "arn:aws:iam::111111111111:user/David",
            "arn:aws:iam::111111111111:role/path/R",
            "arn:aws:sts::111111111111:assumed-role/R/session",
            "arn:aws:sts::111111111111:federated-user/Bob",
            "AIDAJQABLZS4A3QDU576Q",
            "*",
        ] {
            let d = doc(&format!(
                r#""Effect":"Allow","Principal":{{"AWS":["{good}"]}},"Action":"s3:GetObject","Resource":"*""#
            ));
            Policy::parse(&d, PolicyKind::Resource).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
    }

    #[test]
    fn principal_grammar() {
        let d = doc(
            r#""Effect":"Allow","Principal":"arn:aws:iam::111111111111:root","Action":"s3:GetObject","Resource":"*""#,
        );
        assert_eq!(err(&d, PolicyKind::Resource), "Syntax errors in policy.");
        let d = doc(
            r#""Effect":"Allow","Principal":{"Bogus":"x"},"Action":"s3:GetObject","Resource":"*""#,
        );
        assert_eq!(err(&d, PolicyKind::Resource), "Syntax errors in policy.");
    }

    #[test]
    fn rcp_principal_must_be_star() {
        let d = doc(
            r#""Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*""#,
        );
        assert_eq!(
            err(&d, PolicyKind::Rcp),
            "The provided policy document does not meet the requirements of the specified policy type."
        );
        let ok = doc(r#""Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*""#);
        Policy::parse(&ok, PolicyKind::Rcp).unwrap();
    }

    #[test]
    fn size_quotas_exclude_whitespace() {
        let pad = " ".repeat(10_000);
        let spaced = format!(r#"{{"Version":"2012-10-17",{pad}"Statement":{{{OK_STMT}}}}}"#);
        Policy::parse(&spaced, PolicyKind::Identity).unwrap();
        let big_sid = "a".repeat(6200);
        let big = doc(&format!(r#""Sid":"{big_sid}",{OK_STMT}"#));
        let e = Policy::parse(&big, PolicyKind::Identity).unwrap_err();
        assert_eq!(e.message(), "Cannot exceed quota for PolicySize: 6144");
        assert_eq!(e.code(), crate::PolicyErrorCode::LimitExceeded);
        assert_eq!(err(&big, PolicyKind::Scp), "You have exceeded the maximum policy size.");
        assert!(err(&big, PolicyKind::Trust).contains("2048"));
        // Resource policies have no quota of their own here (it is service-specific).
        assert_eq!(err(&big, PolicyKind::Resource), "Missing required field Principal");
        let opts = ParseOptions { max_size: Some(10_240), ..ParseOptions::default() };
        Policy::parse_with(&big, PolicyKind::Identity, &opts).unwrap();
    }
}
