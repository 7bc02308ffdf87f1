//! The one error type every service operation returns, carrying AWS's error code, message and
//! HTTP status. Each service maps its failures here in its own `error.rs`; the server turns it
//! into the protocol's envelope. Store failures become `InternalFailure` (500) with the detail
//! kept for the log only.

use xacct_store::StoreError;

/// A failed operation as AWS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// AWS's error code, e.g. `AccessDeniedException`.
    pub code: &'static str,
    /// The message shown to the client.
    pub message: String,
    /// The HTTP status AWS answers with.
    pub status: u16,
    /// `true` for the client's fault (`Sender`), `false` for the server's (`Receiver`).
    pub sender_fault: bool,
    /// Detail for the server log only (never sent to the client).
    pub internal_detail: Option<String>,
    /// Extra members of the error shape, e.g. Organizations' `Reason`, S3's `BucketName`.
    pub fields: Vec<(&'static str, String)>,
}

impl ServiceError {
    /// A client error with AWS's `code`, `status` and `message`.
    pub fn client(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        ServiceError {
            code,
            message: message.into(),
            status,
            sender_fault: true,
            internal_detail: None,
            fields: Vec::new(),
        }
    }

    /// An internal failure: the client sees `InternalFailure`; `detail` goes to the log.
    pub fn internal(detail: impl Into<String>) -> Self {
        ServiceError {
            code: "InternalFailure",
            message: "The request processing has failed because of an unknown error, exception or failure.".to_owned(),
            status: 500,
            sender_fault: false,
            internal_detail: Some(detail.into()),
            fields: Vec::new(),
        }
    }
}

impl ServiceError {
    /// The same error with one more member of its shape.
    pub fn with_field(mut self, member: &'static str, value: impl Into<String>) -> Self {
        self.fields.push((member, value.into()));
        self
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::internal(format!("store: {e}"))
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ServiceError {}
