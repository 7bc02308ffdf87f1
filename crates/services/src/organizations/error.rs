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
        "The provided account is already a member of an organization.",
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
        "You specified a create account request that doesn't exist.",
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

/// `INVALID_PATTERN`, with AWS's text.
pub fn invalid_pattern() -> ServiceError {
    invalid_input(
        "INVALID_PATTERN",
        "You provided a value that does not match the required pattern.",
    )
}

/// `INVALID_ENUM`, with AWS's text.
pub fn invalid_enum() -> ServiceError {
    invalid_input("INVALID_ENUM", "You specified an invalid value.")
}

/// `UNRECOGNIZED_SERVICE_PRINCIPAL`, with AWS's text.
pub fn unrecognized_service_principal() -> ServiceError {
    invalid_input(
        "UNRECOGNIZED_SERVICE_PRINCIPAL",
        "You specified an unrecognized service principal.",
    )
}

pub fn account_already_closed() -> ServiceError {
    ServiceError::client(
        "AccountAlreadyClosedException",
        400,
        "The provided account is already closed.",
    )
}

pub fn account_already_registered() -> ServiceError {
    ServiceError::client(
        "AccountAlreadyRegisteredException",
        400,
        "The provided account is already a delegated administrator for your organization.",
    )
}

pub fn account_not_registered() -> ServiceError {
    ServiceError::client(
        "AccountNotRegisteredException",
        400,
        "The provided account is not a registered delegated administrator for your organization.",
    )
}

pub fn organization_not_empty() -> ServiceError {
    ServiceError::client(
        "OrganizationNotEmptyException",
        400,
        "To delete an organization you must first remove all member accounts (except the master).",
    )
}

/// The model's description (the text AWS returns is not known).
pub fn master_cannot_leave() -> ServiceError {
    ServiceError::client(
        "MasterCannotLeaveOrganizationException",
        400,
        "You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization of the management account.",
    )
}

/// The model's description (the text AWS returns is not known).
pub fn resource_policy_not_found() -> ServiceError {
    ServiceError::client(
        "ResourcePolicyNotFoundException",
        400,
        "We can't find a resource policy request with the parameter that you specified.",
    )
}

/// The model's description (the text AWS returns is not known).
pub fn effective_policy_not_found() -> ServiceError {
    ServiceError::client(
        "EffectivePolicyNotFoundException",
        400,
        "We can't find an effective policy of the PolicyType that you specified.",
    )
}

/// The model's description (the text AWS returns is not known).
pub fn handshake_not_found() -> ServiceError {
    ServiceError::client(
        "HandshakeNotFoundException",
        400,
        "We can't find a handshake with the HandshakeId that you specified.",
    )
}

// Organizational units, the tree and policies. AWS's not-found messages mostly have the form
// "You specified a root that doesn't exist." (root, target, account, organizational unit and
// parent, whose missing article is AWS's, are AWS's own texts as moto records them); the child,
// source/destination parent and create-account-request ones follow the same form and are
// guessed. PolicyNotFoundException keeps the model's text, which moto also records for it.

pub fn parent_not_found() -> ServiceError {
    ServiceError::client("ParentNotFoundException", 400, "You specified parent that doesn't exist.")
}

pub fn organizational_unit_not_found() -> ServiceError {
    ServiceError::client(
        "OrganizationalUnitNotFoundException",
        400,
        "You specified an organizational unit that doesn't exist.",
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
    ServiceError::client("ChildNotFoundException", 400, "You specified a child that doesn't exist.")
}

pub fn source_parent_not_found() -> ServiceError {
    ServiceError::client(
        "SourceParentNotFoundException",
        400,
        "You specified a source parent that doesn't exist.",
    )
}

pub fn destination_parent_not_found() -> ServiceError {
    ServiceError::client(
        "DestinationParentNotFoundException",
        400,
        "You specified a destination parent that doesn't exist.",
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
    ServiceError::client("RootNotFoundException", 400, "You specified a root that doesn't exist.")
}

pub fn policy_type_already_enabled() -> ServiceError {
    ServiceError::client(
        "PolicyTypeAlreadyEnabledException",
        400,
        "The specified policy type is already enabled.",
    )
}

pub fn policy_type_not_enabled() -> ServiceError {
    ServiceError::client(
        "PolicyTypeNotEnabledException",
        400,
        "This operation can be performed only for enabled policy types.",
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

/// A missing policy for the operations that change or attach it. AWS words it differently
/// per operation (moto's recorded answers: DeletePolicy/UpdatePolicy this text, DescribePolicy
/// and ListTargetsForPolicy [`policy_not_found_to_read`]'s).
pub fn policy_not_found() -> ServiceError {
    ServiceError::client(
        "PolicyNotFoundException",
        400,
        "We can't find a policy with the PolicyId that you specified.",
    )
}

/// A missing policy for DescribePolicy and ListTargetsForPolicy.
pub fn policy_not_found_to_read() -> ServiceError {
    ServiceError::client(
        "PolicyNotFoundException",
        400,
        "You specified a policy that doesn't exist.",
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
        "You specified a target that doesn't exist.",
    )
}

/// `ConstraintViolationException` with one of the model's `ConstraintViolationExceptionReason`
/// values.
pub fn constraint_violation(reason: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::client("ConstraintViolationException", 400, message).with_field("Reason", reason)
}
