//! Versioning and Object Lock: the bucket's versioning state, how writes and deletes create,
//! replace and remove versions (and delete markers), version lookup, ListObjectVersions, and
//! Object Lock configuration, retention and legal holds.
//!
//! Storage: a key's current version (possibly a delete marker) is its `OBJECTS` record, older
//! ones are `VERSIONS` records, newest first. Every key with versions has a current record, so
//! listings walk `OBJECTS` and read each key's older versions beside it.
//!
//! Semantics (S3 User Guide, "Working with objects in a versioning-enabled bucket" and
//! "...versioning-suspended bucket"): with versioning Enabled every write and every delete
//! without a version id adds a version with a new id; Suspended and never-versioned buckets write
//! the `null` version, replacing any earlier `null` version; a delete by version id removes that
//! version for good, and the next newest becomes current.

use serde_json::{json, Map, Value};
use xacct_store::{ReadTx, WriteTx};

use crate::s3::model::{self, BucketRecord, ObjectLockConfig, ObjectRecord, Retention};
use crate::s3::{self as s3, set, Authorizer};
use crate::{input_str, Call, ServiceError, Services};

/// The characters of the version ids issued here.
const VERSION_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

/// A new version id: 32 characters from the OS RNG, the length and alphabet of S3's.
pub(crate) fn new_version_id() -> Result<String, ServiceError> {
    let bytes = crate::ids::random_bytes::<32>()?;
    Ok(bytes
        .iter()
        .map(|b| char::from(VERSION_ALPHABET.get(usize::from(*b & 63)).copied().unwrap_or(b'A')))
        .collect())
}

/// Whether `v` could name a version: `null` or an id of the form issued here.
pub(crate) fn well_formed_version_id(v: &str) -> bool {
    v == "null" || (v.len() == 32 && v.bytes().all(|b| VERSION_ALPHABET.contains(&b)))
}

/// The `VersionId` of an input, checked: `InvalidArgument` for one that cannot exist.
pub(crate) fn input_version_id(input: &Value) -> Result<Option<&str>, ServiceError> {
    match input_str(input, "VersionId") {
        None => Ok(None),
        Some(v) if well_formed_version_id(v) => Ok(Some(v)),
        Some(v) => Err(invalid_version_id(v)),
    }
}

/// S3's answer to a malformed version id: `InvalidArgument` naming the argument and its value.
pub(crate) fn invalid_version_id(value: &str) -> ServiceError {
    s3::invalid_argument("Invalid version id specified")
        .with_field("ArgumentName", "versionId")
        .with_field("ArgumentValue", value)
}

pub(crate) fn no_such_version(key: &str, version: &str) -> ServiceError {
    ServiceError::client("NoSuchVersion", 404, "The specified version does not exist.")
        .with_field("Key", key)
        .with_field("VersionId", version)
}

/// GET/HEAD of a delete marker by version id (S3 API reference, GetObject: "405 Method Not
/// Allowed" with `x-amz-delete-marker: true`).
pub(crate) fn method_not_allowed_on_marker(marker: &ObjectRecord, operation: &str) -> ServiceError {
    let method = if operation.starts_with("Head") {
        "HEAD"
    } else if operation.starts_with("Put") || operation == "CopyObject" {
        "PUT"
    } else if operation == "RestoreObject" {
        "POST"
    } else {
        "GET"
    };
    ServiceError::client(
        "MethodNotAllowed",
        405,
        "The specified method is not allowed against this resource.",
    )
    .with_field("Method", method)
    .with_field("ResourceType", "DeleteMarker")
    // A delete marker can only be deleted.
    .with_field("header:Allow", "DELETE")
    .with_field("header:x-amz-delete-marker", "true")
    .with_field("header:x-amz-version-id", marker.version())
    .with_field("header:Last-Modified", http_date(marker.last_modified))
}

/// GET/HEAD without a version id when the current version is a delete marker: `NoSuchKey`
/// with `x-amz-delete-marker: true` and the marker's version id.
pub(crate) fn no_such_key_marker(key: &str, marker: &ObjectRecord) -> ServiceError {
    s3::no_such_key(key)
        .with_field("header:x-amz-delete-marker", "true")
        .with_field("header:x-amz-version-id", marker.version())
}

/// `Mon, 23 Nov 2026 08:56:26 GMT` (HTTP dates of headers S3 puts inside other values).
pub(crate) fn http_date(epoch: f64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(epoch as i64) else {
        return String::new();
    };
    let day = DAYS.get(usize::from(t.weekday().number_days_from_monday())).copied();
    let month =
        usize::from(u8::from(t.month())).checked_sub(1).and_then(|m| MONTHS.get(m)).copied();
    let (Some(day), Some(month)) = (day, month) else { return String::new() };
    format!(
        "{day}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Whether the bucket records versions (Enabled now, or Suspended after being Enabled).
pub(crate) fn versioned(bucket: &BucketRecord) -> bool {
    bucket.versioning.is_some()
}

fn enabled(bucket: &BucketRecord) -> bool {
    bucket.versioning.as_deref() == Some("Enabled")
}

/// The older versions of `key`, newest first, with their record keys.
pub(crate) fn older_versions(
    tx: &dyn ReadTx,
    bucket: &str,
    key: &str,
) -> Result<Vec<(String, ObjectRecord)>, ServiceError> {
    let prefix = model::version_prefix(bucket, key);
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = model::VERSIONS.scan(tx, &prefix, after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        out.extend(batch.into_iter().filter(|(_, v)| v.key == key));
    }
    Ok(out)
}

/// Makes `record` the current version of its key in `bucket` inside `tx`: assigns its version id
/// and sequence from the bucket's versioning state, keeps the version it displaces (or replaces
/// it when both are `null`), and returns the blobs no version names any more.
pub(crate) fn put_current(
    tx: &mut dyn WriteTx,
    bucket: &BucketRecord,
    record: &mut ObjectRecord,
) -> Result<Vec<String>, ServiceError> {
    let okey = model::object_key(&bucket.name, &record.key);
    let old = model::OBJECTS.get(&*tx, &okey)?;
    record.version_id = if enabled(bucket) { Some(new_version_id()?) } else { None };
    record.seq = old.as_ref().map_or(0, |o| o.seq + 1);
    let mut stale = Vec::new();
    if let Some(old) = old {
        if old.version_id.is_none() && record.version_id.is_none() {
            stale.extend(old.segments.into_iter().map(|s| s.blob));
        } else {
            model::VERSIONS.put(
                &mut *tx,
                &model::version_key(&bucket.name, &old.key, old.seq),
                &old,
            )?;
        }
    }
    if record.version_id.is_none() && versioned(bucket) {
        // Suspended: the one `null` version is replaced, wherever it is in the stack.
        for (vkey, v) in older_versions(&*tx, &bucket.name, &record.key)? {
            if v.version_id.is_none() {
                model::VERSIONS.delete(&mut *tx, &vkey)?;
                stale.extend(v.segments.into_iter().map(|s| s.blob));
            }
        }
    }
    model::OBJECTS.put(&mut *tx, &okey, record)?;
    stale.retain(|b| !record.segments.iter().any(|s| &s.blob == b));
    Ok(stale)
}

/// A version found by id, and whether it is the current one.
pub(crate) struct Found {
    pub record: ObjectRecord,
    pub current: bool,
    /// Its `VERSIONS` key when not current.
    pub vkey: Option<String>,
}

/// The version `version` of `key` (`null` for the null version).
pub(crate) fn find_version(
    tx: &dyn ReadTx,
    bucket: &str,
    key: &str,
    version: &str,
) -> Result<Option<Found>, ServiceError> {
    let Some(current) = model::OBJECTS.get(tx, &model::object_key(bucket, key))? else {
        return Ok(None);
    };
    if current.version() == version {
        return Ok(Some(Found { record: current, current: true, vkey: None }));
    }
    Ok(older_versions(tx, bucket, key)?
        .into_iter()
        .find(|(_, v)| v.version() == version)
        .map(|(k, v)| Found { record: v, current: false, vkey: Some(k) }))
}

/// The version a request names: `VersionId` or the current one. `NoSuchVersion` for an unknown
/// id; `None` when there is no current version (the caller answers `NoSuchKey` or AccessDenied).
pub(crate) fn requested_version(
    services: &Services,
    bucket: &BucketRecord,
    key: &str,
    version: Option<&str>,
) -> Result<Option<ObjectRecord>, ServiceError> {
    let tx = services.store().read()?;
    match version {
        Some(v) => match find_version(&*tx, &bucket.name, key, v)? {
            Some(f) => Ok(Some(f.record)),
            None => Err(no_such_version(key, v)),
        },
        None => Ok(model::OBJECTS.get(&*tx, &model::object_key(&bucket.name, key))?),
    }
}

/// What a delete did, for its response.
#[derive(Debug, Default)]
pub(crate) struct Deleted {
    /// The version id removed or created (delete marker).
    pub version_id: Option<String>,
    /// Whether the version removed, or the version created, is a delete marker.
    pub delete_marker: bool,
}

/// Deletes `key` without a version id: unversioned buckets drop the object; versioned ones add
/// a delete marker (Enabled: with a new id; Suspended: the `null` version).
pub(crate) fn delete_current(
    services: &Services,
    bucket: &BucketRecord,
    key: &str,
    owner: &str,
) -> Result<(Deleted, Vec<String>), ServiceError> {
    let mut tx = services.store().write()?;
    let Some(bucket) = model::BUCKETS.get(&*tx, &bucket.name)? else {
        return Err(s3::no_such_bucket(&bucket.name));
    };
    let okey = model::object_key(&bucket.name, key);
    if !versioned(&bucket) {
        let old = model::OBJECTS.get(&*tx, &okey)?;
        let Some(old) = old else { return Ok((Deleted::default(), Vec::new())) };
        model::OBJECTS.delete(&mut *tx, &okey)?;
        tx.commit()?;
        return Ok((Deleted::default(), old.segments.into_iter().map(|s| s.blob).collect()));
    }
    let mut marker = ObjectRecord {
        key: key.to_owned(),
        size: 0,
        etag: String::new(),
        last_modified: services.clock().now_epoch_f64().floor(),
        headers: Default::default(),
        metadata: Default::default(),
        segments: Vec::new(),
        checksum: None,
        parts_count: None,
        tags: Vec::new(),
        storage_class: "STANDARD".to_owned(),
        owner: owner.to_owned(),
        version_id: None,
        delete_marker: true,
        seq: 0,
        retention: None,
        legal_hold: None,
        restore: None,
        sse: None,
        // A delete marker has no ACL of its own.
        acl: None,
    };
    let stale = put_current(&mut *tx, &bucket, &mut marker)?;
    tx.commit()?;
    Ok((Deleted { version_id: Some(marker.version().to_owned()), delete_marker: true }, stale))
}

/// Whether Object Lock keeps `v` from being deleted or overwritten: a legal hold, or an
/// unexpired retention (GOVERNANCE yields to `bypass`).
pub(crate) fn locked(v: &ObjectRecord, now: f64, bypass: bool) -> bool {
    if v.legal_hold == Some(true) {
        return true;
    }
    match &v.retention {
        Some(r) if r.until > now => r.mode == "COMPLIANCE" || !bypass,
        _ => false,
    }
}

pub(crate) fn object_locked_denied() -> ServiceError {
    ServiceError::client(
        "AccessDenied",
        403,
        "Access Denied because object protected by object lock.",
    )
}

/// Deletes version `version` of `key` for good; the next newest becomes current. A version that
/// does not exist is no error (S3 answers 204). `bypass`: governance retention may be bypassed.
pub(crate) fn delete_version(
    services: &Services,
    bucket: &BucketRecord,
    key: &str,
    version: &str,
    bypass: bool,
) -> Result<(Deleted, Vec<String>), ServiceError> {
    let mut tx = services.store().write()?;
    if model::BUCKETS.get(&*tx, &bucket.name)?.is_none() {
        return Err(s3::no_such_bucket(&bucket.name));
    }
    let Some(found) = find_version(&*tx, &bucket.name, key, version)? else {
        return Ok((
            Deleted { version_id: Some(version.to_owned()), delete_marker: false },
            vec![],
        ));
    };
    if locked(&found.record, services.clock().now_epoch_f64(), bypass) {
        return Err(object_locked_denied());
    }
    let okey = model::object_key(&bucket.name, key);
    if found.current {
        model::OBJECTS.delete(&mut *tx, &okey)?;
        if let Some((vkey, next)) = older_versions(&*tx, &bucket.name, key)?.into_iter().next() {
            model::VERSIONS.delete(&mut *tx, &vkey)?;
            model::OBJECTS.put(&mut *tx, &okey, &next)?;
        }
    } else if let Some(vkey) = &found.vkey {
        model::VERSIONS.delete(&mut *tx, vkey)?;
    }
    tx.commit()?;
    let r = found.record;
    Ok((
        Deleted { version_id: Some(r.version().to_owned()), delete_marker: r.delete_marker },
        r.segments.into_iter().map(|s| s.blob).collect(),
    ))
}

/// Whether the caller asked to bypass governance retention and may (`s3:BypassGovernanceRetention`
/// on the object, S3 User Guide "Bypassing governance mode").
pub(crate) fn may_bypass(
    call: &Call<'_>,
    auth: &mut Authorizer<'_>,
    bucket: &BucketRecord,
    key: &str,
) -> Result<bool, ServiceError> {
    if !call.input.get("BypassGovernanceRetention").and_then(Value::as_bool).unwrap_or(false) {
        return Ok(false);
    }
    let req = crate::authz::ActionRequest::new(
        "s3:BypassGovernanceRetention",
        crate::s3::actions::object_arn(&bucket.name, key),
        Some(&bucket.account),
    );
    Ok(auth.allowed(Some(bucket), &req)?.is_ok())
}

/// The Object Lock settings of a new version from its input (`x-amz-object-lock-*`) or the
/// bucket's default retention.
pub(crate) fn lock_for_new_version(
    bucket: &BucketRecord,
    input: &Value,
    now: f64,
) -> Result<(Option<Retention>, Option<bool>), ServiceError> {
    let mode = input_str(input, "ObjectLockMode");
    let until = input.get("ObjectLockRetainUntilDate").and_then(Value::as_f64);
    let hold = input_str(input, "ObjectLockLegalHoldStatus");
    let asked = mode.is_some() || until.is_some() || hold.is_some();
    let Some(config) = &bucket.object_lock else {
        if asked {
            return Err(s3::invalid_request("Bucket is missing Object Lock Configuration"));
        }
        return Ok((None, None));
    };
    let retention = match (mode, until) {
        (Some(m), Some(u)) => {
            check_mode(m)?;
            if u <= now {
                return Err(s3::invalid_argument("The retain until date must be in the future!"));
            }
            Some(Retention { mode: m.to_owned(), until: u })
        }
        (None, None) => default_retention(config, now),
        _ => return Err(s3::invalid_argument(
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
        )),
    };
    let hold = match hold {
        None => None,
        Some("OFF") => Some(false),
        Some("ON") => Some(true),
        Some(_) => return Err(s3::invalid_argument("Legal Hold status is invalid")),
    };
    Ok((retention, hold))
}

fn check_mode(m: &str) -> Result<(), ServiceError> {
    if m == "GOVERNANCE" || m == "COMPLIANCE" {
        Ok(())
    } else {
        Err(s3::malformed_xml())
    }
}

const DAY: f64 = 86_400.0;

fn default_retention(config: &ObjectLockConfig, now: f64) -> Option<Retention> {
    let mode = config.default_mode.clone()?;
    let days =
        config.default_days.map(|d| d as f64).or(config.default_years.map(|y| y as f64 * 365.0))?;
    Some(Retention { mode, until: now + days * DAY })
}

pub fn put_bucket_versioning(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let config = call.input.get("VersioningConfiguration").ok_or_else(s3::malformed_xml)?;
    let status = input_str(config, "Status");
    let mfa = input_str(config, "MFADelete");
    match status {
        Some("Enabled" | "Suspended") | None => {}
        Some(_) => return Err(s3::malformed_xml()),
    }
    match mfa {
        Some("Enabled" | "Disabled") | None => {}
        Some(_) => return Err(s3::malformed_xml()),
    }
    if mfa == Some("Enabled") && input_str(call.input, "MFA").is_none() {
        // Guessed text: S3 requires the x-amz-mfa header to change MFA Delete.
        return Err(s3::invalid_request(
            "DevPay and Mfa are mutually exclusive authorization methods.",
        ));
    }
    if status == Some("Suspended") && b.object_lock.is_some() {
        return Err(ServiceError::client(
            "InvalidBucketState",
            409,
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
        ));
    }
    update_bucket(services, &b.name, |r| {
        if let Some(s) = status {
            // Suspending a never-versioned bucket still makes it a versioned one (S3 shows
            // `Suspended` from then on).
            r.versioning = Some(s.to_owned());
        }
        if let Some(m) = mfa {
            r.mfa_delete = Some(m.to_owned());
        }
    })?;
    Ok(json!({}))
}

pub fn get_bucket_versioning(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let mut out = json!({});
    if let Some(s) = &b.versioning {
        set(&mut out, "Status", json!(s));
    }
    if let Some(m) = &b.mfa_delete {
        set(&mut out, "MFADelete", json!(m));
    }
    Ok(out)
}

fn update_bucket(
    services: &Services,
    name: &str,
    f: impl FnOnce(&mut BucketRecord),
) -> Result<(), ServiceError> {
    let mut tx = services.store().write()?;
    let mut b = model::BUCKETS.get(&*tx, name)?.ok_or_else(|| s3::no_such_bucket(name))?;
    f(&mut b);
    model::BUCKETS.put(&mut *tx, name, &b)?;
    tx.commit()?;
    Ok(())
}

pub fn put_object_lock_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let Some(config) = call.input.get("ObjectLockConfiguration") else {
        return Err(ServiceError::client("MissingRequestBodyError", 400, "Request Body is empty"));
    };
    if input_str(config, "ObjectLockEnabled") != Some("Enabled") {
        return Err(s3::malformed_xml());
    }
    let mut lock = ObjectLockConfig::default();
    if let Some(rule) = config.get("Rule") {
        let d = rule.get("DefaultRetention").ok_or_else(s3::malformed_xml)?;
        let mode = input_str(d, "Mode").ok_or_else(s3::malformed_xml)?;
        check_mode(mode)?;
        let days = d.get("Days").and_then(Value::as_i64);
        let years = d.get("Years").and_then(Value::as_i64);
        let positive = |n: i64| {
            u64::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                s3::invalid_argument("Default retention period must be a positive integer value")
            })
        };
        match (days, years) {
            (Some(d), None) => lock.default_days = Some(positive(d)?),
            (None, Some(y)) => lock.default_years = Some(positive(y)?),
            _ => return Err(s3::malformed_xml()),
        }
        lock.default_mode = Some(mode.to_owned());
    }
    if b.versioning.as_deref() != Some("Enabled") {
        return Err(ServiceError::client(
            "InvalidBucketState",
            409,
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
        ));
    }
    update_bucket(services, &b.name, |r| r.object_lock = Some(lock))?;
    Ok(json!({}))
}

pub fn get_object_lock_configuration(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let Some(lock) = &b.object_lock else {
        return Err(ServiceError::client(
            "ObjectLockConfigurationNotFoundError",
            404,
            "Object Lock configuration does not exist for this bucket",
        )
        .with_field("BucketName", &b.name));
    };
    let mut config = json!({ "ObjectLockEnabled": "Enabled" });
    if let Some(mode) = &lock.default_mode {
        let mut d = json!({ "Mode": mode });
        if let Some(days) = lock.default_days {
            set(&mut d, "Days", json!(days));
        }
        if let Some(years) = lock.default_years {
            set(&mut d, "Years", json!(years));
        }
        set(&mut config, "Rule", json!({ "DefaultRetention": d }));
    }
    Ok(json!({ "ObjectLockConfiguration": config }))
}

/// The version a retention/legal-hold request names, in a bucket with Object Lock.
fn lock_target(
    services: &Services,
    call: &Call<'_>,
    auth: &mut Authorizer<'_>,
) -> Result<(BucketRecord, String, ObjectRecord), ServiceError> {
    let key = s3::object_key(call)?.to_owned();
    let b = s3::authorized_bucket(services, call, auth, Some(&key))?;
    let version = input_version_id(call.input)?;
    if b.object_lock.is_none() {
        return Err(s3::invalid_request("Bucket is missing Object Lock Configuration"));
    }
    let found = requested_version(services, &b, &key, version)?;
    match found {
        Some(o) if o.delete_marker => match version {
            Some(_) => Err(method_not_allowed_on_marker(&o, call.operation)),
            None => Err(no_such_key_marker(&key, &o)),
        },
        Some(o) => Ok((b, key, o)),
        None => Err(s3::no_such_key(&key)),
    }
}

/// Rewrites version `target` of its key (current or older) with `f`.
fn update_version(
    services: &Services,
    bucket: &str,
    target: &ObjectRecord,
    f: impl FnOnce(&mut ObjectRecord) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let mut tx = services.store().write()?;
    let found = find_version(&*tx, bucket, &target.key, target.version())?
        .ok_or_else(|| no_such_version(&target.key, target.version()))?;
    let mut r = found.record;
    f(&mut r)?;
    match &found.vkey {
        Some(vkey) => model::VERSIONS.put(&mut *tx, vkey, &r)?,
        None => model::OBJECTS.put(&mut *tx, &model::object_key(bucket, &r.key), &r)?,
    }
    tx.commit()?;
    Ok(())
}

pub fn put_object_retention(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let (b, key, o) = lock_target(services, call, &mut auth)?;
    let r = call.input.get("Retention").ok_or_else(s3::malformed_xml)?;
    let mode = input_str(r, "Mode");
    let until = r.get("RetainUntilDate").and_then(Value::as_f64);
    let now = services.clock().now_epoch_f64();
    let new = match (mode, until) {
        (Some(m), Some(u)) => {
            check_mode(m)?;
            if u <= now {
                return Err(s3::invalid_argument("The retain until date must be in the future!"));
            }
            Some(Retention { mode: m.to_owned(), until: u })
        }
        (None, None) => None,
        _ => return Err(s3::malformed_xml()),
    };
    let bypass = may_bypass(call, &mut auth, &b, &key)?;
    update_version(services, &b.name, &o, |v| {
        // Retention may only be extended unless governance mode is bypassed (S3 User Guide,
        // "Retention periods"); COMPLIANCE may not be shortened or removed at all.
        if let Some(cur) = v.retention.as_ref().filter(|c| c.until > now) {
            let weaker = match &new {
                None => true,
                Some(n) => n.until < cur.until || (cur.mode == "COMPLIANCE" && n.mode != cur.mode),
            };
            if weaker && (cur.mode == "COMPLIANCE" || !bypass) {
                return Err(ServiceError::client("AccessDenied", 403, "Access Denied"));
            }
        }
        v.retention = new;
        Ok(())
    })?;
    Ok(json!({}))
}

pub fn get_object_retention(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let (_, _, o) = lock_target(services, call, &mut auth)?;
    let Some(r) = o.retention else {
        return Err(ServiceError::client(
            "NoSuchObjectLockConfiguration",
            404,
            "The specified object does not have a ObjectLock configuration",
        ));
    };
    Ok(json!({ "Retention": { "Mode": r.mode, "RetainUntilDate": r.until } }))
}

pub fn put_object_legal_hold(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let (b, _, o) = lock_target(services, call, &mut auth)?;
    let status = call.input.get("LegalHold").and_then(|h| input_str(h, "Status"));
    let on = match status {
        Some("ON") => true,
        Some("OFF") => false,
        _ => return Err(s3::malformed_xml()),
    };
    update_version(services, &b.name, &o, |v| {
        v.legal_hold = Some(on);
        Ok(())
    })?;
    Ok(json!({}))
}

pub fn get_object_legal_hold(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let (_, _, o) = lock_target(services, call, &mut auth)?;
    let Some(on) = o.legal_hold else {
        // Guessed text: S3's answer for a version that never had a legal hold.
        return Err(ServiceError::client(
            "NoSuchObjectLockConfiguration",
            404,
            "The specified object does not have a ObjectLock configuration",
        ));
    };
    Ok(json!({ "LegalHold": { "Status": if on { "ON" } else { "OFF" } } }))
}

/// The Object Lock output members of a version (HeadObject/GetObject).
pub(crate) fn lock_members(out: &mut Map<String, Value>, o: &ObjectRecord) {
    if let Some(r) = &o.retention {
        out.insert("ObjectLockMode".to_owned(), json!(r.mode));
        out.insert("ObjectLockRetainUntilDate".to_owned(), json!(r.until));
    }
    // Shown only once a legal hold was put on the version (S3 API reference, HeadObject
    // `x-amz-object-lock-legal-hold`).
    if let Some(on) = o.legal_hold {
        out.insert("ObjectLockLegalHoldStatus".to_owned(), json!(if on { "ON" } else { "OFF" }));
    }
}

/// One ListObjectVersions page.
struct VersionListing {
    /// Versions and delete markers, in order, each with whether it is the latest.
    entries: Vec<(ObjectRecord, bool)>,
    prefixes: Vec<String>,
    truncated: bool,
    next_key: Option<String>,
    next_version: Option<String>,
}

/// Lists versions of `bucket`'s keys under `prefix`: keys in order, each key's versions newest
/// first; resuming after (`key_marker`, `version_marker`); at most `max` entries (versions, delete
/// markers and common prefixes).
fn list_versions(
    services: &Services,
    b: &BucketRecord,
    prefix: &str,
    delimiter: &str,
    key_marker: Option<&str>,
    version_marker: Option<&str>,
    max: u64,
) -> Result<VersionListing, ServiceError> {
    let bucket = b.name.as_str();
    let has_versions = versioned(b);
    let base = format!("{bucket}/");
    let scan_prefix = format!("{base}{prefix}");
    let mut out = VersionListing {
        entries: Vec::new(),
        prefixes: Vec::new(),
        truncated: false,
        next_key: None,
        next_version: None,
    };
    let tx = services.store().read()?;
    let count = |o: &VersionListing| (o.entries.len() + o.prefixes.len()) as u64;
    let mut cursor: Option<String> = None;
    // With a version-id marker, the marker key's versions after that version come first.
    let mut pending: Vec<ObjectRecord> = Vec::new();
    if let Some(k) = key_marker {
        let rest = k.strip_prefix(prefix).unwrap_or("");
        cursor =
            Some(if !delimiter.is_empty() && k.starts_with(prefix) && rest.contains(delimiter) {
                // Resuming after a common prefix: skip every key it rolled up.
                format!("{base}{k}{}", char::MAX)
            } else {
                format!("{base}{k}")
            });
        if let Some(v) = version_marker {
            let current = model::OBJECTS.get(&*tx, &model::object_key(bucket, k))?;
            if let Some(current) = current.filter(|_| k.starts_with(prefix)) {
                let mut all = vec![current];
                all.extend(older_versions(&*tx, bucket, k)?.into_iter().map(|(_, r)| r));
                if let Some(pos) = all.iter().position(|r| r.version() == v) {
                    pending = all.into_iter().skip(pos + 1).collect();
                }
            }
        }
    }
    'scan: loop {
        for r in std::mem::take(&mut pending) {
            if count(&out) >= max {
                out.truncated = true;
                break 'scan;
            }
            out.next_key = Some(r.key.clone());
            out.next_version = Some(r.version().to_owned());
            out.entries.push((r, false));
        }
        let batch = model::OBJECTS.scan(&*tx, &scan_prefix, cursor.as_deref(), 200)?;
        if batch.is_empty() {
            break;
        }
        for (k, current) in batch {
            cursor = Some(k.clone());
            let rest = current.key.get(prefix.len()..).unwrap_or("");
            let rolled = (!delimiter.is_empty())
                .then(|| {
                    rest.find(delimiter)
                        .and_then(|i| rest.get(..i + delimiter.len()))
                        .map(|r| format!("{prefix}{r}"))
                })
                .flatten();
            if let Some(cp) = rolled {
                if count(&out) >= max {
                    out.truncated = true;
                    break 'scan;
                }
                cursor = Some(format!("{base}{cp}{}", char::MAX));
                out.next_key = Some(cp.clone());
                out.next_version = None;
                out.prefixes.push(cp);
                continue 'scan;
            }
            let key = current.key.clone();
            let mut all = vec![(current, true)];
            // A bucket never versioned has no older versions to look up.
            if has_versions {
                all.extend(
                    older_versions(&*tx, bucket, &key)?.into_iter().map(|(_, r)| (r, false)),
                );
            }
            for (r, latest) in all {
                if count(&out) >= max {
                    out.truncated = true;
                    break 'scan;
                }
                out.next_key = Some(r.key.clone());
                out.next_version = Some(r.version().to_owned());
                out.entries.push((r, latest));
            }
        }
    }
    Ok(out)
}

pub fn list_object_versions(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, None)?;
    let input = call.input;
    let prefix = input_str(input, "Prefix").unwrap_or("");
    let delimiter = input_str(input, "Delimiter").unwrap_or("");
    let key_marker = input_str(input, "KeyMarker").filter(|k| !k.is_empty());
    let version_marker = input_str(input, "VersionIdMarker").filter(|v| !v.is_empty());
    if version_marker.is_some() && key_marker.is_none() {
        return Err(s3::invalid_argument(
            "A version-id marker cannot be specified without a key marker.",
        )
        .with_field("ArgumentName", "version-id-marker"));
    }
    if let Some(v) = version_marker {
        if !well_formed_version_id(v) {
            return Err(s3::invalid_argument("Invalid version id specified")
                .with_field("ArgumentName", "version-id-marker")
                .with_field("ArgumentValue", v));
        }
    }
    let max = super::objects::max_keys(input)?;
    let l = list_versions(services, &bucket, prefix, delimiter, key_marker, version_marker, max)?;
    let mut out = json!({
        "Name": bucket.name,
        "Prefix": prefix,
        "KeyMarker": key_marker.unwrap_or(""),
        "VersionIdMarker": version_marker.unwrap_or(""),
        "MaxKeys": max,
        "IsTruncated": l.truncated,
    });
    let mut versions = Vec::new();
    let mut markers = Vec::new();
    for (o, latest) in &l.entries {
        if o.delete_marker {
            markers.push(json!({
                "Key": o.key, "VersionId": o.version(), "IsLatest": latest,
                "LastModified": o.last_modified, "Owner": s3::owner_value(&o.owner),
            }));
        } else {
            let mut v = json!({
                "ETag": o.etag, "Size": o.size, "StorageClass": o.storage_class, "Key": o.key,
                "VersionId": o.version(), "IsLatest": latest, "LastModified": o.last_modified,
                "Owner": s3::owner_value(&o.owner),
            });
            if let Some(c) = &o.checksum {
                set(&mut v, "ChecksumAlgorithm", json!([c.algorithm]));
                set(&mut v, "ChecksumType", json!(c.kind));
            }
            versions.push(v);
        }
    }
    if !versions.is_empty() {
        set(&mut out, "Versions", Value::Array(versions));
    }
    if !markers.is_empty() {
        set(&mut out, "DeleteMarkers", Value::Array(markers));
    }
    if !l.prefixes.is_empty() {
        let cps = l.prefixes.iter().map(|p| json!({ "Prefix": p })).collect();
        set(&mut out, "CommonPrefixes", Value::Array(cps));
    }
    if !delimiter.is_empty() {
        set(&mut out, "Delimiter", json!(delimiter));
    }
    if l.truncated {
        if let Some(k) = &l.next_key {
            set(&mut out, "NextKeyMarker", json!(k));
        }
        if let Some(v) = &l.next_version {
            set(&mut out, "NextVersionIdMarker", json!(v));
        }
    }
    if let Some(e) = input_str(input, "EncodingType") {
        set(&mut out, "EncodingType", json!(e));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn version_ids_are_well_formed_and_distinct() {
        let a = new_version_id().unwrap();
        let b = new_version_id().unwrap();
        assert_ne!(a, b);
        assert!(well_formed_version_id(&a));
        assert!(well_formed_version_id("null"));
        assert!(!well_formed_version_id("unknown"));
        assert!(!well_formed_version_id(&format!("{a}x")));
        assert!(!well_formed_version_id(&a.replace(|_| true, "/")));
    }

    #[test]
    fn version_keys_list_newest_first() {
        let old = model::version_key("b", "k", 1);
        let new = model::version_key("b", "k", 2);
        assert!(new < old);
        assert!(old.starts_with(&model::version_prefix("b", "k")));
    }

    #[test]
    fn http_dates() {
        assert_eq!(http_date(1_795_424_186.0), "Mon, 23 Nov 2026 08:56:26 GMT");
    }

    #[test]
    fn lock_rules() {
        let mut o = ObjectRecord {
            key: "k".into(),
            size: 0,
            etag: String::new(),
            last_modified: 0.0,
            headers: Default::default(),
            metadata: Default::default(),
            segments: vec![],
            checksum: None,
            parts_count: None,
            tags: vec![],
            storage_class: "STANDARD".into(),
            owner: "1".into(),
            version_id: None,
            delete_marker: false,
            seq: 0,
            retention: Some(Retention { mode: "GOVERNANCE".into(), until: 100.0 }),
            legal_hold: None,
            restore: None,
            acl: None,
            sse: None,
        };
        assert!(locked(&o, 50.0, false));
        assert!(!locked(&o, 50.0, true));
        assert!(!locked(&o, 150.0, false));
        o.retention = Some(Retention { mode: "COMPLIANCE".into(), until: 100.0 });
        assert!(locked(&o, 50.0, true));
        o.retention = None;
        o.legal_hold = Some(true);
        assert!(locked(&o, 50.0, true));
    }
}
