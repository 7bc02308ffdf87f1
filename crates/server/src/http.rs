//! hyper glue: accept connections, read each request whole (bounded) and hand it to
//! [`App::handle_answer`], write the answer; stop accepting on shutdown and let open requests
//! finish. S3 object payloads are the exception both ways: `PutObject`/`UploadPart` bodies
//! stream into a temp blob as they arrive ([`App::prepare_payload`]), and object bodies stream
//! from their blobs through a small bounded channel, so neither is ever held whole in memory.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use xacct_wire::{AwsError, HttpRequest, HttpResponse};

use crate::{Answer, App};
use xacct_services::s3::ObjectBody;

/// Bytes per read of an object body, and chunks in flight per download.
const READ_CHUNK: usize = 256 * 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

/// A response body: bytes in memory, or object bytes arriving from a blob reader.
pub(crate) enum ResponseBody {
    Full(Option<Bytes>),
    Object { rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>, remaining: u64 },
}

impl hyper::body::Body for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Object { rx, remaining } => match rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(b))) => {
                    *remaining = remaining.saturating_sub(b.len() as u64);
                    Poll::Ready(Some(Ok(Frame::data(b))))
                }
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(b) => b.as_ref().is_none_or(Bytes::is_empty),
            ResponseBody::Object { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            ResponseBody::Object { remaining, .. } => SizeHint::with_exact(*remaining),
        }
    }
}

/// Objects up to this size are read inline and sent whole: a blocking-thread handoff and a
/// channel cost more than reading a few pages that are usually in the page cache.
const INLINE_MAX: u64 = 64 * 1024;

/// `object`'s bytes read now, when it is small enough (see [`INLINE_MAX`]); `None` when it is
/// larger or a read fails (the streaming path then reports the failure as it does for any).
fn object_inline(app: &App, object: &ObjectBody) -> Option<Bytes> {
    use std::io::{Read, Seek, SeekFrom};
    if object.len > INLINE_MAX {
        return None;
    }
    let store = app.services().blob_store().ok()?;
    let mut out = Vec::with_capacity(usize::try_from(object.len).ok()?);
    for r in &object.ranges {
        let mut f = store.open(&r.blob).ok()?;
        f.seek(SeekFrom::Start(r.offset)).ok()?;
        let mut part = f.take(r.len);
        let before = out.len();
        part.read_to_end(&mut out).ok()?;
        if (out.len() - before) as u64 != r.len {
            return None; // shorter than its record: let the streaming path report it
        }
    }
    Some(Bytes::from(out))
}

/// Streams `object` from blob storage on a blocking thread, a few chunks ahead of the socket
/// (small objects are sent whole, see [`object_inline`]).
fn object_stream(app: &Arc<App>, object: ObjectBody) -> ResponseBody {
    if let Some(bytes) = object_inline(app, &object) {
        return ResponseBody::Full(Some(bytes));
    }
    let (tx, rx) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
    let app = Arc::clone(app);
    let remaining = object.len;
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek, SeekFrom};
        let send_err = |tx: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>, e: String| {
            tracing::error!(error = %e, "object body read failed");
            let _ = tx.blocking_send(Err(std::io::Error::other(e)));
        };
        let store = match app.services().blob_store() {
            Ok(s) => s,
            Err(e) => return send_err(&tx, e.to_string()),
        };
        for r in &object.ranges {
            let mut f = match store.open(&r.blob) {
                Ok(f) => f,
                Err(e) => return send_err(&tx, e.to_string()),
            };
            if let Err(e) = f.seek(SeekFrom::Start(r.offset)) {
                return send_err(&tx, e.to_string());
            }
            let mut left = r.len;
            while left > 0 {
                let want = usize::try_from(left).unwrap_or(READ_CHUNK).min(READ_CHUNK);
                let mut buf = vec![0u8; want];
                match f.read(&mut buf) {
                    Ok(0) => return send_err(&tx, "blob shorter than its record".to_owned()),
                    Ok(n) => {
                        buf.truncate(n);
                        left -= n as u64;
                        if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                            return; // the client went away
                        }
                    }
                    Err(e) => return send_err(&tx, e.to_string()),
                }
            }
        }
    });
    ResponseBody::Object { rx, remaining }
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits (at most 10 s) for open
/// connections to finish their requests. Connections run on the current runtime.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = accept(&listener) => {
                if let Some((stream, remote)) = accepted {
                    spawn_connection(&app, stream, remote, &graceful);
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    drain(graceful).await;
    Ok(())
}

/// [`serve`] with connections spread over `shards` threads, each running its own
/// single-threaded runtime: the caller's runtime accepts and hands each new connection to the
/// next shard in turn, and the connection stays there. Requests then never move between
/// threads (no work-stealing wake-ups, allocations freed where they were made). Returns after
/// every shard has drained its connections (at most 10 s after `shutdown`).
pub async fn serve_sharded(
    app: Arc<App>,
    listener: TcpListener,
    shards: usize,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    type Handoff = tokio::sync::mpsc::UnboundedSender<(std::net::TcpStream, SocketAddr)>;
    let mut senders: Vec<Handoff> = Vec::new();
    let mut threads = Vec::new();
    for i in 0..shards.max(1) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let app = Arc::clone(&app);
        let thread =
            std::thread::Builder::new().name(format!("xacct-http-{i}")).spawn(move || {
                runtime.block_on(async move {
                    let graceful = GracefulShutdown::new();
                    while let Some((stream, remote)) = rx.recv().await {
                        match tokio::net::TcpStream::from_std(stream) {
                            Ok(stream) => spawn_connection(&app, stream, remote, &graceful),
                            Err(e) => tracing::warn!(error = %e, "cannot adopt a connection"),
                        }
                    }
                    drain(graceful).await;
                });
            })?;
        senders.push(tx);
        threads.push(thread);
    }
    tokio::pin!(shutdown);
    let mut next = 0usize;
    loop {
        tokio::select! {
            accepted = accept(&listener) => {
                let Some((stream, remote)) = accepted else { continue };
                let handed = stream.into_std().and_then(|s| {
                    s.set_nonblocking(true)?;
                    Ok(s)
                });
                match handed {
                    Ok(s) => {
                        if let Some(tx) = senders.get(next % senders.len()) {
                            let _ = tx.send((s, remote));
                        }
                        next = next.wrapping_add(1);
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot hand a connection over"),
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    drop(senders);
    tokio::task::spawn_blocking(move || {
        for t in threads {
            if t.join().is_err() {
                tracing::error!("a connection thread panicked");
            }
        }
    })
    .await
    .map_err(std::io::Error::other)
}

/// The next connection, or `None` after a failed accept (logged, with a short back-off).
async fn accept(listener: &TcpListener) -> Option<(tokio::net::TcpStream, SocketAddr)> {
    match listener.accept().await {
        Ok((stream, remote)) => {
            let _ = stream.set_nodelay(true);
            Some((stream, remote))
        }
        Err(e) => {
            // Out of file descriptors and the like: back off instead of spinning.
            tracing::warn!(error = %e, "accept failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// Serves HTTP/1.1 on `stream` in a task of the current runtime.
fn spawn_connection(
    app: &Arc<App>,
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    graceful: &GracefulShutdown,
) {
    let app = Arc::clone(app);
    let service = service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Infallible>(answer(&app, req, remote).await) }
    });
    let conn =
        http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
    let conn = graceful.watch(conn);
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
}

/// Lets open connections finish their requests, for at most 10 s.
async fn drain(graceful: GracefulShutdown) {
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(Duration::from_secs(10)) => tracing::warn!("connections still open after 10 s; stopping anyway"),
    }
}

async fn answer(
    app: &Arc<App>,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Response<ResponseBody> {
    let (parts, mut body) = req.into_parts();
    let ip = remote.ip().to_string();
    if let Some(resp) = stream_payload(app, &parts, &mut body, &ip).await {
        return resp;
    }
    let limit = app.options().max_body_bytes;
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let too_large = e.downcast_ref::<http_body_util::LengthLimitError>().is_some();
            let err = if too_large {
                AwsError::new(
                    "RequestEntityTooLarge",
                    format!("The request body exceeds the maximum of {limit} bytes."),
                    413,
                )
            } else {
                AwsError::new("IncompleteBody", "The request body could not be read.", 400)
            };
            return to_hyper(plain_error(&parts, &err));
        }
    };
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        match value.to_str() {
            Ok(v) => headers.push((name.as_str(), v)),
            Err(_) => {
                let err = AwsError::new(
                    "InvalidRequest",
                    format!("The value of header `{}` is not visible ASCII.", name.as_str()),
                    400,
                );
                return to_hyper(plain_error(&parts, &err));
            }
        }
    }
    let host_header;
    if !parts.headers.contains_key(hyper::header::HOST) {
        // HTTP/1.1 clients always send Host; keep absolute-form targets working too.
        if let Some(a) = parts.uri.authority() {
            host_header = a.as_str().to_owned();
            headers.push(("host", &host_header));
        }
    }
    let req = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    let answer = app.handle_answer(&req, &ip);
    respond(app, answer)
}

fn respond(app: &Arc<App>, answer: Answer) -> Response<ResponseBody> {
    let Answer { response, object } = answer;
    let mut out = to_hyper(response);
    if let Some(object) = object {
        *out.body_mut() = object_stream(app, object);
    }
    out
}

/// Visible-ASCII header pairs of a request head, or the error for one that is not.
fn header_pairs(parts: &hyper::http::request::Parts) -> Result<Vec<(&str, &str)>, AwsError> {
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(parts.headers.len() + 1);
    for (name, value) in &parts.headers {
        match value.to_str() {
            Ok(v) => headers.push((name.as_str(), v)),
            Err(_) => {
                return Err(AwsError::new(
                    "InvalidRequest",
                    format!("The value of header `{}` is not visible ASCII.", name.as_str()),
                    400,
                ))
            }
        }
    }
    Ok(headers)
}

/// S3 payload requests: authenticate from the head, stream the body into a temp blob, then
/// run the operation. `None` for every other request.
async fn stream_payload(
    app: &Arc<App>,
    parts: &hyper::http::request::Parts,
    body: &mut Incoming,
    ip: &str,
) -> Option<Response<ResponseBody>> {
    if parts.method != hyper::Method::PUT {
        return None;
    }
    let mut headers = header_pairs(parts).ok()?;
    let host_header;
    if !parts.headers.contains_key(hyper::header::HOST) {
        if let Some(a) = parts.uri.authority() {
            host_header = a.as_str().to_owned();
            headers.push(("host", &host_header));
        }
    }
    let head = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &[],
    };
    let (prepared, mut sink) = match app.prepare_payload(&head, ip)? {
        Ok(p) => p,
        Err(resp) => return Some(to_hyper(resp)),
    };
    let mut failure = None;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => {
                if let Ok(data) = f.into_data() {
                    if let Err(e) = sink.feed(&data) {
                        failure = Some(e);
                        break;
                    }
                }
            }
            Err(_) => {
                failure = Some(AwsError::new(
                    "IncompleteBody",
                    "The request body terminated unexpectedly",
                    400,
                ));
                break;
            }
        }
    }
    let staged = match failure {
        Some(e) => Err(e),
        None => sink.finish(),
    };
    let answer = app.finish_payload(prepared, staged, &head, ip);
    Some(respond(app, answer))
}

/// An error answered before the request could be read, in the guessed protocol's envelope.
fn plain_error(parts: &hyper::http::request::Parts, err: &AwsError) -> HttpResponse {
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)))
        .collect();
    let req = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &[],
    };
    xacct_wire::encode_error(xacct_wire::protocol_guess(&req), err, "")
}

fn to_hyper(resp: HttpResponse) -> Response<ResponseBody> {
    let mut out = Response::new(ResponseBody::Full(Some(Bytes::from(resp.body))));
    *out.status_mut() = hyper::StatusCode::from_u16(resp.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    for (name, value) in resp.headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            headers.append(n, v);
        }
    }
    out
}
