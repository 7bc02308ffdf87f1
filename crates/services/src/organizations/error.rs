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

// Organizational units, the tree and policies. Messages are the model's descriptions of each
// exception, which are the texts AWS returns.

pub fn parent_not_found() -> ServiceError {
    ServiceError::client(
        "ParentNotFoundException",
        400,
        "We can't find a root or OU with the ParentId that you specified.",
    )
}

pub fn organizational_unit_not_found() -> ServiceError {
    ServiceError::client(
        "OrganizationalUnitNotFoundException",
        400,
        "We can't find an OU with the OrganizationalUnitId that you specified.",
    )
}

pub fn organizational_unit_not_empty() -> ServiceError {
    ServiceError::client(
        "OrganizationalUnitNotEmptyException",
        400,
        "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.",
    )
}

pub fn duplicate_organizational_unit() -> ServiceError {
    ServiceError::client(
        "DuplicateOrganizationalUnitException",
        400,
        "An OU with the same name already exists.",
    )
}

pub fn child_not_found() -> ServiceError {
    ServiceError::client(
        "ChildNotFoundException",
        400,
        "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
    )
}

pub fn source_parent_not_found() -> ServiceError {
    ServiceError::client(
        "SourceParentNotFoundException",
        400,
        "We can't find a source root or OU with the ParentId that you specified.",
    )
}

pub fn destination_parent_not_found() -> ServiceError {
    ServiceError::client(
        "DestinationParentNotFoundException",
        400,
        "We can't find the destination container (a root or OU) with the ParentId that you specified.",
    )
}

/// `DuplicateAccountException` for `MoveAccount` into the parent the account is already in.
pub fn account_already_in_destination() -> ServiceError {
    ServiceError::client(
        "DuplicateAccountException",
        400,
        "That account is already present in the specified destination.",
    )
}

pub fn root_not_found() -> ServiceError {
    ServiceError::client(
        "RootNotFoundException",
        400,
        "We can't find a root with the RootId that you specified.",
    )
}

pub fn policy_type_already_enabled() -> ServiceError {
    ServiceError::client(
        "PolicyTypeAlreadyEnabledException",
        400,
        "The specified policy type is already enabled in the specified root.",
    )
}

pub fn policy_type_not_enabled() -> ServiceError {
    ServiceError::client(
        "PolicyTypeNotEnabledException",
        400,
        "The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root.",
    )
}

pub fn policy_type_not_available() -> ServiceError {
    ServiceError::client(
        "PolicyTypeNotAvailableForOrganizationException",
        400,
        "You can't use the specified policy type with the feature set currently enabled for this organization. For example, you can enable SCPs only after you enable all features in the organization.",
    )
}

pub fn duplicate_policy() -> ServiceError {
    ServiceError::client(
        "DuplicatePolicyException",
        400,
        "A policy with the same name already exists.",
    )
}

/// `MalformedPolicyDocumentException` with the policy engine's (AWS's) message.
pub fn malformed_policy_document(message: impl Into<String>) -> ServiceError {
    ServiceError::client("MalformedPolicyDocumentException", 400, message)
}

pub fn policy_not_found() -> ServiceError {
    ServiceError::client(
        "PolicyNotFoundException",
        400,
        "We can't find a policy with the PolicyId that you specified.",
    )
}

pub fn policy_in_use() -> ServiceError {
    ServiceError::client(
        "PolicyInUseException",
        400,
        "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.",
    )
}

pub fn duplicate_policy_attachment() -> ServiceError {
    ServiceError::client(
        "DuplicatePolicyAttachmentException",
        400,
        "The selected policy is already attached to the specified target.",
    )
}

pub fn policy_not_attached() -> ServiceError {
    ServiceError::client(
        "PolicyNotAttachedException",
        400,
        "The policy isn't attached to the specified target in the specified root.",
    )
}

pub fn target_not_found() -> ServiceError {
    ServiceError::client(
        "TargetNotFoundException",
        400,
        "We can't find a root, OU, account, or policy with the TargetId that you specified.",
    )
}

/// `ConstraintViolationException` with one of the model's `ConstraintViolationExceptionReason`
/// values.
pub fn constraint_violation(reason: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::client("ConstraintViolationException", 400, message).with_field("Reason", reason)
}
