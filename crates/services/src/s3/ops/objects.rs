//! Objects: put (staged payload adopted as the blob), get (ranges, conditions), head, delete,
//! batch delete, copy, listings v1 and v2, object tags.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::s3::checksum::{ChecksumAlgorithm, Digests, PayloadDigests};
use crate::s3::model::{
    self, BucketRecord, ObjectHeaders, ObjectRecord, Segment, StoredChecksum, Tag,
};
use crate::s3::ops::buckets::{parse_tags, tags_value};
use crate::s3::ops::{sse, versions};
use crate::s3::{self as s3, actions, set, Authorizer, BodyRange, ObjectBody};
use crate::{input_str, Call, ServiceError, Services};

/// The most keys one listing or batch delete handles.
const MAX_KEYS: u64 = 1000;

/// Representation headers from a PutObject/CopyObject/CreateMultipartUpload input.
pub(crate) fn headers_from_input(input: &Value) -> ObjectHeaders {
    let s = |m: &str| input_str(input, m).map(str::to_owned);
    ObjectHeaders {
        content_type: s("ContentType"),
        content_encoding: s("ContentEncoding").filter(|e| !e.is_empty()),
        content_disposition: s("ContentDisposition"),
        content_language: s("ContentLanguage"),
        cache_control: s("CacheControl"),
        expires: match input.get("Expires") {
            Some(Value::String(t)) => Some(t.clone()),
            Some(Value::Number(n)) => n.as_f64().map(|f| crate::authz::iso8601(f as i64)),
            _ => None,
        },
        website_redirect_location: s("WebsiteRedirectLocation"),
    }
}

/// `x-amz-meta-*` from an input.
pub(crate) fn metadata_from_input(input: &Value) -> BTreeMap<String, String> {
    input
        .get("Metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.to_ascii_lowercase(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Tags from the `x-amz-tagging` header.
pub(crate) fn tags_from_header(input: &Value) -> Result<Vec<Tag>, ServiceError> {
    let Some(text) = input_str(input, "Tagging") else { return Ok(Vec::new()) };
    let list: Vec<Value> = actions::parse_tagging_header(text)
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    parse_tags(&list)
}

/// The storage classes S3 accepts (the model's `StorageClass` enum).
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
    "FSX_OPENZFS",
    "FSX_ONTAP",
];

/// The storage class of an input (`STANDARD` when absent), or `InvalidStorageClass`.
pub(crate) fn storage_class(input: &Value) -> Result<String, ServiceError> {
    let class = input_str(input, "StorageClass").unwrap_or("STANDARD");
    if STORAGE_CLASSES.contains(&class) {
        Ok(class.to_owned())
    } else {
        Err(ServiceError::client(
            "InvalidStorageClass",
            400,
            "The storage class you specified is not valid",
        )
        .with_field("StorageClassRequested", class))
    }
}

/// Checks `Content-MD5` and every declared `x-amz-checksum-*` (header or trailer) against what
/// was computed over the payload, and returns the checksum to store.
pub(crate) fn check_digests(
    input: &Value,
    digests: &PayloadDigests,
    trailers: &[(String, String)],
) -> Result<Option<(ChecksumAlgorithm, String)>, ServiceError> {
    if let Some(md5) = input_str(input, "ContentMD5") {
        let given = base64::engine::general_purpose::STANDARD
            .decode(md5.trim())
            .map_err(|_| s3::invalid_digest())?;
        if given.len() != 16 {
            return Err(s3::invalid_digest());
        }
        if given != digests.md5 {
            return Err(s3::bad_digest_md5());
        }
    }
    let mut stored = None;
    for alg in ChecksumAlgorithm::ALL {
        let declared = input_str(input, alg.member()).map(str::to_owned).or_else(|| {
            trailers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(alg.header()))
                .map(|(_, v)| v.trim().to_owned())
        });
        let Some(declared) = declared else { continue };
        match digests.checksum(alg) {
            Some(computed) if computed == declared => stored = Some((alg, declared)),
            Some(_) => return Err(s3::bad_checksum(alg.name())),
            None => {
                return Err(ServiceError::internal(format!(
                    "the payload was staged without its {} checksum",
                    alg.name()
                )))
            }
        }
    }
    if stored.is_none() {
        // Asked for by algorithm only (the value came nowhere), or S3's default CRC64NVME.
        let named = input_str(input, "ChecksumAlgorithm").and_then(ChecksumAlgorithm::parse);
        let alg = named.unwrap_or(ChecksumAlgorithm::Crc64Nvme);
        stored = digests.checksum(alg).map(|v| (alg, v.to_owned()));
    }
    Ok(stored)
}

/// The checksum output members of a stored checksum.
pub(crate) fn checksum_members(out: &mut Map<String, Value>, c: Option<&StoredChecksum>) {
    if let Some(c) = c {
        if let Some(alg) = ChecksumAlgorithm::parse(&c.algorithm) {
            out.insert(alg.member().to_owned(), json!(c.value));
            out.insert("ChecksumType".to_owned(), json!(c.kind));
        }
    }
}

pub fn put_object(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let payload = call
        .streams
        .and_then(|s| s.take_payload())
        .ok_or_else(|| ServiceError::internal("PutObject reached S3 without a staged payload"))?;
    if let Some(declared) = call.input.get("ContentLength").and_then(Value::as_u64) {
        if declared != payload.digests.len {
            return Err(s3::incomplete_body());
        }
    }
    let checksum = check_digests(call.input, &payload.digests, &payload.trailers)?;
    let tags = tags_from_header(call.input)?;
    let acl = super::acl::new_object_acl(services, &bucket, call.input, &call.caller.account)?;
    let sse = sse::resolve_for_write(services, call, &bucket, &[sse::GENERATE_DATA_KEY])?;
    let record = ObjectRecord {
        key: key.to_owned(),
        size: payload.digests.len,
        etag: format!("\"{}\"", payload.digests.md5_hex()),
        last_modified: services.clock().now_epoch_f64().floor(),
        headers: headers_from_input(call.input),
        metadata: metadata_from_input(call.input),
        segments: Vec::new(),
        checksum: checksum.map(|(alg, value)| StoredChecksum {
            algorithm: alg.name().to_owned(),
            value,
            kind: "FULL_OBJECT".to_owned(),
        }),
        parts_count: None,
        tags,
        storage_class: storage_class(call.input)?,
        owner: call.caller.account.clone(),
        acl,
        version_id: None,
        delete_marker: false,
        seq: 0,
        retention: None,
        legal_hold: None,
        restore: None,
        sse: Some(sse),
    };
    let blob = payload.blob.persist()?;
    let mut record = record;
    record.segments = vec![Segment { blob: blob.clone(), len: record.size }];
    let written = write_object(services, call, &bucket, record);
    if written.is_err() {
        s3::delete_blobs(services, &[blob]);
    }
    let record = written?;
    let mut out = Map::new();
    out.insert("ETag".to_owned(), json!(record.etag));
    version_member(&mut out, &bucket, &record);
    sse::members(&mut out, record.sse.as_ref());
    if input_declares_checksum(call.input) || !payload.trailers.is_empty() {
        checksum_members(&mut out, record.checksum.as_ref());
    }
    Ok(Value::Object(out))
}

fn input_declares_checksum(input: &Value) -> bool {
    input.get("ChecksumAlgorithm").is_some()
        || ChecksumAlgorithm::ALL.iter().any(|a| input.get(a.member()).is_some())
}

/// Writes `record` into `bucket` as its key's new current version (conditional writes checked
/// in the same transaction; version id from the bucket's versioning state) and deletes the blobs
/// no version names any more once committed. Returns the record as written.
pub(crate) fn write_object(
    services: &Services,
    call: &Call<'_>,
    bucket: &BucketRecord,
    mut record: ObjectRecord,
) -> Result<ObjectRecord, ServiceError> {
    let mut tx = services.store().write()?;
    let Some(bucket) = model::BUCKETS.get(&*tx, &bucket.name)? else {
        return Err(s3::no_such_bucket(&bucket.name));
    };
    check_write_conditions(&*tx, call.input, &bucket.name, &record.key)?;
    let (retention, hold) =
        versions::lock_for_new_version(&bucket, call.input, services.clock().now_epoch_f64())?;
    record.retention = retention;
    record.legal_hold = hold;
    let stale = versions::put_current(&mut *tx, &bucket, &mut record)?;
    tx.commit()?;
    s3::delete_blobs(services, &stale);
    Ok(record)
}

/// A write's `If-None-Match: *` / `If-Match` against the current object of `key` (a delete
/// marker is no object), read in the write's own transaction.
pub(crate) fn check_write_conditions(
    tx: &dyn xacct_store::ReadTx,
    input: &Value,
    bucket: &str,
    key: &str,
) -> Result<(), ServiceError> {
    let old = model::OBJECTS.get(tx, &model::object_key(bucket, key))?.filter(|o| !o.delete_marker);
    if let Some(inm) = input_str(input, "IfNoneMatch") {
        if inm.trim() == "*" && old.is_some() {
            return Err(s3::precondition_failed("If-None-Match"));
        }
    }
    if let Some(im) = input_str(input, "IfMatch") {
        match &old {
            Some(o) if etag_matches(im, &o.etag) => {}
            Some(_) => return Err(s3::precondition_failed("If-Match")),
            None => return Err(s3::no_such_key(key)),
        }
    }
    Ok(())
}

/// The `VersionId` output member for `o` in `bucket`: shown once the bucket is versioned.
pub(crate) fn version_member(
    out: &mut Map<String, Value>,
    bucket: &BucketRecord,
    o: &ObjectRecord,
) {
    if versions::versioned(bucket) || o.version_id.is_some() {
        out.insert("VersionId".to_owned(), json!(o.version()));
    }
}

/// `If-Match`/`If-None-Match` lists against an ETag (quotes optional, `*` matches all).
pub(crate) fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    list.split(',')
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|t| t == "*" || t == bare)
}

/// The current version of `key` in `bucket`, or what S3 answers when it is missing: `NoSuchKey`
/// if the caller may list the bucket, else AccessDenied (S3 API reference, GetObject
/// "Permissions").
pub(crate) fn existing_object(
    services: &Services,
    call: &Call<'_>,
    auth: &mut Authorizer<'_>,
    bucket: &BucketRecord,
    key: &str,
) -> Result<ObjectRecord, ServiceError> {
    existing_version(services, call, auth, bucket, key, None)
}

/// Version `version` of `key` (the current one when `None`): `NoSuchVersion` for an unknown id,
/// 405 MethodNotAllowed for a delete marker named by id, `NoSuchKey` (with
/// `x-amz-delete-marker`) when the current version is a delete marker.
pub(crate) fn existing_version(
    services: &Services,
    call: &Call<'_>,
    auth: &mut Authorizer<'_>,
    bucket: &BucketRecord,
    key: &str,
    version: Option<&str>,
) -> Result<ObjectRecord, ServiceError> {
    let found = versions::requested_version(services, bucket, key, version)?;
    match found {
        Some(o) if o.delete_marker => {
            return Err(match version {
                Some(_) => versions::method_not_allowed_on_marker(&o, call.operation),
                None => versions::no_such_key_marker(key, &o),
            })
        }
        Some(o) => return Ok(o),
        None => {}
    }
    let list = crate::authz::ActionRequest::new(
        "s3:ListBucket",
        actions::bucket_arn(&bucket.name),
        Some(&bucket.account),
    );
    match auth.allowed(Some(bucket), &list)? {
        Ok(()) => Err(s3::no_such_key(key)),
        Err(denied) => Err(denied),
    }
}

/// A parsed `Range: bytes=…` against `size`: `Ok(None)` when absent or not a single byte range
/// (S3 then answers the whole object), `Err` when unsatisfiable.
fn parse_range(range: &str, size: u64) -> Result<Option<(u64, u64)>, ServiceError> {
    let Some(spec) = range.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else { return Ok(None) };
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ok(None),
        (true, false) => {
            let Ok(n) = b.parse::<u64>() else { return Ok(None) };
            if n == 0 {
                return Err(s3::invalid_range(range, size));
            }
            (size.saturating_sub(n), size.saturating_sub(1))
        }
        (false, _) => {
            let Ok(start) = a.parse::<u64>() else { return Ok(None) };
            let end = if b.is_empty() {
                size.saturating_sub(1)
            } else {
                match b.parse::<u64>() {
                    Ok(e) if e >= start => e.min(size.saturating_sub(1)),
                    _ => return Ok(None),
                }
            };
            (start, end)
        }
    };
    if size == 0 || start >= size {
        return Err(s3::invalid_range(range, size));
    }
    Ok(Some((start, end)))
}

/// The blob ranges covering `[start, start+len)` of an object.
pub(crate) fn body_ranges(segments: &[Segment], start: u64, len: u64) -> Vec<BodyRange> {
    let mut out = Vec::new();
    let mut pos = 0u64;
    let end = start + len;
    for s in segments {
        let (s_start, s_end) = (pos, pos + s.len);
        pos = s_end;
        if s_end <= start || s_start >= end {
            continue;
        }
        let from = start.max(s_start);
        let to = end.min(s_end);
        out.push(BodyRange { blob: s.blob.clone(), offset: from - s_start, len: to - from });
    }
    out
}

/// Evaluates GetObject/HeadObject conditional headers (RFC 7232 order, as S3 does). A 304
/// carries the object's ETag and Last-Modified (RFC 7232 section 4.1).
fn check_conditions(input: &Value, o: &ObjectRecord) -> Result<(), ServiceError> {
    let modified = o.last_modified;
    let time = |m: &str| input.get(m).and_then(Value::as_f64);
    let not_modified = || {
        s3::not_modified()
            .with_field("header:ETag", o.etag.clone())
            .with_field("header:Last-Modified", versions::http_date(o.last_modified))
    };
    let if_match = input_str(input, "IfMatch");
    if let Some(im) = if_match {
        if !etag_matches(im, &o.etag) {
            return Err(s3::precondition_failed("If-Match"));
        }
    } else if let Some(t) = time("IfUnmodifiedSince") {
        if modified > t {
            return Err(s3::precondition_failed("If-Unmodified-Since"));
        }
    }
    if let Some(inm) = input_str(input, "IfNoneMatch") {
        if etag_matches(inm, &o.etag) {
            return Err(not_modified());
        }
    } else if let Some(t) = time("IfModifiedSince") {
        if modified <= t {
            return Err(not_modified());
        }
    }
    Ok(())
}

/// GetObject and HeadObject's shared answer; `with_body` also sets the streamed body.
fn read_object(
    services: &Services,
    call: &Call<'_>,
    with_body: bool,
) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let version = versions::input_version_id(call.input)?;
    let o = existing_version(services, call, &mut auth, &bucket, key, version)?;
    check_conditions(call.input, &o)?;
    let now = services.clock().now_epoch_f64();
    if with_body && archived(&o) && !restored(&o, now) {
        return Err(ServiceError::client(
            "InvalidObjectState",
            403,
            "The operation is not valid for the object's storage class",
        )
        .with_field("StorageClass", o.storage_class.clone()));
    }
    if with_body {
        // Reading an SSE-KMS object's bytes takes kms:Decrypt on its key (S3 User Guide).
        sse::authorize_existing(services, call, o.sse.as_ref(), &[sse::DECRYPT])?;
    }
    let mut out = Map::new();
    version_member(&mut out, &bucket, &o);
    versions::lock_members(&mut out, &o);
    sse::members(&mut out, o.sse.as_ref());
    if let Some(r) = o.restore.as_ref().filter(|r| r.expiry > now) {
        out.insert(
            "Restore".to_owned(),
            json!(format!(
                "ongoing-request=\"false\", expiry-date=\"{}\"",
                versions::http_date(r.expiry)
            )),
        );
    }
    let (mut start, mut len) = (0, o.size);
    let part = call.input.get("PartNumber").and_then(Value::as_u64);
    if let Some(n) = part {
        let count = o.parts_count.unwrap_or(1);
        if n == 0 || n > u64::from(count) {
            return Err(s3::invalid_range(&format!("partNumber={n}"), o.size)
                .with_field("PartNumberRequested", n.to_string()));
        }
        if o.parts_count.is_some() {
            let idx = usize::try_from(n - 1).unwrap_or(usize::MAX);
            start = o.segments.iter().take(idx).map(|s| s.len).sum();
            len = o.segments.get(idx).map_or(0, |s| s.len);
            out.insert("PartsCount".to_owned(), json!(count));
        }
        if o.size > 0 {
            out.insert(
                "ContentRange".to_owned(),
                json!(format!("bytes {}-{}/{}", start, start + len.saturating_sub(1), o.size)),
            );
        }
    } else if let Some(range) = input_str(call.input, "Range") {
        if let Some((a, b)) = parse_range(range, o.size)? {
            start = a;
            len = b - a + 1;
            out.insert("ContentRange".to_owned(), json!(format!("bytes {a}-{b}/{}", o.size)));
        }
    }
    out.insert("ContentLength".to_owned(), json!(len));
    out.insert("ETag".to_owned(), json!(o.etag));
    out.insert("LastModified".to_owned(), json!(o.last_modified));
    out.insert("AcceptRanges".to_owned(), json!("bytes"));
    let h = &o.headers;
    let response = |m: &str| input_str(call.input, m).map(str::to_owned);
    let fields = [
        (
            "ContentType",
            response("ResponseContentType")
                .or_else(|| h.content_type.clone())
                .or_else(|| Some("binary/octet-stream".to_owned())),
        ),
        (
            "ContentEncoding",
            response("ResponseContentEncoding").or_else(|| h.content_encoding.clone()),
        ),
        (
            "ContentDisposition",
            response("ResponseContentDisposition").or_else(|| h.content_disposition.clone()),
        ),
        (
            "ContentLanguage",
            response("ResponseContentLanguage").or_else(|| h.content_language.clone()),
        ),
        ("CacheControl", response("ResponseCacheControl").or_else(|| h.cache_control.clone())),
        ("WebsiteRedirectLocation", h.website_redirect_location.clone()),
    ];
    for (member, v) in fields {
        if let Some(v) = v {
            out.insert(member.to_owned(), json!(v));
        }
    }
    if let Some(e) = call.input.get("ResponseExpires").filter(|v| !v.is_null()).cloned() {
        out.insert("Expires".to_owned(), e);
    } else if let Some(e) = &h.expires {
        out.insert("Expires".to_owned(), json!(e));
    }
    if !o.metadata.is_empty() {
        out.insert("Metadata".to_owned(), json!(o.metadata));
    }
    if o.storage_class != "STANDARD" {
        out.insert("StorageClass".to_owned(), json!(o.storage_class));
    }
    if !o.tags.is_empty() {
        out.insert("TagCount".to_owned(), json!(o.tags.len()));
    }
    if o.parts_count.is_some() && part.is_none() {
        // HeadObject/GetObject show the parts count only when asked by part number.
    }
    let whole = len == o.size && part.is_none();
    if input_str(call.input, "ChecksumMode") == Some("ENABLED")
        && (whole || o.parts_count.is_none() && len == o.size)
    {
        checksum_members(&mut out, o.checksum.as_ref());
    }
    if with_body {
        if let Some(streams) = call.streams {
            streams.set_body(ObjectBody { ranges: body_ranges(&o.segments, start, len), len });
        }
    }
    Ok(Value::Object(out))
}

pub fn get_object(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    read_object(services, call, true)
}

pub fn head_object(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    read_object(services, call, false)
}

/// Whether `o` is in an archive storage class that must be restored before it can be read
/// (S3 API reference, GetObject: `InvalidObjectState`).
pub(crate) fn archived(o: &ObjectRecord) -> bool {
    matches!(o.storage_class.as_str(), "GLACIER" | "DEEP_ARCHIVE")
}

/// Whether an archived object has a restored copy that has not expired.
pub(crate) fn restored(o: &ObjectRecord, now: f64) -> bool {
    o.restore.as_ref().is_some_and(|r| r.expiry > now)
}

pub fn delete_object(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let version = versions::input_version_id(call.input)?;
    if let Some(im) = input_str(call.input, "IfMatch") {
        // Conditional delete (S3 API reference, DeleteObject `If-Match`).
        let tx = services.store().read()?;
        let current = model::OBJECTS.get(&*tx, &model::object_key(&bucket.name, key))?;
        drop(tx);
        match current.filter(|o| !o.delete_marker) {
            Some(o) if etag_matches(im, &o.etag) => {}
            Some(_) => return Err(s3::precondition_failed("If-Match")),
            None => return Err(s3::no_such_key(key)),
        }
    }
    let (deleted, blobs) = match version {
        Some(v) => {
            let bypass = versions::may_bypass(call, &mut auth, &bucket, key)?;
            versions::delete_version(services, &bucket, key, v, bypass)?
        }
        None => versions::delete_current(services, &bucket, key, &call.caller.account)?,
    };
    s3::delete_blobs(services, &blobs);
    let mut out = json!({});
    if deleted.delete_marker {
        set(&mut out, "DeleteMarker", json!(true));
    }
    if let Some(v) = deleted.version_id {
        set(&mut out, "VersionId", json!(v));
    }
    Ok(out)
}

pub fn delete_objects(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let name = s3::bucket_name(call)?;
    let tx = services.store().read()?;
    let bucket = s3::read_bucket(&*tx, name)?;
    drop(tx);
    let Some(bucket) = bucket else {
        auth.check(None, &s3::request(call, name, None, &call.caller.account)?)?;
        return Err(s3::no_such_bucket(name));
    };
    let delete = call.input.get("Delete").cloned().unwrap_or(Value::Null);
    let objects = delete.get("Objects").and_then(Value::as_array).cloned().unwrap_or_default();
    if objects.is_empty() || objects.len() as u64 > MAX_KEYS {
        return Err(s3::malformed_xml());
    }
    let quiet = delete.get("Quiet").and_then(Value::as_bool).unwrap_or(false);
    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    let mut blobs = Vec::new();
    for o in &objects {
        let Some(key) = input_str(o, "Key") else { continue };
        let version = input_str(o, "VersionId");
        let error = |code: &str, message: &str| {
            let mut e = json!({ "Key": key, "Code": code, "Message": message });
            if let Some(v) = version {
                set(&mut e, "VersionId", json!(v));
            }
            e
        };
        if version.is_some_and(|v| !versions::well_formed_version_id(v)) {
            // DeleteObjects reports a malformed id as an unknown version (observed S3
            // behaviour; the single-object operations answer InvalidArgument).
            errors.push(error("NoSuchVersion", "The specified version does not exist."));
            continue;
        }
        let action = if version.is_some() { "s3:DeleteObjectVersion" } else { "s3:DeleteObject" };
        let mut req = s3::request(call, name, Some(key), &bucket.account)?;
        req.action = action;
        if let Err(denied) = auth.allowed(Some(&bucket), &req)? {
            errors.push(error(denied.code, "Access Denied"));
            continue;
        }
        let result = match version {
            Some(v) => {
                let bypass = versions::may_bypass(call, &mut auth, &bucket, key)?;
                versions::delete_version(services, &bucket, key, v, bypass)
            }
            None => versions::delete_current(services, &bucket, key, &call.caller.account),
        };
        match result {
            Ok((d, b)) => {
                blobs.extend(b);
                if !quiet {
                    let mut entry = json!({ "Key": key });
                    match version {
                        Some(v) => {
                            set(&mut entry, "VersionId", json!(v));
                            if d.delete_marker {
                                set(&mut entry, "DeleteMarker", json!(true));
                                set(&mut entry, "DeleteMarkerVersionId", json!(v));
                            }
                        }
                        None if d.delete_marker => {
                            set(&mut entry, "DeleteMarker", json!(true));
                            if let Some(v) = d.version_id {
                                set(&mut entry, "DeleteMarkerVersionId", json!(v));
                            }
                        }
                        None => {}
                    }
                    deleted.push(entry);
                }
            }
            Err(e) if e.status < 500 => errors.push(error(e.code, &e.message)),
            Err(e) => return Err(e),
        }
    }
    s3::delete_blobs(services, &blobs);
    let mut out = Map::new();
    if !deleted.is_empty() {
        out.insert("Deleted".to_owned(), Value::Array(deleted));
    }
    if !errors.is_empty() {
        out.insert("Errors".to_owned(), Value::Array(errors));
    }
    Ok(Value::Object(out))
}

/// `bucket/key` (optionally with a leading `/`), percent-decoded.
pub(crate) fn parse_copy_source(source: &str) -> Option<(String, String)> {
    let source = source.split_once("?versionId=").map_or(source, |(s, _)| s);
    let decoded = percent_decode(source.trim_start_matches('/'));
    let (b, k) = decoded.split_once('/')?;
    (!b.is_empty() && !k.is_empty()).then(|| (b.to_owned(), k.to_owned()))
}

/// The `?versionId=` of an `x-amz-copy-source`, checked.
pub(crate) fn copy_source_version(source: &str) -> Result<Option<String>, ServiceError> {
    match source.split_once("?versionId=") {
        None => Ok(None),
        Some((_, v)) => {
            let v = percent_decode(v);
            if versions::well_formed_version_id(&v) {
                Ok(Some(v))
            } else {
                Err(versions::invalid_version_id(&v))
            }
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn copy_object(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let source = input_str(call.input, "CopySource").unwrap_or("");
    let (src_bucket, src_key) = parse_copy_source(source).ok_or_else(|| {
        s3::invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )
    })?;
    let src_version = copy_source_version(source)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let tx = services.store().read()?;
    let src_b = s3::read_bucket(&*tx, &src_bucket)?;
    drop(tx);
    // Reading a specific version takes s3:GetObjectVersion (S3 API reference, CopyObject).
    let get_action = if src_version.is_some() { "s3:GetObjectVersion" } else { "s3:GetObject" };
    let get = |account: &str| {
        crate::authz::ActionRequest::new(
            get_action,
            actions::object_arn(&src_bucket, &src_key),
            Some(account),
        )
    };
    let Some(src_b) = src_b else {
        auth.check(None, &get(&call.caller.account))?;
        return Err(s3::no_such_bucket(&src_bucket));
    };
    auth.check(Some(&src_b), &get(&src_b.account))?;
    let src =
        existing_version(services, call, &mut auth, &src_b, &src_key, src_version.as_deref())?;
    if archived(&src) && !restored(&src, services.clock().now_epoch_f64()) {
        return Err(ServiceError::client(
            "ObjectNotInActiveTierError",
            403,
            "The source object of the COPY action is not in the active tier and is only stored in Amazon S3 Glacier.",
        ));
    }
    if let Some(im) = input_str(call.input, "CopySourceIfMatch") {
        if !etag_matches(im, &src.etag) {
            return Err(s3::precondition_failed("x-amz-copy-source-If-Match"));
        }
    }
    if let Some(inm) = input_str(call.input, "CopySourceIfNoneMatch") {
        if etag_matches(inm, &src.etag) {
            return Err(s3::precondition_failed("x-amz-copy-source-If-None-Match"));
        }
    }
    let replace = input_str(call.input, "MetadataDirective") == Some("REPLACE");
    let same = src_b.name == bucket.name && src_key == key;
    // Reading an SSE-KMS source takes kms:Decrypt on its key; the copy is encrypted as the
    // request says, else with the destination bucket's default (S3 API reference, CopyObject).
    sse::authorize_existing(services, call, src.sse.as_ref(), &[sse::DECRYPT])?;
    let sse = sse::resolve_for_write(services, call, &bucket, &[sse::GENERATE_DATA_KEY])?;
    // An in-place copy must change something; a different resulting encryption counts (an
    // SSE-KMS object copied onto itself without headers becomes SSE-S3), and so does a bucket
    // with an encryption configuration put on it (moto's AWS-verified
    // test_copy_object_in_place_with_bucket_encryption).
    let changes_something = replace
        || call.input.get("StorageClass").is_some()
        || call.input.get("ServerSideEncryption").is_some()
        || call.input.get("WebsiteRedirectLocation").is_some()
        || !sse::same(src.sse.as_ref(), &sse)
        || (same && sse::bucket_has_configured_encryption(services, &bucket.name)?);
    if same && !changes_something && src_version.is_none() {
        return Err(s3::invalid_request("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."));
    }
    let alg = input_str(call.input, "ChecksumAlgorithm")
        .and_then(ChecksumAlgorithm::parse)
        .or_else(|| src.checksum.as_ref().and_then(|c| ChecksumAlgorithm::parse(&c.algorithm)))
        .unwrap_or(ChecksumAlgorithm::Crc64Nvme);
    // A copy does not keep the source's ACL: it gets the one the request sets, if any.
    let acl = super::acl::new_object_acl(services, &bucket, call.input, &call.caller.account)?;
    let (blob, digests) = copy_bytes(services, &src.segments, alg)?;
    let (mut headers, metadata) = if replace {
        (headers_from_input(call.input), metadata_from_input(call.input))
    } else {
        (src.headers.clone(), src.metadata.clone())
    };
    // The website redirect location is the object's own: not copied from the source under either
    // directive, but set by the request's header (CopyObject API reference,
    // `x-amz-website-redirect-location`).
    headers.website_redirect_location =
        input_str(call.input, "WebsiteRedirectLocation").map(str::to_owned);
    let tags = if input_str(call.input, "TaggingDirective") == Some("REPLACE") {
        tags_from_header(call.input)?
    } else {
        src.tags.clone()
    };
    let record = ObjectRecord {
        key: key.to_owned(),
        size: digests.len,
        etag: format!("\"{}\"", digests.md5_hex()),
        last_modified: services.clock().now_epoch_f64().floor(),
        headers,
        metadata,
        segments: vec![Segment { blob: blob.clone(), len: digests.len }],
        checksum: digests.checksum(alg).map(|v| StoredChecksum {
            algorithm: alg.name().to_owned(),
            value: v.to_owned(),
            kind: "FULL_OBJECT".to_owned(),
        }),
        parts_count: None,
        tags,
        // The copy is STANDARD unless the request names a class (S3 API reference, CopyObject
        // `x-amz-storage-class`).
        storage_class: storage_class(call.input)?,
        owner: call.caller.account.clone(),
        acl,
        version_id: None,
        delete_marker: false,
        seq: 0,
        retention: None,
        legal_hold: None,
        restore: None,
        sse: Some(sse),
    };
    let written = write_object(services, call, &bucket, record);
    if written.is_err() {
        s3::delete_blobs(services, &[blob]);
    }
    let record = written?;
    let mut result = Map::new();
    result.insert("ETag".to_owned(), json!(record.etag));
    result.insert("LastModified".to_owned(), json!(record.last_modified));
    // The copy keeps the source's checksum algorithm, and shows it (S3 API reference,
    // CopyObject "Checksums").
    if input_declares_checksum(call.input) || src.checksum.is_some() {
        checksum_members(&mut result, record.checksum.as_ref());
    }
    let mut out = Map::new();
    out.insert("CopyObjectResult".to_owned(), Value::Object(result));
    version_member(&mut out, &bucket, &record);
    sse::members(&mut out, record.sse.as_ref());
    if versions::versioned(&src_b) || src.version_id.is_some() {
        out.insert("CopySourceVersionId".to_owned(), json!(src.version()));
    }
    Ok(Value::Object(out))
}

/// Copies an object's bytes into a new persisted blob, computing MD5 and `alg`.
pub(crate) fn copy_bytes(
    services: &Services,
    segments: &[Segment],
    alg: ChecksumAlgorithm,
) -> Result<(String, PayloadDigests), ServiceError> {
    let total = segments.iter().map(|s| s.len).sum();
    copy_ranges(services, &body_ranges(segments, 0, total), alg)
}

/// Copies blob ranges into a new persisted blob, computing MD5 and `alg`.
pub(crate) fn copy_ranges(
    services: &Services,
    ranges: &[BodyRange],
    alg: ChecksumAlgorithm,
) -> Result<(String, PayloadDigests), ServiceError> {
    let store = services.blob_store()?;
    let mut writer = store.writer()?;
    let mut digests = Digests::new(&[alg]);
    let mut buf = vec![0u8; 256 * 1024];
    for s in ranges {
        let mut reader = store.open(&s.blob)?;
        reader
            .seek(SeekFrom::Start(s.offset))
            .map_err(|e| ServiceError::internal(format!("blob seek: {e}")))?;
        let mut left = s.len;
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            let chunk = buf.get_mut(..want).unwrap_or_default();
            let n = reader
                .read(chunk)
                .map_err(|e| ServiceError::internal(format!("blob read: {e}")))?;
            if n == 0 {
                return Err(ServiceError::internal("blob shorter than its record"));
            }
            let data = chunk.get(..n).unwrap_or_default();
            digests.update(data);
            writer
                .write_all(data)
                .map_err(|e| ServiceError::internal(format!("blob write: {e}")))?;
            left -= n as u64;
        }
    }
    let staged = writer.finish()?;
    let id = staged.persist()?;
    Ok((id, digests.finish()))
}

/// One listing's entries.
struct Listing {
    contents: Vec<ObjectRecord>,
    prefixes: Vec<String>,
    truncated: bool,
    /// The last entry returned (key or common prefix).
    last: Option<String>,
}

/// Lists `bucket`'s keys under `prefix` after `after`, rolling keys up at `delimiter`, at most
/// `max` entries (keys plus common prefixes).
fn list(
    services: &Services,
    bucket: &str,
    prefix: &str,
    delimiter: &str,
    after: Option<&str>,
    max: u64,
) -> Result<Listing, ServiceError> {
    let base = format!("{bucket}/");
    let scan_prefix = format!("{base}{prefix}");
    let mut cursor: Option<String> = after.map(|a| {
        let rest = a.strip_prefix(prefix).unwrap_or("");
        if !delimiter.is_empty() && a.starts_with(prefix) && rest.contains(delimiter) {
            // Resuming after a common prefix: skip every key it rolled up.
            format!("{base}{a}{}", char::MAX)
        } else {
            format!("{base}{a}")
        }
    });
    let mut out =
        Listing { contents: Vec::new(), prefixes: Vec::new(), truncated: false, last: None };
    let tx = services.store().read()?;
    'scan: loop {
        let batch = model::OBJECTS.scan(&*tx, &scan_prefix, cursor.as_deref(), 1000)?;
        if batch.is_empty() {
            break;
        }
        for (k, o) in batch {
            cursor = Some(k.clone());
            if o.delete_marker {
                continue;
            }
            let rest = o.key.get(prefix.len()..).unwrap_or("");
            let rolled = (!delimiter.is_empty())
                .then(|| {
                    rest.find(delimiter)
                        .and_then(|i| rest.get(..i + delimiter.len()))
                        .map(|r| format!("{prefix}{r}"))
                })
                .flatten();
            let count = (out.contents.len() + out.prefixes.len()) as u64;
            if count >= max {
                out.truncated = true;
                break 'scan;
            }
            match rolled {
                Some(cp) => {
                    cursor = Some(format!("{base}{cp}{}", char::MAX));
                    out.last = Some(cp.clone());
                    out.prefixes.push(cp);
                    continue 'scan;
                }
                None => {
                    out.last = Some(o.key.clone());
                    out.contents.push(o);
                }
            }
        }
    }
    Ok(out)
}

pub(crate) fn max_keys(input: &Value) -> Result<u64, ServiceError> {
    match input.get("MaxKeys").and_then(Value::as_i64) {
        None => Ok(MAX_KEYS),
        Some(n) if n < 0 => Err(s3::invalid_argument(
            "Argument maxKeys must be an integer between 0 and 2147483647",
        )),
        Some(n) => Ok((n as u64).min(MAX_KEYS)),
    }
}

fn content_value(o: &ObjectRecord, owner: bool) -> Value {
    let mut v = json!({
        "Key": o.key, "LastModified": o.last_modified, "ETag": o.etag, "Size": o.size,
        "StorageClass": o.storage_class,
    });
    if let Some(c) = &o.checksum {
        set(&mut v, "ChecksumAlgorithm", json!([c.algorithm]));
        set(&mut v, "ChecksumType", json!(c.kind));
    }
    if owner {
        set(&mut v, "Owner", s3::owner_value(&o.owner));
    }
    v
}

pub fn list_objects_v2(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, None)?;
    let input = call.input;
    let prefix = input_str(input, "Prefix").unwrap_or("");
    let delimiter = input_str(input, "Delimiter").unwrap_or("");
    let max = max_keys(input)?;
    let token = input_str(input, "ContinuationToken");
    let start_after = input_str(input, "StartAfter");
    let after = match token {
        Some(t) => {
            let raw = (!t.is_empty())
                .then(|| base64::engine::general_purpose::STANDARD.decode(t).ok())
                .flatten()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    s3::invalid_argument("The continuation token provided is incorrect")
                })?;
            Some(raw)
        }
        None => start_after.map(str::to_owned),
    };
    let l = list(services, &bucket.name, prefix, delimiter, after.as_deref(), max)?;
    let fetch_owner = input.get("FetchOwner").and_then(Value::as_bool).unwrap_or(false);
    let mut out = json!({
        "Name": bucket.name,
        "Prefix": prefix,
        "MaxKeys": max,
        "KeyCount": l.contents.len() + l.prefixes.len(),
        "IsTruncated": l.truncated,
    });
    if !l.contents.is_empty() {
        set(
            &mut out,
            "Contents",
            Value::Array(l.contents.iter().map(|o| content_value(o, fetch_owner)).collect()),
        );
    }
    if !l.prefixes.is_empty() {
        set(
            &mut out,
            "CommonPrefixes",
            Value::Array(l.prefixes.iter().map(|p| json!({ "Prefix": p })).collect()),
        );
    }
    if !delimiter.is_empty() {
        set(&mut out, "Delimiter", json!(delimiter));
    }
    if let Some(t) = token {
        set(&mut out, "ContinuationToken", json!(t));
    }
    if let Some(s) = start_after {
        set(&mut out, "StartAfter", json!(s));
    }
    if let Some(e) = input_str(input, "EncodingType") {
        set(&mut out, "EncodingType", json!(e));
    }
    if l.truncated {
        if let Some(last) = &l.last {
            set(
                &mut out,
                "NextContinuationToken",
                json!(base64::engine::general_purpose::STANDARD.encode(last.as_bytes())),
            );
        }
    }
    Ok(out)
}

pub fn list_objects(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, None)?;
    let input = call.input;
    let prefix = input_str(input, "Prefix").unwrap_or("");
    let delimiter = input_str(input, "Delimiter").unwrap_or("");
    let marker = input_str(input, "Marker");
    let max = max_keys(input)?;
    let l = list(services, &bucket.name, prefix, delimiter, marker, max)?;
    let mut out = json!({
        "Name": bucket.name,
        "Prefix": prefix,
        "Marker": marker.unwrap_or(""),
        "MaxKeys": max,
        "IsTruncated": l.truncated,
    });
    if !l.contents.is_empty() {
        set(
            &mut out,
            "Contents",
            Value::Array(l.contents.iter().map(|o| content_value(o, true)).collect()),
        );
    }
    if !l.prefixes.is_empty() {
        set(
            &mut out,
            "CommonPrefixes",
            Value::Array(l.prefixes.iter().map(|p| json!({ "Prefix": p })).collect()),
        );
    }
    if !delimiter.is_empty() {
        set(&mut out, "Delimiter", json!(delimiter));
        // NextMarker only comes with a delimiter (S3 API reference, ListObjects).
        if l.truncated {
            if let Some(last) = &l.last {
                set(&mut out, "NextMarker", json!(last));
            }
        }
    }
    if let Some(e) = input_str(input, "EncodingType") {
        set(&mut out, "EncodingType", json!(e));
    }
    Ok(out)
}

pub fn get_object_tagging(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let version = versions::input_version_id(call.input)?;
    let o = existing_version(services, call, &mut auth, &bucket, key, version)?;
    let mut out = json!({ "TagSet": tags_value(&o.tags) });
    if versions::versioned(&bucket) || version.is_some() {
        set(&mut out, "VersionId", json!(o.version()));
    }
    Ok(out)
}

pub fn put_object_tagging(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let list = call
        .input
        .get("Tagging")
        .and_then(|t| t.get("TagSet"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let tags = parse_tags(&list)?;
    if tags.len() > 10 {
        return Err(ServiceError::client(
            "BadRequest",
            400,
            "Object tags cannot be greater than 10",
        ));
    }
    set_object_tags(services, call, tags)
}

pub fn delete_object_tagging(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    set_object_tags(services, call, Vec::new())
}

fn set_object_tags(
    services: &Services,
    call: &Call<'_>,
    tags: Vec<Tag>,
) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let version = versions::input_version_id(call.input)?;
    let o = existing_version(services, call, &mut auth, &bucket, key, version)?;
    let mut tx = services.store().write()?;
    let found = versions::find_version(&*tx, &bucket.name, key, o.version())?
        .filter(|f| !f.record.delete_marker)
        .ok_or_else(|| match version {
            Some(v) => versions::no_such_version(key, v),
            None => s3::no_such_key(key),
        })?;
    let mut r = found.record;
    r.tags = tags;
    match &found.vkey {
        Some(vkey) => model::VERSIONS.put(&mut *tx, vkey, &r)?,
        None => model::OBJECTS.put(&mut *tx, &model::object_key(&bucket.name, key), &r)?,
    }
    tx.commit()?;
    let mut out = json!({});
    if versions::versioned(&bucket) || version.is_some() {
        set(&mut out, "VersionId", json!(r.version()));
    }
    Ok(out)
}

/// The attributes GetObjectAttributes may be asked for (the model's `ObjectAttributes` enum).
const OBJECT_ATTRIBUTES: &[&str] =
    &["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

pub fn get_object_attributes(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let version = versions::input_version_id(call.input)?;
    let wanted: Vec<String> = match call.input.get("ObjectAttributes") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(s)) => s.split(',').map(|a| a.trim().to_owned()).collect(),
        _ => Vec::new(),
    };
    if wanted.is_empty() {
        return Err(s3::invalid_request("Object attributes are required."));
    }
    if wanted.iter().any(|a| !OBJECT_ATTRIBUTES.contains(&a.as_str())) {
        return Err(s3::invalid_argument("Invalid attribute name specified."));
    }
    // Reading the object's attributes takes s3:GetObject (or s3:GetObjectVersion) as well
    // (S3 API reference, GetObjectAttributes "Permissions").
    let read = crate::authz::ActionRequest::new(
        if version.is_some() { "s3:GetObjectVersion" } else { "s3:GetObject" },
        actions::object_arn(&bucket.name, key),
        Some(&bucket.account),
    );
    auth.check(Some(&bucket), &read)?;
    let o = existing_version(services, call, &mut auth, &bucket, key, version)?;
    let mut out = Map::new();
    out.insert("LastModified".to_owned(), json!(o.last_modified));
    version_member(&mut out, &bucket, &o);
    let has = |a: &str| wanted.iter().any(|w| w == a);
    if has("ETag") {
        out.insert("ETag".to_owned(), json!(o.etag.trim_matches('"')));
    }
    if has("StorageClass") {
        out.insert("StorageClass".to_owned(), json!(o.storage_class));
    }
    if has("ObjectSize") {
        out.insert("ObjectSize".to_owned(), json!(o.size));
    }
    if has("Checksum") {
        let mut c = Map::new();
        // A composite checksum shows without its `-N` part count here; the count is in
        // ObjectParts (observed S3 behaviour, moto's aws_verified copy test).
        let bare = o.checksum.clone().map(|mut k| {
            if k.kind == "COMPOSITE" {
                if let Some((v, n)) = k.value.rsplit_once('-') {
                    if n.bytes().all(|b| b.is_ascii_digit()) {
                        k.value = v.to_owned();
                    }
                }
            }
            k
        });
        checksum_members(&mut c, bare.as_ref());
        if !c.is_empty() {
            out.insert("Checksum".to_owned(), Value::Object(c));
        }
    }
    if has("ObjectParts") {
        if let Some(n) = o.parts_count {
            out.insert("ObjectParts".to_owned(), json!({ "TotalPartsCount": n }));
        }
    }
    Ok(Value::Object(out))
}

pub fn restore_object(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let version = versions::input_version_id(call.input)?;
    let o = existing_version(services, call, &mut auth, &bucket, key, version)?;
    if !archived(&o) {
        // Guessed text: the message S3 gives for reading an archived object.
        return Err(ServiceError::client(
            "InvalidObjectState",
            403,
            "The operation is not valid for the object's storage class",
        )
        .with_field("StorageClass", o.storage_class.clone()));
    }
    let request = call.input.get("RestoreRequest").cloned().unwrap_or(Value::Null);
    let days = match request.get("Days").and_then(Value::as_i64) {
        Some(d) if d >= 1 => d as f64,
        Some(_) => return Err(s3::invalid_argument("Lifetime days must be a positive integer")),
        None => return Err(s3::malformed_xml()),
    };
    let already = restored(&o, services.clock().now_epoch_f64());
    // The restore completes at once here; the copy lasts `Days` days (S3 User Guide,
    // "Restoring an archived object").
    let expiry = services.clock().now_epoch_f64().floor() + days * 86_400.0;
    let mut tx = services.store().write()?;
    let found = versions::find_version(&*tx, &bucket.name, key, o.version())?
        .ok_or_else(|| s3::no_such_key(key))?;
    let mut r = found.record;
    r.restore = Some(model::RestoreState { expiry });
    match &found.vkey {
        Some(vkey) => model::VERSIONS.put(&mut *tx, vkey, &r)?,
        None => model::OBJECTS.put(&mut *tx, &model::object_key(&bucket.name, key), &r)?,
    }
    tx.commit()?;
    // 202 Accepted when a restore starts, 200 OK when the object was already restored
    // (S3 API reference, RestoreObject).
    Ok(json!({ "__status": if already { 200 } else { 202 } }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn ranges_as_s3_reads_them() {
        assert_eq!(parse_range("bytes=0-9", 100).unwrap(), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100).unwrap(), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100).unwrap(), Some((90, 99)));
        assert_eq!(parse_range("bytes=-200", 100).unwrap(), Some((0, 99)));
        assert_eq!(parse_range("bytes=50-500", 100).unwrap(), Some((50, 99)));
        assert_eq!(parse_range("bytes=0-1,5-6", 100).unwrap(), None);
        assert_eq!(parse_range("items=0-1", 100).unwrap(), None);
        assert_eq!(parse_range("bytes=100-", 100).unwrap_err().code, "InvalidRange");
        assert_eq!(parse_range("bytes=0-0", 0).unwrap_err().status, 416);
    }

    #[test]
    fn body_ranges_cross_segments() {
        let segs = vec![
            Segment { blob: "a".into(), len: 10 },
            Segment { blob: "b".into(), len: 10 },
            Segment { blob: "c".into(), len: 5 },
        ];
        let r = body_ranges(&segs, 8, 10);
        assert_eq!(
            r,
            vec![
                BodyRange { blob: "a".into(), offset: 8, len: 2 },
                BodyRange { blob: "b".into(), offset: 0, len: 8 }
            ]
        );
        assert_eq!(body_ranges(&segs, 0, 25).len(), 3);
    }

    #[test]
    fn copy_sources_and_etag_lists() {
        assert_eq!(parse_copy_source("/b/dir/a%20b.txt"), Some(("b".into(), "dir/a b.txt".into())));
        assert_eq!(parse_copy_source("b/k?versionId=1"), Some(("b".into(), "k".into())));
        assert_eq!(parse_copy_source("b"), None);
        assert!(etag_matches("\"abc\", \"def\"", "\"def\""));
        assert!(etag_matches("*", "\"x\""));
        assert!(!etag_matches("abd", "\"abc\""));
    }
}
