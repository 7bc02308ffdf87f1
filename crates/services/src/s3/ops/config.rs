//! Bucket sub-resources kept as configurations: lifecycle, CORS, website, notification, logging,
//! default encryption, public access block, replication, transfer acceleration and request
//! payment. Each is validated as S3 does (S3 API reference of its Put operation), stored whole in
//! [`model::BUCKET_CONFIGS`] in the model's member names, and answered back by its Get; Get of
//! an unset one answers what S3 does (its own error, or the empty/default configuration).
//!
//! Nothing here acts on a configuration: lifecycle rules do not expire objects, notifications are
//! not delivered, logs are not written, replication does not copy.

use serde_json::{json, Map, Value};
use xacct_store::ReadTx;

use crate::s3::model::{self, BucketRecord};
use crate::s3::{self as s3, Authorizer};
use crate::{input_str, Call, ServiceError, Services};

use super::acl;

/// Sub-resource kinds, the suffix of their [`model::config_key`].
pub(crate) mod kind {
    pub const LIFECYCLE: &str = "lifecycle";
    pub const CORS: &str = "cors";
    pub const WEBSITE: &str = "website";
    pub const NOTIFICATION: &str = "notification";
    pub const LOGGING: &str = "logging";
    pub const ENCRYPTION: &str = "encryption";
    pub const PUBLIC_ACCESS_BLOCK: &str = "public-access-block";
    pub const REPLICATION: &str = "replication";
    pub const ACCELERATE: &str = "accelerate";
    pub const REQUEST_PAYMENT: &str = "request-payment";
}

/// The bucket `call` names (authorized for the call's action) and its `kind` configuration.
fn bucket_config(
    services: &Services,
    call: &Call<'_>,
    kind: &str,
) -> Result<(BucketRecord, Option<Value>), ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let tx = services.store().read()?;
    let config = read(&*tx, &b.name, kind)?;
    Ok((b, config))
}

fn not_found(code: &'static str, message: &str, bucket: &str) -> ServiceError {
    ServiceError::client(code, 404, message).with_field("BucketName", bucket)
}

/// The stored configuration `kind` of the call's bucket, or S3's 404 `code`/`message` for a
/// bucket without one.
fn required_config(
    services: &Services,
    call: &Call<'_>,
    kind: &str,
    code: &'static str,
    message: &str,
) -> Result<Value, ServiceError> {
    let (b, config) = bucket_config(services, call, kind)?;
    config.ok_or_else(|| not_found(code, message, &b.name))
}

/// The stored configuration `kind` of `bucket`.
pub(crate) fn read(
    tx: &dyn ReadTx,
    bucket: &str,
    kind: &str,
) -> Result<Option<Value>, ServiceError> {
    Ok(model::BUCKET_CONFIGS.get(tx, &model::config_key(bucket, kind))?)
}

/// Stores (`Some`) or removes (`None`) configuration `kind` of `bucket`, if the bucket still
/// exists.
fn write(
    services: &Services,
    bucket: &str,
    kind: &str,
    value: Option<&Value>,
) -> Result<(), ServiceError> {
    let mut tx = services.store().write()?;
    if model::BUCKETS.get(&*tx, bucket)?.is_none() {
        return Err(s3::no_such_bucket(bucket));
    }
    let key = model::config_key(bucket, kind);
    match value {
        Some(v) => model::BUCKET_CONFIGS.put(&mut *tx, &key, v)?,
        None => {
            model::BUCKET_CONFIGS.delete(&mut *tx, &key)?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Every configuration key of `bucket`, for `DeleteBucket`.
pub(crate) fn keys_of(tx: &dyn ReadTx, bucket: &str) -> Result<Vec<String>, ServiceError> {
    let prefix = format!("{bucket}/");
    let mut out: Vec<String> = Vec::new();
    loop {
        let batch = model::BUCKET_CONFIGS.scan(tx, &prefix, out.last().map(String::as_str), 500)?;
        if batch.is_empty() {
            return Ok(out);
        }
        out.extend(batch.into_iter().map(|(k, _)| k));
    }
}

/// The configurations a new bucket starts with (since January 2023 every bucket has SSE-S3
/// default encryption; since April 2023 Block Public Access is on and ACLs are disabled for new
/// buckets: S3 User Guide, "Setting default server-side encryption behavior" and "Default
/// settings for new S3 buckets FAQ"), as `(kind, value)`.
pub(crate) fn initial(call: &Call<'_>) -> Result<Vec<(String, Value)>, ServiceError> {
    let (ownership, bucket_acl) = acl::create_bucket_acl(call)?;
    let mut out = vec![
        ("ownership".to_owned(), Value::String(ownership)),
        (kind::PUBLIC_ACCESS_BLOCK.to_owned(), default_public_access_block()),
    ];
    if let Some(a) = bucket_acl {
        let v = serde_json::to_value(&a)
            .map_err(|e| ServiceError::internal(format!("bucket ACL: {e}")))?;
        out.push(("acl".to_owned(), v));
    }
    Ok(out)
}

fn default_public_access_block() -> Value {
    json!({
        "BlockPublicAcls": true, "IgnorePublicAcls": true,
        "BlockPublicPolicy": true, "RestrictPublicBuckets": true,
    })
}

/// A non-negative integer member; a negative or non-integer number is `InvalidArgument`.
fn int(v: &Value, member: &str) -> Option<i64> {
    v.get(member).and_then(Value::as_i64)
}

fn object(v: Option<&Value>) -> Option<&Map<String, Value>> {
    v.and_then(Value::as_object)
}

fn list<'v>(v: &'v Value, member: &str) -> &'v [Value] {
    v.get(member).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

const TRANSITION_CLASSES: &[&str] =
    &["GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"];

/// Transitions to STANDARD_IA and ONEZONE_IA need objects at least 30 days old (S3 User Guide,
/// "Transitioning objects using Amazon S3 Lifecycle", constraints).
fn check_transition(t: &Value, days_member: &str, noncurrent: bool) -> Result<(), ServiceError> {
    let class = input_str(t, "StorageClass").ok_or_else(s3::malformed_xml)?;
    if !TRANSITION_CLASSES.contains(&class) {
        return Err(s3::malformed_xml());
    }
    let days = t.get(days_member);
    let date = t.get("Date");
    match (days, date, noncurrent) {
        (Some(_), Some(_), false) | (None, None, _) => return Err(s3::malformed_xml()),
        (None, Some(_), true) => return Err(s3::malformed_xml()),
        _ => {}
    }
    if let Some(d) = days {
        let d = d.as_i64().ok_or_else(s3::malformed_xml)?;
        if d < 0 {
            return Err(s3::invalid_argument(format!(
                "'{days_member}' in {} action must be nonnegative",
                if noncurrent { "NoncurrentVersionTransition" } else { "Transition" }
            )));
        }
        // The 30-day minimum is documented for current versions; for noncurrent ones it is not
        // verified, so not enforced.
        if !noncurrent && (class == "STANDARD_IA" || class == "ONEZONE_IA") && d < 30 {
            return Err(s3::invalid_argument(format!(
                "'{days_member}' in {} action must be greater than or equal to 30 for storageClass '{class}'",
                if noncurrent { "NoncurrentVersionTransition" } else { "Transition" }
            )));
        }
    }
    if let Some(d) = date {
        check_midnight(d)?;
    }
    Ok(())
}

/// Lifecycle dates must be midnight UTC.
fn check_midnight(date: &Value) -> Result<(), ServiceError> {
    let secs = date.as_f64().ok_or_else(s3::malformed_xml)?;
    if secs.rem_euclid(86_400.0) != 0.0 {
        return Err(s3::invalid_argument("'Date' must be at midnight GMT"));
    }
    Ok(())
}

fn check_lifecycle_rule(rule: &Value) -> Result<(), ServiceError> {
    match input_str(rule, "Status") {
        Some("Enabled" | "Disabled") => {}
        _ => return Err(s3::malformed_xml()),
    }
    if input_str(rule, "ID").is_some_and(|id| id.chars().count() > 255) {
        return Err(s3::invalid_argument("ID length should not exceed allowed limit of 255"));
    }
    // Exactly one of Filter and (the legacy) Prefix.
    let filter = rule.get("Filter");
    if filter.is_some() == rule.get("Prefix").is_some() {
        return Err(s3::malformed_xml());
    }
    let mut tag_filter = false;
    if let Some(f) = filter {
        let f = object(Some(f)).ok_or_else(s3::malformed_xml)?;
        let predicates = ["Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan"]
            .iter()
            .filter(|m| f.contains_key(**m))
            .count();
        if predicates > 1 {
            return Err(s3::malformed_xml());
        }
        if let Some(t) = f.get("Tag") {
            tag_filter = true;
            super::buckets::parse_tags(std::slice::from_ref(t))?;
        }
        if let Some(and) = f.get("And") {
            let tags = list(and, "Tags");
            tag_filter |= !tags.is_empty();
            super::buckets::parse_tags(tags)?;
        }
    }
    let actions = [
        "Expiration",
        "Transitions",
        "NoncurrentVersionExpiration",
        "NoncurrentVersionTransitions",
        "AbortIncompleteMultipartUpload",
    ];
    if !actions.iter().any(|a| rule.get(*a).is_some()) {
        // S3's answer as clients report it (e.g. crossplane-contrib/provider-aws#1337).
        return Err(s3::invalid_request("At least one action needs to be specified in a rule"));
    }
    if let Some(e) = rule.get("Expiration") {
        let set = ["Days", "Date", "ExpiredObjectDeleteMarker"]
            .iter()
            .filter(|m| e.get(**m).is_some())
            .count();
        if set != 1 {
            return Err(s3::malformed_xml());
        }
        if let Some(d) = e.get("Days") {
            if d.as_i64().is_none_or(|d| d <= 0) {
                return Err(s3::invalid_argument(
                    "'Days' for Expiration action must be a positive integer",
                ));
            }
        }
        if let Some(d) = e.get("Date") {
            check_midnight(d)?;
        }
        if e.get("ExpiredObjectDeleteMarker").is_some() && tag_filter {
            return Err(s3::invalid_request(
                "ExpiredObjectDeleteMarker cannot be specified with object tagging filters.",
            ));
        }
    }
    for t in list(rule, "Transitions") {
        check_transition(t, "Days", false)?;
    }
    for t in list(rule, "NoncurrentVersionTransitions") {
        check_transition(t, "NoncurrentDays", true)?;
    }
    if let Some(e) = rule.get("NoncurrentVersionExpiration") {
        match int(e, "NoncurrentDays") {
            Some(d) if d > 0 => {}
            Some(_) => {
                return Err(s3::invalid_argument(
                    "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
                ))
            }
            None => return Err(s3::malformed_xml()),
        }
    }
    if let Some(a) = rule.get("AbortIncompleteMultipartUpload") {
        match int(a, "DaysAfterInitiation") {
            Some(d) if d > 0 => {}
            Some(_) => {
                return Err(s3::invalid_argument(
                    "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
                ))
            }
            None => return Err(s3::malformed_xml()),
        }
        if tag_filter {
            return Err(s3::invalid_request(
                "AbortIncompleteMultipartUpload cannot be specified with Tags.",
            ));
        }
    }
    Ok(())
}

pub(crate) fn validate_lifecycle(config: Option<&Value>) -> Result<Value, ServiceError> {
    let config = config.ok_or_else(s3::malformed_xml)?;
    let rules = list(config, "Rules");
    if rules.is_empty() || rules.len() > 1000 {
        return Err(s3::malformed_xml());
    }
    let mut ids: Vec<&str> = Vec::new();
    for rule in rules {
        check_lifecycle_rule(rule)?;
        if let Some(id) = input_str(rule, "ID") {
            if ids.contains(&id) {
                return Err(s3::invalid_argument(
                    "Rule ID must be unique. Found same ID for more than one rule",
                ));
            }
            ids.push(id);
        }
    }
    Ok(json!({ "Rules": rules }))
}

/// The default of `x-amz-transition-default-minimum-object-size` (PutBucketLifecycleConfiguration
/// API reference).
const DEFAULT_MIN_SIZE: &str = "all_storage_classes_128K";

pub fn put_bucket_lifecycle_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let mut config = validate_lifecycle(call.input.get("LifecycleConfiguration"))?;
    let min_size = match input_str(call.input, "TransitionDefaultMinimumObjectSize") {
        None => DEFAULT_MIN_SIZE,
        Some(s @ ("varies_by_storage_class" | "all_storage_classes_128K")) => s,
        Some(s) => {
            return Err(s3::invalid_argument("Invalid TransitionDefaultMinimumObjectSize")
                .with_field("ArgumentName", "x-amz-transition-default-minimum-object-size")
                .with_field("ArgumentValue", s))
        }
    };
    s3::set(&mut config, "TransitionDefaultMinimumObjectSize", json!(min_size));
    write(services, &b.name, kind::LIFECYCLE, Some(&config))?;
    Ok(json!({ "TransitionDefaultMinimumObjectSize": min_size }))
}

pub fn get_bucket_lifecycle_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    required_config(
        services,
        call,
        kind::LIFECYCLE,
        "NoSuchLifecycleConfiguration",
        "The lifecycle configuration does not exist",
    )
}

pub fn delete_bucket_lifecycle(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    delete(services, call, kind::LIFECYCLE)
}

// ---------------------------------------------------------------------------------------------
// CORS

const CORS_METHODS: &[&str] = &["GET", "PUT", "HEAD", "POST", "DELETE"];

pub(crate) fn validate_cors(config: Option<&Value>) -> Result<Value, ServiceError> {
    let config = config.ok_or_else(s3::malformed_xml)?;
    let rules = list(config, "CORSRules");
    if rules.is_empty() || rules.len() > 100 {
        return Err(s3::malformed_xml());
    }
    for rule in rules {
        let methods = list(rule, "AllowedMethods");
        let origins = list(rule, "AllowedOrigins");
        if methods.is_empty() || origins.is_empty() {
            return Err(s3::malformed_xml());
        }
        for m in methods {
            let m = m.as_str().unwrap_or_default();
            if !CORS_METHODS.contains(&m) {
                return Err(s3::invalid_request(format!(
                    "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
                )));
            }
        }
        for o in origins {
            let o = o.as_str().unwrap_or_default();
            if o.matches('*').count() > 1 {
                return Err(s3::invalid_request(format!(
                    "AllowedOrigin \"{o}\" can not have more than one wildcard."
                )));
            }
        }
        for h in list(rule, "AllowedHeaders") {
            let h = h.as_str().unwrap_or_default();
            if h.matches('*').count() > 1 {
                return Err(s3::invalid_request(format!(
                    "AllowedHeader \"{h}\" can not have more than one wildcard."
                )));
            }
        }
        if input_str(rule, "ID").is_some_and(|id| id.chars().count() > 255) {
            return Err(s3::invalid_argument("ID length should not exceed allowed limit of 255"));
        }
    }
    Ok(json!({ "CORSRules": rules }))
}

pub fn put_bucket_cors(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let config = validate_cors(call.input.get("CORSConfiguration"))?;
    write(services, &b.name, kind::CORS, Some(&config))?;
    Ok(json!({}))
}

pub fn get_bucket_cors(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    required_config(
        services,
        call,
        kind::CORS,
        "NoSuchCORSConfiguration",
        "The CORS configuration does not exist",
    )
}

pub fn delete_bucket_cors(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    delete(services, call, kind::CORS)
}

/// A CORS pattern (`AllowedOrigin`, `AllowedHeader`) with at most one `*`, against `value`.
fn cors_match(pattern: &str, value: &str, fold_case: bool) -> bool {
    let (p, v) = if fold_case {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    } else {
        (pattern.to_owned(), value.to_owned())
    };
    match p.split_once('*') {
        None => p == v,
        Some((head, tail)) => {
            v.len() >= head.len() + tail.len() && v.starts_with(head) && v.ends_with(tail)
        }
    }
}

fn access_forbidden(message: &str, method: &str, resource_type: &str) -> ServiceError {
    ServiceError::client("AccessForbidden", 403, message)
        .with_field("Method", method)
        .with_field("ResourceType", resource_type)
}

/// Answers a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) for
/// `bucket` from its CORS configuration: the first rule allowing the origin, the method and
/// every requested header gives the response headers (S3 User Guide, "How does Amazon S3
/// evaluate the CORS configuration on a bucket?"). Unsigned, as browsers send it.
pub fn cors_preflight(
    services: &Services,
    bucket: &str,
    origin: Option<&str>,
    method: Option<&str>,
    request_headers: Option<&str>,
) -> Result<Vec<(String, String)>, ServiceError> {
    let (Some(origin), Some(method)) = (origin, method) else {
        return Err(ServiceError::client(
            "BadRequest",
            400,
            "Insufficient information. Origin request header needed.",
        ));
    };
    let tx = services.store().read()?;
    if s3::read_bucket(&*tx, bucket)?.is_none() {
        return Err(access_forbidden("CORSResponse: Bucket not found", method, "BUCKET"));
    }
    let Some(config) = read(&*tx, bucket, kind::CORS)? else {
        return Err(access_forbidden(
            "CORSResponse: CORS is not enabled for this bucket.",
            method,
            "BUCKET",
        ));
    };
    let requested: Vec<&str> = request_headers
        .map(|h| h.split(',').map(str::trim).filter(|h| !h.is_empty()).collect())
        .unwrap_or_default();
    let strs = |rule: &Value, member: &str| -> Vec<String> {
        list(rule, member).iter().filter_map(Value::as_str).map(str::to_owned).collect()
    };
    for rule in list(&config, "CORSRules") {
        let origins = strs(rule, "AllowedOrigins");
        let Some(allowed_origin) = origins.iter().find(|o| cors_match(o, origin, false)) else {
            continue;
        };
        let methods = strs(rule, "AllowedMethods");
        if !methods.iter().any(|m| m == method) {
            continue;
        }
        let headers = strs(rule, "AllowedHeaders");
        if !requested.iter().all(|r| headers.iter().any(|h| cors_match(h, r, true))) {
            continue;
        }
        let mut out = vec![
            (
                "Access-Control-Allow-Origin".to_owned(),
                if allowed_origin == "*" { "*".to_owned() } else { origin.to_owned() },
            ),
            ("Access-Control-Allow-Methods".to_owned(), methods.join(", ")),
        ];
        if allowed_origin != "*" {
            out.push(("Access-Control-Allow-Credentials".to_owned(), "true".to_owned()));
        }
        if !requested.is_empty() {
            out.push(("Access-Control-Allow-Headers".to_owned(), requested.join(", ")));
        }
        let expose = strs(rule, "ExposeHeaders");
        if !expose.is_empty() {
            out.push(("Access-Control-Expose-Headers".to_owned(), expose.join(", ")));
        }
        if let Some(age) = rule.get("MaxAgeSeconds").and_then(Value::as_i64) {
            out.push(("Access-Control-Max-Age".to_owned(), age.to_string()));
        }
        out.push((
            "Vary".to_owned(),
            "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".to_owned(),
        ));
        return Ok(out);
    }
    Err(access_forbidden(
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        method,
        "OBJECT",
    ))
}

/// The CORS headers S3 adds to an ordinary request from `origin` (one with an `Origin` header) on
/// `bucket`: those of the first rule allowing the origin and the method; none when no rule does.
pub fn cors_response_headers(
    services: &Services,
    bucket: &str,
    origin: &str,
    method: &str,
) -> Vec<(String, String)> {
    cors_preflight(services, bucket, Some(origin), Some(method), None).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Website

pub(crate) fn validate_website(config: Option<&Value>) -> Result<Value, ServiceError> {
    let config = object(config).ok_or_else(s3::malformed_xml)?;
    let redirect_all = config.get("RedirectAllRequestsTo");
    if let Some(r) = redirect_all {
        if input_str(r, "HostName").is_none_or(str::is_empty) {
            return Err(s3::malformed_xml());
        }
        if let Some(p) = input_str(r, "Protocol") {
            if p != "http" && p != "https" {
                return Err(s3::invalid_argument("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically."));
            }
        }
        if ["IndexDocument", "ErrorDocument", "RoutingRules"]
            .iter()
            .any(|m| config.contains_key(*m))
        {
            return Err(s3::invalid_argument(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing/Redirection configurations.",
            ));
        }
    } else {
        let suffix = config.get("IndexDocument").and_then(|i| input_str(i, "Suffix"));
        match suffix {
            None => {
                return Err(s3::invalid_argument(
                    "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
                ))
            }
            Some(s) if s.is_empty() || s.contains('/') => {
                return Err(s3::invalid_argument("The IndexDocument Suffix is not well formed"))
            }
            Some(_) => {}
        }
        if let Some(e) = config.get("ErrorDocument") {
            if input_str(e, "Key").is_none_or(str::is_empty) {
                return Err(s3::invalid_argument("The ErrorDocument Key is not well formed"));
            }
        }
    }
    let rules = config.get("RoutingRules").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    for r in rules {
        let Some(redirect) = r.get("Redirect") else { return Err(s3::malformed_xml()) };
        if input_str(redirect, "ReplaceKeyWith").is_some()
            && input_str(redirect, "ReplaceKeyPrefixWith").is_some()
        {
            return Err(s3::invalid_request(
                "You can only define ReplaceKeyPrefix or ReplaceKey but not both.",
            ));
        }
        if let Some(code) = input_str(redirect, "HttpRedirectCode") {
            let ok = code.parse::<u16>().is_ok_and(|c| (300..400).contains(&c) && c != 300);
            if !ok {
                return Err(s3::invalid_argument(format!(
                    "The provided HTTP redirect code ({code}) is not valid. Valid codes are 3XX except 300."
                )));
            }
        }
    }
    Ok(Value::Object(config.clone()))
}

pub fn put_bucket_website(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let config = validate_website(call.input.get("WebsiteConfiguration"))?;
    write(services, &b.name, kind::WEBSITE, Some(&config))?;
    Ok(json!({}))
}

pub fn get_bucket_website(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    required_config(
        services,
        call,
        kind::WEBSITE,
        "NoSuchWebsiteConfiguration",
        "The specified bucket does not have a website configuration",
    )
}

pub fn delete_bucket_website(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    delete(services, call, kind::WEBSITE)
}

// ---------------------------------------------------------------------------------------------
// Notification

/// Event types S3 can notify (S3 User Guide, "Supported event types for SQS, SNS, and Lambda").
const EVENTS: &[&str] = &[
    "s3:TestEvent",
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
];

/// `(list member, ARN member, ARN service)` of the three destination kinds.
const DESTINATIONS: &[(&str, &str, &str)] = &[
    ("TopicConfigurations", "TopicArn", "sns"),
    ("QueueConfigurations", "QueueArn", "sqs"),
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"),
];

fn arn_of_service(arn: &str, service: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", p, s, r, a, rest]
        if !p.is_empty() && *s == service && !r.is_empty() && a.len() == 12
            && a.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty())
}

pub(crate) fn validate_notification(
    config: Option<&Value>,
    skip_destination_validation: bool,
    bucket_region: &str,
) -> Result<Value, ServiceError> {
    let empty = json!({});
    let config = config.unwrap_or(&empty);
    let mut ids: Vec<String> = Vec::new();
    let mut destinations = 0usize;
    let mut out = Map::new();
    for (member, arn_member, service) in DESTINATIONS {
        let items = list(config, member);
        if items.is_empty() {
            continue;
        }
        let mut stored = Vec::with_capacity(items.len());
        for item in items {
            let arn = input_str(item, arn_member).ok_or_else(s3::malformed_xml)?;
            if !arn_of_service(arn, service) {
                return Err(s3::invalid_argument("The ARN is not well formed")
                    .with_field("ArgumentName", *arn_member)
                    .with_field("ArgumentValue", arn));
            }
            // Destinations are in the bucket's region.
            if arn.split(':').nth(3) != Some(bucket_region) {
                // Text as clients report it; not in the API reference.
                return Err(s3::invalid_argument(
                    "The notification destination service region is not valid for the bucket location constraint",
                )
                .with_field("ArgumentName", *arn_member)
                .with_field("ArgumentValue", arn));
            }
            let events = list(item, "Events");
            if events.is_empty() {
                return Err(s3::malformed_xml());
            }
            for e in events {
                let e = e.as_str().unwrap_or_default();
                if !EVENTS.contains(&e) {
                    return Err(s3::invalid_argument(
                        "The event is not supported for notifications",
                    )
                    .with_field("ArgumentName", "Event")
                    .with_field("ArgumentValue", e));
                }
            }
            let rules = item
                .get("Filter")
                .and_then(|f| f.get("Key"))
                .map_or(&[][..], |k| list(k, "FilterRules"));
            let mut seen: Vec<String> = Vec::new();
            for r in rules {
                let name = input_str(r, "Name").unwrap_or_default().to_ascii_lowercase();
                if name != "prefix" && name != "suffix" {
                    return Err(s3::invalid_argument(
                        "filter rule name must be either prefix or suffix",
                    ));
                }
                if seen.contains(&name) {
                    return Err(s3::invalid_argument(
                        "Cannot specify more than one prefix rule in a filter.",
                    ));
                }
                seen.push(name);
            }
            let mut item = item.clone();
            // S3 names every configuration; an absent id gets a generated one.
            let id = match input_str(&item, "Id") {
                Some(id) => id.to_owned(),
                None => {
                    let id = crate::ids::lower_alnum(32)?;
                    s3::set(&mut item, "Id", json!(id));
                    id
                }
            };
            if ids.contains(&id) {
                return Err(s3::invalid_argument("Configuration Id must be unique."));
            }
            ids.push(id);
            destinations += 1;
            stored.push(item);
        }
        out.insert((*member).to_owned(), Value::Array(stored));
    }
    if destinations > 0 && !skip_destination_validation {
        // S3 checks each destination exists and lets it publish; xacct serves no SNS, SQS or
        // Lambda, so no destination can be validated.
        return Err(s3::invalid_argument(
            "Unable to validate the following destination configurations",
        ));
    }
    if let Some(eb) = config.get("EventBridgeConfiguration") {
        out.insert("EventBridgeConfiguration".to_owned(), eb.clone());
    }
    Ok(Value::Object(out))
}

pub fn put_bucket_notification_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let skip =
        call.input.get("SkipDestinationValidation").and_then(Value::as_bool).unwrap_or(false);
    let config =
        validate_notification(call.input.get("NotificationConfiguration"), skip, &b.region)?;
    let empty = config.as_object().is_some_and(Map::is_empty);
    write(services, &b.name, kind::NOTIFICATION, (!empty).then_some(&config))?;
    Ok(json!({}))
}

pub fn get_bucket_notification_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let (_, config) = bucket_config(services, call, kind::NOTIFICATION)?;
    Ok(config.unwrap_or_else(|| json!({})))
}

// ---------------------------------------------------------------------------------------------
// Logging

fn invalid_target(message: &str, target: &str) -> ServiceError {
    ServiceError::client("InvalidTargetBucketForLogging", 400, message)
        .with_field("TargetBucket", target)
}

/// Whether the target bucket lets S3 write logs under `prefix`: the log delivery group's WRITE
/// and READ_ACP grants in its ACL, or a bucket policy statement allowing the logging service
/// principal `s3:PutObject` on the log objects (S3 User Guide, "Permissions for log delivery").
fn log_delivery_allowed(
    tx: &dyn ReadTx,
    target: &BucketRecord,
    prefix: &str,
) -> Result<bool, ServiceError> {
    let grants = acl::bucket_grants(tx, target)?;
    let has = |p: &str| {
        grants.iter().any(|g| {
            matches!(&g.grantee, model::Grantee::Group(u) if u == acl::LOG_DELIVERY)
                && (g.permission == p || g.permission == "FULL_CONTROL")
        })
    };
    if has("WRITE") && has("READ_ACP") {
        return Ok(true);
    }
    let Some(doc) = target.policy.as_deref() else { return Ok(false) };
    let Ok(policy) = serde_json::from_str::<Value>(doc) else { return Ok(false) };
    let statements = match policy.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s) => vec![s.clone()],
        None => Vec::new(),
    };
    let strings = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => {
                a.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            }
            _ => Vec::new(),
        }
    };
    let log_arn = format!("arn:aws:s3:::{}/{prefix}", target.name);
    Ok(statements.iter().any(|st| {
        st.get("Effect").and_then(Value::as_str) == Some("Allow")
            && strings(st.get("Principal").and_then(|p| p.get("Service")))
                .iter()
                .any(|s| s == "logging.s3.amazonaws.com")
            && strings(st.get("Action"))
                .iter()
                .any(|a| xacct_policy::wildcard_match(a, "s3:PutObject", true))
            && strings(st.get("Resource"))
                .iter()
                .any(|r| xacct_policy::wildcard_match(r, &log_arn, false))
    }))
}

pub fn put_bucket_logging(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let status = call.input.get("BucketLoggingStatus").ok_or_else(s3::malformed_xml)?;
    let Some(enabled) = status.get("LoggingEnabled") else {
        write(services, &b.name, kind::LOGGING, None)?;
        return Ok(json!({}));
    };
    let target_name = input_str(enabled, "TargetBucket").ok_or_else(s3::malformed_xml)?;
    for g in list(enabled, "TargetGrants") {
        match input_str(g, "Permission") {
            Some("FULL_CONTROL" | "READ" | "WRITE") => {}
            _ => return Err(s3::malformed_xml()),
        }
    }
    let tx = services.store().read()?;
    let target = s3::read_bucket(&*tx, target_name)?.ok_or_else(|| {
        invalid_target("The target bucket for logging does not exist", target_name)
    })?;
    if target.account != b.account {
        return Err(invalid_target(
            "The owner for the bucket to be logged and the target bucket must be the same.",
            target_name,
        ));
    }
    if target.region != b.region {
        return Err(ServiceError::client(
            "CrossLocationLoggingProhibited",
            403,
            "Cross S3 location logging not allowed. ",
        )
        .with_field("TargetBucketLocation", target.region.clone()));
    }
    let prefix = input_str(enabled, "TargetPrefix").unwrap_or_default();
    if !log_delivery_allowed(&*tx, &target, prefix)? {
        return Err(invalid_target(
            "You must either provide the necessary permissions to the logging service using a bucket policy or give the log-delivery group WRITE and READ_ACP permissions to the target bucket",
            target_name,
        ));
    }
    if !list(enabled, "TargetGrants").is_empty()
        && acl::ownership(&*tx, &target.name)?.as_deref() == Some("BucketOwnerEnforced")
    {
        return Err(ServiceError::client(
            "InvalidTargetBucketForLogging",
            400,
            "Target grants are not supported for a target bucket with ACLs disabled",
        ));
    }
    drop(tx);
    let config = json!({ "LoggingEnabled": enabled });
    write(services, &b.name, kind::LOGGING, Some(&config))?;
    Ok(json!({}))
}

pub fn get_bucket_logging(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let (_, config) = bucket_config(services, call, kind::LOGGING)?;
    Ok(config.unwrap_or_else(|| json!({})))
}

// ---------------------------------------------------------------------------------------------
// Default encryption

/// SSE-S3, what every bucket has unless configured otherwise.
fn sse_s3() -> Value {
    json!({ "Rules": [{
        "ApplyServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" },
        "BucketKeyEnabled": false,
    }] })
}

pub(crate) fn validate_encryption(config: Option<&Value>) -> Result<Value, ServiceError> {
    let config = config.ok_or_else(s3::malformed_xml)?;
    let rules = list(config, "Rules");
    if rules.len() != 1 {
        return Err(s3::malformed_xml());
    }
    let mut out = Vec::new();
    for rule in rules {
        let mut rule = rule.clone();
        if let Some(d) = rule.get("ApplyServerSideEncryptionByDefault") {
            let alg = input_str(d, "SSEAlgorithm").ok_or_else(s3::malformed_xml)?;
            if !["AES256", "aws:kms", "aws:kms:dsse"].contains(&alg) {
                return Err(s3::malformed_xml());
            }
            if input_str(d, "KMSMasterKeyID").is_some() && alg == "AES256" {
                return Err(s3::invalid_argument(
                    "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                ));
            }
        }
        if rule.get("BucketKeyEnabled").is_none() {
            s3::set(&mut rule, "BucketKeyEnabled", json!(false));
        }
        out.push(rule);
    }
    Ok(json!({ "Rules": out }))
}

pub fn put_bucket_encryption(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let config = validate_encryption(call.input.get("ServerSideEncryptionConfiguration"))?;
    write(services, &b.name, kind::ENCRYPTION, Some(&config))?;
    Ok(json!({}))
}

/// The bucket's default encryption configuration: the one put, else SSE-S3.
pub(crate) fn encryption(tx: &dyn ReadTx, bucket: &str) -> Result<Value, ServiceError> {
    Ok(read(tx, bucket, kind::ENCRYPTION)?.unwrap_or_else(sse_s3))
}

pub fn get_bucket_encryption(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let tx = services.store().read()?;
    Ok(json!({ "ServerSideEncryptionConfiguration": encryption(&*tx, &b.name)? }))
}

/// Resets the default encryption to SSE-S3 (DeleteBucketEncryption API reference).
pub fn delete_bucket_encryption(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    delete(services, call, kind::ENCRYPTION)
}

// ---------------------------------------------------------------------------------------------
// Public access block

const PAB_MEMBERS: &[&str] =
    &["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];

pub(crate) fn validate_public_access_block(config: Option<&Value>) -> Result<Value, ServiceError> {
    let config = object(config).ok_or_else(s3::malformed_xml)?;
    if !PAB_MEMBERS.iter().any(|m| config.contains_key(*m)) {
        return Err(s3::invalid_request("Must specify at least one configuration."));
    }
    let mut out = Map::new();
    for m in PAB_MEMBERS {
        let v = config.get(*m).and_then(Value::as_bool).unwrap_or(false);
        out.insert((*m).to_owned(), json!(v));
    }
    Ok(Value::Object(out))
}

pub fn put_public_access_block(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let config = validate_public_access_block(call.input.get("PublicAccessBlockConfiguration"))?;
    write(services, &b.name, kind::PUBLIC_ACCESS_BLOCK, Some(&config))?;
    Ok(json!({}))
}

pub fn get_public_access_block(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let c = required_config(
        services,
        call,
        kind::PUBLIC_ACCESS_BLOCK,
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
    )?;
    Ok(json!({ "PublicAccessBlockConfiguration": c }))
}

pub fn delete_public_access_block(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    delete(services, call, kind::PUBLIC_ACCESS_BLOCK)
}

// ---------------------------------------------------------------------------------------------
// Replication

/// The bucket's versioning status (`Enabled`, `Suspended`, or `None` if never versioned).
fn versioning_status(bucket: &BucketRecord) -> Option<&str> {
    bucket.versioning.as_deref()
}

pub(crate) fn validate_replication(config: Option<&Value>) -> Result<Value, ServiceError> {
    let config = config.ok_or_else(s3::malformed_xml)?;
    if input_str(config, "Role").is_none_or(str::is_empty) {
        return Err(s3::malformed_xml());
    }
    let rules = list(config, "Rules");
    if rules.is_empty() || rules.len() > 1000 {
        return Err(s3::malformed_xml());
    }
    let mut ids: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for rule in rules {
        match input_str(rule, "Status") {
            Some("Enabled" | "Disabled") => {}
            _ => return Err(s3::malformed_xml()),
        }
        let dest = rule.get("Destination").ok_or_else(s3::malformed_xml)?;
        let bucket_arn = input_str(dest, "Bucket").ok_or_else(s3::malformed_xml)?;
        if !bucket_arn.starts_with("arn:aws:s3:::") {
            return Err(s3::invalid_argument("Invalid bucket ARN."));
        }
        if let Some(id) = input_str(rule, "ID") {
            if ids.contains(&id) {
                return Err(s3::invalid_argument("Rule Id must be unique."));
            }
            ids.push(id);
        }
        let mut rule = rule.clone();
        if input_str(&rule, "ID").is_none() {
            s3::set(&mut rule, "ID", json!(crate::ids::lower_alnum(32)?));
        }
        out.push(rule);
    }
    Ok(json!({ "Role": config.get("Role"), "Rules": out }))
}

pub fn put_bucket_replication(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    if versioning_status(&b) != Some("Enabled") {
        return Err(s3::invalid_request(
            "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
        )
        .with_field("BucketName", b.name.clone()));
    }
    let config = validate_replication(call.input.get("ReplicationConfiguration"))?;
    let tx = services.store().read()?;
    for rule in list(&config, "Rules") {
        let arn = rule.get("Destination").and_then(|d| input_str(d, "Bucket")).unwrap_or_default();
        let name = arn.trim_start_matches("arn:aws:s3:::");
        let dest = s3::read_bucket(&*tx, name)?.ok_or_else(|| {
            ServiceError::client("InvalidRequest", 400, "Destination bucket must exist.")
        })?;
        if versioning_status(&dest) != Some("Enabled") {
            return Err(s3::invalid_request("Destination bucket must have versioning enabled."));
        }
    }
    drop(tx);
    write(services, &b.name, kind::REPLICATION, Some(&config))?;
    Ok(json!({}))
}

pub fn get_bucket_replication(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let c = required_config(
        services,
        call,
        kind::REPLICATION,
        "ReplicationConfigurationNotFoundError",
        "The replication configuration was not found",
    )?;
    Ok(json!({ "ReplicationConfiguration": c }))
}

pub fn delete_bucket_replication(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    delete(services, call, kind::REPLICATION)
}

// ---------------------------------------------------------------------------------------------
// Transfer acceleration and request payment

pub fn put_bucket_accelerate_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let status = call.input.get("AccelerateConfiguration").and_then(|c| input_str(c, "Status"));
    let status = match status {
        Some(s @ ("Enabled" | "Suspended")) => s,
        _ => return Err(s3::malformed_xml()),
    };
    // Accelerated endpoints are virtual-hosted only, which periods in a name break
    // (S3 User Guide, "Requirements for using Transfer Acceleration").
    if b.name.contains('.') {
        return Err(s3::invalid_request(
            "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names",
        ));
    }
    write(services, &b.name, kind::ACCELERATE, Some(&json!({ "Status": status })))?;
    Ok(json!({}))
}

pub fn get_bucket_accelerate_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let (_, config) = bucket_config(services, call, kind::ACCELERATE)?;
    Ok(config.unwrap_or_else(|| json!({})))
}

pub fn put_bucket_request_payment(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let payer = call.input.get("RequestPaymentConfiguration").and_then(|c| input_str(c, "Payer"));
    let payer = match payer {
        Some(p @ ("Requester" | "BucketOwner")) => p,
        _ => return Err(s3::malformed_xml()),
    };
    write(services, &b.name, kind::REQUEST_PAYMENT, Some(&json!({ "Payer": payer })))?;
    Ok(json!({}))
}

pub fn get_bucket_request_payment(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let (_, config) = bucket_config(services, call, kind::REQUEST_PAYMENT)?;
    Ok(config.unwrap_or_else(|| json!({ "Payer": "BucketOwner" })))
}

// ---------------------------------------------------------------------------------------------
// Inventory (configurations by id: `BUCKET/inventory/ID`)

const INVENTORY_FIELDS: &[&str] = &[
    "Size",
    "LastModifiedDate",
    "StorageClass",
    "ETag",
    "IsMultipartUploaded",
    "ReplicationStatus",
    "EncryptionStatus",
    "ObjectLockRetainUntilDate",
    "ObjectLockMode",
    "ObjectLockLegalHoldStatus",
    "IntelligentTieringAccessTier",
    "BucketKeyStatus",
    "ChecksumAlgorithm",
    "ObjectAccessControlList",
    "ObjectOwner",
    "LifecycleExpirationDate",
];

fn inventory_key(bucket: &str, id: &str) -> String {
    model::config_key(bucket, &format!("inventory/{id}"))
}

fn configuration_id<'c>(call: &'c Call<'_>) -> Result<&'c str, ServiceError> {
    match input_str(call.input, "Id") {
        Some(id) if !id.is_empty() && id.len() <= 64 => Ok(id),
        _ => Err(s3::invalid_argument("Invalid configuration id.")),
    }
}

fn no_such_configuration() -> ServiceError {
    ServiceError::client("NoSuchConfiguration", 404, "The specified configuration does not exist.")
}

pub(crate) fn validate_inventory(id: &str, config: Option<&Value>) -> Result<Value, ServiceError> {
    let config = config.ok_or_else(s3::malformed_xml)?;
    if input_str(config, "Id") != Some(id) {
        // Guessed text: the body must name the configuration the query string does.
        return Err(s3::invalid_argument(
            "The configuration ID in the request body does not match the ID in the query string.",
        ));
    }
    let dest = config
        .get("Destination")
        .and_then(|d| d.get("S3BucketDestination"))
        .ok_or_else(s3::malformed_xml)?;
    if !input_str(dest, "Bucket").is_some_and(|b| b.starts_with("arn:aws:s3:::")) {
        return Err(s3::invalid_argument("Invalid bucket ARN."));
    }
    if !matches!(input_str(dest, "Format"), Some("CSV" | "ORC" | "Parquet")) {
        return Err(s3::malformed_xml());
    }
    if !matches!(input_str(config, "IncludedObjectVersions"), Some("All" | "Current")) {
        return Err(s3::malformed_xml());
    }
    let frequency = config.get("Schedule").and_then(|s| input_str(s, "Frequency"));
    if !matches!(frequency, Some("Daily" | "Weekly")) {
        return Err(s3::malformed_xml());
    }
    if config.get("IsEnabled").and_then(Value::as_bool).is_none() {
        return Err(s3::malformed_xml());
    }
    for f in list(config, "OptionalFields") {
        if !f.as_str().is_some_and(|f| INVENTORY_FIELDS.contains(&f)) {
            return Err(s3::malformed_xml());
        }
    }
    Ok(config.clone())
}

pub fn put_bucket_inventory_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let id = configuration_id(call)?;
    let config = validate_inventory(id, call.input.get("InventoryConfiguration"))?;
    let mut tx = services.store().write()?;
    if model::BUCKETS.get(&*tx, &b.name)?.is_none() {
        return Err(s3::no_such_bucket(&b.name));
    }
    let key = inventory_key(&b.name, id);
    // At most 1,000 inventory configurations per bucket (S3 User Guide, "Amazon S3 Inventory").
    if model::BUCKET_CONFIGS.get(&*tx, &key)?.is_none() {
        let prefix = model::config_key(&b.name, "inventory/");
        if model::BUCKET_CONFIGS.scan(&*tx, &prefix, None, 1000)?.len() >= 1000 {
            return Err(ServiceError::client(
                "TooManyConfigurations",
                400,
                "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.",
            ));
        }
    }
    model::BUCKET_CONFIGS.put(&mut *tx, &key, &config)?;
    tx.commit()?;
    Ok(json!({}))
}

pub fn get_bucket_inventory_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let id = configuration_id(call)?;
    let tx = services.store().read()?;
    let config = model::BUCKET_CONFIGS
        .get(&*tx, &inventory_key(&b.name, id))?
        .ok_or_else(no_such_configuration)?;
    Ok(json!({ "InventoryConfiguration": config }))
}

pub fn delete_bucket_inventory_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let id = configuration_id(call)?;
    let mut tx = services.store().write()?;
    if !model::BUCKET_CONFIGS.delete(&mut *tx, &inventory_key(&b.name, id))? {
        return Err(no_such_configuration());
    }
    tx.commit()?;
    Ok(json!({}))
}

/// Up to 100 configurations per page; the token is the last id of the previous page.
pub fn list_bucket_inventory_configurations(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let prefix = model::config_key(&b.name, "inventory/");
    let token = input_str(call.input, "ContinuationToken");
    let after = token.map(|t| format!("{prefix}{t}"));
    let tx = services.store().read()?;
    let mut page = model::BUCKET_CONFIGS.scan(&*tx, &prefix, after.as_deref(), 101)?;
    let truncated = page.len() > 100;
    page.truncate(100);
    let next = if truncated {
        page.last().map(|(k, _)| k.trim_start_matches(prefix.as_str()).to_owned())
    } else {
        None
    };
    let mut out = json!({
        "InventoryConfigurationList": page.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "IsTruncated": truncated,
    });
    if let Some(t) = token {
        s3::set(&mut out, "ContinuationToken", json!(t));
    }
    if let Some(n) = next {
        s3::set(&mut out, "NextContinuationToken", json!(n));
    }
    Ok(out)
}

/// Delete* of a sub-resource: removes it (no error when unset, as S3 answers 204).
fn delete(services: &Services, call: &Call<'_>, kind: &str) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    write(services, &b.name, kind, None)?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    fn code(r: Result<Value, ServiceError>) -> &'static str {
        r.unwrap_err().code
    }

    #[test]
    fn lifecycle_rules_are_validated() {
        let ok = json!({"Rules": [{"ID": "a", "Status": "Enabled", "Filter": {"Prefix": ""},
            "Expiration": {"Days": 7}}]});
        assert!(validate_lifecycle(Some(&ok)).is_ok());
        // Neither Filter nor Prefix, or both.
        let none = json!({"Rules": [{"Status": "Enabled", "Expiration": {"Days": 7}}]});
        assert_eq!(code(validate_lifecycle(Some(&none))), "MalformedXML");
        let both = json!({"Rules": [{"Status": "Enabled", "Prefix": "", "Filter": {},
            "Expiration": {"Days": 7}}]});
        assert_eq!(code(validate_lifecycle(Some(&both))), "MalformedXML");
        // Two predicates in a filter.
        let two = json!({"Rules": [{"Status": "Enabled", "Expiration": {"Days": 7},
            "Filter": {"Prefix": "a", "Tag": {"Key": "k", "Value": "v"}}}]});
        assert_eq!(code(validate_lifecycle(Some(&two))), "MalformedXML");
        // Days and ExpiredObjectDeleteMarker together.
        let eodm = json!({"Rules": [{"Status": "Enabled", "Filter": {},
            "Expiration": {"Days": 7, "ExpiredObjectDeleteMarker": true}}]});
        assert_eq!(code(validate_lifecycle(Some(&eodm))), "MalformedXML");
        let zero =
            json!({"Rules": [{"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 0}}]});
        assert_eq!(code(validate_lifecycle(Some(&zero))), "InvalidArgument");
        let noon = json!({"Rules": [{"Status": "Enabled", "Filter": {},
            "Expiration": {"Date": 1_420_113_600.0}}]});
        assert_eq!(code(validate_lifecycle(Some(&noon))), "InvalidArgument");
        let ia = json!({"Rules": [{"Status": "Enabled", "Filter": {},
            "Transitions": [{"Days": 10, "StorageClass": "STANDARD_IA"}]}]});
        assert_eq!(code(validate_lifecycle(Some(&ia))), "InvalidArgument");
        let nvt = json!({"Rules": [{"Status": "Enabled", "Filter": {},
            "NoncurrentVersionTransitions": [{"StorageClass": "GLACIER"}]}]});
        assert_eq!(code(validate_lifecycle(Some(&nvt))), "MalformedXML");
        let dup = json!({"Rules": [
            {"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}},
            {"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 2}}]});
        assert_eq!(code(validate_lifecycle(Some(&dup))), "InvalidArgument");
        assert_eq!(code(validate_lifecycle(Some(&json!({"Rules": []})))), "MalformedXML");
        let no_action = json!({"Rules": [{"Status": "Enabled", "Filter": {}}]});
        assert_eq!(code(validate_lifecycle(Some(&no_action))), "InvalidRequest");
    }

    #[test]
    fn cors_rules_are_validated() {
        let ok = json!({"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]});
        assert!(validate_cors(Some(&ok)).is_ok());
        let bad = json!({"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["NOTREAL"]}]});
        let err = validate_cors(Some(&bad)).unwrap_err();
        assert_eq!(err.code, "InvalidRequest");
        assert!(err.message.ends_with("Unsupported method is NOTREAL"));
        assert_eq!(code(validate_cors(Some(&json!({"CORSRules": []})))), "MalformedXML");
        let rule = json!({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]});
        let many = json!({"CORSRules": vec![rule; 101]});
        assert_eq!(code(validate_cors(Some(&many))), "MalformedXML");
    }

    #[test]
    fn cors_patterns_have_one_wildcard() {
        assert!(cors_match("https://*.example.com", "https://a.example.com", false));
        assert!(!cors_match("https://*.example.com", "http://a.example.com", false));
        assert!(cors_match("*", "anything", false));
        assert!(cors_match("x-amz-*", "X-Amz-Date", true));
        assert!(!cors_match("https://example.com", "https://example.org", false));
    }

    #[test]
    fn website_needs_an_index_document_or_a_redirect() {
        assert!(validate_website(Some(&json!({"IndexDocument": {"Suffix": "index.html"}}))).is_ok());
        assert!(validate_website(Some(&json!({"RedirectAllRequestsTo": {"HostName": "x.com"}})))
            .is_ok());
        assert_eq!(code(validate_website(Some(&json!({})))), "InvalidArgument");
        assert_eq!(
            code(validate_website(Some(&json!({"IndexDocument": {"Suffix": "a/b"}})))),
            "InvalidArgument"
        );
    }

    #[test]
    fn notifications_validate_arns_events_and_destinations() {
        let q = |arn: &str, event: &str| json!({"QueueConfigurations": [{"QueueArn": arn, "Events": [event]}]});
        let arn = "arn:aws:sqs:us-east-1:111111111111:q";
        assert!(
            validate_notification(Some(&q(arn, "s3:ObjectCreated:*")), true, "us-east-1").is_ok()
        );
        // Destinations cannot be validated without SQS.
        assert_eq!(
            code(validate_notification(Some(&q(arn, "s3:ObjectCreated:*")), false, "us-east-1")),
            "InvalidArgument"
        );
        assert_eq!(
            code(validate_notification(
                Some(&q("arn:aws:sns:us-east-1:111111111111:t", "s3:ObjectCreated:*")),
                true,
                "us-east-1"
            )),
            "InvalidArgument"
        );
        assert_eq!(
            code(validate_notification(Some(&q(arn, "s3:Nope")), true, "us-east-1")),
            "InvalidArgument"
        );
        let stored =
            validate_notification(Some(&q(arn, "s3:ObjectCreated:*")), true, "us-east-1").unwrap();
        // Another region's queue.
        assert_eq!(
            code(validate_notification(Some(&q(arn, "s3:ObjectCreated:*")), true, "eu-west-1")),
            "InvalidArgument"
        );
        assert!(stored["QueueConfigurations"][0]["Id"].as_str().is_some());
        assert_eq!(validate_notification(None, false, "us-east-1").unwrap(), json!({}));
    }

    #[test]
    fn encryption_and_public_access_block_validation() {
        let kms = json!({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"}}]});
        let v = validate_encryption(Some(&kms)).unwrap();
        assert_eq!(v["Rules"][0]["BucketKeyEnabled"], json!(false));
        let aes_key = json!({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]});
        assert_eq!(code(validate_encryption(Some(&aes_key))), "InvalidArgument");
        let bad =
            json!({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "rot13"}}]});
        assert_eq!(code(validate_encryption(Some(&bad))), "MalformedXML");
        assert_eq!(code(validate_public_access_block(Some(&json!({})))), "InvalidRequest");
        let v = validate_public_access_block(Some(&json!({"BlockPublicAcls": true}))).unwrap();
        assert_eq!(v["IgnorePublicAcls"], json!(false));
    }

    #[test]
    fn inventory_configurations_are_validated() {
        let ok = json!({"Id": "inv", "IsEnabled": true, "IncludedObjectVersions": "Current",
            "Schedule": {"Frequency": "Weekly"}, "OptionalFields": ["Size"],
            "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::dest", "Format": "CSV"}}});
        assert!(validate_inventory("inv", Some(&ok)).is_ok());
        assert_eq!(code(validate_inventory("other", Some(&ok))), "InvalidArgument");
        let mut bad = ok.clone();
        bad["Schedule"]["Frequency"] = json!("Hourly");
        assert_eq!(code(validate_inventory("inv", Some(&bad))), "MalformedXML");
        let mut bad = ok.clone();
        bad["OptionalFields"] = json!(["Colour"]);
        assert_eq!(code(validate_inventory("inv", Some(&bad))), "MalformedXML");
        let mut bad = ok;
        bad["Destination"]["S3BucketDestination"]["Bucket"] = json!("dest");
        assert_eq!(code(validate_inventory("inv", Some(&bad))), "InvalidArgument");
    }

    #[test]
    fn replication_needs_role_rules_and_destinations() {
        let ok = json!({"Role": "r", "Rules": [{"Status": "Enabled",
            "Destination": {"Bucket": "arn:aws:s3:::dest"}}]});
        let v = validate_replication(Some(&ok)).unwrap();
        assert!(v["Rules"][0]["ID"].as_str().is_some());
        let no_dest = json!({"Role": "r", "Rules": [{"Status": "Enabled"}]});
        assert_eq!(code(validate_replication(Some(&no_dest))), "MalformedXML");
        let bad_arn = json!({"Role": "r", "Rules": [{"Status": "Enabled", "Destination": {"Bucket": "dest"}}]});
        assert_eq!(code(validate_replication(Some(&bad_arn))), "InvalidArgument");
    }
}
