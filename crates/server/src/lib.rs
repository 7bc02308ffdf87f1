//! The HTTP pipeline of xacct: one endpoint for every service.
//!
//! ```text
//! bytes ─► admin route? ─► sigv4::parse/verify (who) ─► wire::classify (service, operation)
//!       ─► wire::decode ─► services::call ─► wire::encode_output / encode_route_error
//! ```
//! [`App::handle`] is the whole pipeline over a fully read request, testable without a socket;
//! [`serve`] runs it behind hyper with graceful shutdown.
//!
//! Security: a request reaches a service only with a verified signature, except under
//! `--auth off` (mock mode), which maps any credentials to an account's root user. Secrets never
//! reach a log line: only access key ids, operations and outcomes are logged.

mod admin;
mod http;
mod payload;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::Value;
use xacct_services::s3::{ObjectBody, StagedPayload, Streams};
use xacct_services::sts::session::SessionError;
use xacct_services::{Call, Caller, NewAccessKey, ServiceError, Services};
use xacct_sigv4::{ErrorFlavor, ParsedAuth, PayloadMode, SigV4Error, SigningKey};
use xacct_wire::{
    AwsError, HttpRequest, HttpResponse, Models, Protocol, Rejection, RejectionKind, Route,
};

use payload::PayloadSink;

pub use http::{serve, serve_sharded};

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Verify signatures and authorize (the default). `false` is the mock mode.
    pub auth: bool,
    /// Serve `/_xacct/clock`, which moves the server's clock (tests only).
    pub clock_admin: bool,
    /// The management root key to keep after `/_xacct/reset`.
    pub root_key: Option<NewAccessKey>,
    /// The largest request body read into memory, in bytes.
    pub max_body_bytes: usize,
    /// What the health route reports as the store (e.g. `sqlite:./.xacct/xacct.db`).
    pub store_description: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            auth: true,
            clock_admin: false,
            root_key: None,
            max_body_bytes: 16 * 1024 * 1024,
            store_description: String::new(),
        }
    }
}

/// The server's state: services, models, options.
pub struct App {
    services: Services,
    models: Models,
    options: Options,
    started: Instant,
    request_seed: u64,
    request_seq: AtomicU64,
    signing_keys: xacct_sigv4::SigningKeyCache,
}

/// Who signed a request and which scope it named.
struct Authenticated {
    caller: Caller,
    scope_service: Option<String>,
    scope_region: Option<String>,
    /// The parsed signature (`None` for an unsigned request in mock mode).
    parsed: Option<ParsedAuth>,
    /// The verified signing key (never in mock mode): chunk signatures chain from it.
    key: Option<SigningKey>,
}

/// An answer whose body may be object bytes to stream from blob storage.
pub struct Answer {
    /// Status, headers, and the body unless `object` is set.
    pub response: HttpResponse,
    /// The object bytes to send as the body (`GetObject`).
    pub object: Option<ObjectBody>,
}

impl Answer {
    fn plain(response: HttpResponse) -> Answer {
        Answer { response, object: None }
    }
}

/// A payload request authenticated and decoded before its body was read.
pub(crate) struct Prepared {
    request_id: String,
    auth: Authenticated,
    route: Route,
    input: Value,
}

impl App {
    pub fn new(services: Services, models: Models, options: Options) -> App {
        // Mock mode skips authorization: set once at start-up, not per request.
        services.authz_state().set_mock_mode(!options.auth);
        let mut seed = [0u8; 8];
        // Request ids need uniqueness, not secrecy: a failed RNG read leaves a zero seed.
        let _ = getrandom::getrandom(&mut seed);
        App {
            services,
            models,
            options,
            started: Instant::now(),
            request_seed: u64::from_le_bytes(seed),
            request_seq: AtomicU64::new(0),
            signing_keys: xacct_sigv4::SigningKeyCache::default(),
        }
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// A fresh request id in AWS's UUID form (unique, not secret: a splitmix64 stream).
    fn request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed);
        let a = splitmix64(self.request_seed ^ n);
        let b = splitmix64(a ^ n.rotate_left(29));
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// Answers one fully read request; object bodies are read into the response.
    pub fn handle(&self, req: &HttpRequest<'_>, source_ip: &str) -> HttpResponse {
        let answer = self.handle_answer(req, source_ip);
        let mut resp = answer.response;
        if let Some(object) = answer.object {
            match self.read_object(&object) {
                Ok(bytes) => resp.body = bytes,
                Err(e) => {
                    tracing::error!(error = %e, "object body could not be read");
                    let id = resp.header("x-amz-request-id").unwrap_or_default().to_owned();
                    return xacct_wire::encode_error(Protocol::RestXml, &AwsError::internal(), &id);
                }
            }
        }
        resp
    }

    /// Reads an object body whole (in-process callers; the HTTP server streams it instead).
    fn read_object(&self, object: &ObjectBody) -> Result<Vec<u8>, String> {
        use std::io::{Read, Seek, SeekFrom};
        let store = self.services.blob_store().map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(usize::try_from(object.len).unwrap_or(0));
        for r in &object.ranges {
            let mut f = store.open(&r.blob).map_err(|e| e.to_string())?;
            f.seek(SeekFrom::Start(r.offset)).map_err(|e| e.to_string())?;
            let mut chunk = Vec::new();
            f.take(r.len).read_to_end(&mut chunk).map_err(|e| e.to_string())?;
            if chunk.len() as u64 != r.len {
                return Err("blob shorter than its record".to_owned());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Answers one fully read request, leaving an object body to the caller to send.
    pub fn handle_answer(&self, req: &HttpRequest<'_>, source_ip: &str) -> Answer {
        let request_id = self.request_id();
        if let Some(resp) = admin::route(self, req, &request_id) {
            return Answer::plain(resp);
        }
        if req.method == "OPTIONS" {
            if let Some(resp) = self.cors_preflight(req, &request_id) {
                return Answer::plain(resp);
            }
        }
        let sreq = xacct_sigv4::HttpRequest {
            method: req.method,
            path: req.path,
            query: req.query,
            headers: req.headers,
        };
        let auth = match self.authenticate(&sreq, Some(req.body)) {
            Ok(a) => a,
            Err(e) => return Answer::plain(self.auth_failure(req, &e, &request_id, source_ip)),
        };
        let (route, input) = match self.route_and_decode(req, &auth, &request_id, source_ip) {
            Ok(x) => x,
            Err(resp) => return Answer::plain(resp),
        };
        let staged = if is_payload_route(&route) {
            let sink = self.services.blob_store().map_err(|e| to_aws_error(&e)).and_then(|blobs| {
                PayloadSink::new(blobs, req.headers, auth.parsed.as_ref(), auth.key.as_ref())
            });
            Some(sink.and_then(|mut sink| {
                sink.feed(req.body)?;
                sink.finish()
            }))
        } else {
            None
        };
        let mut answer = self.dispatch(req, &request_id, &auth, &route, &input, staged, source_ip);
        self.add_cors_headers(req, &mut answer.response);
        answer
    }

    /// The CORS headers of an ordinary S3 request from a browser (one with an `Origin`).
    fn add_cors_headers(&self, req: &HttpRequest<'_>, resp: &mut HttpResponse) {
        let header = |name: &str| {
            req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
        };
        let Some(origin) = header("origin") else { return };
        let Some(bucket) = xacct_wire::s3_bucket_of(header("host").unwrap_or_default(), req.path)
        else {
            return;
        };
        let headers =
            xacct_services::s3::cors_response_headers(&self.services, &bucket, origin, req.method);
        resp.headers.extend(headers);
    }

    /// An S3 CORS preflight: `OPTIONS` on a bucket or object, unsigned as browsers send it,
    /// answered from the bucket's CORS configuration. `None` when no bucket is addressed.
    fn cors_preflight(&self, req: &HttpRequest<'_>, request_id: &str) -> Option<HttpResponse> {
        let header = |name: &str| {
            req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
        };
        // Browsers send preflights with an Origin and without credentials.
        if header("origin").is_none()
            || header("authorization").is_some()
            || req.query.contains("X-Amz-Signature")
        {
            return None;
        }
        let bucket = xacct_wire::s3_bucket_of(header("host").unwrap_or_default(), req.path)?;
        let answer = xacct_services::s3::cors_preflight(
            &self.services,
            &bucket,
            header("origin"),
            header("access-control-request-method"),
            header("access-control-request-headers"),
        );
        Some(match answer {
            Ok(mut headers) => {
                headers.push(("x-amz-request-id".to_owned(), request_id.to_owned()));
                HttpResponse { status: 200, headers, body: Vec::new() }
            }
            Err(e) => xacct_wire::encode_error(Protocol::RestXml, &to_aws_error(&e), request_id),
        })
    }

    /// For an S3 payload request (`PutObject`, `UploadPart`) whose signature does not cover the
    /// body bytes themselves: authenticates and decodes it from its head alone and returns the
    /// sink to stream the body into. `None`: read the body whole and use [`App::handle_answer`].
    pub(crate) fn prepare_payload(
        &self,
        head: &HttpRequest<'_>,
        source_ip: &str,
    ) -> Option<Result<(Prepared, PayloadSink), HttpResponse>> {
        if head.method != "PUT"
            || head.path.starts_with("/_xacct")
            || head.path.starts_with("/moto-api")
        {
            return None;
        }
        if xacct_wire::protocol_guess(head) != Protocol::RestXml {
            return None;
        }
        let sreq = xacct_sigv4::HttpRequest {
            method: head.method,
            path: head.path,
            query: head.query,
            headers: head.headers,
        };
        if self.options.auth {
            // Only payload modes whose signature covers a declared hash can be checked first.
            let parsed = xacct_sigv4::parse(&sreq).ok()?;
            if parsed.payload == PayloadMode::FromBody {
                return None;
            }
        }
        let models = &self.models;
        let hint = xacct_sigv4::parse(&sreq).ok();
        let route = xacct_wire::classify(
            models,
            head,
            hint.as_ref().map(|p| p.scope.service.as_str()),
            hint.as_ref().map(|p| p.scope.region.as_str()),
        )
        .ok()?;
        if !is_payload_route(&route) {
            return None;
        }
        let request_id = self.request_id();
        let auth = match self.authenticate(&sreq, None) {
            Ok(a) => a,
            Err(e) => return Some(Err(self.auth_failure(head, &e, &request_id, source_ip))),
        };
        let (route, input) = match self.route_and_decode(head, &auth, &request_id, source_ip) {
            Ok(x) => x,
            Err(resp) => return Some(Err(resp)),
        };
        let sink = self.services.blob_store().map_err(|e| to_aws_error(&e)).and_then(|blobs| {
            PayloadSink::new(blobs, head.headers, auth.parsed.as_ref(), auth.key.as_ref())
        });
        match sink {
            Ok(sink) => Some(Ok((Prepared { request_id, auth, route, input }, sink))),
            Err(e) => Some(Err(with_request_id(
                xacct_wire::encode_route_error(&route, &e, &request_id),
                &request_id,
            ))),
        }
    }

    /// Runs a [`Prepared`] request once its body was streamed into the sink.
    pub(crate) fn finish_payload(
        &self,
        prepared: Prepared,
        staged: Result<StagedPayload, AwsError>,
        head: &HttpRequest<'_>,
        source_ip: &str,
    ) -> Answer {
        let Prepared { request_id, auth, route, input } = prepared;
        self.dispatch(head, &request_id, &auth, &route, &input, Some(staged), source_ip)
    }

    fn auth_failure(
        &self,
        req: &HttpRequest<'_>,
        e: &AwsError,
        request_id: &str,
        source_ip: &str,
    ) -> HttpResponse {
        let protocol = xacct_wire::protocol_guess(req);
        tracing::info!(request_id, code = e.code, source_ip, "authentication failed");
        with_request_id(xacct_wire::encode_error(protocol, e, request_id), request_id)
    }

    fn route_and_decode(
        &self,
        req: &HttpRequest<'_>,
        auth: &Authenticated,
        request_id: &str,
        source_ip: &str,
    ) -> Result<(Route, Value), HttpResponse> {
        let route = match xacct_wire::classify(
            &self.models,
            req,
            auth.scope_service.as_deref(),
            auth.scope_region.as_deref(),
        ) {
            Ok(r) => r,
            Err(rej) => {
                let protocol = xacct_wire::classify_protocol_hint(
                    &self.models,
                    req,
                    auth.scope_service.as_deref(),
                );
                tracing::info!(request_id, reason = %rej.message, "request not routable");
                return Err(with_request_id(
                    xacct_wire::encode_rejection(protocol, &rej, request_id),
                    request_id,
                ));
            }
        };
        match xacct_wire::decode(&self.models, &route, req) {
            Ok(v) => Ok((route, v)),
            Err(rej) => {
                tracing::info!(request_id, operation = %route.operation, reason = %rej.message, "request rejected");
                // The caller is known: the refusal is the caller's CloudTrail event.
                let call = Call {
                    service: route.service_id(),
                    operation: &route.operation,
                    region: &route.region,
                    caller: &auth.caller,
                    input: &serde_json::Value::Null,
                    request_id,
                    source_ip,
                    user_agent: user_agent_of(req),
                    streams: None,
                };
                let err = rej.to_aws_error(route.protocol);
                self.services.record_rejected(&call, &err.code, &err.message);
                Err(with_request_id(
                    xacct_wire::encode_route_rejection(&route, &rej, request_id),
                    request_id,
                ))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        req: &HttpRequest<'_>,
        request_id: &str,
        auth: &Authenticated,
        route: &Route,
        input: &Value,
        staged: Option<Result<StagedPayload, AwsError>>,
        source_ip: &str,
    ) -> Answer {
        let streams = match staged {
            None => (route.service_id() == "s3").then(Streams::default),
            Some(Ok(p)) => Some(Streams::with_payload(p)),
            Some(Err(e)) => {
                tracing::info!(request_id, code = e.code, "payload refused");
                return Answer::plain(with_request_id(
                    xacct_wire::encode_route_error(route, &e, request_id),
                    request_id,
                ));
            }
        };
        let call = Call {
            service: route.service_id(),
            operation: &route.operation,
            region: &route.region,
            caller: &auth.caller,
            input,
            request_id,
            source_ip,
            user_agent: user_agent_of(req),
            streams: streams.as_ref(),
        };
        let resp = match self.services.call(&call) {
            Ok(output) => xacct_wire::encode_output(&self.models, route, &output, request_id),
            Err(e) if e.code == xacct_services::UNKNOWN_OPERATION => {
                let rej = Rejection::new(
                    RejectionKind::UnknownOperation {
                        operation: route.operation.clone(),
                        api_version: route.service.metadata.api_version.clone(),
                    },
                    e.message,
                );
                xacct_wire::encode_route_rejection(route, &rej, request_id)
            }
            Err(e) => {
                log_service_error(&e, request_id, &route.operation, &auth.caller);
                let extra: Vec<(&str, &str)> =
                    e.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                xacct_wire::encode_route_error_with(route, &to_aws_error(&e), request_id, &extra)
            }
        };
        tracing::debug!(request_id, service = route.service_id(), operation = %route.operation, status = resp.status, "answered");
        let object = if resp.status < 300 { streams.and_then(|s| s.take_body()) } else { None };
        Answer { response: with_request_id(resp, request_id), object }
    }

    /// Verifies the signature (or, in mock mode, picks the mock caller).
    fn authenticate(
        &self,
        sreq: &xacct_sigv4::HttpRequest<'_>,
        body: Option<&[u8]>,
    ) -> Result<Authenticated, AwsError> {
        let parsed = xacct_sigv4::parse(sreq);
        if !self.options.auth {
            return Ok(match parsed {
                Ok(p) => Authenticated {
                    // Mock mode verifies no signature, but credentials xacct issued still
                    // stand for their principal: a session token for its session, an IAM
                    // user's key for the user (so `GetCallerIdentity` answers as AWS would).
                    caller: p
                        .security_token
                        .as_deref()
                        .and_then(|token| {
                            let now = self.services.clock().now_unix();
                            self.services.resolve_session(&p.access_key_id, token, now).ok()
                        })
                        .map(|(_, c)| c)
                        .or_else(|| {
                            let key = self.services.resolve_access_key(&p.access_key_id).ok()??;
                            key.active.then(|| key.caller.clone())
                        })
                        .unwrap_or_else(|| self.services.mock_caller(Some(&p.access_key_id))),
                    scope_service: Some(p.scope.service.clone()),
                    scope_region: Some(p.scope.region.clone()),
                    parsed: Some(p),
                    key: None,
                },
                Err(_) => Authenticated {
                    caller: self.services.mock_caller(None),
                    scope_service: None,
                    scope_region: None,
                    parsed: None,
                    key: None,
                },
            });
        }
        let flavor_hint = |service: Option<&str>| match service {
            Some(s) => ErrorFlavor::for_service(s),
            None => flavor_of(xacct_wire::protocol_guess(&HttpRequest {
                method: sreq.method,
                path: sreq.path,
                query: sreq.query,
                headers: sreq.headers,
                body: body.unwrap_or_default(),
            })),
        };
        let parsed = parsed.map_err(|e| sigv4_error(&e, flavor_hint(None)))?;
        let flavor = flavor_hint(Some(&parsed.scope.service));
        let now = self.services.clock().now_unix();
        if parsed.access_key_id.starts_with("ASIA") {
            // Temporary credentials: the session token carries the session; the secret is
            // derived from the key id, so nothing is looked up.
            let token = parsed
                .security_token
                .as_deref()
                .ok_or_else(|| sigv4_error(&SigV4Error::InvalidClientTokenId, flavor))?;
            let (secret, caller) = self
                .services
                .resolve_session(&parsed.access_key_id, token, now)
                .map_err(|e| match e {
                    SessionError::Invalid => sigv4_error(&SigV4Error::InvalidToken, flavor),
                    SessionError::Expired => sigv4_error(&SigV4Error::ExpiredToken, flavor),
                    SessionError::Internal(e) => {
                        tracing::error!(detail = ?e.internal_detail, "session resolution failed");
                        AwsError::internal()
                    }
                })?;
            let key = self.signing_keys.get(&parsed.access_key_id, &secret, &parsed.scope);
            verify(sreq, &parsed, body, &key, now).map_err(|e| sigv4_error(&e, flavor))?;
            return Ok(Authenticated {
                caller,
                scope_service: Some(parsed.scope.service.clone()),
                scope_region: Some(parsed.scope.region.clone()),
                parsed: Some(parsed),
                key: Some(key),
            });
        }
        let key = self
            .services
            .resolve_access_key(&parsed.access_key_id)
            .map_err(|e| {
                tracing::error!(detail = ?e.internal_detail, "access key lookup failed");
                AwsError::internal()
            })?
            .filter(|k| k.active)
            .ok_or_else(|| sigv4_error(&SigV4Error::InvalidClientTokenId, flavor))?;
        if parsed.security_token.is_some() {
            // Long-term keys carry no session token; a token on one does not authenticate.
            return Err(sigv4_error(&SigV4Error::InvalidClientTokenId, flavor));
        }
        let signing =
            self.signing_keys.get(&parsed.access_key_id, &key.secret_access_key, &parsed.scope);
        verify(sreq, &parsed, body, &signing, now).map_err(|e| sigv4_error(&e, flavor))?;
        Ok(Authenticated {
            caller: key.caller.clone(),
            scope_service: Some(parsed.scope.service.clone()),
            scope_region: Some(parsed.scope.region.clone()),
            parsed: Some(parsed),
            key: Some(signing),
        })
    }

    fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// Verifies with the body when there is one, else (streamed payloads) the head alone.
fn verify(
    sreq: &xacct_sigv4::HttpRequest<'_>,
    parsed: &ParsedAuth,
    body: Option<&[u8]>,
    key: &SigningKey,
    now: i64,
) -> Result<(), SigV4Error> {
    match body {
        Some(b) => xacct_sigv4::verify_with_key(sreq, parsed, b, key, now),
        None => xacct_sigv4::verify_without_body(sreq, parsed, key, now),
    }
}

/// S3 operations whose body is object bytes, staged by [`PayloadSink`].
fn is_payload_route(route: &Route) -> bool {
    route.service_id() == "s3"
        && xacct_services::s3::PAYLOAD_OPERATIONS.contains(&route.operation.as_str())
}

/// The `User-Agent` header, empty when absent (CloudTrail's `userAgent`).
fn user_agent_of<'a>(req: &HttpRequest<'a>) -> &'a str {
    req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("user-agent")).map_or("", |(_, v)| *v)
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn flavor_of(protocol: Protocol) -> ErrorFlavor {
    match protocol {
        Protocol::Query | Protocol::Ec2 => ErrorFlavor::Query,
        Protocol::Json10 | Protocol::Json11 | Protocol::RestJson => ErrorFlavor::Json,
        Protocol::RestXml => ErrorFlavor::S3,
    }
}

fn sigv4_error(e: &SigV4Error, flavor: ErrorFlavor) -> AwsError {
    AwsError::new(e.code_for(flavor), e.message_for(flavor), e.http_status_for(flavor))
}

fn to_aws_error(e: &ServiceError) -> AwsError {
    AwsError {
        code: e.code.to_owned(),
        message: e.message.clone(),
        status: e.status,
        sender_fault: e.sender_fault,
    }
}

fn log_service_error(e: &ServiceError, request_id: &str, operation: &str, caller: &Caller) {
    if e.status >= 500 {
        tracing::error!(request_id, operation, code = e.code, detail = ?e.internal_detail, "operation failed");
    } else {
        tracing::info!(request_id, operation, code = e.code, caller = %caller.arn, "operation refused");
    }
}

/// Adds AWS's request-id headers unless the protocol module set one.
fn with_request_id(mut resp: HttpResponse, request_id: &str) -> HttpResponse {
    if resp.header("x-amzn-requestid").is_none() && resp.header("x-amz-request-id").is_none() {
        resp.headers.push(("x-amzn-RequestId".to_owned(), request_id.to_owned()));
    }
    resp
}
