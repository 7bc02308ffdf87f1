//! S3 operation → IAM action, resource ARN and condition keys, from the Service Authorization
//! Reference ("Actions defined by Amazon S3") and the S3 User Guide's "Required permissions for
//! Amazon S3 API operations". Object actions name `arn:aws:s3:::BUCKET/KEY`, bucket actions
//! `arn:aws:s3:::BUCKET`, `ListAllMyBuckets` `*`.

use serde_json::Value;

use crate::authz::{ActionRequest, ContextValue};
use crate::input_str;

/// What an action's resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// No resource (`*`).
    None,
    Bucket,
    Object,
}

/// Operation, IAM action, resource type.
pub const ACTIONS: &[(&str, &str, Target)] = &[
    ("ListBuckets", "s3:ListAllMyBuckets", Target::None),
    ("CreateBucket", "s3:CreateBucket", Target::Bucket),
    ("DeleteBucket", "s3:DeleteBucket", Target::Bucket),
    ("HeadBucket", "s3:ListBucket", Target::Bucket),
    ("GetBucketLocation", "s3:GetBucketLocation", Target::Bucket),
    ("PutBucketPolicy", "s3:PutBucketPolicy", Target::Bucket),
    ("GetBucketPolicy", "s3:GetBucketPolicy", Target::Bucket),
    ("DeleteBucketPolicy", "s3:DeleteBucketPolicy", Target::Bucket),
    ("PutBucketTagging", "s3:PutBucketTagging", Target::Bucket),
    ("GetBucketTagging", "s3:GetBucketTagging", Target::Bucket),
    // DeleteBucketTagging is authorized by s3:PutBucketTagging (S3 API reference).
    ("DeleteBucketTagging", "s3:PutBucketTagging", Target::Bucket),
    ("GetBucketAcl", "s3:GetBucketAcl", Target::Bucket),
    ("PutBucketAcl", "s3:PutBucketAcl", Target::Bucket),
    ("GetObjectAcl", "s3:GetObjectAcl", Target::Object),
    ("PutObjectAcl", "s3:PutObjectAcl", Target::Object),
    ("GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", Target::Bucket),
    ("PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", Target::Bucket),
    // The Delete* of a bucket configuration is authorized by its Put* action (S3 API reference).
    ("DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", Target::Bucket),
    ("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", Target::Bucket),
    ("GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", Target::Bucket),
    ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", Target::Bucket),
    ("PutBucketCors", "s3:PutBucketCORS", Target::Bucket),
    ("GetBucketCors", "s3:GetBucketCORS", Target::Bucket),
    ("DeleteBucketCors", "s3:PutBucketCORS", Target::Bucket),
    ("PutBucketWebsite", "s3:PutBucketWebsite", Target::Bucket),
    ("GetBucketWebsite", "s3:GetBucketWebsite", Target::Bucket),
    ("DeleteBucketWebsite", "s3:DeleteBucketWebsite", Target::Bucket),
    ("PutBucketNotificationConfiguration", "s3:PutBucketNotification", Target::Bucket),
    ("GetBucketNotificationConfiguration", "s3:GetBucketNotification", Target::Bucket),
    ("PutBucketLogging", "s3:PutBucketLogging", Target::Bucket),
    ("GetBucketLogging", "s3:GetBucketLogging", Target::Bucket),
    ("PutBucketEncryption", "s3:PutEncryptionConfiguration", Target::Bucket),
    ("GetBucketEncryption", "s3:GetEncryptionConfiguration", Target::Bucket),
    ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration", Target::Bucket),
    ("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", Target::Bucket),
    ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", Target::Bucket),
    ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock", Target::Bucket),
    ("PutBucketReplication", "s3:PutReplicationConfiguration", Target::Bucket),
    ("GetBucketReplication", "s3:GetReplicationConfiguration", Target::Bucket),
    ("DeleteBucketReplication", "s3:PutReplicationConfiguration", Target::Bucket),
    ("PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration", Target::Bucket),
    ("GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration", Target::Bucket),
    ("PutBucketRequestPayment", "s3:PutBucketRequestPayment", Target::Bucket),
    // Every inventory operation is authorized by s3:PutInventoryConfiguration or
    // s3:GetInventoryConfiguration (S3 API reference of each).
    ("PutBucketInventoryConfiguration", "s3:PutInventoryConfiguration", Target::Bucket),
    ("DeleteBucketInventoryConfiguration", "s3:PutInventoryConfiguration", Target::Bucket),
    ("GetBucketInventoryConfiguration", "s3:GetInventoryConfiguration", Target::Bucket),
    ("ListBucketInventoryConfigurations", "s3:GetInventoryConfiguration", Target::Bucket),
    ("GetBucketRequestPayment", "s3:GetBucketRequestPayment", Target::Bucket),
    ("ListObjects", "s3:ListBucket", Target::Bucket),
    ("ListObjectsV2", "s3:ListBucket", Target::Bucket),
    ("ListObjectVersions", "s3:ListBucketVersions", Target::Bucket),
    ("GetBucketVersioning", "s3:GetBucketVersioning", Target::Bucket),
    ("PutBucketVersioning", "s3:PutBucketVersioning", Target::Bucket),
    ("PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration", Target::Bucket),
    ("GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", Target::Bucket),
    ("PutObjectRetention", "s3:PutObjectRetention", Target::Object),
    ("GetObjectRetention", "s3:GetObjectRetention", Target::Object),
    ("PutObjectLegalHold", "s3:PutObjectLegalHold", Target::Object),
    ("GetObjectLegalHold", "s3:GetObjectLegalHold", Target::Object),
    ("GetObjectAttributes", "s3:GetObjectAttributes", Target::Object),
    ("RestoreObject", "s3:RestoreObject", Target::Object),
    ("ListMultipartUploads", "s3:ListBucketMultipartUploads", Target::Bucket),
    ("PutObject", "s3:PutObject", Target::Object),
    ("GetObject", "s3:GetObject", Target::Object),
    ("HeadObject", "s3:GetObject", Target::Object),
    // S3 Select reads the object: s3:GetObject (S3 API reference, SelectObjectContent).
    ("SelectObjectContent", "s3:GetObject", Target::Object),
    ("DeleteObject", "s3:DeleteObject", Target::Object),
    ("DeleteObjects", "s3:DeleteObject", Target::Object),
    ("CopyObject", "s3:PutObject", Target::Object),
    ("GetObjectTagging", "s3:GetObjectTagging", Target::Object),
    ("PutObjectTagging", "s3:PutObjectTagging", Target::Object),
    ("DeleteObjectTagging", "s3:DeleteObjectTagging", Target::Object),
    ("CreateMultipartUpload", "s3:PutObject", Target::Object),
    ("UploadPart", "s3:PutObject", Target::Object),
    ("UploadPartCopy", "s3:PutObject", Target::Object),
    ("CompleteMultipartUpload", "s3:PutObject", Target::Object),
    ("AbortMultipartUpload", "s3:AbortMultipartUpload", Target::Object),
    ("ListParts", "s3:ListMultipartUploadParts", Target::Object),
];

/// The action an operation takes instead when its request names a version (`versionId`), from
/// the Service Authorization Reference.
pub const VERSION_ACTIONS: &[(&str, &str)] = &[
    ("GetObject", "s3:GetObjectVersion"),
    ("HeadObject", "s3:GetObjectVersion"),
    ("DeleteObject", "s3:DeleteObjectVersion"),
    ("GetObjectTagging", "s3:GetObjectVersionTagging"),
    ("PutObjectTagging", "s3:PutObjectVersionTagging"),
    ("DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
    ("GetObjectAttributes", "s3:GetObjectVersionAttributes"),
];

/// The action and target of `operation`.
pub fn action_of(operation: &str) -> Option<(&'static str, Target)> {
    ACTIONS.iter().find(|(op, _, _)| *op == operation).map(|(_, a, t)| (*a, *t))
}

/// `arn:aws:s3:::BUCKET`.
pub fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// `arn:aws:s3:::BUCKET/KEY`.
pub fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// The permission `operation` needs on `bucket` (and `key` for object actions), with the
/// request's S3 condition keys; `account` owns the resource. `None` for operations outside the
/// table.
pub fn request_for(
    operation: &str,
    input: &Value,
    bucket: &str,
    key: Option<&str>,
    account: &str,
) -> Option<ActionRequest> {
    let (mut action, target) = action_of(operation)?;
    let version = input_str(input, "VersionId");
    if version.is_some() {
        if let Some((_, a)) = VERSION_ACTIONS.iter().find(|(op, _)| *op == operation) {
            action = a;
        }
    }
    let resource = match (target, key) {
        (Target::None, _) => return Some(ActionRequest::new(action, "*", None)),
        (Target::Bucket, _) | (Target::Object, None) => bucket_arn(bucket),
        (Target::Object, Some(k)) => object_arn(bucket, k),
    };
    let mut r = ActionRequest::new(action, resource, Some(account));
    let one = |v: &str| ContextValue::One(v.to_owned());
    if let (Some(v), Target::Object) = (version, target) {
        r = r.with("s3:versionid", one(v));
    }
    match operation {
        "ListObjects" | "ListObjectsV2" | "ListObjectVersions" => {
            // s3:prefix, s3:delimiter and s3:max-keys are present only when the request has them.
            if let Some(p) = input_str(input, "Prefix") {
                r = r.with("s3:prefix", one(p));
            }
            if let Some(d) = input_str(input, "Delimiter") {
                r = r.with("s3:delimiter", one(d));
            }
            if let Some(m) = input.get("MaxKeys").and_then(Value::as_i64) {
                r = r.with("s3:max-keys", one(&m.to_string()));
            }
        }
        "CreateBucket" => {
            if let Some(acl) = input_str(input, "ACL") {
                r = r.with("s3:x-amz-acl", one(acl));
            }
            if let Some(lc) = input
                .get("CreateBucketConfiguration")
                .and_then(|c| c.get("LocationConstraint"))
                .and_then(Value::as_str)
            {
                r = r.with("s3:LocationConstraint", one(lc));
            }
        }
        "PutObject" | "CopyObject" | "CreateMultipartUpload" => {
            if let Some(acl) = input_str(input, "ACL") {
                r = r.with("s3:x-amz-acl", one(acl));
            }
            if let Some(sc) = input_str(input, "StorageClass") {
                r = r.with("s3:x-amz-storage-class", one(sc));
            }
            if let Some(sse) = input_str(input, "ServerSideEncryption") {
                r = r.with("s3:x-amz-server-side-encryption", one(sse));
            }
            if let Some(md) = input_str(input, "MetadataDirective") {
                r = r.with("s3:x-amz-metadata-directive", one(md));
            }
            if let Some(src) = input_str(input, "CopySource") {
                r = r.with("s3:x-amz-copy-source", one(src));
            }
            if let Some(tagging) = input_str(input, "Tagging") {
                let tags = parse_tagging_header(tagging);
                for (k, v) in &tags {
                    r = r.with(format!("s3:RequestObjectTag/{k}"), one(v));
                }
                if !tags.is_empty() {
                    let keys = tags.iter().map(|(k, _)| k.clone()).collect();
                    r = r.with("s3:RequestObjectTagKeys", ContextValue::Many(keys));
                }
            }
        }
        "PutObjectTagging" => {
            if let Some(set) =
                input.get("Tagging").and_then(|t| t.get("TagSet")).and_then(Value::as_array)
            {
                let mut keys = Vec::new();
                for t in set {
                    if let (Some(k), Some(v)) = (input_str(t, "Key"), input_str(t, "Value")) {
                        r = r.with(format!("s3:RequestObjectTag/{k}"), one(v));
                        keys.push(k.to_owned());
                    }
                }
                if !keys.is_empty() {
                    r = r.with("s3:RequestObjectTagKeys", ContextValue::Many(keys));
                }
            }
        }
        _ => {}
    }
    Some(r)
}

/// `k1=v1&k2=v2` (the `x-amz-tagging` header, URL-encoded) as pairs.
pub fn parse_tagging_header(text: &str) -> Vec<(String, String)> {
    form_pairs(text)
}

fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    use serde_json::json;

    use super::*;

    /// Examples from the S3 User Guide's "Required permissions for Amazon S3 API operations".
    #[test]
    fn operations_map_to_the_documented_actions() {
        let cases = [
            ("ListBuckets", "s3:ListAllMyBuckets", Target::None),
            ("HeadBucket", "s3:ListBucket", Target::Bucket),
            ("ListObjectsV2", "s3:ListBucket", Target::Bucket),
            ("HeadObject", "s3:GetObject", Target::Object),
            // S3 Select reads the object: s3:GetObject (S3 API reference, SelectObjectContent).
            ("SelectObjectContent", "s3:GetObject", Target::Object),
            ("CopyObject", "s3:PutObject", Target::Object),
            ("UploadPart", "s3:PutObject", Target::Object),
            ("CompleteMultipartUpload", "s3:PutObject", Target::Object),
            ("ListParts", "s3:ListMultipartUploadParts", Target::Object),
            ("ListMultipartUploads", "s3:ListBucketMultipartUploads", Target::Bucket),
            ("DeleteBucketTagging", "s3:PutBucketTagging", Target::Bucket),
            ("DeleteObjects", "s3:DeleteObject", Target::Object),
            ("ListObjectVersions", "s3:ListBucketVersions", Target::Bucket),
        ];
        for (op, action, target) in cases {
            assert_eq!(action_of(op), Some((action, target)), "{op}");
        }
        assert_eq!(action_of("GetBucketAcl"), Some(("s3:GetBucketAcl", Target::Bucket)));
        assert_eq!(
            action_of("DeleteBucketLifecycle"),
            Some(("s3:PutLifecycleConfiguration", Target::Bucket))
        );
        assert_eq!(action_of("PutBucketAnalyticsConfiguration"), None);
        let v = json!({"VersionId": "null"});
        let r = request_for("GetObject", &v, "b", Some("k"), "1").unwrap();
        assert_eq!(r.action, "s3:GetObjectVersion");
        assert!(r.context.contains(&("s3:versionid".into(), ContextValue::One("null".into()))));
        let r = request_for("DeleteObject", &v, "b", Some("k"), "1").unwrap();
        assert_eq!(r.action, "s3:DeleteObjectVersion");
        let r = request_for("DeleteObject", &json!({}), "b", Some("k"), "1").unwrap();
        assert_eq!(r.action, "s3:DeleteObject");
    }

    #[test]
    fn resources_and_condition_keys() {
        let input =
            json!({"Bucket": "productionapp", "Prefix": "logs/", "Delimiter": "/", "MaxKeys": 10});
        let r =
            request_for("ListObjectsV2", &input, "productionapp", None, "999999999999").unwrap();
        assert_eq!(r.resource, "arn:aws:s3:::productionapp");
        assert_eq!(r.resource_account.as_deref(), Some("999999999999"));
        assert!(r.context.contains(&("s3:prefix".into(), ContextValue::One("logs/".into()))));
        assert!(r.context.contains(&("s3:delimiter".into(), ContextValue::One("/".into()))));
        assert!(r.context.contains(&("s3:max-keys".into(), ContextValue::One("10".into()))));

        let input = json!({"ACL": "private", "Tagging": "team=blue&cost%20center=a+b"});
        let r = request_for("PutObject", &input, "b", Some("dir/k.txt"), "111111111111").unwrap();
        assert_eq!(r.resource, "arn:aws:s3:::b/dir/k.txt");
        assert!(r.context.contains(&("s3:x-amz-acl".into(), ContextValue::One("private".into()))));
        assert!(r.context.contains(&(
            "s3:RequestObjectTag/cost center".into(),
            ContextValue::One("a b".into())
        )));

        let r = request_for("ListBuckets", &json!({}), "", None, "1").unwrap();
        assert_eq!((r.resource.as_str(), r.resource_account), ("*", None));
    }
}
