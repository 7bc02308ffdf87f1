//! S3's errors: codes, statuses and messages as the S3 API reference's error code list gives
//! them, with the extra `<Error>` members S3 adds (`BucketName`, `Key`, `UploadId`, ...).

use crate::ServiceError;

pub fn no_such_bucket(bucket: &str) -> ServiceError {
    ServiceError::client("NoSuchBucket", 404, "The specified bucket does not exist")
        .with_field("BucketName", bucket)
}

pub fn no_such_key(key: &str) -> ServiceError {
    ServiceError::client("NoSuchKey", 404, "The specified key does not exist.")
        .with_field("Key", key)
}

pub fn bucket_already_exists(bucket: &str) -> ServiceError {
    ServiceError::client(
        "BucketAlreadyExists",
        409,
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
    )
    .with_field("BucketName", bucket)
}

pub fn bucket_already_owned_by_you(bucket: &str) -> ServiceError {
    ServiceError::client(
        "BucketAlreadyOwnedByYou",
        409,
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
    .with_field("BucketName", bucket)
}

pub fn invalid_bucket_name(bucket: &str) -> ServiceError {
    ServiceError::client("InvalidBucketName", 400, "The specified bucket is not valid.")
        .with_field("BucketName", bucket)
}

pub fn bucket_not_empty(bucket: &str) -> ServiceError {
    ServiceError::client("BucketNotEmpty", 409, "The bucket you tried to delete is not empty")
        .with_field("BucketName", bucket)
}

pub fn malformed_policy(message: impl Into<String>) -> ServiceError {
    ServiceError::client("MalformedPolicy", 400, message)
}

pub fn no_such_bucket_policy(bucket: &str) -> ServiceError {
    ServiceError::client("NoSuchBucketPolicy", 404, "The bucket policy does not exist")
        .with_field("BucketName", bucket)
}

pub fn no_such_tag_set(bucket: &str) -> ServiceError {
    ServiceError::client("NoSuchTagSet", 404, "The TagSet does not exist")
        .with_field("BucketName", bucket)
}

pub fn invalid_range(range: &str, size: u64) -> ServiceError {
    ServiceError::client("InvalidRange", 416, "The requested range is not satisfiable")
        .with_field("RangeRequested", range)
        .with_field("ActualObjectSize", size.to_string())
}

pub fn no_such_upload(upload_id: &str) -> ServiceError {
    ServiceError::client(
        "NoSuchUpload",
        404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
    .with_field("UploadId", upload_id)
}

pub fn invalid_part(upload_id: &str, part: u32, etag: &str) -> ServiceError {
    ServiceError::client(
        "InvalidPart",
        400,
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
    .with_field("UploadId", upload_id)
    .with_field("PartNumber", part.to_string())
    .with_field("ETag", etag)
}

pub fn invalid_part_order(upload_id: &str) -> ServiceError {
    ServiceError::client(
        "InvalidPartOrder",
        400,
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
    )
    .with_field("UploadId", upload_id)
}

pub fn entity_too_small(size: u64, min: u64) -> ServiceError {
    ServiceError::client(
        "EntityTooSmall",
        400,
        "Your proposed upload is smaller than the minimum allowed object size.",
    )
    .with_field("ProposedSize", size.to_string())
    .with_field("MinSizeAllowed", min.to_string())
}

pub fn invalid_argument(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidArgument", 400, message)
}

pub fn invalid_request(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidRequest", 400, message)
}

pub fn malformed_xml() -> ServiceError {
    ServiceError::client(
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

pub fn bad_digest_md5() -> ServiceError {
    ServiceError::client(
        "BadDigest",
        400,
        "The Content-MD5 you specified did not match what we received.",
    )
}

pub fn invalid_digest() -> ServiceError {
    ServiceError::client("InvalidDigest", 400, "The Content-MD5 you specified was invalid.")
}

/// A checksum header or trailer that does not match the payload. The message follows the
/// pattern AWS uses for `x-amz-checksum-*` mismatches (text guessed from client reports).
pub fn bad_checksum(algorithm: &str) -> ServiceError {
    ServiceError::client(
        "BadDigest",
        400,
        format!("The {algorithm} you specified did not match the calculated checksum."),
    )
}

pub fn incomplete_body() -> ServiceError {
    ServiceError::client(
        "IncompleteBody",
        400,
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
    )
}

pub fn precondition_failed(condition: &str) -> ServiceError {
    ServiceError::client(
        "PreconditionFailed",
        412,
        "At least one of the pre-conditions you specified did not hold",
    )
    .with_field("Condition", condition)
}

pub fn not_modified() -> ServiceError {
    ServiceError::client("NotModified", 304, "Not Modified")
}

pub fn illegal_location_constraint(constraint: &str) -> ServiceError {
    let message = if constraint.is_empty() {
        "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.".to_owned()
    } else {
        format!("The {constraint} location constraint is incompatible for the region specific endpoint this request was sent to.")
    };
    ServiceError::client("IllegalLocationConstraintException", 400, message)
}

pub fn invalid_location_constraint(constraint: &str) -> ServiceError {
    ServiceError::client(
        "InvalidLocationConstraint",
        400,
        "The specified location-constraint is not valid",
    )
    .with_field("LocationConstraint", constraint)
}

pub fn invalid_tag(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidTag", 400, message)
}
