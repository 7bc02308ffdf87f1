//! Every way SigV4 authentication can fail, and the one place that maps a failure to AWS's error
//! code, HTTP status and message for each protocol family ([`ErrorFlavor`]).
//!
//! AWS words the same failure differently per protocol: IAM/STS (query protocol) say
//! `SignatureDoesNotMatch` with "Signature expired: …", JSON services say
//! `InvalidSignatureException`, S3 says `RequestTimeTooSkewed`. The server picks the flavor from
//! the service it routed to and calls [`SigV4Error::code_for`] and friends.

use std::fmt;

/// Which family of AWS error vocabulary to answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorFlavor {
    /// awsQuery / ec2-less query services: IAM, STS (XML `ErrorResponse`).
    Query,
    /// awsJson services: KMS, Organizations, ECS, Proton, CloudTrail, Image Builder.
    Json,
    /// Amazon S3 (REST-XML `Error`).
    S3,
}

impl ErrorFlavor {
    /// The flavor AWS uses for a credential-scope service name (`s3` → S3,
    /// `iam`/`sts`/`ec2`/`cloudformation` → Query, anything else → Json).
    pub fn for_service(service: &str) -> Self {
        match service {
            "s3" => Self::S3,
            "iam" | "sts" | "ec2" | "cloudformation" => Self::Query,
            _ => Self::Json,
        }
    }
}

/// A malformed Authorization header or presigned query, worded for both vocabularies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// IAM/STS/JSON wording (code `IncompleteSignature`).
    pub message: String,
    /// S3's code for the same problem (`AuthorizationHeaderMalformed`,
    /// `AuthorizationQueryParametersError`, `AccessDenied`, `InvalidArgument`…).
    pub s3_code: &'static str,
    /// S3's HTTP status for the same problem.
    pub s3_status: u16,
    /// S3's wording.
    pub s3_message: String,
}

/// What went wrong when the signature was compared; S3 returns these in the error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureMismatch {
    /// The access key id the request named.
    pub access_key_id: String,
    /// The signature the client sent.
    pub signature_provided: String,
    /// The string to sign we computed.
    pub string_to_sign: String,
    /// The canonical request we computed.
    pub canonical_request: String,
}

/// A SigV4 authentication failure. Map it with [`SigV4Error::code_for`],
/// [`SigV4Error::http_status_for`] and [`SigV4Error::message_for`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// Neither an Authorization header nor presigned query parameters. For S3 this is an anonymous
    /// request, which the caller may choose to allow.
    MissingAuthenticationToken,
    /// The Authorization header or presigned query parameters are malformed.
    IncompleteSignature(Box<Malformed>),
    /// Both an Authorization header and presigned query parameters were sent.
    MultipleAuthMechanisms,
    /// The access key id is unknown (returned by the caller after its key lookup).
    InvalidClientTokenId,
    /// The session token is malformed or does not authenticate (returned by the caller).
    InvalidToken,
    /// The session token has expired (returned by the caller).
    ExpiredToken,
    /// The credential scope names a region or service this endpoint does not serve.
    CredentialScope {
        /// IAM/STS/JSON wording.
        message: String,
        /// S3 wording (code `AuthorizationHeaderMalformed`).
        s3_message: String,
    },
    /// The signature does not match the one we computed.
    SignatureDoesNotMatch(Box<SignatureMismatch>),
    /// Header auth whose request time is more than 15 minutes away from the server's clock.
    RequestTimeTooSkewed {
        /// The request's `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`).
        request_time: String,
        /// The server's time, same format.
        server_time: String,
        /// True when the request time is in the future.
        future: bool,
    },
    /// A presigned request whose `X-Amz-Date` is more than 15 minutes in the future.
    RequestNotYetValid {
        /// The request's `X-Amz-Date`.
        request_time: String,
        /// The server's time.
        server_time: String,
    },
    /// A presigned request past `X-Amz-Date + X-Amz-Expires`.
    RequestExpired {
        /// `X-Amz-Expires` as sent.
        expires_seconds: u64,
        /// When it expired, `YYYY-MM-DDTHH:MM:SSZ`.
        expires_at: String,
        /// The server's time, `YYYY-MM-DDTHH:MM:SSZ`.
        server_time: String,
    },
    /// The `x-amz-content-sha256` hash does not match the body.
    XAmzContentSha256Mismatch {
        /// The hash the client declared.
        client_computed: String,
        /// The hash of the body we received.
        server_computed: String,
    },
    /// `x-amz-content-sha256` is neither a hex SHA-256 nor a known keyword.
    InvalidContentSha256(String),
    /// S3 header auth without `x-amz-content-sha256`.
    MissingContentSha256,
    /// Headers that must be signed were not: `host` always; for S3 every `x-amz-*` header.
    HeadersNotSigned(Vec<String>),
    /// An aws-chunked body whose framing is broken.
    MalformedChunk(String),
    /// An aws-chunked body ended before its final chunk.
    IncompleteBody,
    /// A non-final aws-chunked chunk smaller than 8 KiB.
    InvalidChunkSize,
    /// An aws-chunked chunk or trailer signature does not match.
    ChunkSignatureDoesNotMatch,
    /// The caller asked to verify a request whose payload hash needs the body without the body.
    BodyRequired,
}

const SIGNATURE_MISMATCH_QUERY: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const SIGNATURE_MISMATCH_S3: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

impl SigV4Error {
    /// The IAM/STS (query protocol) error code.
    pub fn code(&self) -> &'static str {
        self.code_for(ErrorFlavor::Query)
    }

    /// The IAM/STS (query protocol) HTTP status.
    pub fn http_status(&self) -> u16 {
        self.http_status_for(ErrorFlavor::Query)
    }

    /// The IAM/STS (query protocol) message.
    pub fn message(&self) -> String {
        self.message_for(ErrorFlavor::Query)
    }

    /// The S3 error code.
    pub fn s3_code(&self) -> &'static str {
        self.code_for(ErrorFlavor::S3)
    }

    /// AWS's error code for this failure in `flavor`'s vocabulary.
    pub fn code_for(&self, flavor: ErrorFlavor) -> &'static str {
        use ErrorFlavor::{Json, Query, S3};
        match (self, flavor) {
            (Self::MissingAuthenticationToken, Query) => "MissingAuthenticationToken",
            (Self::MissingAuthenticationToken, Json) => "MissingAuthenticationTokenException",
            (Self::MissingAuthenticationToken, S3) => "AccessDenied",
            (Self::IncompleteSignature(_), Query) => "IncompleteSignature",
            (Self::IncompleteSignature(_), Json) => "IncompleteSignatureException",
            (Self::IncompleteSignature(m), S3) => m.s3_code,
            (Self::MultipleAuthMechanisms, Query) => "IncompleteSignature",
            (Self::MultipleAuthMechanisms, Json) => "IncompleteSignatureException",
            (Self::MultipleAuthMechanisms, S3) => "InvalidArgument",
            (Self::InvalidClientTokenId | Self::InvalidToken, Query) => "InvalidClientTokenId",
            (Self::InvalidClientTokenId | Self::InvalidToken, Json) => {
                "UnrecognizedClientException"
            }
            (Self::InvalidClientTokenId, S3) => "InvalidAccessKeyId",
            (Self::InvalidToken, S3) => "InvalidToken",
            (Self::ExpiredToken, Query | S3) => "ExpiredToken",
            (Self::ExpiredToken, Json) => "ExpiredTokenException",
            (Self::CredentialScope { .. }, Query) => "SignatureDoesNotMatch",
            (Self::CredentialScope { .. }, Json) => "InvalidSignatureException",
            (Self::CredentialScope { .. }, S3) => "AuthorizationHeaderMalformed",
            (Self::SignatureDoesNotMatch(_) | Self::ChunkSignatureDoesNotMatch, Query | S3) => {
                "SignatureDoesNotMatch"
            }
            (Self::SignatureDoesNotMatch(_) | Self::ChunkSignatureDoesNotMatch, Json) => {
                "InvalidSignatureException"
            }
            (Self::RequestTimeTooSkewed { .. }, Query) => "SignatureDoesNotMatch",
            (Self::RequestTimeTooSkewed { .. }, Json) => "InvalidSignatureException",
            (Self::RequestTimeTooSkewed { .. }, S3) => "RequestTimeTooSkewed",
            (Self::RequestNotYetValid { .. }, Query) => "SignatureDoesNotMatch",
            (Self::RequestNotYetValid { .. }, Json) => "InvalidSignatureException",
            (Self::RequestNotYetValid { .. } | Self::RequestExpired { .. }, S3) => "AccessDenied",
            (Self::RequestExpired { .. }, Query | Json) => "RequestExpired",
            (Self::XAmzContentSha256Mismatch { .. }, _) => "XAmzContentSHA256Mismatch",
            (Self::InvalidContentSha256(_), _) => "InvalidArgument",
            (Self::MissingContentSha256, _) => "InvalidRequest",
            (Self::HeadersNotSigned(_), Query) => "IncompleteSignature",
            (Self::HeadersNotSigned(_), Json) => "IncompleteSignatureException",
            (Self::HeadersNotSigned(_), S3) => "AccessDenied",
            (Self::MalformedChunk(_), _) => "InvalidRequest",
            (Self::IncompleteBody, _) => "IncompleteBody",
            (Self::InvalidChunkSize, _) => "InvalidChunkSizeError",
            (Self::BodyRequired, _) => "InternalFailure",
        }
    }

    /// AWS's HTTP status for this failure in `flavor`'s vocabulary.
    pub fn http_status_for(&self, flavor: ErrorFlavor) -> u16 {
        use ErrorFlavor::{Json, Query, S3};
        match (self, flavor) {
            (Self::MissingAuthenticationToken, _) => 403,
            (Self::IncompleteSignature(m), S3) => m.s3_status,
            (Self::IncompleteSignature(_) | Self::MultipleAuthMechanisms, _) => 400,
            (Self::InvalidClientTokenId, Query | S3) => 403,
            (Self::InvalidToken, Query) => 403,
            (Self::InvalidClientTokenId | Self::InvalidToken, _) => 400,
            (Self::ExpiredToken, Query) => 403,
            (Self::ExpiredToken, _) => 400,
            (Self::CredentialScope { .. }, Query) => 403,
            (Self::CredentialScope { .. }, _) => 400,
            (Self::SignatureDoesNotMatch(_) | Self::ChunkSignatureDoesNotMatch, Json) => 400,
            (Self::SignatureDoesNotMatch(_) | Self::ChunkSignatureDoesNotMatch, _) => 403,
            (Self::RequestTimeTooSkewed { .. } | Self::RequestNotYetValid { .. }, Json) => 400,
            (Self::RequestTimeTooSkewed { .. } | Self::RequestNotYetValid { .. }, _) => 403,
            (Self::RequestExpired { .. }, S3) => 403,
            (Self::RequestExpired { .. }, _) => 400,
            (Self::XAmzContentSha256Mismatch { .. }, _) => 400,
            (Self::InvalidContentSha256(_) | Self::MissingContentSha256, _) => 400,
            (Self::HeadersNotSigned(_), S3) => 403,
            (Self::HeadersNotSigned(_), _) => 400,
            (Self::MalformedChunk(_) | Self::IncompleteBody, _) => 400,
            (Self::InvalidChunkSize, _) => 403,
            (Self::BodyRequired, _) => 500,
        }
    }

    /// AWS's message for this failure in `flavor`'s vocabulary.
    pub fn message_for(&self, flavor: ErrorFlavor) -> String {
        let s3 = flavor == ErrorFlavor::S3;
        match self {
            Self::MissingAuthenticationToken if s3 => "Access Denied".to_owned(),
            Self::MissingAuthenticationToken => "Request is missing Authentication Token".to_owned(),
            Self::IncompleteSignature(m) if s3 => m.s3_message.clone(),
            Self::IncompleteSignature(m) => m.message.clone(),
            Self::MultipleAuthMechanisms => "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified".to_owned(),
            Self::InvalidClientTokenId if s3 => {
                "The AWS Access Key Id you provided does not exist in our records.".to_owned()
            }
            Self::InvalidToken if s3 => "The provided token is malformed or otherwise invalid.".to_owned(),
            Self::InvalidClientTokenId | Self::InvalidToken => {
                "The security token included in the request is invalid.".to_owned()
            }
            Self::ExpiredToken if s3 => "The provided token has expired.".to_owned(),
            Self::ExpiredToken => "The security token included in the request is expired".to_owned(),
            Self::CredentialScope { s3_message, .. } if s3 => s3_message.clone(),
            Self::CredentialScope { message, .. } => message.clone(),
            Self::SignatureDoesNotMatch(_) | Self::ChunkSignatureDoesNotMatch if s3 => {
                SIGNATURE_MISMATCH_S3.to_owned()
            }
            Self::SignatureDoesNotMatch(_) | Self::ChunkSignatureDoesNotMatch => {
                SIGNATURE_MISMATCH_QUERY.to_owned()
            }
            Self::RequestTimeTooSkewed { .. } if s3 => {
                "The difference between the request time and the current time is too large."
                    .to_owned()
            }
            Self::RequestTimeTooSkewed { request_time, server_time, future } => {
                skew_message(request_time, server_time, *future)
            }
            Self::RequestNotYetValid { .. } if s3 => "Request is not yet valid".to_owned(),
            Self::RequestNotYetValid { request_time, server_time } => {
                skew_message(request_time, server_time, true)
            }
            Self::RequestExpired { .. } if s3 => "Request has expired".to_owned(),
            Self::RequestExpired { .. } => "Request has expired.".to_owned(),
            Self::XAmzContentSha256Mismatch { .. } => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned()
            }
            Self::InvalidContentSha256(_) => "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.".to_owned(),
            Self::MissingContentSha256 => {
                "Missing required header for this request: x-amz-content-sha256".to_owned()
            }
            Self::HeadersNotSigned(_) if s3 => {
                "There were headers present in the request which were not signed".to_owned()
            }
            Self::HeadersNotSigned(_) => {
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
                    .to_owned()
            }
            Self::MalformedChunk(_) => {
                "The request body is not a valid aws-chunked encoding.".to_owned()
            }
            Self::IncompleteBody => "The request body terminated unexpectedly".to_owned(),
            Self::InvalidChunkSize => {
                "Only the last chunk is allowed to have a size less than 8192 bytes".to_owned()
            }
            Self::BodyRequired => "We encountered an internal error. Please try again.".to_owned(),
        }
    }
}

/// AWS's query/JSON clock-skew wording: "Signature expired: A is now earlier than B (C - 15 min.)".
fn skew_message(request_time: &str, server_time: &str, future: bool) -> String {
    let bound = crate::amzdate::parse_amz_date(server_time)
        .map(|now| crate::amzdate::format_amz_date(if future { now + 900 } else { now - 900 }))
        .unwrap_or_default();
    if future {
        format!(
            "Signature not yet current: {request_time} is still later than {bound} ({server_time} + 15 min.)"
        )
    } else {
        format!(
            "Signature expired: {request_time} is now earlier than {bound} ({server_time} - 15 min.)"
        )
    }
}

impl fmt::Display for SigV4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for SigV4Error {}
