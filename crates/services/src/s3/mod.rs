//! Amazon S3: buckets (global names, owned by an account, in a region), objects, their versions
//! and Object Lock, multipart uploads, bucket policies and tags. Object bytes live in the blob store
//! (`xacct_store::BlobStore`); records name them. One function per operation below, handlers by
//! family in `ops/`.
//!
//! Authorization follows S3's rules: every handler asks [`Authorizer`] with the operation's
//! action (`actions.rs`) and the bucket's policy as a non-required resource policy, so in the
//! bucket owner's account either the identity side or the bucket policy may allow, and across
//! accounts both must (`xacct_policy::evaluate`). A request for a bucket that does not exist is
//! judged on the identity side alone, then answered `NoSuchBucket`.
//!
//! Payloads: the server stages `PutObject`/`UploadPart` bodies into a temp blob while hashing and
//! verifying them, and hands them over in [`Streams`]; `GetObject` answers with an
//! [`ObjectBody`] the server streams from the blobs.
//!
//! Security: [`Streams`] carries only what the server verified (signature or chunk signatures,
//! declared payload hash); handlers still check the client's own checksums and Content-MD5.

pub mod actions;
pub mod checksum;
mod error;
pub mod model;
mod ops;
mod select;

use std::sync::{Arc, Mutex};

use serde_json::Value;
use xacct_policy::PolicyKind;
use xacct_store::{ReadTx, StagedBlob};

use crate::authz::{self, ActionRequest, Gathered, ResourcePolicy};
use crate::{unknown_operation, Call, ServiceError, Services};
use checksum::PayloadDigests;
use model::BucketRecord;

pub(crate) use error::*;

/// A request payload the server staged and verified: the temp blob and its digests.
pub struct StagedPayload {
    /// The decoded bytes in a temp blob (not yet persisted).
    pub blob: Box<dyn StagedBlob>,
    /// Length, MD5 and the checksums the request named.
    pub digests: PayloadDigests,
    /// Trailing headers of an `aws-chunked` body (`x-amz-checksum-crc32`...), names lowercased.
    pub trailers: Vec<(String, String)>,
}

/// A range of one blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyRange {
    pub blob: String,
    pub offset: u64,
    pub len: u64,
}

/// The body of a `GetObject` answer: ranges of blobs, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectBody {
    pub ranges: Vec<BodyRange>,
    /// Total bytes.
    pub len: u64,
}

/// Object bytes exchanged between the server and an S3 handler for one call.
#[derive(Default)]
pub struct Streams {
    payload: Mutex<Option<StagedPayload>>,
    body: Mutex<Option<ObjectBody>>,
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streams").finish_non_exhaustive()
    }
}

impl Streams {
    /// Streams carrying a staged request payload.
    pub fn with_payload(payload: StagedPayload) -> Streams {
        Streams { payload: Mutex::new(Some(payload)), body: Mutex::new(None) }
    }

    /// Takes the staged payload (once).
    pub fn take_payload(&self) -> Option<StagedPayload> {
        self.payload.lock().ok().and_then(|mut p| p.take())
    }

    /// Sets the response body.
    pub fn set_body(&self, body: ObjectBody) {
        if let Ok(mut b) = self.body.lock() {
            *b = Some(body);
        }
    }

    /// Takes the response body a handler set.
    pub fn take_body(&self) -> Option<ObjectBody> {
        self.body.lock().ok().and_then(|mut b| b.take())
    }
}

/// The operations with a streaming request payload the server must stage.
pub const PAYLOAD_OPERATIONS: &[&str] = &["PutObject", "UploadPart"];

pub(crate) fn dispatch(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    use ops::{acl, buckets, config, multipart, objects, select, versions};
    match call.operation {
        "ListBuckets" => buckets::list_buckets(services, call),
        "CreateBucket" => buckets::create_bucket(services, call),
        "HeadBucket" => buckets::head_bucket(services, call),
        "DeleteBucket" => buckets::delete_bucket(services, call),
        "GetBucketLocation" => buckets::get_bucket_location(services, call),
        "PutBucketPolicy" => buckets::put_bucket_policy(services, call),
        "GetBucketPolicy" => buckets::get_bucket_policy(services, call),
        "DeleteBucketPolicy" => buckets::delete_bucket_policy(services, call),
        "PutBucketTagging" => buckets::put_bucket_tagging(services, call),
        "GetBucketTagging" => buckets::get_bucket_tagging(services, call),
        "DeleteBucketTagging" => buckets::delete_bucket_tagging(services, call),
        "GetBucketAcl" => acl::get_bucket_acl(services, call),
        "PutBucketAcl" => acl::put_bucket_acl(services, call),
        "GetObjectAcl" => acl::get_object_acl(services, call),
        "PutObjectAcl" => acl::put_object_acl(services, call),
        "GetBucketOwnershipControls" => acl::get_bucket_ownership_controls(services, call),
        "PutBucketOwnershipControls" => acl::put_bucket_ownership_controls(services, call),
        "DeleteBucketOwnershipControls" => acl::delete_bucket_ownership_controls(services, call),
        "PutBucketLifecycleConfiguration" => {
            config::put_bucket_lifecycle_configuration(services, call)
        }
        "GetBucketLifecycleConfiguration" => {
            config::get_bucket_lifecycle_configuration(services, call)
        }
        "DeleteBucketLifecycle" => config::delete_bucket_lifecycle(services, call),
        "PutBucketCors" => config::put_bucket_cors(services, call),
        "GetBucketCors" => config::get_bucket_cors(services, call),
        "DeleteBucketCors" => config::delete_bucket_cors(services, call),
        "PutBucketWebsite" => config::put_bucket_website(services, call),
        "GetBucketWebsite" => config::get_bucket_website(services, call),
        "DeleteBucketWebsite" => config::delete_bucket_website(services, call),
        "PutBucketNotificationConfiguration" => {
            config::put_bucket_notification_configuration(services, call)
        }
        "GetBucketNotificationConfiguration" => {
            config::get_bucket_notification_configuration(services, call)
        }
        "PutBucketLogging" => config::put_bucket_logging(services, call),
        "GetBucketLogging" => config::get_bucket_logging(services, call),
        "PutBucketEncryption" => config::put_bucket_encryption(services, call),
        "GetBucketEncryption" => config::get_bucket_encryption(services, call),
        "DeleteBucketEncryption" => config::delete_bucket_encryption(services, call),
        "PutPublicAccessBlock" => config::put_public_access_block(services, call),
        "GetPublicAccessBlock" => config::get_public_access_block(services, call),
        "DeletePublicAccessBlock" => config::delete_public_access_block(services, call),
        "PutBucketReplication" => config::put_bucket_replication(services, call),
        "GetBucketReplication" => config::get_bucket_replication(services, call),
        "DeleteBucketReplication" => config::delete_bucket_replication(services, call),
        "PutBucketAccelerateConfiguration" => {
            config::put_bucket_accelerate_configuration(services, call)
        }
        "GetBucketAccelerateConfiguration" => {
            config::get_bucket_accelerate_configuration(services, call)
        }
        "PutBucketInventoryConfiguration" => {
            config::put_bucket_inventory_configuration(services, call)
        }
        "GetBucketInventoryConfiguration" => {
            config::get_bucket_inventory_configuration(services, call)
        }
        "DeleteBucketInventoryConfiguration" => {
            config::delete_bucket_inventory_configuration(services, call)
        }
        "ListBucketInventoryConfigurations" => {
            config::list_bucket_inventory_configurations(services, call)
        }
        "PutBucketRequestPayment" => config::put_bucket_request_payment(services, call),
        "GetBucketRequestPayment" => config::get_bucket_request_payment(services, call),
        "ListObjects" => objects::list_objects(services, call),
        "ListObjectVersions" => versions::list_object_versions(services, call),
        "GetBucketVersioning" => versions::get_bucket_versioning(services, call),
        "PutBucketVersioning" => versions::put_bucket_versioning(services, call),
        "PutObjectLockConfiguration" => versions::put_object_lock_configuration(services, call),
        "GetObjectLockConfiguration" => versions::get_object_lock_configuration(services, call),
        "GetObjectAttributes" => objects::get_object_attributes(services, call),
        "RestoreObject" => objects::restore_object(services, call),
        "PutObjectRetention" => versions::put_object_retention(services, call),
        "GetObjectRetention" => versions::get_object_retention(services, call),
        "PutObjectLegalHold" => versions::put_object_legal_hold(services, call),
        "GetObjectLegalHold" => versions::get_object_legal_hold(services, call),
        "ListObjectsV2" => objects::list_objects_v2(services, call),
        "PutObject" => objects::put_object(services, call),
        "GetObject" => objects::get_object(services, call),
        "SelectObjectContent" => select::select_object_content(services, call),
        "HeadObject" => objects::head_object(services, call),
        "DeleteObject" => objects::delete_object(services, call),
        "DeleteObjects" => objects::delete_objects(services, call),
        "CopyObject" => objects::copy_object(services, call),
        "GetObjectTagging" => objects::get_object_tagging(services, call),
        "PutObjectTagging" => objects::put_object_tagging(services, call),
        "DeleteObjectTagging" => objects::delete_object_tagging(services, call),
        "CreateMultipartUpload" => multipart::create_multipart_upload(services, call),
        "UploadPart" => multipart::upload_part(services, call),
        "UploadPartCopy" => multipart::upload_part_copy(services, call),
        "CompleteMultipartUpload" => multipart::complete_multipart_upload(services, call),
        "AbortMultipartUpload" => multipart::abort_multipart_upload(services, call),
        "ListParts" => multipart::list_parts(services, call),
        "ListMultipartUploads" => multipart::list_multipart_uploads(services, call),
        _ => Err(unknown_operation(call)),
    }
}

pub use ops::config::{cors_preflight, cors_response_headers};

/// Every blob S3 records name, for [`Services::reset`].
pub(crate) fn all_blobs(tx: &dyn ReadTx) -> Result<Vec<String>, ServiceError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = model::OBJECTS.scan(tx, "", after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        for (_, o) in batch {
            out.extend(o.segments.into_iter().map(|s| s.blob));
        }
    }
    let mut after: Option<String> = None;
    loop {
        let batch = model::VERSIONS.scan(tx, "", after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        for (_, o) in batch {
            out.extend(o.segments.into_iter().map(|s| s.blob));
        }
    }
    let mut after: Option<String> = None;
    loop {
        let batch = model::PARTS.scan(tx, "", after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        out.extend(batch.into_iter().map(|(_, p)| p.blob));
    }
    Ok(out)
}

/// Deletes blobs no record names any more; failures are logged (an orphan wastes space only).
pub(crate) fn delete_blobs(services: &Services, blobs: &[String]) {
    if blobs.is_empty() {
        return;
    }
    let Ok(store) = services.blob_store() else { return };
    for id in blobs {
        if let Err(e) = store.delete(id) {
            tracing::warn!(blob = %id, error = %e, "could not delete an unreferenced blob");
        }
    }
}

/// The canonical user id S3 shows for `account` (64 hex digits, stable per account).
pub(crate) fn canonical_id(account: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(format!("xacct-s3-canonical-user/{account}").as_bytes()))
}

/// The `Owner` structure of listings.
pub(crate) fn owner_value(account: &str) -> Value {
    serde_json::json!({ "ID": canonical_id(account) })
}

/// Reads the bucket named by the input.
pub(crate) fn read_bucket(
    tx: &dyn ReadTx,
    name: &str,
) -> Result<Option<BucketRecord>, ServiceError> {
    Ok(model::BUCKETS.get(tx, name)?)
}

/// FNV-1a, for policy cache keys.
fn fingerprint(s: &str) -> u64 {
    s.bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Authorizes one call's requests, gathering the caller's policies once.
pub(crate) struct Authorizer<'a> {
    services: &'a Services,
    call: &'a Call<'a>,
    gathered: Option<Arc<Gathered>>,
}

impl<'a> Authorizer<'a> {
    pub(crate) fn new(services: &'a Services, call: &'a Call<'a>) -> Self {
        Authorizer { services, call, gathered: None }
    }

    fn gathered(&mut self, request: &ActionRequest) -> Result<Arc<Gathered>, ServiceError> {
        if let Some(g) = &self.gathered {
            return Ok(Arc::clone(g));
        }
        let tx = self.services.store().read()?;
        let mut g = authz::gather_for_call(self.services, &*tx, self.call)?;
        g.add_resource_accounts(self.services, &*tx, std::slice::from_ref(request))?;
        let g = Arc::new(g);
        self.gathered = Some(Arc::clone(&g));
        Ok(g)
    }

    /// Whether `request` is allowed, with `bucket`'s policy taking part. Mock mode allows all.
    pub(crate) fn allowed(
        &mut self,
        bucket: Option<&BucketRecord>,
        request: &ActionRequest,
    ) -> Result<Result<(), ServiceError>, ServiceError> {
        if self.services.authz_state().mock_mode() {
            return Ok(Ok(()));
        }
        let gathered = self.gathered(request)?;
        let key;
        let label;
        let policy = match bucket.and_then(|b| b.policy.as_deref().map(|p| (b, p))) {
            Some((b, doc)) => {
                key = format!("s3/{}/{}-{:016x}", b.name, doc.len(), fingerprint(doc));
                label = actions::bucket_arn(&b.name);
                Some(ResourcePolicy {
                    document: doc,
                    cache_key: &key,
                    label: &label,
                    kind: PolicyKind::Resource,
                    required: false,
                })
            }
            None => None,
        };
        let decision =
            authz::decide(self.services, self.call.caller, &gathered, request, policy.as_ref())?;
        if decision.is_allowed() {
            return Ok(Ok(()));
        }
        tracing::info!(
            caller = %self.call.caller.arn,
            action = request.action,
            resource = %request.resource,
            reason = %decision.reason,
            "access denied"
        );
        let detailed = self.detailed_message(request.resource_account.as_deref())?;
        let message = if detailed {
            decision.access_denied_message(
                &self.call.caller.arn,
                request.action,
                &format!("\"{}\"", request.resource),
            )
        } else {
            "Access Denied".to_owned()
        };
        Ok(Err(ServiceError::client("AccessDenied", 403, message)))
    }

    /// [`Authorizer::allowed`] as an error.
    pub(crate) fn check(
        &mut self,
        bucket: Option<&BucketRecord>,
        request: &ActionRequest,
    ) -> Result<(), ServiceError> {
        self.allowed(bucket, request)?
    }

    /// S3 explains a denial only to callers of the bucket owner's account or organization
    /// (S3 User Guide, "Troubleshoot access denied (403 Forbidden) errors").
    fn detailed_message(&self, resource_account: Option<&str>) -> Result<bool, ServiceError> {
        let caller = self.call.caller;
        let Some(owner) = resource_account else { return Ok(true) };
        if owner == caller.account {
            return Ok(true);
        }
        let tx = self.services.store().read()?;
        let org = crate::organizations::model::ORGANIZATION
            .get(&*tx, crate::organizations::model::ORGANIZATION_KEY)?;
        Ok(org.is_some()
            && crate::accounts::ACCOUNTS.get(&*tx, owner)?.is_some()
            && crate::accounts::ACCOUNTS.get(&*tx, &caller.account)?.is_some())
    }
}

/// The request for `call`'s operation on `bucket`/`key`, owned by `account`.
pub(crate) fn request(
    call: &Call<'_>,
    bucket: &str,
    key: Option<&str>,
    account: &str,
) -> Result<ActionRequest, ServiceError> {
    actions::request_for(call.operation, call.input, bucket, key, account)
        .ok_or_else(|| unknown_operation(call))
}

/// The bucket of `call` after authorizing `call`'s operation on it (and `key`): `NoSuchBucket`
/// when it does not exist and the caller's own policies would allow the request.
pub(crate) fn authorized_bucket(
    services: &Services,
    call: &Call<'_>,
    auth: &mut Authorizer<'_>,
    key: Option<&str>,
) -> Result<BucketRecord, ServiceError> {
    let name = bucket_name(call)?;
    let tx = services.store().read()?;
    let bucket = read_bucket(&*tx, name)?;
    drop(tx);
    match bucket {
        Some(b) => {
            auth.check(Some(&b), &request(call, name, key, &b.account)?)?;
            // x-amz-expected-bucket-owner: another owner is 403 (S3 API reference, every
            // bucket operation's ExpectedBucketOwner).
            if crate::input_str(call.input, "ExpectedBucketOwner").is_some_and(|e| e != b.account) {
                return Err(ServiceError::client("AccessDenied", 403, "Access Denied"));
            }
            Ok(b)
        }
        None => {
            auth.check(None, &request(call, name, key, &call.caller.account)?)?;
            Err(no_such_bucket(name))
        }
    }
}

/// Sets member `key` of an output object (no-op on anything else).
pub(crate) fn set(v: &mut Value, key: &str, x: Value) {
    if let Value::Object(m) = v {
        m.insert(key.to_owned(), x);
    }
}

/// The `Bucket` member.
pub(crate) fn bucket_name<'c>(call: &'c Call<'_>) -> Result<&'c str, ServiceError> {
    crate::input_str(call.input, "Bucket").ok_or_else(|| invalid_bucket_name(""))
}

/// The `Key` member.
pub(crate) fn object_key<'c>(call: &'c Call<'_>) -> Result<&'c str, ServiceError> {
    match crate::input_str(call.input, "Key") {
        Some(k) if !k.is_empty() => Ok(k),
        _ => Err(invalid_argument("A key must be specified")),
    }
}

#[cfg(test)]
mod tests;
