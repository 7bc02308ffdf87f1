//! S3's persisted records. Object bytes are never here: an object names its blobs
//! (`xacct_store::BlobStore`) in [`Segment`]s.
//!
//! Keys: buckets by name (global, as in AWS); objects `BUCKET/KEY` (bucket names have no `/`, so
//! a bucket's objects are one key range, in S3's UTF-8 binary listing order); older versions
//! [`version_key`]; uploads `BUCKET/UPLOADID`; parts `UPLOADID/NNNNN`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xacct_store::Table;

pub const BUCKETS: Table<BucketRecord> = Table::new("s3_buckets", 1);
pub const OBJECTS: Table<ObjectRecord> = Table::new("s3_objects", 1);
pub const UPLOADS: Table<UploadRecord> = Table::new("s3_uploads", 1);
pub const PARTS: Table<PartRecord> = Table::new("s3_parts", 1);
/// Bucket sub-resources (lifecycle, CORS, website, ACL, ...), keyed [`config_key`]: each as the
/// validated configuration, in the model's member names.
pub const BUCKET_CONFIGS: Table<serde_json::Value> = Table::new("s3_bucket_configs", 1);
/// Non-current versions (and delete markers) of versioned buckets' objects, keyed
/// [`version_key`]: a key's versions are one range, newest first. The current version of a key
/// is its [`OBJECTS`] record (which may be a delete marker).
pub const VERSIONS: Table<ObjectRecord> = Table::new("s3_versions", 1);
/// Multipart uploads already completed, keyed like [`UPLOADS`] (`BUCKET/UPLOADID`): what a
/// repeated CompleteMultipartUpload answers while the key still holds the object it made.
pub const COMPLETED_UPLOADS: Table<CompletedUpload> = Table::new("s3_completed_uploads", 1);

/// A completed multipart upload: its key, when it completed, the object it made (ETag and
/// version id) and the CompleteMultipartUpload answer, in the model's member names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletedUpload {
    pub key: String,
    /// Epoch seconds.
    pub completed: f64,
    pub etag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    pub output: serde_json::Value,
}

/// A bucket: global name, owning account, region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: String,
    /// The owning account's id.
    pub account: String,
    pub region: String,
    /// Epoch seconds.
    pub created: f64,
    /// The bucket policy as stored (validated when put).
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// `Enabled` or `Suspended`; `None` for a bucket that was never versioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versioning: Option<String>,
    /// The `MFADelete` status last put with the versioning configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_delete: Option<String>,
    /// Object Lock, when the bucket was created with it (or had it enabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_lock: Option<ObjectLockConfig>,
}

/// A bucket's Object Lock configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ObjectLockConfig {
    /// The default retention of new object versions: mode and period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_days: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_years: Option<u64>,
}

/// One version's Object Lock retention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub mode: String,
    /// Epoch seconds.
    pub until: f64,
}

/// The state of a restore of an archived (GLACIER/DEEP_ARCHIVE) object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreState {
    /// Epoch seconds the restored copy expires.
    pub expiry: f64,
}

/// One tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// The representation headers an object keeps and answers with.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ObjectHeaders {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// As sent (S3 echoes the header text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_redirect_location: Option<String>,
}

/// A run of an object's bytes: all of blob `blob`, `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub blob: String,
    pub len: u64,
}

/// An additional checksum stored with an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChecksum {
    /// `CRC32`, `SHA256`, ...
    pub algorithm: String,
    /// Base64, with `-N` for composite multipart checksums.
    pub value: String,
    /// `FULL_OBJECT` or `COMPOSITE`.
    pub kind: String,
}

/// One object version: the current one (in [`OBJECTS`]) or an older one (in [`VERSIONS`]); a
/// delete marker has no bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRecord {
    pub key: String,
    pub size: u64,
    /// With its quotes, as S3 shows it.
    pub etag: String,
    /// Epoch seconds.
    pub last_modified: f64,
    #[serde(default)]
    pub headers: ObjectHeaders,
    /// `x-amz-meta-*` (names lowercased).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The bytes, in order; one segment per part for multipart objects.
    pub segments: Vec<Segment>,
    #[serde(default)]
    pub checksum: Option<StoredChecksum>,
    /// Number of parts of a multipart object.
    #[serde(default)]
    pub parts_count: Option<u32>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub storage_class: String,
    /// The account that owns the object (the writer's).
    pub owner: String,
    /// The version id; `None` is the `null` version (unversioned or suspended writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// A delete marker: no bytes, no headers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_marker: bool,
    /// The version's newest-first position among its key's versions (larger is newer).
    #[serde(default)]
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    /// The legal hold: `None` until one is first put (S3 shows the status only then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<bool>,
    /// A restored copy of an archived object, while it lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreState>,
    /// The object's ACL; `None` is the default (the owner has `FULL_CONTROL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Acl>,
    /// The server-side encryption the version was written with; `None` only for records
    /// written before xacct kept it (and delete markers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sse: Option<Sse>,
}

/// An object's server-side encryption, as S3 reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sse {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    /// The KMS key's ARN (KMS algorithms only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
    /// S3 Bucket Key (KMS algorithms only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bucket_key: bool,
}

impl ObjectRecord {
    /// The version id as S3 shows it (`null` for the null version).
    pub fn version(&self) -> &str {
        self.version_id.as_deref().unwrap_or("null")
    }
}

/// An access control list: the owner's canonical id and the grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub owner: String,
    pub grants: Vec<Grant>,
}

/// One ACL grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    /// `FULL_CONTROL`, `READ`, `WRITE`, `READ_ACP` or `WRITE_ACP`.
    pub permission: String,
}

/// Whom a grant names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// A canonical user id.
    CanonicalUser(String),
    /// A predefined group's URI.
    Group(String),
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadRecord {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    /// Epoch seconds.
    pub initiated: f64,
    /// The initiator's ARN and `aws:userid`.
    pub initiator_arn: String,
    pub initiator_id: String,
    /// The account that owns the object-to-be.
    pub owner: String,
    #[serde(default)]
    pub headers: ObjectHeaders,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub storage_class: String,
    #[serde(default)]
    pub checksum_algorithm: Option<String>,
    #[serde(default)]
    pub checksum_type: Option<String>,
    /// The ACL the object gets when completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Acl>,
    /// The `x-amz-object-lock-*` headers of CreateMultipartUpload, applied on completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_until: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_legal_hold: Option<String>,
    /// The encryption resolved at CreateMultipartUpload, which the object gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sse: Option<Sse>,
}

impl UploadRecord {
    /// The upload's Object Lock headers as the members of a PutObject input.
    pub fn lock_input(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        if let Some(v) = &self.lock_mode {
            m.insert("ObjectLockMode".to_owned(), serde_json::json!(v));
        }
        if let Some(v) = self.lock_until {
            m.insert("ObjectLockRetainUntilDate".to_owned(), serde_json::json!(v));
        }
        if let Some(v) = &self.lock_legal_hold {
            m.insert("ObjectLockLegalHoldStatus".to_owned(), serde_json::json!(v));
        }
        serde_json::Value::Object(m)
    }
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartRecord {
    pub part_number: u32,
    /// With quotes.
    pub etag: String,
    pub size: u64,
    pub blob: String,
    pub last_modified: f64,
    /// The upload's checksum algorithm's value for this part, base64.
    #[serde(default)]
    pub checksum: Option<String>,
}

pub fn object_key(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}")
}

/// `BUCKET/KEY` `\u{1}` then the inverted sequence number, so a key's versions list newest
/// first. Another key may share the prefix (`KEY\u{1}...`): readers check the record's key.
pub fn version_key(bucket: &str, key: &str, seq: u64) -> String {
    format!("{bucket}/{key}\u{1}{:020}", u64::MAX - seq)
}

/// The scan prefix of [`version_key`]s of `key`.
pub fn version_prefix(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}\u{1}")
}

pub fn upload_key(bucket: &str, upload_id: &str) -> String {
    format!("{bucket}/{upload_id}")
}

/// `BUCKET/KIND` (`KIND`: `lifecycle`, `cors`, `acl`, ...).
pub fn config_key(bucket: &str, kind: &str) -> String {
    format!("{bucket}/{kind}")
}

pub fn part_key(upload_id: &str, part: u32) -> String {
    format!("{upload_id}/{part:05}")
}
