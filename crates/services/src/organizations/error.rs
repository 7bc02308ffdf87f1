//! Organizations' errors ↔ AWS codes. Every Organizations exception is a 400 (the model gives
//! none a status of its own).

use crate::ServiceError;

pub fn not_in_use() -> ServiceError {
    ServiceError::client(
        "AWSOrganizationsNotInUseException",
        400,
        "Your account is not a member of an organization.",
    )
}

pub fn already_in_organization() -> ServiceError {
    ServiceError::client(
        "AlreadyInOrganizationException",
        400,
        "The AWS account is already a member of an organization.",
    )
}

pub fn access_denied() -> ServiceError {
    ServiceError::client(
        "AccessDeniedException",
        400,
        "You don't have permissions to access this resource.",
    )
}

pub fn account_not_found() -> ServiceError {
    ServiceError::client(
        "AccountNotFoundException",
        400,
        "You specified an account that doesn't exist.",
    )
}

pub fn create_account_status_not_found() -> ServiceError {
    ServiceError::client(
        "CreateAccountStatusNotFoundException",
        400,
        "We can't find an create account request with the CreateAccountRequestId that you specified.",
    )
}

pub fn duplicate_account() -> ServiceError {
    ServiceError::client(
        "DuplicateAccountException",
        400,
        "That account is already present in the specified organization.",
    )
}

/// `InvalidInputException` with one of the model's `InvalidInputExceptionReason` values.
pub fn invalid_input(reason: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidInputException", 400, message).with_field("Reason", reason)
}
