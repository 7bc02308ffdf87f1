//! Multipart uploads: create, upload part (staged payload adopted as the part's blob), complete
//! (the object's segments are the parts' blobs, no copy), abort, list parts and uploads.
//!
//! ETag of the result: MD5 of the concatenated binary part MD5s, hex, then `-N` (as AWS
//! computes it). Composite checksums: the algorithm over the concatenated raw part checksums,
//! base64, then `-N`; full-object CRCs are computed over the object's bytes.

use std::io::Read;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::s3::checksum::{self, ChecksumAlgorithm, Hasher};
use crate::s3::model::{self, ObjectRecord, PartRecord, Segment, StoredChecksum, UploadRecord};
use crate::s3::ops::objects::{
    check_digests, checksum_members, headers_from_input, metadata_from_input, storage_class,
    tags_from_header, write_object,
};
use crate::s3::ops::{sse, versions};
use crate::s3::{self as s3, set, Authorizer};
use crate::{ids, input_str, Call, ServiceError, Services};

/// The smallest part but the last (5 MiB).
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Part numbers run 1..=10000.
const MAX_PART_NUMBER: u64 = 10_000;

fn upload_id() -> Result<String, ServiceError> {
    // Opaque and URL-safe; long enough not to be guessed.
    let bytes = ids::random_bytes::<24>()?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The upload named by the input, in `bucket`, for the input's key.
fn existing_upload(
    services: &Services,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<UploadRecord, ServiceError> {
    let tx = services.store().read()?;
    match model::UPLOADS.get(&*tx, &model::upload_key(bucket, upload_id))? {
        Some(u) if u.key == key => Ok(u),
        _ => Err(s3::no_such_upload(upload_id)),
    }
}

pub fn create_multipart_upload(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let alg = match input_str(call.input, "ChecksumAlgorithm") {
        Some(a) => Some(ChecksumAlgorithm::parse(a).ok_or_else(|| {
            s3::invalid_request(format!("Checksum algorithm `{a}` is not supported."))
        })?),
        None => None,
    };
    let kind = input_str(call.input, "ChecksumType").map(str::to_owned);
    if let (Some(k), Some(a)) = (kind.as_deref(), alg) {
        if k == "FULL_OBJECT" && !a.supports_full_object() {
            return Err(s3::invalid_request(format!(
                "The {} checksum algorithm does not support the FULL_OBJECT checksum type.",
                a.name()
            )));
        }
    }
    if alg == Some(ChecksumAlgorithm::Crc64Nvme) && kind.as_deref() == Some("COMPOSITE") {
        return Err(s3::invalid_request(
            "The CRC64NVME checksum algorithm does not support the COMPOSITE checksum type.",
        ));
    }
    let kind = match (alg, kind) {
        (Some(_), Some(k)) => Some(k),
        (Some(ChecksumAlgorithm::Crc64Nvme), None) => Some("FULL_OBJECT".to_owned()),
        (Some(_), None) => Some("COMPOSITE".to_owned()),
        (None, _) => None,
    };
    let id = upload_id()?;
    // Multipart uploads with SSE-KMS take kms:GenerateDataKey and kms:Decrypt (S3 User Guide).
    let sse =
        sse::resolve_for_write(services, call, &bucket, &[sse::GENERATE_DATA_KEY, sse::DECRYPT])?;
    let record = UploadRecord {
        upload_id: id.clone(),
        bucket: bucket.name.clone(),
        key: key.to_owned(),
        initiated: services.clock().now_epoch_f64().floor(),
        initiator_arn: call.caller.arn.clone(),
        initiator_id: call.caller.user_id.clone(),
        owner: call.caller.account.clone(),
        headers: headers_from_input(call.input),
        metadata: metadata_from_input(call.input),
        tags: tags_from_header(call.input)?,
        storage_class: storage_class(call.input)?,
        checksum_algorithm: alg.map(|a| a.name().to_owned()),
        checksum_type: kind.clone(),
        acl: super::acl::new_object_acl(services, &bucket, call.input, &call.caller.account)?,
        lock_mode: input_str(call.input, "ObjectLockMode").map(str::to_owned),
        lock_until: call.input.get("ObjectLockRetainUntilDate").and_then(Value::as_f64),
        lock_legal_hold: input_str(call.input, "ObjectLockLegalHoldStatus").map(str::to_owned),
        sse: Some(sse),
    };
    // Lock headers are checked now (against the bucket) and applied on completion.
    versions::lock_for_new_version(
        &bucket,
        &record.lock_input(),
        services.clock().now_epoch_f64(),
    )?;
    let mut tx = services.store().write()?;
    model::UPLOADS.put(&mut *tx, &model::upload_key(&bucket.name, &id), &record)?;
    tx.commit()?;
    let mut out = Map::new();
    out.insert("Bucket".to_owned(), json!(bucket.name));
    out.insert("Key".to_owned(), json!(key));
    out.insert("UploadId".to_owned(), json!(id));
    sse::members(&mut out, record.sse.as_ref());
    let mut out = Value::Object(out);
    if let (Some(a), Some(k)) = (alg, kind) {
        set(&mut out, "ChecksumAlgorithm", json!(a.name()));
        set(&mut out, "ChecksumType", json!(k));
    }
    Ok(out)
}

pub fn upload_part(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let upload_id = input_str(call.input, "UploadId").unwrap_or("");
    let number = call.input.get("PartNumber").and_then(Value::as_u64).unwrap_or(0);
    if !(1..=MAX_PART_NUMBER).contains(&number) {
        return Err(s3::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
        )
        .with_field("ArgumentName", "partNumber")
        .with_field("ArgumentValue", number.to_string()));
    }
    let number = u32::try_from(number).unwrap_or(0);
    let upload = existing_upload(services, &bucket.name, key, upload_id)?;
    let payload = call
        .streams
        .and_then(|s| s.take_payload())
        .ok_or_else(|| ServiceError::internal("UploadPart reached S3 without a staged payload"))?;
    if let Some(declared) = call.input.get("ContentLength").and_then(Value::as_u64) {
        if declared != payload.digests.len {
            return Err(s3::incomplete_body());
        }
    }
    let mut checked = check_digests(call.input, &payload.digests, &payload.trailers)?;
    let upload_alg = upload.checksum_algorithm.as_deref().and_then(ChecksumAlgorithm::parse);
    if let Some(a) = upload_alg {
        // The part's checksum in the upload's algorithm (S3 requires parts to carry it; a
        // client that sent none gets it computed, as the server staged it).
        checked = payload.digests.checksum(a).map(|v| (a, v.to_owned())).or(checked);
    }
    let part = PartRecord {
        part_number: number,
        etag: format!("\"{}\"", payload.digests.md5_hex()),
        size: payload.digests.len,
        blob: String::new(),
        last_modified: services.clock().now_epoch_f64().floor(),
        checksum: upload_alg
            .and_then(|a| checked.as_ref().filter(|(c, _)| *c == a).map(|(_, v)| v.clone())),
    };
    let mut part = part;
    part.blob = payload.blob.persist()?;
    store_part(services, &bucket.name, upload_id, number, &part)?;
    let mut out = Map::new();
    out.insert("ETag".to_owned(), json!(part.etag));
    sse::members(&mut out, upload.sse.as_ref());
    if let (Some(a), Some(v)) = (upload_alg, &part.checksum) {
        out.insert(a.member().to_owned(), json!(v));
    }
    Ok(Value::Object(out))
}

/// A part copied from (a range of) an existing object.
pub fn upload_part_copy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    use crate::s3::ops::objects::{
        body_ranges, copy_ranges, etag_matches, existing_object, parse_copy_source,
    };
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let source = input_str(call.input, "CopySource").unwrap_or("");
    let (src_bucket, src_key) = parse_copy_source(source).ok_or_else(|| {
        s3::invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )
    })?;
    let upload_id = input_str(call.input, "UploadId").unwrap_or("");
    let number = call.input.get("PartNumber").and_then(Value::as_u64).unwrap_or(0);
    if !(1..=MAX_PART_NUMBER).contains(&number) {
        return Err(s3::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
        ));
    }
    let number = u32::try_from(number).unwrap_or(0);
    let upload = existing_upload(services, &bucket.name, key, upload_id)?;
    let tx = services.store().read()?;
    let src_b = s3::read_bucket(&*tx, &src_bucket)?;
    drop(tx);
    let get = |account: &str| {
        crate::authz::ActionRequest::new(
            "s3:GetObject",
            crate::s3::actions::object_arn(&src_bucket, &src_key),
            Some(account),
        )
    };
    let Some(src_b) = src_b else {
        auth.check(None, &get(&call.caller.account))?;
        return Err(s3::no_such_bucket(&src_bucket));
    };
    auth.check(Some(&src_b), &get(&src_b.account))?;
    let src = existing_object(services, call, &mut auth, &src_b, &src_key)?;
    if let Some(im) = input_str(call.input, "CopySourceIfMatch") {
        if !etag_matches(im, &src.etag) {
            return Err(s3::precondition_failed("x-amz-copy-source-If-Match"));
        }
    }
    let (start, len) = match input_str(call.input, "CopySourceRange") {
        None => (0, src.size),
        Some(r) => {
            let bad = || {
                s3::invalid_argument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
            };
            let spec = r.trim().strip_prefix("bytes=").ok_or_else(bad)?;
            let (a, b) = spec.split_once('-').ok_or_else(bad)?;
            let a: u64 = a.trim().parse().map_err(|_| bad())?;
            let b: u64 = b.trim().parse().map_err(|_| bad())?;
            if a > b || b >= src.size {
                return Err(s3::invalid_request(format!(
                    "The specified copy range is invalid for the source object size: {}",
                    src.size
                ))
                .with_field("ArgumentName", "x-amz-copy-source-range"));
            }
            (a, b - a + 1)
        }
    };
    let alg = upload
        .checksum_algorithm
        .as_deref()
        .and_then(ChecksumAlgorithm::parse)
        .unwrap_or(ChecksumAlgorithm::Crc64Nvme);
    let (blob, digests) = copy_ranges(services, &body_ranges(&src.segments, start, len), alg)?;
    let part = PartRecord {
        part_number: number,
        etag: format!("\"{}\"", digests.md5_hex()),
        size: digests.len,
        blob,
        last_modified: services.clock().now_epoch_f64().floor(),
        checksum: upload
            .checksum_algorithm
            .as_ref()
            .and_then(|_| digests.checksum(alg).map(str::to_owned)),
    };
    store_part(services, &bucket.name, upload_id, number, &part)?;
    let mut result = Map::new();
    result.insert("ETag".to_owned(), json!(part.etag));
    result.insert("LastModified".to_owned(), json!(part.last_modified));
    if let (Some(_), Some(v)) = (&upload.checksum_algorithm, &part.checksum) {
        result.insert(alg.member().to_owned(), json!(v));
    }
    let mut out = Map::new();
    out.insert("CopyPartResult".to_owned(), Value::Object(result));
    sse::members(&mut out, upload.sse.as_ref());
    Ok(Value::Object(out))
}

/// Every part of an upload, by part number.
fn all_parts(services: &Services, upload_id: &str) -> Result<Vec<PartRecord>, ServiceError> {
    let tx = services.store().read()?;
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = model::PARTS.scan(&*tx, &format!("{upload_id}/"), after.as_deref(), 1000)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        out.extend(batch.into_iter().map(|(_, p)| p));
    }
    Ok(out)
}

pub fn complete_multipart_upload(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let upload_id = input_str(call.input, "UploadId").unwrap_or("");
    let upload = match existing_upload(services, &bucket.name, key, upload_id) {
        Ok(u) => u,
        Err(e) => return repeated_completion(services, &bucket.name, key, upload_id).ok_or(e)?,
    };
    let requested = call
        .input
        .get("MultipartUpload")
        .and_then(|m| m.get("Parts"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if requested.is_empty() {
        return Err(s3::malformed_xml());
    }
    let stored = all_parts(services, upload_id)?;
    let mut chosen: Vec<&PartRecord> = Vec::with_capacity(requested.len());
    let mut previous = 0u64;
    for p in &requested {
        let n = p.get("PartNumber").and_then(Value::as_u64).unwrap_or(0);
        let etag = input_str(p, "ETag").unwrap_or("");
        if n <= previous {
            return Err(s3::invalid_part_order(upload_id));
        }
        previous = n;
        let n32 = u32::try_from(n).unwrap_or(0);
        let found = stored
            .iter()
            .find(|s| {
                s.part_number == n32 && s.etag.trim_matches('"') == etag.trim().trim_matches('"')
            })
            .ok_or_else(|| s3::invalid_part(upload_id, n32, etag))?;
        chosen.push(found);
    }
    let count = chosen.len();
    for (i, p) in chosen.iter().enumerate() {
        if i + 1 < count && p.size < MIN_PART_SIZE {
            return Err(s3::entity_too_small(p.size, MIN_PART_SIZE));
        }
    }
    let mut md5s = Vec::with_capacity(count * 16);
    for p in &chosen {
        let raw = hex::decode(p.etag.trim_matches('"'))
            .map_err(|_| ServiceError::internal("part etag is not hex"))?;
        md5s.extend_from_slice(&raw);
    }
    let etag = format!("\"{}-{count}\"", hex::encode(checksum::md5(&md5s)));
    let segments: Vec<Segment> =
        chosen.iter().map(|p| Segment { blob: p.blob.clone(), len: p.size }).collect();
    let size: u64 = segments.iter().map(|s| s.len).sum();
    let stored_checksum = match upload
        .checksum_algorithm
        .as_deref()
        .and_then(ChecksumAlgorithm::parse)
    {
        Some(alg) if upload.checksum_type.as_deref() == Some("FULL_OBJECT") => {
            let v = full_object_checksum(services, &segments, alg)?;
            if let Some(declared) = input_str(call.input, alg.member()) {
                if declared != v {
                    return Err(s3::bad_checksum(alg.name()));
                }
            }
            Some(StoredChecksum {
                algorithm: alg.name().to_owned(),
                value: v,
                kind: "FULL_OBJECT".to_owned(),
            })
        }
        Some(alg) => {
            let mut h = Hasher::new(alg);
            for p in &chosen {
                let raw = p
                    .checksum
                    .as_deref()
                    .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
                    .ok_or_else(|| {
                        s3::invalid_request(format!(
                            "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {} in the request.",
                            alg.name(), p.part_number
                        ))
                    })?;
                h.update(&raw);
            }
            Some(StoredChecksum {
                algorithm: alg.name().to_owned(),
                value: format!("{}-{count}", h.finish_base64()),
                kind: "COMPOSITE".to_owned(),
            })
        }
        None => None,
    };
    let record = ObjectRecord {
        key: key.to_owned(),
        size,
        etag: etag.clone(),
        last_modified: services.clock().now_epoch_f64().floor(),
        headers: upload.headers.clone(),
        metadata: upload.metadata.clone(),
        segments,
        checksum: stored_checksum,
        parts_count: u32::try_from(count).ok(),
        tags: upload.tags.clone(),
        storage_class: upload.storage_class.clone(),
        owner: upload.owner.clone(),
        acl: upload.acl.clone(),
        version_id: None,
        delete_marker: false,
        seq: 0,
        retention: None,
        legal_hold: None,
        restore: None,
        sse: upload.sse.clone(),
    };
    let mut record = record;
    // The object record, the upload's end and its unused parts in one transaction.
    let ukey = model::upload_key(&bucket.name, upload_id);
    let mut tx = services.store().write()?;
    if model::UPLOADS.get(&*tx, &ukey)?.is_none() {
        return Err(s3::no_such_upload(upload_id));
    }
    let Some(current_bucket) = model::BUCKETS.get(&*tx, &bucket.name)? else {
        return Err(s3::no_such_bucket(&bucket.name));
    };
    crate::s3::ops::objects::check_write_conditions(&*tx, call.input, &bucket.name, key)?;
    {
        let (retention, hold) = versions::lock_for_new_version(
            &current_bucket,
            &upload.lock_input(),
            services.clock().now_epoch_f64(),
        )?;
        record.retention = retention;
        record.legal_hold = hold;
    }
    let stale = versions::put_current(&mut *tx, &current_bucket, &mut record)?;
    model::UPLOADS.delete(&mut *tx, &ukey)?;
    let out = completion_output(&current_bucket, key, &record);
    let now = services.clock().now_epoch_f64();
    prune_completed(&mut *tx, &bucket.name, now)?;
    model::COMPLETED_UPLOADS.put(
        &mut *tx,
        &ukey,
        &model::CompletedUpload {
            key: key.to_owned(),
            completed: now,
            etag: record.etag.clone(),
            version_id: record.version_id.clone(),
            output: out.clone(),
        },
    )?;
    let mut unused = Vec::new();
    for p in &stored {
        model::PARTS.delete(&mut *tx, &model::part_key(upload_id, p.part_number))?;
        if !record.segments.iter().any(|s| s.blob == p.blob) {
            unused.push(p.blob.clone());
        }
    }
    tx.commit()?;
    unused.extend(stale);
    s3::delete_blobs(services, &unused);
    let _ = write_object;
    Ok(out)
}

/// The CompleteMultipartUpload answer for `record`, the object made at `key` of `bucket`.
fn completion_output(bucket: &model::BucketRecord, key: &str, record: &ObjectRecord) -> Value {
    let mut out = Map::new();
    crate::s3::ops::objects::version_member(&mut out, bucket, record);
    out.insert("Bucket".to_owned(), json!(bucket.name));
    out.insert("Key".to_owned(), json!(key));
    out.insert("ETag".to_owned(), json!(record.etag));
    out.insert("Location".to_owned(), json!(format!("/{}/{}", bucket.name, key)));
    sse::members(&mut out, record.sse.as_ref());
    checksum_members(&mut out, record.checksum.as_ref());
    Value::Object(out)
}

/// How long a completed upload's answer is kept for retries. S3 answers a repeated
/// CompleteMultipartUpload of a completed upload with the same result (moto's AWS-verified
/// test_idempotent_multipart_upload; the API reference asks clients to retry failed completions)
/// but documents no window: a day is xacct's choice.
const COMPLETED_RETENTION_SECS: f64 = 24.0 * 3600.0;

/// The answer of a CompleteMultipartUpload repeated for an upload already completed: the first
/// answer, while `key` still holds the object the upload made (same ETag and version) and the
/// completion is recent. None otherwise (the caller answers NoSuchUpload).
fn repeated_completion(
    services: &Services,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Option<Result<Value, ServiceError>> {
    let run = || -> Result<Option<Value>, ServiceError> {
        let tx = services.store().read()?;
        let Some(done) =
            model::COMPLETED_UPLOADS.get(&*tx, &model::upload_key(bucket, upload_id))?
        else {
            return Ok(None);
        };
        if done.key != key
            || services.clock().now_epoch_f64() - done.completed > COMPLETED_RETENTION_SECS
        {
            return Ok(None);
        }
        let current = model::OBJECTS.get(&*tx, &model::object_key(bucket, key))?;
        let same = current.is_some_and(|o| {
            !o.delete_marker && o.etag == done.etag && o.version_id == done.version_id
        });
        Ok(same.then_some(done.output))
    };
    run().transpose()
}

/// Drops `bucket`'s completed-upload records older than the retention window.
fn prune_completed(
    tx: &mut dyn xacct_store::WriteTx,
    bucket: &str,
    now: f64,
) -> Result<(), ServiceError> {
    for (k, done) in model::COMPLETED_UPLOADS.scan(&*tx, &format!("{bucket}/"), None, 1000)? {
        if now - done.completed > COMPLETED_RETENTION_SECS {
            model::COMPLETED_UPLOADS.delete(tx, &k)?;
        }
    }
    Ok(())
}

/// `alg` over the whole object, read back from its blobs.
fn full_object_checksum(
    services: &Services,
    segments: &[Segment],
    alg: ChecksumAlgorithm,
) -> Result<String, ServiceError> {
    let store = services.blob_store()?;
    let mut h = Hasher::new(alg);
    let mut buf = vec![0u8; 256 * 1024];
    for s in segments {
        let mut r = store.open(&s.blob)?;
        loop {
            let n =
                r.read(&mut buf).map_err(|e| ServiceError::internal(format!("blob read: {e}")))?;
            if n == 0 {
                break;
            }
            h.update(buf.get(..n).unwrap_or_default());
        }
    }
    Ok(h.finish_base64())
}

pub fn abort_multipart_upload(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let upload_id = input_str(call.input, "UploadId").unwrap_or("");
    existing_upload(services, &bucket.name, key, upload_id)?;
    let parts = all_parts(services, upload_id)?;
    let mut tx = services.store().write()?;
    for p in &parts {
        model::PARTS.delete(&mut *tx, &model::part_key(upload_id, p.part_number))?;
    }
    model::UPLOADS.delete(&mut *tx, &model::upload_key(&bucket.name, upload_id))?;
    tx.commit()?;
    let blobs: Vec<String> = parts.into_iter().map(|p| p.blob).collect();
    s3::delete_blobs(services, &blobs);
    Ok(json!({}))
}

pub fn list_parts(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let upload_id = input_str(call.input, "UploadId").unwrap_or("");
    let upload = existing_upload(services, &bucket.name, key, upload_id)?;
    let max = int_argument(call.input, "MaxParts", "max-parts")?.unwrap_or(1000).min(1000);
    let marker = int_argument(call.input, "PartNumberMarker", "part-number-marker")?.unwrap_or(0);
    let all = all_parts(services, upload_id)?;
    let after: Vec<&PartRecord> =
        all.iter().filter(|p| u64::from(p.part_number) > marker).collect();
    let page: Vec<&PartRecord> =
        after.iter().take(usize::try_from(max).unwrap_or(1000)).copied().collect();
    let truncated = after.len() > page.len();
    let alg = upload.checksum_algorithm.as_deref().and_then(ChecksumAlgorithm::parse);
    let parts: Vec<Value> = page
        .iter()
        .map(|p| {
            let mut v = json!({
                "PartNumber": p.part_number, "LastModified": p.last_modified,
                "ETag": p.etag, "Size": p.size,
            });
            if let (Some(a), Some(c)) = (alg, &p.checksum) {
                set(&mut v, a.member(), json!(c));
            }
            v
        })
        .collect();
    let mut out = json!({
        "Bucket": bucket.name, "Key": key, "UploadId": upload_id,
        "PartNumberMarker": marker, "MaxParts": max, "IsTruncated": truncated,
        "Initiator": { "ID": upload.initiator_arn, "DisplayName": upload.initiator_arn },
        "Owner": s3::owner_value(&upload.owner),
        "StorageClass": upload.storage_class,
    });
    if !parts.is_empty() {
        set(&mut out, "Parts", Value::Array(parts));
    }
    set(&mut out, "NextPartNumberMarker", json!(page.last().map_or(0, |p| p.part_number)));
    if let (Some(a), Some(k)) = (alg, &upload.checksum_type) {
        set(&mut out, "ChecksumAlgorithm", json!(a.name()));
        set(&mut out, "ChecksumType", json!(k));
    }
    Ok(out)
}

/// A non-negative 32-bit integer argument, with S3's two messages for values out of range.
fn int_argument(input: &Value, member: &str, name: &str) -> Result<Option<u64>, ServiceError> {
    let Some(v) = input.get(member).filter(|v| !v.is_null()) else { return Ok(None) };
    match v.as_i64() {
        Some(n) if n > i64::from(i32::MAX) => Err(s3::invalid_argument(format!(
            "Provided {name} not an integer or within integer range"
        ))),
        Some(n) if n >= 0 => Ok(Some(n.unsigned_abs())),
        Some(_) => Err(s3::invalid_argument(format!(
            "Argument {name} must be an integer between 0 and 2147483647"
        ))),
        None => Err(s3::invalid_argument(format!(
            "Provided {name} not an integer or within integer range"
        ))),
    }
}

pub fn list_multipart_uploads(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, None)?;
    let prefix = input_str(call.input, "Prefix").unwrap_or("");
    let delimiter = input_str(call.input, "Delimiter").unwrap_or("");
    let key_marker = input_str(call.input, "KeyMarker").unwrap_or("");
    let id_marker = input_str(call.input, "UploadIdMarker").unwrap_or("");
    let max = call.input.get("MaxUploads").and_then(Value::as_u64).unwrap_or(1000).min(1000);
    let tx = services.store().read()?;
    let mut uploads: Vec<UploadRecord> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch =
            model::UPLOADS.scan(&*tx, &format!("{}/", bucket.name), after.as_deref(), 1000)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        uploads.extend(batch.into_iter().map(|(_, u)| u));
    }
    drop(tx);
    uploads.retain(|u| u.key.starts_with(prefix));
    // Uploads of one key in initiation order (S3 API reference, ListMultipartUploads).
    uploads.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(a.initiated.total_cmp(&b.initiated))
            .then(a.upload_id.cmp(&b.upload_id))
    });
    if !key_marker.is_empty() {
        let resume = if id_marker.is_empty() {
            None
        } else {
            uploads.iter().position(|u| u.key == key_marker && u.upload_id == id_marker)
        };
        match resume {
            Some(i) => {
                uploads.drain(..=i);
            }
            // Without an upload-id marker (or an unknown one), listing starts after the key.
            None => uploads.retain(|u| u.key.as_str() > key_marker),
        }
    }
    let mut list = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut truncated = false;
    let mut last_key = None;
    let mut last_id = None;
    for u in &uploads {
        let rest = u.key.get(prefix.len()..).unwrap_or("");
        let cp = (!delimiter.is_empty())
            .then(|| rest.find(delimiter).and_then(|i| rest.get(..i + delimiter.len())))
            .flatten()
            .map(|r| format!("{prefix}{r}"));
        if cp.as_ref().is_some_and(|c| prefixes.last() == Some(c)) {
            continue;
        }
        if (list.len() + prefixes.len()) as u64 >= max {
            truncated = true;
            break;
        }
        match cp {
            Some(c) => prefixes.push(c),
            None => {
                last_key = Some(u.key.clone());
                last_id = Some(u.upload_id.clone());
                let mut v = json!({
                    "UploadId": u.upload_id, "Key": u.key, "Initiated": u.initiated,
                    "StorageClass": u.storage_class,
                    "Owner": s3::owner_value(&u.owner),
                    "Initiator": { "ID": u.initiator_arn, "DisplayName": u.initiator_arn },
                });
                if let (Some(a), Some(k)) = (&u.checksum_algorithm, &u.checksum_type) {
                    set(&mut v, "ChecksumAlgorithm", json!(a));
                    set(&mut v, "ChecksumType", json!(k));
                }
                list.push(v);
            }
        }
    }
    let mut out = json!({
        "Bucket": bucket.name, "KeyMarker": key_marker, "UploadIdMarker": id_marker,
        "MaxUploads": max, "IsTruncated": truncated, "Prefix": prefix,
    });
    if !list.is_empty() {
        set(&mut out, "Uploads", Value::Array(list));
    }
    if !prefixes.is_empty() {
        set(
            &mut out,
            "CommonPrefixes",
            Value::Array(prefixes.iter().map(|p| json!({ "Prefix": p })).collect()),
        );
    }
    if !delimiter.is_empty() {
        set(&mut out, "Delimiter", json!(delimiter));
    }
    if truncated {
        set(&mut out, "NextKeyMarker", json!(last_key.unwrap_or_default()));
        set(&mut out, "NextUploadIdMarker", json!(last_id.unwrap_or_default()));
    }
    if let Some(e) = input_str(call.input, "EncodingType") {
        set(&mut out, "EncodingType", json!(e));
    }
    Ok(out)
}

/// Records `part` (its blob already persisted) for the upload, if the upload still exists. The
/// part it replaces loses its blob; on failure the new blob is deleted instead.
fn store_part(
    services: &Services,
    bucket: &str,
    upload_id: &str,
    number: u32,
    part: &PartRecord,
) -> Result<(), ServiceError> {
    let pkey = model::part_key(upload_id, number);
    let written = (|| -> Result<Option<PartRecord>, ServiceError> {
        let mut tx = services.store().write()?;
        if model::UPLOADS.get(&*tx, &model::upload_key(bucket, upload_id))?.is_none() {
            return Err(s3::no_such_upload(upload_id));
        }
        let old = model::PARTS.get(&*tx, &pkey)?;
        model::PARTS.put(&mut *tx, &pkey, part)?;
        tx.commit()?;
        Ok(old)
    })();
    match written {
        Ok(Some(old)) => s3::delete_blobs(services, &[old.blob]),
        Ok(None) => {}
        Err(e) => {
            s3::delete_blobs(services, std::slice::from_ref(&part.blob));
            return Err(e);
        }
    }
    Ok(())
}
