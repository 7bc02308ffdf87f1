//! xacct-wire: the five AWS wire protocols (query, ec2, json 1.0/1.1, rest-json, rest-xml),
//! driven by AWS's own service models (botocore `service-2.json`, vendored under `models/`).
//!
//! The crate is a model interpreter: [`classify`] finds the (service, operation, protocol) of an
//! HTTP request, [`decode`] turns the request into a [`serde_json::Value`] shaped by the
//! operation's input shape, and [`encode_output`] / [`encode_error`] / [`encode_rejection`] turn
//! a service's answer into the bytes AWS would send. No service writes XML or JSON by hand: member
//! names, list encodings, timestamp formats and envelopes all come from the models.
//!
//! # Value conventions
//! Decoded inputs and outputs to encode are `serde_json::Value`s:
//! - structures are objects keyed by the model's **member names** (not wire `locationName`s);
//! - lists are arrays; maps are objects; strings are strings (enums too);
//! - integer/long/float/double are numbers; booleans are bools;
//! - timestamps: decoders produce a number of epoch seconds (fractions allowed); encoders accept
//!   a number of epoch seconds or an RFC 3339 string and emit the protocol's format
//!   (query: `2026-11-23T08:56:26Z`; ec2: `2026-11-23T08:56:26.000Z`; json and rest-json:
//!   epoch seconds; REST headers: RFC 822 unless the model's `timestampFormat` says otherwise);
//! - blobs are base64 strings (decoders check the base64; encoders emit it as given);
//! - `null` and absent are the same: nothing is emitted.
//!
//! Unknown input members are ignored as AWS ignores them; a value of the wrong type or a missing
//! required member is a [`Rejection`], rendered in the protocol's envelope before any service runs.
//! For query, json and rest-json services [`decode`] also enforces the model's `min`/`max`,
//! `pattern` and `enum` constraints with AWS's `N validation error(s) detected: ..` wording
//! (`ValidationError` for query, `ValidationException` for json); ec2 and s3 do not validate
//! that way, so neither does this crate for them.
//! Output members that are not in the output shape are never emitted.
//!
//! # Limits
//! Query and ec2 bodies (and query strings) are limited to 1 MiB, json bodies to 1 MiB
//! (`413` in the protocol's envelope). REST payload streaming is the REST module's concern.
//!
//! # Security
//! Classification trusts nothing but the request: the SigV4 credential scope is a hint that
//! [`classify`] uses to pick between query services, never proof of identity; verification
//! belongs to `xacct-sigv4`.

mod classify;
mod ec2;
mod error;
pub mod eventstream;
mod form;
mod json;
pub mod model;
mod query;
mod rest;
mod validate;
mod value;
mod xml;

use std::sync::Arc;

pub use error::{AwsError, Rejection, RejectionKind, WireError};
pub use model::{Models, Operation, ServiceModel, Shape, ShapeRef, ShapeType};

/// The bucket an S3 request addresses: the virtual-hosted `Host`'s, else the first path segment
/// (percent-decoded); `None` for `/` on a path-style host.
#[must_use]
pub fn s3_bucket_of(host: &str, path: &str) -> Option<String> {
    if let Some(b) = rest::uri::virtual_host_bucket(host) {
        return Some(b);
    }
    let first = path.trim_start_matches('/').split('/').next().filter(|s| !s.is_empty())?;
    Some(percent_encoding::percent_decode_str(first).decode_utf8_lossy().into_owned())
}

/// The AWS wire protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// awsQuery: form-encoded requests, XML responses (iam, sts).
    Query,
    /// ec2: form-encoded requests, EC2-flavoured XML responses.
    Ec2,
    /// awsJson 1.0 (`X-Amz-Target`, `application/x-amz-json-1.0`).
    Json10,
    /// awsJson 1.1.
    Json11,
    /// restJson1 (imagebuilder).
    RestJson,
    /// restXml (s3).
    RestXml,
}

impl Protocol {
    /// The protocol named by a model's `metadata.protocol` (json by its `jsonVersion`).
    #[must_use]
    pub fn from_model(svc: &ServiceModel) -> Protocol {
        match svc.metadata.protocol.as_str() {
            "query" => Protocol::Query,
            "ec2" => Protocol::Ec2,
            "rest-json" => Protocol::RestJson,
            "rest-xml" => Protocol::RestXml,
            _ if svc.metadata.json_version.as_deref() == Some("1.0") => Protocol::Json10,
            _ => Protocol::Json11,
        }
    }

    /// botocore's name for the protocol (`query`, `ec2`, `json`, `rest-json`, `rest-xml`).
    #[must_use]
    pub fn botocore_name(self) -> &'static str {
        match self {
            Protocol::Query => "query",
            Protocol::Ec2 => "ec2",
            Protocol::Json10 | Protocol::Json11 => "json",
            Protocol::RestJson => "rest-json",
            Protocol::RestXml => "rest-xml",
        }
    }
}

/// A borrowed HTTP request as the server received it (raw, still percent-encoded path and query).
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The raw path, e.g. `/my-bucket/a%20key`.
    pub path: &'a str,
    /// The raw query string without `?`.
    pub query: &'a str,
    /// Header names and values as received (names are matched case-insensitively).
    pub headers: &'a [(&'a str, &'a str)],
    /// The whole body.
    pub body: &'a [u8],
}

impl HttpRequest<'_> {
    /// The first header named `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }

    /// The media type of `Content-Type`, lowercased, without parameters.
    #[must_use]
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .map(|ct| ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
    }
}

/// A response ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers (`Content-Type`, `x-amzn-RequestId`, ...).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Where a request goes: the service model, the operation, the protocol and the region.
#[derive(Debug, Clone)]
pub struct Route {
    /// The service's model (shared, never cloned per request).
    pub service: Arc<ServiceModel>,
    /// The operation name as the model spells it (`GetCallerIdentity`).
    pub operation: String,
    /// The protocol to decode and answer in.
    pub protocol: Protocol,
    /// The region from the credential scope (`us-east-1` without one).
    pub region: String,
    /// REST URI labels (`Bucket`, `Key`), already percent-decoded; empty for other protocols.
    pub labels: Vec<(String, String)>,
}

impl Route {
    /// Our service id (`iam`, `sts`, `s3`, ...).
    #[must_use]
    pub fn service_id(&self) -> &str {
        &self.service.id
    }

    /// The operation's model entry.
    #[must_use]
    pub fn operation_model(&self) -> Option<&Operation> {
        self.service.operation(&self.operation)
    }
}

/// Finds the service, operation and protocol of `req`, as AWS front ends do: `X-Amz-Target` for
/// json services, `Action` (query string or form body) for query and ec2 services, REST routing
/// (s3, imagebuilder) otherwise. `scope_service`/`scope_region` come from the SigV4 credential
/// scope when the request has one.
///
/// # Errors
/// A [`Rejection`] (unknown service, unknown operation, missing action, malformed form) to render
/// with [`encode_rejection`] in [`protocol_guess`]'s protocol (or the rejection's own protocol via
/// [`classify_protocol_hint`]).
pub fn classify(
    models: &Models,
    req: &HttpRequest<'_>,
    scope_service: Option<&str>,
    scope_region: Option<&str>,
) -> Result<Route, Rejection> {
    classify::classify(models, req, scope_service, scope_region)
}

/// The protocol a classification failure should be answered in, given the same inputs as
/// [`classify`] (the credential scope sharpens the guess).
#[must_use]
pub fn classify_protocol_hint(
    models: &Models,
    req: &HttpRequest<'_>,
    scope_service: Option<&str>,
) -> Protocol {
    classify::protocol_hint(models, req, scope_service)
}

/// The protocol to answer in when the request could not be classified or authenticated, judged
/// from the request alone (`X-Amz-Target` → json, `Action` → query/ec2, else rest-xml).
#[must_use]
pub fn protocol_guess(req: &HttpRequest<'_>) -> Protocol {
    classify::guess(req)
}

/// Decodes `req` into the operation's input Value (see the crate docs for the conventions).
///
/// # Errors
/// A [`Rejection`] for malformed input, a wrong content type, an oversized body, a member of the
/// wrong type or a missing required member.
pub fn decode(
    models: &Models,
    route: &Route,
    req: &HttpRequest<'_>,
) -> Result<serde_json::Value, Rejection> {
    let _ = models;
    let svc = &*route.service;
    let op = svc.operation(&route.operation).ok_or_else(|| {
        Rejection::new(
            RejectionKind::UnknownOperation {
                operation: route.operation.clone(),
                api_version: svc.metadata.api_version.clone(),
            },
            "unknown operation",
        )
    })?;
    let input = match route.protocol {
        Protocol::Query => query::decode(svc, op, req)?,
        Protocol::Ec2 => ec2::decode(svc, op, req)?,
        Protocol::Json10 | Protocol::Json11 => json::decode(svc, op, req)?,
        Protocol::RestJson | Protocol::RestXml => rest::decode(svc, op, req, &route.labels)?,
    };
    // EC2 and S3 do not run AWS's generic constraint validation; the others do.
    if matches!(
        route.protocol,
        Protocol::Query | Protocol::Json10 | Protocol::Json11 | Protocol::RestJson
    ) {
        check_constraints(svc, op, &input)?;
    }
    Ok(input)
}

/// Checks a decoded input against the model's `min`/`max`/`pattern`/`enum` constraints, as
/// AWS's request validation does (`decode` already calls it for query, json and rest-json).
///
/// # Errors
/// A [`RejectionKind::ConstraintViolation`] listing every violation in AWS's wording.
pub fn check_constraints(
    svc: &ServiceModel,
    op: &Operation,
    input: &serde_json::Value,
) -> Result<(), Rejection> {
    let Some(shape) = op.input.as_ref().and_then(|r| svc.shape(&r.shape)) else {
        return Ok(());
    };
    if shape.members.is_empty() {
        return Ok(());
    }
    let violations = validate::violations(svc, svc.patterns(), shape, input);
    if violations.is_empty() {
        return Ok(());
    }
    let message = validate::iam_path_message(svc, svc.patterns(), shape, input)
        .unwrap_or_else(|| validate::message(&violations));
    Err(Rejection::new(RejectionKind::ConstraintViolation { violations }, message))
}

/// Encodes a service's successful output as the protocol's response (status 200 unless the
/// model says otherwise). Members absent from the output shape are not emitted.
#[must_use]
pub fn encode_output(
    models: &Models,
    route: &Route,
    output: &serde_json::Value,
    request_id: &str,
) -> HttpResponse {
    let _ = models;
    let svc = &*route.service;
    let Some(op) = svc.operation(&route.operation) else {
        return encode_error(route.protocol, &AwsError::internal(), request_id);
    };
    match route.protocol {
        Protocol::Query => query::encode_output(svc, op, output, request_id),
        Protocol::Ec2 => ec2::encode_output(svc, op, output, request_id),
        Protocol::Json10 | Protocol::Json11 => {
            json::encode_output(svc, op, route.protocol, output, request_id)
        }
        Protocol::RestJson | Protocol::RestXml => rest::encode_output(svc, op, output, request_id),
    }
}

/// Encodes a service error in `protocol`'s error envelope with the error's HTTP status.
#[must_use]
pub fn encode_error(protocol: Protocol, err: &AwsError, request_id: &str) -> HttpResponse {
    match protocol {
        Protocol::Query => query::encode_error(err, request_id),
        Protocol::Ec2 => ec2::encode_error(err, request_id),
        Protocol::Json10 | Protocol::Json11 => json::encode_error(protocol, err, request_id),
        Protocol::RestJson | Protocol::RestXml => rest::encode_error(protocol, err, request_id),
    }
}

/// Encodes a service error for a classified request: like [`encode_error`], plus the service's
/// XML namespace on query envelopes (`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">`).
#[must_use]
pub fn encode_route_error(route: &Route, err: &AwsError, request_id: &str) -> HttpResponse {
    match route.protocol {
        Protocol::Query => {
            query::encode_error_ns(err, request_id, route.service.metadata.xml_namespace.as_deref())
        }
        p @ (Protocol::Json10 | Protocol::Json11)
            if route.service.metadata.aws_query_compatible.is_some() =>
        {
            // awsQueryCompatible services also carry the query-style code and fault in a header,
            // which botocore prefers over `__type`.
            let mut resp = encode_error(p, err, request_id);
            let fault = if err.sender_fault { "Sender" } else { "Receiver" };
            resp.headers.push(("x-amzn-query-error".to_owned(), format!("{};{fault}", err.code)));
            resp
        }
        p => encode_error(p, err, request_id),
    }
}

/// Encodes a rejection for a classified request (decode failures), in the route's envelope with
/// the service's XML namespace on query envelopes.
#[must_use]
pub fn encode_route_rejection(route: &Route, rej: &Rejection, request_id: &str) -> HttpResponse {
    if let RejectionKind::ConstraintViolation { violations } = &rej.kind {
        if let Some(reason) = input_exception_reason(&route.service, violations) {
            // Services that model `InvalidInputException` with constraint reasons (Organizations)
            // answer constraint violations with it instead of the generic validation error.
            let err = AwsError::from_shape(
                &route.service,
                "InvalidInputException",
                input_exception_message(reason).to_owned(),
            );
            return encode_route_error_with(route, &err, request_id, &[("Reason", reason)]);
        }
    }
    encode_route_error(route, &rej.to_aws_error(route.protocol), request_id)
}

/// The `InvalidInputExceptionReason` for the first violation, when the service models one.
fn input_exception_reason(svc: &ServiceModel, violations: &[String]) -> Option<&'static str> {
    let reasons = &svc.shape("InvalidInputExceptionReason")?.enum_;
    let first = violations.first()?;
    let reason = if first.contains("regular expression pattern") {
        "INVALID_PATTERN"
    } else if first.contains("enum value set") {
        "INVALID_ENUM"
    } else if first.contains("length less than or equal") {
        "MAX_LENGTH_EXCEEDED"
    } else if first.contains("length greater than or equal") {
        "MIN_LENGTH_EXCEEDED"
    } else if first.contains("less than or equal") {
        "MAX_VALUE_EXCEEDED"
    } else if first.contains("greater than or equal") {
        "MIN_VALUE_EXCEEDED"
    } else {
        return None;
    };
    reasons.iter().any(|r| r == reason).then_some(reason)
}

/// The text AWS answers with for an `InvalidInputExceptionReason` (it names neither the member
/// nor the value). `INVALID_PATTERN` and `INVALID_ENUM` are AWS's own texts; the length and
/// value ones are the model's descriptions of those reasons (AWS's exact texts are not known).
fn input_exception_message(reason: &str) -> &'static str {
    match reason {
        "INVALID_PATTERN" => "You provided a value that does not match the required pattern.",
        "INVALID_ENUM" => "You specified an invalid value.",
        "MAX_LENGTH_EXCEEDED" => "You provided a string parameter that is longer than allowed.",
        "MIN_LENGTH_EXCEEDED" => "You provided a string parameter that is shorter than allowed.",
        "MAX_VALUE_EXCEEDED" => {
            "You provided a numeric parameter that has a larger value than allowed."
        }
        "MIN_VALUE_EXCEEDED" => {
            "You provided a numeric parameter that has a smaller value than allowed."
        }
        _ => "You provided a value that is not valid.",
    }
}

/// [`encode_route_error`] plus extra members of the error shape (S3's `<BucketName>`, `<Key>`,
/// Organizations' `Reason`). REST-XML envelopes carry them; json envelopes add them as members;
/// query envelopes have no place for them and drop them.
#[must_use]
pub fn encode_route_error_with(
    route: &Route,
    err: &AwsError,
    request_id: &str,
    extra: &[(&str, &str)],
) -> HttpResponse {
    match route.protocol {
        Protocol::RestJson | Protocol::RestXml if !extra.is_empty() => {
            rest::encode_error_with(route.protocol, err, request_id, extra)
        }
        Protocol::Json10 | Protocol::Json11 if !extra.is_empty() => {
            let mut resp = encode_route_error(route, err, request_id);
            if let Ok(serde_json::Value::Object(mut body)) =
                serde_json::from_slice::<serde_json::Value>(&resp.body)
            {
                for (k, v) in extra {
                    body.insert((*k).to_owned(), serde_json::Value::String((*v).to_owned()));
                }
                resp.body = serde_json::Value::Object(body).to_string().into_bytes();
            }
            resp
        }
        _ => encode_route_error(route, err, request_id),
    }
}

/// Encodes a rejection in `protocol`'s error envelope (always a 4xx).
#[must_use]
pub fn encode_rejection(protocol: Protocol, rej: &Rejection, request_id: &str) -> HttpResponse {
    encode_error(protocol, &rej.to_aws_error(protocol), request_id)
}
