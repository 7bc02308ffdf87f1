//! hyper glue: accept connections, read each request whole (bounded), hand it to
//! [`App::handle`], write the answer; stop accepting on shutdown and let open requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use xacct_wire::{AwsError, HttpRequest, HttpResponse};

use crate::App;

/// Serves `app` on `listener` until `shutdown` resolves, then waits (at most 10 s) for open
/// connections to finish their requests.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = Arc::clone(&app);
                let service = service_fn(move |req| {
                    let app = Arc::clone(&app);
                    async move { Ok::<_, Infallible>(answer(&app, req, remote).await) }
                });
                let conn = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(Duration::from_secs(10)) => tracing::warn!("connections still open after 10 s; stopping anyway"),
    }
    Ok(())
}

async fn answer(app: &App, req: Request<Incoming>, remote: SocketAddr) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
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
    let ip = remote.ip().to_string();
    to_hyper(app.handle(&req, &ip))
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

fn to_hyper(resp: HttpResponse) -> Response<Full<Bytes>> {
    let mut out = Response::new(Full::new(Bytes::from(resp.body)));
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
