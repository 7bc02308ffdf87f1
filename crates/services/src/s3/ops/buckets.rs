//! Buckets: create (name rules, location constraint, the global namespace), head, list (the
//! caller's account's only), location, delete (empty only), policy and tags.

use serde_json::{json, Value};
use xacct_policy::{ParseOptions, Policy, PolicyKind};

use crate::s3::model::{self, BucketRecord, ObjectLockConfig, Tag};
use crate::s3::{self as s3, set, Authorizer};
use crate::{input_str, Call, ServiceError, Services};

/// S3's bucket policy size limit (20 KB).
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// General purpose bucket naming rules (S3 User Guide, "Bucket naming rules").
pub(crate) fn valid_bucket_name(name: &str) -> bool {
    let len_ok = (3..=63).contains(&name.len());
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let ends_ok = edge(name.bytes().next()) && edge(name.bytes().last());
    let is_ip = name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok());
    let reserved_prefix = ["xn--", "sthree-", "amzn-s3-demo-"].iter().any(|p| name.starts_with(p));
    let reserved_suffix =
        ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].iter().any(|s| name.ends_with(s));
    len_ok
        && chars_ok
        && ends_ok
        && !name.contains("..")
        && !name.contains(".-")
        && !name.contains("-.")
        && !is_ip
        && !reserved_prefix
        && !reserved_suffix
}

/// Regions a `LocationConstraint` may name (the model's `BucketLocationConstraint` values, with
/// `EU` meaning eu-west-1).
fn constraint_region(constraint: &str) -> Option<String> {
    if constraint == "EU" {
        return Some("eu-west-1".to_owned());
    }
    let parts: Vec<&str> = constraint.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| constraint.to_owned())
}

pub fn create_bucket(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = s3::bucket_name(call)?;
    if !valid_bucket_name(name) {
        return Err(s3::invalid_bucket_name(name));
    }
    let config = call.input.get("CreateBucketConfiguration");
    let constraint = config.and_then(|c| input_str(c, "LocationConstraint"));
    let region = match constraint {
        None | Some("") => {
            if call.region != "us-east-1" {
                return Err(s3::illegal_location_constraint(""));
            }
            "us-east-1".to_owned()
        }
        Some(c) => {
            let Some(r) = constraint_region(c) else {
                return Err(s3::invalid_location_constraint(c));
            };
            if c == "us-east-1" {
                // us-east-1 is the default and may not be named (S3 API reference); from
                // another region's endpoint it is the wrong region.
                return Err(if call.region == "us-east-1" {
                    s3::invalid_location_constraint(c)
                } else {
                    s3::illegal_location_constraint(c)
                });
            }
            // The us-east-1 (global) endpoint creates buckets in any region; a regional
            // endpoint only in its own.
            if r != call.region && call.region != "us-east-1" {
                return Err(s3::illegal_location_constraint(c));
            }
            r
        }
    };
    check_namespace(input_str(call.input, "BucketNamespace"), name, &call.caller.account, &region)?;
    let mut tags = Vec::new();
    if let Some(list) = config.and_then(|c| c.get("Tags")).and_then(Value::as_array) {
        tags = parse_bucket_tags(list)?;
    }
    let lock = call.input.get("ObjectLockEnabledForBucket").and_then(Value::as_bool) == Some(true);
    let mut auth = Authorizer::new(services, call);
    auth.check(None, &s3::request(call, name, None, &call.caller.account)?)?;
    // Setting Object Ownership, an ACL or Object Lock at creation needs those permissions too
    // (CreateBucket API reference, "Permissions").
    let acl_given =
        ["ACL", "GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP"]
            .iter()
            .any(|m| call.input.get(*m).is_some());
    let extra = [
        ("s3:PutBucketOwnershipControls", call.input.get("ObjectOwnership").is_some()),
        ("s3:PutBucketAcl", acl_given),
        ("s3:PutBucketObjectLockConfiguration", lock),
        ("s3:PutBucketVersioning", lock),
    ];
    for (action, needed) in extra {
        if needed {
            let r = crate::authz::ActionRequest::new(
                action,
                crate::s3::actions::bucket_arn(name),
                Some(&call.caller.account),
            );
            auth.check(None, &r)?;
        }
    }
    // Object Ownership, ACL, and the defaults of new buckets.
    let configs = super::config::initial(call)?;

    let record = BucketRecord {
        name: name.to_owned(),
        account: call.caller.account.clone(),
        region: region.clone(),
        created: services.clock().now_epoch_f64().floor(),
        policy: None,
        tags,
        // A bucket created with Object Lock is versioned from the start (S3 User Guide,
        // "Object Lock considerations").
        versioning: lock.then(|| "Enabled".to_owned()),
        mfa_delete: None,
        object_lock: lock.then(ObjectLockConfig::default),
    };
    let mut tx = services.store().write()?;
    if !model::BUCKETS.insert_new(&mut *tx, name, &record)? {
        let existing = model::BUCKETS.get(&*tx, name)?;
        drop(tx);
        return match existing {
            // us-east-1 answers 200 and changes nothing for a bucket the caller already owns.
            Some(b)
                if b.account == call.caller.account
                    && b.region == "us-east-1"
                    && call.region == "us-east-1" =>
            {
                Ok(json!({ "Location": format!("/{name}"), "BucketArn": bucket_arn(name) }))
            }
            Some(b) if b.account == call.caller.account => {
                Err(s3::bucket_already_owned_by_you(name))
            }
            _ => Err(s3::bucket_already_exists(name)),
        };
    }
    for (kind, value) in &configs {
        model::BUCKET_CONFIGS.put(&mut *tx, &model::config_key(name, kind), value)?;
    }
    tx.commit()?;
    let location = if region == "us-east-1" {
        format!("/{name}")
    } else {
        format!("http://{name}.s3.amazonaws.com/")
    };
    Ok(json!({ "Location": location, "BucketArn": bucket_arn(name) }))
}

/// The `BucketArn` CreateBucket answers (`x-amz-bucket-arn`): the bucket's ARN. The vendored
/// model's documentation still limits it to directory buckets; the current SDK references
/// (CreateBucketOutput, bucket_arn) no longer do, and S3 answers it for general purpose buckets
/// in account regional namespaces (moto's tests of that feature).
fn bucket_arn(name: &str) -> String {
    crate::s3::actions::bucket_arn(name)
}

/// `x-amz-bucket-namespace` (CreateBucket API reference, BucketNamespace; S3 User Guide,
/// "Namespaces for general purpose buckets"): in the account regional namespace a bucket's name
/// is `prefix-ACCOUNT-REGION-an`, the creating account's id and the bucket's region; a name of
/// that form is not for the global namespace. S3 refuses a mismatch with
/// `InvalidNamespaceHeader` (as reported against the live API); the message texts are xacct's.
fn check_namespace(
    namespace: Option<&str>,
    name: &str,
    account: &str,
    region: &str,
) -> Result<(), ServiceError> {
    let invalid = |message: String| ServiceError::client("InvalidNamespaceHeader", 400, message);
    match namespace {
        None => Ok(()),
        Some("account-regional") => {
            let suffix = format!("-{account}-{region}-an");
            if name.len() > suffix.len() && name.ends_with(&suffix) {
                Ok(())
            } else {
                Err(invalid(format!(
                    "A bucket in the account regional namespace must be named with the suffix {suffix}"
                )))
            }
        }
        Some("global") => {
            if looks_account_regional(name) {
                Err(invalid(
                    "A bucket name with an account regional namespace suffix cannot be created in the global namespace".to_owned(),
                ))
            } else {
                Ok(())
            }
        }
        Some(other) => Err(s3::invalid_argument("Invalid bucket namespace")
            .with_field("ArgumentName", "x-amz-bucket-namespace")
            .with_field("ArgumentValue", other.to_owned())),
    }
}

/// Whether `name` ends like an account regional namespace name: `-` 12 digits `-` a region
/// code `-an`.
fn looks_account_regional(name: &str) -> bool {
    let Some(rest) = name.strip_suffix("-an") else { return false };
    let parts: Vec<&str> = rest.split('-').collect();
    // A non-empty prefix, the account, then the region's parts (`us-east-1`, `us-gov-west-1`).
    (1..parts.len()).any(|i| {
        let account = parts.get(i).copied().unwrap_or_default();
        let region = parts.get(i + 1..).map(|r| r.join("-")).unwrap_or_default();
        account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && constraint_region(&region).is_some()
    })
}

pub fn head_bucket(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    Ok(json!({ "BucketRegion": b.region }))
}

pub fn list_buckets(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    auth.check(None, &s3::request(call, "", None, &call.caller.account)?)?;
    let prefix = input_str(call.input, "Prefix").unwrap_or("");
    let region = input_str(call.input, "BucketRegion");
    let max =
        call.input.get("MaxBuckets").and_then(Value::as_u64).map_or(10_000, |m| m.clamp(1, 10_000));
    let after = input_str(call.input, "ContinuationToken");
    let tx = services.store().read()?;
    let mut buckets = Vec::new();
    let mut next: Option<String> = None;
    let mut cursor = after.map(str::to_owned);
    'scan: loop {
        let batch = model::BUCKETS.scan(&*tx, prefix, cursor.as_deref(), 1000)?;
        let Some((last, _)) = batch.last() else { break };
        cursor = Some(last.clone());
        for (_, b) in batch {
            if b.account != call.caller.account || region.is_some_and(|r| r != b.region) {
                continue;
            }
            if buckets.len() as u64 == max {
                next = buckets.last().and_then(|v: &Value| v["Name"].as_str().map(str::to_owned));
                break 'scan;
            }
            buckets.push(json!({
                "Name": b.name, "CreationDate": b.created, "BucketRegion": b.region,
            }));
        }
    }
    let mut out = json!({ "Buckets": buckets, "Owner": s3::owner_value(&call.caller.account) });
    if !prefix.is_empty() {
        set(&mut out, "Prefix", json!(prefix));
    }
    if let Some(n) = next {
        set(&mut out, "ContinuationToken", json!(n));
    }
    Ok(out)
}

pub fn get_bucket_location(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    // us-east-1 buckets have an empty constraint.
    Ok(if b.region == "us-east-1" { json!({}) } else { json!({ "LocationConstraint": b.region }) })
}

pub fn delete_bucket(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let mut tx = services.store().write()?;
    if !model::OBJECTS.scan(&*tx, &format!("{}/", b.name), None, 1)?.is_empty() {
        return Err(s3::bucket_not_empty(&b.name));
    }
    // Uploads in progress go with the bucket.
    let mut blobs = Vec::new();
    for (ukey, upload) in model::UPLOADS.scan(&*tx, &format!("{}/", b.name), None, 10_000)? {
        for (pkey, part) in
            model::PARTS.scan(&*tx, &format!("{}/", upload.upload_id), None, 10_001)?
        {
            model::PARTS.delete(&mut *tx, &pkey)?;
            blobs.push(part.blob);
        }
        model::UPLOADS.delete(&mut *tx, &ukey)?;
    }
    for (k, _) in model::COMPLETED_UPLOADS.scan(&*tx, &format!("{}/", b.name), None, 10_000)? {
        model::COMPLETED_UPLOADS.delete(&mut *tx, &k)?;
    }
    if !model::BUCKETS.delete(&mut *tx, &b.name)? {
        return Err(s3::no_such_bucket(&b.name));
    }
    for key in super::config::keys_of(&*tx, &b.name)? {
        model::BUCKET_CONFIGS.delete(&mut *tx, &key)?;
    }
    tx.commit()?;
    s3::delete_blobs(services, &blobs);
    Ok(json!({}))
}

pub fn put_bucket_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let doc = input_str(call.input, "Policy").unwrap_or("");
    validate_policy(doc, &b.name)?;
    if super::public::policy_is_public(doc) {
        let tx = services.store().read()?;
        if super::public::blocks(&*tx, &b.name, "BlockPublicPolicy")? {
            return Err(super::public::public_policy_blocked(call, &b.name));
        }
    }
    update_bucket(services, &b.name, |rec| {
        rec.policy = Some(doc.to_owned());
        Ok(())
    })?;
    Ok(json!({}))
}

/// Checks a bucket policy as S3 does: the policy language's rules for resource-based policies,
/// and every resource inside this bucket.
fn validate_policy(doc: &str, bucket: &str) -> Result<(), ServiceError> {
    if doc.trim().is_empty() {
        return Err(s3::malformed_policy(
            "Policies must be valid JSON and the first byte must be '{'",
        ));
    }
    let options = ParseOptions { max_size: Some(MAX_POLICY_BYTES), ..ParseOptions::default() };
    Policy::parse_with(doc, PolicyKind::Resource, &options)
        .map_err(|e| s3::malformed_policy(e.message()))?;
    // S3 refuses resources outside the bucket ("Policy has invalid resource").
    let parsed: Value = serde_json::from_str(doc)
        .map_err(|_| s3::malformed_policy("Policies must be valid JSON"))?;
    let statements = match parsed.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s) => vec![s.clone()],
        None => Vec::new(),
    };
    let arn = format!("arn:aws:s3:::{bucket}");
    for st in &statements {
        let resources: Vec<&str> = match st.get("Resource").or_else(|| st.get("NotResource")) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for r in resources {
            let inside = r == arn
                || r.strip_prefix(&arn).is_some_and(|rest| rest.starts_with('/'))
                || xacct_policy::wildcard_match(r, &arn, false)
                || xacct_policy::wildcard_match(r, &format!("{arn}/x"), false);
            if !inside {
                return Err(s3::malformed_policy("Policy has invalid resource"));
            }
        }
    }
    Ok(())
}

pub fn get_bucket_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    match b.policy {
        Some(p) => Ok(json!({ "Policy": p })),
        None => Err(s3::no_such_bucket_policy(&b.name)),
    }
}

pub fn delete_bucket_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    update_bucket(services, &b.name, |rec| {
        rec.policy = None;
        Ok(())
    })?;
    Ok(json!({}))
}

pub fn put_bucket_tagging(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let list = call
        .input
        .get("Tagging")
        .and_then(|t| t.get("TagSet"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let tags = parse_bucket_tags(&list)?;
    update_bucket(services, &b.name, |rec| {
        rec.tags = tags;
        Ok(())
    })?;
    // S3 answers 204 No Content (S3 API reference, PutBucketTagging example).
    Ok(json!({ "__status": 204 }))
}

pub fn get_bucket_tagging(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    if b.tags.is_empty() {
        return Err(s3::no_such_tag_set(&b.name));
    }
    Ok(json!({ "TagSet": tags_value(&b.tags) }))
}

pub fn delete_bucket_tagging(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    update_bucket(services, &b.name, |rec| {
        rec.tags.clear();
        Ok(())
    })?;
    Ok(json!({}))
}

/// Reads, changes and writes a bucket record in one transaction.
fn update_bucket(
    services: &Services,
    name: &str,
    change: impl FnOnce(&mut BucketRecord) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let mut tx = services.store().write()?;
    let mut rec = model::BUCKETS.get(&*tx, name)?.ok_or_else(|| s3::no_such_bucket(name))?;
    change(&mut rec)?;
    model::BUCKETS.put(&mut *tx, name, &rec)?;
    tx.commit()?;
    Ok(())
}

/// A bucket's `TagSet`: [`parse_tags`], with S3's answer for `aws:` keys on buckets (as its
/// PutBucketTagging answers them).
pub(crate) fn parse_bucket_tags(list: &[Value]) -> Result<Vec<Tag>, ServiceError> {
    let system = list
        .iter()
        .any(|t| input_str(t, "Key").is_some_and(|k| k.to_ascii_lowercase().starts_with("aws:")));
    if system {
        return Err(s3::invalid_tag("System tags cannot be added/updated by requester"));
    }
    parse_tags(list)
}

/// Tags from a `TagSet`, with S3's limits (50 tags, key 1..=128, value ..=256, unique keys,
/// no `aws:` prefix).
pub(crate) fn parse_tags(list: &[Value]) -> Result<Vec<Tag>, ServiceError> {
    if list.len() > 50 {
        return Err(s3::invalid_tag("Object tags cannot be greater than 50"));
    }
    let mut tags: Vec<Tag> = Vec::with_capacity(list.len());
    for t in list {
        let key = input_str(t, "Key").unwrap_or_default();
        let value = input_str(t, "Value").unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 {
            return Err(s3::invalid_tag("The TagKey you have provided is invalid"));
        }
        if value.chars().count() > 256 {
            return Err(s3::invalid_tag("The TagValue you have provided is invalid"));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(s3::invalid_tag("Your TagKey cannot be prefixed with aws:"));
        }
        if tags.iter().any(|x| x.key == key) {
            return Err(s3::invalid_tag("Cannot provide multiple Tags with the same key"));
        }
        tags.push(Tag { key: key.to_owned(), value: value.to_owned() });
    }
    Ok(tags)
}

/// A `TagSet` value.
pub(crate) fn tags_value(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({ "Key": t.key, "Value": t.value })).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_naming_rules() {
        for ok in ["productionapp", "my.bucket-1", "abc", "a-b.c1"] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Production",
            "my_bucket",
            "-start",
            "end-",
            "a..b",
            "192.168.5.4",
            "xn--bucket",
            "bucket-s3alias",
            &"a".repeat(64),
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn account_regional_names_carry_the_account_and_region() {
        let acct = "111122223333";
        let ok = |ns: Option<&str>, name: &str| check_namespace(ns, name, acct, "us-west-2");
        assert!(ok(Some("account-regional"), "logs-111122223333-us-west-2-an").is_ok());
        for bad in [
            "logs",
            "-111122223333-us-west-2-an",
            "logs-999999999999-us-west-2-an",
            "logs-111122223333-us-east-1-an",
        ] {
            assert_eq!(
                ok(Some("account-regional"), bad).unwrap_err().code,
                "InvalidNamespaceHeader",
                "{bad}"
            );
        }
        assert!(ok(None, "plain-bucket").is_ok());
        assert!(ok(Some("global"), "plain-bucket").is_ok());
        assert_eq!(
            ok(Some("global"), "logs-111122223333-us-gov-west-1-an").unwrap_err().code,
            "InvalidNamespaceHeader"
        );
        assert_eq!(ok(Some("local"), "plain-bucket").unwrap_err().code, "InvalidArgument");
        assert!(!looks_account_regional("my-bucket-an"));
    }

    #[test]
    fn bucket_tags_refuse_system_keys_as_s3_words_it() {
        let tags = [json!({"Key": "aws:sometag", "Value": "v"})];
        let e = parse_bucket_tags(&tags).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("InvalidTag", "System tags cannot be added/updated by requester")
        );
        assert!(parse_bucket_tags(&[json!({"Key": "something:aws:x", "Value": "v"})]).is_ok());
        let dup = [json!({"Key": "k", "Value": "a"}), json!({"Key": "k", "Value": "b"})];
        assert_eq!(parse_bucket_tags(&dup).unwrap_err().code, "InvalidTag");
    }

    #[test]
    fn policies_must_stay_inside_their_bucket() {
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::productionapp/*"}]}"#;
        assert!(validate_policy(ok, "productionapp").is_ok());
        let other = ok.replace("productionapp/*", "otherbucket/*");
        assert_eq!(validate_policy(&other, "productionapp").unwrap_err().code, "MalformedPolicy");
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::productionapp/*"}]}"#;
        assert_eq!(
            validate_policy(no_principal, "productionapp").unwrap_err().code,
            "MalformedPolicy"
        );
        assert_eq!(
            validate_policy("not json", "productionapp").unwrap_err().code,
            "MalformedPolicy"
        );
    }
}
