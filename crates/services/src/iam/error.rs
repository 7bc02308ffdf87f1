//! IAM's errors ↔ AWS codes and HTTP statuses, as the IAM model's error shapes declare them
//! (`NoSuchEntity` 404, `EntityAlreadyExists` 409, `DeleteConflict` 409, `LimitExceeded` 409,
//! `MalformedPolicyDocument` 400, `InvalidInput` 400, `ValidationError` 400,
//! `UnmodifiableEntity` 400, `InvalidAuthenticationCode` 403, `PolicyNotAttachable` 400,
//! `NotSupportedService` 404).

use xacct_policy::{PolicyError, PolicyErrorCode};

use crate::ServiceError;

pub fn no_such_entity(message: impl Into<String>) -> ServiceError {
    ServiceError::client("NoSuchEntity", 404, message)
}

pub fn entity_already_exists(message: impl Into<String>) -> ServiceError {
    ServiceError::client("EntityAlreadyExists", 409, message)
}

pub fn delete_conflict(message: impl Into<String>) -> ServiceError {
    ServiceError::client("DeleteConflict", 409, message)
}

pub fn limit_exceeded(message: impl Into<String>) -> ServiceError {
    ServiceError::client("LimitExceeded", 409, message)
}

pub fn malformed_policy(message: impl Into<String>) -> ServiceError {
    ServiceError::client("MalformedPolicyDocument", 400, message)
}

pub fn invalid_input(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidInput", 400, message)
}

pub fn unmodifiable(message: impl Into<String>) -> ServiceError {
    ServiceError::client("UnmodifiableEntity", 400, message)
}

pub fn invalid_authentication_code(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidAuthenticationCode", 403, message)
}

pub fn not_attachable(message: impl Into<String>) -> ServiceError {
    ServiceError::client("PolicyNotAttachable", 400, message)
}

pub fn not_supported_service(message: impl Into<String>) -> ServiceError {
    ServiceError::client("NotSupportedService", 404, message)
}

/// AWS's request-validation error for one member: `1 validation error detected: Value 'x' at
/// 'roleName' failed to satisfy constraint: Member must …`.
pub fn validation(value: &str, member: &str, constraint: &str) -> ServiceError {
    ServiceError::client(
        "ValidationError",
        400,
        format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        ),
    )
}

/// A document the policy engine refused: `MalformedPolicyDocument` or, for size,
/// `LimitExceeded`, with the engine's (AWS's) message.
pub fn from_policy(e: &PolicyError) -> ServiceError {
    match e.code() {
        PolicyErrorCode::MalformedPolicyDocument => malformed_policy(e.message()),
        PolicyErrorCode::LimitExceeded => limit_exceeded(e.message()),
    }
}

/// `Cannot exceed quota for NAME: N` (no final period, as IAM writes it).
pub fn quota(name: &str, limit: usize) -> ServiceError {
    limit_exceeded(format!("Cannot exceed quota for {name}: {limit}"))
}
