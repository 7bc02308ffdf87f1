//! The two kinds of failure a response can carry, kept apart: [`AwsError`] (a service said no)
//! and [`Rejection`] (the request never reached a service: malformed, unroutable, too big).
//! Both are rendered in the protocol's own envelope by the protocol modules.

use crate::model::ServiceModel;
use crate::Protocol;

/// Failures of the wire layer itself (not of a request).
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// An embedded model did not decompress or parse.
    #[error("service model is broken: {0}")]
    Model(String),
    /// A service id we do not serve.
    #[error("unknown service `{0}`")]
    UnknownService(String),
}

/// An error a service returns; rendered as AWS renders it for the service's protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The wire code, e.g. `NoSuchEntity`, `AccessDenied`, `ValidationError`.
    pub code: String,
    /// The human-readable message.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// `Sender` (client's fault) or `Receiver` in query envelopes.
    pub sender_fault: bool,
}

impl AwsError {
    /// An error with an explicit code and status; 5xx statuses are receiver faults.
    #[must_use]
    pub fn new(code: impl Into<String>, message: impl Into<String>, status: u16) -> AwsError {
        AwsError { code: code.into(), message: message.into(), status, sender_fault: status < 500 }
    }

    /// An error named after an exception shape of `svc`'s model (e.g. iam `NoSuchEntityException`),
    /// taking the wire code, status and fault from the shape's `error` trait as AWS does.
    /// A shape the model lacks keeps its name as code, with status 400.
    #[must_use]
    pub fn from_shape(svc: &ServiceModel, shape: &str, message: impl Into<String>) -> AwsError {
        let trait_ = svc.shape(shape).and_then(|s| s.error.as_ref());
        let fault = svc.shape(shape).is_some_and(|s| s.fault);
        let code = trait_.and_then(|t| t.code.clone()).unwrap_or_else(|| shape.to_owned());
        let status =
            trait_.and_then(|t| t.http_status_code).unwrap_or(if fault { 500 } else { 400 });
        AwsError {
            code,
            message: message.into(),
            status,
            sender_fault: trait_.map_or(status < 500, |t| t.sender_fault || status < 500),
        }
    }

    /// AWS's opaque internal error: details belong in the log, not the response.
    #[must_use]
    pub fn internal() -> AwsError {
        AwsError::new(
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
            500,
        )
    }
}

/// Why a request was refused before any service saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectionKind {
    /// No service we serve matches the request.
    UnknownService,
    /// The service has no operation by this name.
    UnknownOperation {
        /// The operation name the request asked for.
        operation: String,
        /// The API version to quote in query messages.
        api_version: String,
    },
    /// A query/ec2 request without `Action`.
    MissingAction,
    /// The body or query string does not decode (form, JSON, XML).
    Malformed,
    /// A `Content-Type` the protocol does not accept.
    UnsupportedContentType,
    /// The body exceeds the protocol's size limit (bytes).
    BodyTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A member's value has the wrong type (`member` is the dotted wire path).
    InvalidType {
        /// Path of the offending member, e.g. `Tags.member.1.Key` or `maxItems`.
        member: String,
        /// The value found, as text.
        value: String,
    },
    /// A required member is missing.
    MissingRequired {
        /// The member's name as the model spells it.
        member: String,
    },
    /// The input breaks the model's constraints (length, range, pattern, enum); the message
    /// lists every violation as AWS does.
    ConstraintViolation {
        /// One entry per violation: `Value 'x' at 'roleName' failed to satisfy constraint: ..`.
        violations: Vec<String>,
    },
    /// A protocol-specific refusal with its own AWS code and status (e.g. S3 `MalformedXML`).
    Protocol {
        /// AWS code.
        code: String,
        /// HTTP status.
        status: u16,
    },
    /// The protocol is not served by this build.
    Unsupported,
}

/// A request refused by the wire layer, rendered in the protocol's own envelope with a 4xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// What went wrong.
    pub kind: RejectionKind,
    /// Detail for the message when the kind has no fixed AWS wording.
    pub message: String,
}

impl Rejection {
    /// A rejection of `kind` with detail `message`.
    #[must_use]
    pub fn new(kind: RejectionKind, message: impl Into<String>) -> Rejection {
        Rejection { kind, message: message.into() }
    }

    /// Malformed input (undecodable body or query string).
    #[must_use]
    pub fn malformed(message: impl Into<String>) -> Rejection {
        Rejection::new(RejectionKind::Malformed, message)
    }

    /// A member whose value has the wrong type.
    #[must_use]
    pub fn invalid_type(member: impl Into<String>, value: impl Into<String>) -> Rejection {
        let member = member.into();
        let value = value.into();
        let message = format!("invalid value `{value}` for `{member}`");
        Rejection::new(RejectionKind::InvalidType { member, value }, message)
    }

    /// A required member that is missing.
    #[must_use]
    pub fn missing_required(member: impl Into<String>) -> Rejection {
        let member = member.into();
        let message = format!("missing required member `{member}`");
        Rejection::new(RejectionKind::MissingRequired { member }, message)
    }

    /// The AWS error this rejection becomes in `protocol`'s envelope: the codes and messages AWS
    /// answers for each protocol family.
    #[must_use]
    pub fn to_aws_error(&self, protocol: Protocol) -> AwsError {
        use Protocol as P;
        use RejectionKind as K;
        match (&self.kind, protocol) {
            (K::UnknownOperation { operation, api_version }, P::Query) => AwsError::new(
                "InvalidAction",
                format!("Could not find operation {operation} for version {api_version}"),
                400,
            ),
            (K::UnknownOperation { operation, .. }, P::Ec2) => AwsError::new(
                "InvalidAction",
                format!("The action {operation} is not valid for this web service."),
                400,
            ),
            (K::UnknownOperation { .. }, P::Json10 | P::Json11) => {
                AwsError::new("UnknownOperationException", "", 400)
            }
            (K::UnknownOperation { .. }, P::RestJson) => {
                AwsError::new("UnknownOperationException", "", 404)
            }
            (K::UnknownOperation { .. }, P::RestXml) => AwsError::new(
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                405,
            ),
            (K::UnknownService, P::Query | P::Ec2) => AwsError::new(
                "InvalidAction",
                "The request does not name a service this endpoint serves.",
                400,
            ),
            (K::UnknownService, P::Json10 | P::Json11 | P::RestJson) => {
                AwsError::new("UnknownOperationException", "", 400)
            }
            (K::UnknownService, P::RestXml) => AwsError::new(
                "InvalidRequest",
                "The request does not name a service this endpoint serves.",
                400,
            ),
            (K::MissingAction, _) => AwsError::new(
                "MissingAction",
                "The request is missing an action or a required parameter.",
                400,
            ),
            // AWS's common-errors table gives MalformedQueryString a 404 for query services.
            (K::Malformed, P::Query) => {
                AwsError::new("MalformedQueryString", self.message.clone(), 404)
            }
            (K::Malformed, P::Ec2) => {
                AwsError::new("MalformedQueryString", self.message.clone(), 400)
            }
            (K::Malformed, P::Json10 | P::Json11 | P::RestJson) => {
                AwsError::new("SerializationException", self.message.clone(), 400)
            }
            (K::Malformed, P::RestXml) => AwsError::new(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
                400,
            ),
            (K::UnsupportedContentType, P::Json10 | P::Json11 | P::RestJson) => {
                AwsError::new("SerializationException", self.message.clone(), 400)
            }
            (K::UnsupportedContentType, _) => {
                AwsError::new("InvalidRequest", self.message.clone(), 400)
            }
            (K::BodyTooLarge { limit }, P::Json10 | P::Json11 | P::RestJson) => AwsError::new(
                "RequestEntityTooLargeException",
                format!("Request body must be at most {limit} bytes."),
                413,
            ),
            (K::BodyTooLarge { limit }, _) => AwsError::new(
                "RequestEntityTooLarge",
                format!("Request body must be at most {limit} bytes."),
                413,
            ),
            (K::InvalidType { member, value }, P::Query) => AwsError::new(
                "ValidationError",
                format!(
                    "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: Member must be of the modeled type",
                    lower_first(member)
                ),
                400,
            ),
            (K::InvalidType { member, value }, P::Ec2) => AwsError::new(
                "InvalidParameterValue",
                format!("Invalid value '{value}' for {member}"),
                400,
            ),
            (K::InvalidType { .. }, P::Json10 | P::Json11 | P::RestJson) => {
                AwsError::new("SerializationException", self.message.clone(), 400)
            }
            (K::InvalidType { member, value }, P::RestXml) => AwsError::new(
                "InvalidArgument",
                format!("Invalid value '{value}' for {member}"),
                400,
            ),
            (K::MissingRequired { member }, P::Query) => AwsError::new(
                "ValidationError",
                format!(
                    "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                    lower_first(member)
                ),
                400,
            ),
            (K::MissingRequired { member }, P::Ec2) => AwsError::new(
                "MissingParameter",
                format!("The request must contain the parameter {member}"),
                400,
            ),
            (K::MissingRequired { member }, P::Json10 | P::Json11 | P::RestJson) => AwsError::new(
                "ValidationException",
                format!(
                    "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                    lower_first(member)
                ),
                400,
            ),
            (K::MissingRequired { member }, P::RestXml) => AwsError::new(
                "InvalidArgument",
                format!("Missing required parameter {member}"),
                400,
            ),
            (K::ConstraintViolation { .. }, P::Query) => {
                AwsError::new("ValidationError", self.message.clone(), 400)
            }
            (K::ConstraintViolation { .. }, P::Json10 | P::Json11 | P::RestJson) => {
                AwsError::new("ValidationException", self.message.clone(), 400)
            }
            (K::ConstraintViolation { .. }, P::Ec2) => {
                AwsError::new("InvalidParameterValue", self.message.clone(), 400)
            }
            (K::ConstraintViolation { .. }, P::RestXml) => {
                AwsError::new("InvalidArgument", self.message.clone(), 400)
            }
            (K::Protocol { code, status }, _) => {
                AwsError::new(code.clone(), self.message.clone(), *status)
            }
            (K::Unsupported, _) => AwsError::new("InvalidRequest", self.message.clone(), 400),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rejection {}

/// `RoleName` → `roleName`, as AWS's validation messages name members; only the last path
/// segment is lowered after dots (`Tags.member.1.Key` → `tags.member.1.key`).
fn lower_first(path: &str) -> String {
    path.split('.')
        .map(|seg| {
            let mut c = seg.chars();
            match c.next() {
                Some(first) => first.to_lowercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}
