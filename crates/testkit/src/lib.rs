//! Test support: [`TestServer`] runs the real pipeline in-process on a free loopback port with a
//! fresh data directory; [`Requester`] sends raw HTTP/1.1 requests, signed or deliberately not,
//! for wire edge cases the SDKs never produce.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use xacct_server::{App, Options};
use xacct_services::{Clock, Config, NewAccessKey, Services};

/// The management root key every test server starts with.
pub const ROOT_KEY_ID: &str = "AKIAXACCTTESTKIT0001";
/// Its secret.
pub const ROOT_SECRET: &str = "testkitRootSecret00000000000000000000000";

/// Why the test server could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// A running in-process server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub data_dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with authentication on.
    pub fn start() -> Result<TestServer, StartError> {
        TestServer::start_with(Options::default())
    }

    /// Starts a server with `options` (its root key is always [`ROOT_KEY_ID`]).
    pub fn start_with(mut options: Options) -> Result<TestServer, StartError> {
        let err = |what: &str, e: &dyn std::fmt::Display| StartError(format!("{what}: {e}"));
        let data_dir = tempfile::tempdir().map_err(|e| err("tempdir", &e))?;
        let store = xacct_store::open_sqlite(data_dir.path()).map_err(|e| err("store", &e))?;
        let blobs = xacct_store::FsBlobStore::open(&data_dir.path().join("blobs"))
            .map_err(|e| err("blobs", &e))?;
        let services = Services::new(store, Arc::new(Clock::new()), Config::default())
            .with_blob_store(Arc::new(blobs));
        let root = NewAccessKey {
            access_key_id: ROOT_KEY_ID.to_owned(),
            secret_access_key: ROOT_SECRET.to_owned(),
        };
        services.bootstrap(Some(root.clone())).map_err(|e| err("bootstrap", &e))?;
        options.root_key = Some(root);
        options.store_description = format!("sqlite:{}", data_dir.path().display());
        let models = xacct_wire::Models::load().map_err(|e| err("models", &e))?;
        let app = Arc::new(App::new(services, models, options));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| err("bind", &e))?;
        listener.set_nonblocking(true).map_err(|e| err("nonblocking", &e))?;
        let addr = listener.local_addr().map_err(|e| err("local_addr", &e))?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let Ok(rt) =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let _ = xacct_server::serve(app, listener, async {
                    let _ = rx.await;
                })
                .await;
            });
        });
        Ok(TestServer { addr, data_dir, shutdown: Some(tx), thread: Some(thread) })
    }

    /// A requester signing as the management root.
    pub fn root(&self) -> Requester {
        Requester::new(self.addr, ROOT_KEY_ID, ROOT_SECRET)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A response as received.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends raw HTTP/1.1 requests to a server, signing them with SigV4 when asked.
#[derive(Debug, Clone)]
pub struct Requester {
    addr: SocketAddr,
    key_id: String,
    secret: String,
    region: String,
    /// Seconds added to the signing time (negative = signed in the past).
    pub skew_seconds: i64,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0)
}

impl Requester {
    pub fn new(addr: SocketAddr, key_id: &str, secret: &str) -> Requester {
        Requester {
            addr,
            key_id: key_id.to_owned(),
            secret: secret.to_owned(),
            region: "us-east-1".to_owned(),
            skew_seconds: 0,
        }
    }

    /// A query-protocol (form) POST, signed for `service`.
    pub fn query(&self, service: &str, form: &str) -> std::io::Result<RawResponse> {
        self.signed(
            service,
            "POST",
            "/",
            &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
            form.as_bytes(),
        )
    }

    /// A json-protocol POST to `target`, signed for `service`.
    pub fn json(
        &self,
        service: &str,
        target: &str,
        version: &str,
        body: &str,
    ) -> std::io::Result<RawResponse> {
        let ct = format!("application/x-amz-json-{version}");
        self.signed(
            service,
            "POST",
            "/",
            &[("content-type", &ct), ("x-amz-target", target)],
            body.as_bytes(),
        )
    }

    /// Any request, signed for `service` (path may carry a query string).
    pub fn signed(
        &self,
        service: &str,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<RawResponse> {
        let host = self.addr.to_string();
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let mut all: Vec<(&str, &str)> = vec![("host", &host)];
        all.extend_from_slice(headers);
        let req = xacct_sigv4::HttpRequest { method, path, query, headers: &all };
        let signed = xacct_sigv4::sign_headers(
            &req,
            &xacct_sigv4::SigningParams {
                credentials: xacct_sigv4::Credentials {
                    access_key_id: &self.key_id,
                    secret_access_key: &self.secret,
                    session_token: None,
                },
                region: &self.region,
                service,
                time_unix: now_unix() + self.skew_seconds,
                payload: xacct_sigv4::SignPayload::Body(body),
                content_sha256_header: service == "s3",
            },
        );
        let pairs = signed.to_pairs();
        let mut extra: Vec<(&str, &str)> = headers.to_vec();
        extra.extend(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        self.raw(method, path_and_query, &extra, body)
    }

    /// An unsigned request with exactly these headers (plus Host and Content-Length).
    pub fn raw(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<RawResponse> {
        let mut head = format!(
            "{method} {path_and_query} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        send_bytes(self.addr, &bytes)
    }
}

/// Writes `bytes` to the server and reads the whole (Connection: close) response.
pub fn send_bytes(addr: SocketAddr, bytes: &[u8]) -> std::io::Result<RawResponse> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.write_all(bytes)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&raw).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed HTTP response")
    })
}

fn parse(raw: &[u8]) -> Option<RawResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(raw.get(..split)?).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())))
        .collect();
    let body = String::from_utf8_lossy(raw.get(split + 4..)?).into_owned();
    Some(RawResponse { status, headers, body })
}
