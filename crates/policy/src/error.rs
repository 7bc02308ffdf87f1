//! The one error shape of policy parsing: the AWS error code and the exact message text AWS
//! returns for a document it refuses.

use std::fmt;

/// Which AWS error code a refused document maps to. The service layer turns this into the
/// wire error (IAM `MalformedPolicyDocument` 400, IAM `LimitExceeded` 409, Organizations
/// `MalformedPolicyDocumentException` / `ConstraintViolationException`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyErrorCode {
    /// The document is not a valid policy of its kind.
    MalformedPolicyDocument,
    /// The document is larger than the quota for its kind.
    LimitExceeded,
}

/// A refused policy document. `Display` is AWS's message text, exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    code: PolicyErrorCode,
    message: String,
}

impl PolicyError {
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self { code: PolicyErrorCode::MalformedPolicyDocument, message: message.into() }
    }

    pub(crate) fn limit(message: impl Into<String>) -> Self {
        Self { code: PolicyErrorCode::LimitExceeded, message: message.into() }
    }

    /// IAM's generic grammar error.
    pub(crate) fn syntax() -> Self {
        Self::malformed(SYNTAX_ERRORS)
    }

    /// IAM's error for constructs its older ("legacy") parser rejects.
    pub(crate) fn legacy() -> Self {
        Self::malformed(LEGACY_PARSING)
    }

    /// The AWS error code.
    pub fn code(&self) -> PolicyErrorCode {
        self.code
    }

    /// The AWS message text.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}

pub(crate) const SYNTAX_ERRORS: &str = "Syntax errors in policy.";
pub(crate) const LEGACY_PARSING: &str = "The policy failed legacy parsing";
