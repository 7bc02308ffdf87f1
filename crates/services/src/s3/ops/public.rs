//! S3 Block Public Access at the bucket level: what "public" means for ACLs and bucket policies
//! (S3 User Guide, "Blocking public access to your Amazon S3 storage", "The meaning of
//! 'public'"), and the refusals of `BlockPublicAcls` and `BlockPublicPolicy`.
//! `IgnorePublicAcls` and `RestrictPublicBuckets` only change how access is evaluated; xacct's
//! authorization does not grant through ACLs, so they have nothing to act on yet.

use serde_json::Value;
use xacct_store::ReadTx;

use crate::s3::model::{Acl, Grantee};
use crate::{Call, ServiceError};

use super::acl::{ALL_USERS, AUTHENTICATED_USERS};
use super::config;

/// Whether an ACL grants anything to everyone or to all authenticated AWS users.
pub(crate) fn acl_is_public(acl: &Acl) -> bool {
    acl.grants.iter().any(
        |g| matches!(&g.grantee, Grantee::Group(u) if u == ALL_USERS || u == AUTHENTICATED_USERS),
    )
}

/// Condition keys whose fixed values make a statement with a wildcard principal non-public.
const RESTRICTING_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
    "aws:sourceip",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
];

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A wildcard principal: `*`, `{"AWS": "*"}`, or `*` among the AWS principals.
fn wildcard_principal(statement: &Value) -> bool {
    if statement.get("NotPrincipal").is_some() {
        return true;
    }
    match statement.get("Principal") {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => m.values().any(|v| strings(v).contains(&"*")),
        _ => false,
    }
}

/// Whether one condition value pins its key to a fixed value: no wildcards, and for
/// `aws:SourceIp` a range no wider than /8 (IPv4) or /32 (IPv6).
fn fixed_value(key: &str, operator: &str, value: &str) -> bool {
    if key == "aws:sourceip" {
        let Some((addr, bits)) = value.split_once('/') else { return true };
        let Ok(bits) = bits.parse::<u8>() else { return false };
        return if addr.contains(':') { bits >= 32 } else { bits >= 8 };
    }
    let like = operator.to_ascii_lowercase().contains("like");
    !(like && (value.contains('*') || value.contains('?')))
}

/// Whether a statement's conditions pin a restricting key to fixed values.
fn restricted(statement: &Value) -> bool {
    let Some(Value::Object(ops)) = statement.get("Condition") else { return false };
    ops.iter().any(|(operator, block)| {
        let lower = operator.to_ascii_lowercase();
        // Negated operators (StringNotEquals, ArnNotLike, NotIpAddress) and IfExists forms do
        // not pin a value.
        if lower.contains("not") || lower.ends_with("ifexists") {
            return false;
        }
        let Value::Object(keys) = block else { return false };
        keys.iter().any(|(key, values)| {
            let key = key.to_ascii_lowercase();
            let values = strings(values);
            RESTRICTING_KEYS.contains(&key.as_str())
                && !values.is_empty()
                && values.iter().all(|v| fixed_value(&key, operator, v))
        })
    })
}

/// Whether a bucket policy is public: an `Allow` statement for a wildcard principal not pinned
/// down by a restricting condition.
pub(crate) fn policy_is_public(doc: &str) -> bool {
    let Ok(policy) = serde_json::from_str::<Value>(doc) else { return false };
    let statements = match policy.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s) => vec![s.clone()],
        None => Vec::new(),
    };
    statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && wildcard_principal(s)
            && !restricted(s)
    })
}

/// The bucket's Block Public Access setting `member` (`BlockPublicAcls`, ...).
pub(crate) fn blocks(tx: &dyn ReadTx, bucket: &str, member: &str) -> Result<bool, ServiceError> {
    Ok(config::read(tx, bucket, config::kind::PUBLIC_ACCESS_BLOCK)?
        .and_then(|c| c.get(member).and_then(Value::as_bool))
        .unwrap_or(false))
}

/// The refusal of a public ACL under `BlockPublicAcls`.
pub(crate) fn public_acl_blocked() -> ServiceError {
    ServiceError::client("AccessDenied", 403, "Access Denied")
}

/// The refusal of a public bucket policy under `BlockPublicPolicy`.
pub(crate) fn public_policy_blocked(call: &Call<'_>, bucket: &str) -> ServiceError {
    ServiceError::client(
        "AccessDenied",
        403,
        format!(
            "User: {} is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::{bucket}\" because public policies are blocked by the BlockPublicPolicy block public access setting.",
            call.caller.arn
        ),
    )
}

/// `CreateBucket` with a public ACL: new buckets have Block Public Access on.
pub(crate) fn invalid_bucket_acl_with_block_public_access() -> ServiceError {
    ServiceError::client(
        "InvalidBucketAclWithBlockPublicAccessError",
        400,
        "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    use serde_json::json;

    use super::*;

    fn doc(statement: Value) -> String {
        json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
    }

    #[test]
    fn what_makes_a_policy_public() {
        let base = json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*"});
        assert!(policy_is_public(&doc(base.clone())));
        let mut aws_star = base.clone();
        aws_star["Principal"] = json!({"AWS": ["arn:aws:iam::111111111111:root", "*"]});
        assert!(policy_is_public(&doc(aws_star)));
        let mut deny = base.clone();
        deny["Effect"] = json!("Deny");
        assert!(!policy_is_public(&doc(deny)));
        let mut account = base.clone();
        account["Principal"] = json!({"AWS": "arn:aws:iam::111111111111:root"});
        assert!(!policy_is_public(&doc(account)));
        let mut source = base.clone();
        source["Condition"] = json!({"StringEquals": {"aws:SourceAccount": "111111111111"}});
        assert!(!policy_is_public(&doc(source)));
        let mut wide_ip = base.clone();
        wide_ip["Condition"] = json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}});
        assert!(policy_is_public(&doc(wide_ip)));
        let mut narrow_ip = base.clone();
        narrow_ip["Condition"] = json!({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}});
        assert!(!policy_is_public(&doc(narrow_ip)));
        let mut like = base.clone();
        like["Condition"] = json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*"}});
        assert!(policy_is_public(&doc(like)));
        let mut other_key = base;
        other_key["Condition"] = json!({"StringEquals": {"s3:prefix": "home/"}});
        assert!(policy_is_public(&doc(other_key)));
    }
}
