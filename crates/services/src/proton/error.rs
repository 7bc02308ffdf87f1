//! Proton's errors ↔ AWS codes, in one place. AWS's Proton API reference lists every client
//! exception with HTTP status 400 (`AccessDeniedException … HTTP Status Code: 400`); clients
//! dispatch on the JSON `__type`. Message texts are guessed unless marked otherwise: AWS
//! documents the conditions, not the wording.

use crate::ServiceError;

pub fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ValidationException", 400, message)
}

pub fn not_found(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ResourceNotFoundException", 400, message)
}

pub fn conflict(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ConflictException", 400, message)
}

pub fn access_denied(message: impl Into<String>) -> ServiceError {
    ServiceError::client("AccessDeniedException", 400, message)
}

pub fn quota_exceeded(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ServiceQuotaExceededException", 400, message)
}

/// The connection `id` does not exist for the caller (or is in another region or belongs to
/// two other accounts).
pub fn connection_not_found(id: &str) -> ServiceError {
    not_found(format!("Environment account connection with id {id} not found"))
}

/// A `1 validation error detected` message for a missing required member, as AWS's request
/// validation words it.
pub fn missing(member: &str) -> ServiceError {
    validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}
