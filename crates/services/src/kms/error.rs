//! KMS's errors ↔ AWS codes, in one place. Every KMS exception is HTTP 400 except
//! `KMSInternalException` (500); AWS's KMS answers `AccessDeniedException` with 400 too.
//!
//! Messages follow AWS's observed texts where known; the ones marked "guessed" are not confirmed
//! against AWS.

use crate::ServiceError;

pub fn not_found(message: impl Into<String>) -> ServiceError {
    ServiceError::client("NotFoundException", 400, message)
}

/// `Key 'ARN' does not exist`.
pub fn key_not_found(arn: &str) -> ServiceError {
    not_found(format!("Key '{arn}' does not exist"))
}

/// `Invalid keyId X`: an identifier that names no key in a form the operation accepts.
pub fn invalid_key_id(raw: &str) -> ServiceError {
    not_found(format!("Invalid keyId {raw}"))
}

/// `Alias ARN is not found.`
pub fn alias_not_found(alias_arn: &str) -> ServiceError {
    not_found(format!("Alias {alias_arn} is not found."))
}

pub fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ValidationException", 400, message)
}

pub fn invalid_arn(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidArnException", 400, message)
}

pub fn already_exists(message: impl Into<String>) -> ServiceError {
    ServiceError::client("AlreadyExistsException", 400, message)
}

/// `ARN is disabled.`
pub fn disabled(arn: &str) -> ServiceError {
    ServiceError::client("DisabledException", 400, format!("{arn} is disabled."))
}

pub fn invalid_state(message: impl Into<String>) -> ServiceError {
    ServiceError::client("KMSInvalidStateException", 400, message)
}

/// `ARN is pending deletion.`
pub fn pending_deletion(arn: &str) -> ServiceError {
    invalid_state(format!("{arn} is pending deletion."))
}

/// AWS gives no message text with it (as clients see it).
pub fn invalid_ciphertext() -> ServiceError {
    ServiceError::client("InvalidCiphertextException", 400, "")
}

pub fn incorrect_key() -> ServiceError {
    ServiceError::client(
        "IncorrectKeyException",
        400,
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
}

pub fn invalid_key_usage(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidKeyUsageException", 400, message)
}

pub fn limit_exceeded(message: impl Into<String>) -> ServiceError {
    ServiceError::client("LimitExceededException", 400, message)
}

pub fn malformed_policy(message: impl Into<String>) -> ServiceError {
    ServiceError::client("MalformedPolicyDocumentException", 400, message)
}

pub fn tag_error(message: impl Into<String>) -> ServiceError {
    ServiceError::client("TagException", 400, message)
}

pub fn invalid_grant_id() -> ServiceError {
    ServiceError::client("InvalidGrantIdException", 400, "Not a valid grant id")
}

pub fn invalid_grant_token() -> ServiceError {
    ServiceError::client("InvalidGrantTokenException", 400, "Invalid grant token")
}

pub fn invalid_marker() -> ServiceError {
    ServiceError::client("InvalidMarkerException", 400, "Invalid marker")
}

pub fn unsupported(message: impl Into<String>) -> ServiceError {
    ServiceError::client("UnsupportedOperationException", 400, message)
}

pub fn dry_run() -> ServiceError {
    ServiceError::client(
        "DryRunOperationException",
        412,
        "The request would have succeeded, but the DryRun option is set.",
    )
}

/// `AccessDeniedException` (400, as AWS's KMS answers it).
pub fn access_denied(message: impl Into<String>) -> ServiceError {
    ServiceError::client("AccessDeniedException", 400, message)
}
