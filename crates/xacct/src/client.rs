//! A small signed HTTP client for xacct's own commands: credentials from the usual AWS chain
//! (environment variables, then the shared credentials file's profile), the endpoint from
//! `AWS_ENDPOINT_URL`, requests signed with SigV4 over plain HTTP/1.1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use xacct_sigv4::{sign_headers, Credentials, SignPayload, SigningParams};

/// Where and as whom to call.
pub struct Client {
    host: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    region: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn home() -> Option<PathBuf> {
    env("HOME").map(PathBuf::from)
}

fn credentials_file() -> Option<PathBuf> {
    env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws").join("credentials")))
}

/// Reads `[profile]` of an INI file into key/value pairs.
fn ini_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') && line.ends_with(']') {
            let name = line.trim_start_matches('[').trim_end_matches(']').trim();
            let name = name.strip_prefix("profile ").unwrap_or(name).trim();
            inside = name == section;
        } else if inside {
            if let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
    }
    out
}

impl Client {
    /// Credentials and endpoint as the aws CLI would find them.
    pub fn from_environment() -> Result<Client, String> {
        let endpoint =
            env("AWS_ENDPOINT_URL").unwrap_or_else(|| "http://127.0.0.1:4566".to_owned());
        let host = endpoint
            .strip_prefix("http://")
            .ok_or_else(|| format!("AWS_ENDPOINT_URL `{endpoint}` must be an http:// URL"))?
            .trim_end_matches('/')
            .to_owned();
        let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            return Ok(Client {
                host,
                access_key_id: id,
                secret_access_key: secret,
                session_token: env("AWS_SESSION_TOKEN"),
                region,
            });
        }
        let path = credentials_file()
            .ok_or("no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile")?;
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!("no credentials in the environment and cannot read {}: {e}", path.display())
        })?;
        let section = ini_section(&text, &profile);
        let get = |k: &str| section.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        match (get("aws_access_key_id"), get("aws_secret_access_key")) {
            (Some(id), Some(secret)) => Ok(Client {
                host,
                access_key_id: id,
                secret_access_key: secret,
                session_token: get("aws_session_token"),
                region,
            }),
            _ => Err(format!("profile `{profile}` in {} has no access key", path.display())),
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        service: &str,
        extra: &[(&str, String)],
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut headers: Vec<(&str, &str)> = vec![("host", &self.host)];
        for (k, v) in extra {
            headers.push((k, v));
        }
        let req = xacct_sigv4::HttpRequest { method, path, query: "", headers: &headers };
        let signed = sign_headers(
            &req,
            &SigningParams {
                credentials: Credentials {
                    access_key_id: &self.access_key_id,
                    secret_access_key: &self.secret_access_key,
                    session_token: self.session_token.as_deref(),
                },
                region: &self.region,
                service,
                time_unix: i64::try_from(now).unwrap_or(0),
                payload: SignPayload::Body(body),
                content_sha256_header: false,
            },
        );
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\nUser-Agent: xacct-cli/{}\r\n", self.host, body.len(), env!("CARGO_PKG_VERSION"));
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        for (k, v) in signed.to_pairs() {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect(&self.host)
            .map_err(|e| format!("cannot reach xacct at {}: {e}", self.host))?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body))
            .map_err(|e| format!("send failed: {e}"))?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(|e| format!("receive failed: {e}"))?;
        parse_response(&raw)
    }

    /// POSTs JSON to an xacct admin route, signed for the `organizations` scope.
    pub fn admin_post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let bytes = body.to_string().into_bytes();
        let (status, out) = self.send(
            "POST",
            path,
            "organizations",
            &[("content-type", "application/json".to_owned())],
            &bytes,
        )?;
        answer(status, &out)
    }

    /// Calls a json-protocol operation.
    pub fn json_call(
        &self,
        service: &str,
        target: &str,
        version: &str,
        input: &Value,
    ) -> Result<Value, String> {
        let bytes = input.to_string().into_bytes();
        let extra = [
            ("content-type", format!("application/x-amz-json-{version}")),
            ("x-amz-target", target.to_owned()),
        ];
        let (status, out) = self.send("POST", "/", service, &extra, &bytes)?;
        answer(status, &out)
    }
}

fn answer(status: u16, body: &[u8]) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if status == 200 {
        return Ok(v);
    }
    let code = v.get("__type").and_then(Value::as_str).unwrap_or("error");
    let message =
        v.get("message").or_else(|| v.get("Message")).and_then(Value::as_str).unwrap_or("");
    Err(format!("{code} (HTTP {status}): {message}"))
}

/// Splits an HTTP/1.1 response (Connection: close; Content-Length or to end, no chunking).
fn parse_response(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("malformed HTTP response")?;
    let head = std::str::from_utf8(raw.get(..split).unwrap_or_default())
        .map_err(|_| "malformed HTTP response head")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("malformed HTTP status line")?;
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    if head.lines().any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding: chunked")) {
        return Ok((status, dechunk(&body)));
    }
    Ok((status, body))
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(body.get(..eol).unwrap_or_default())
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(body.get(start..start + size).unwrap_or_default());
        body = body.get(start + size + 2..).unwrap_or_default();
    }
    out
}

/// Writes (or replaces) `[profile]` in the shared credentials file; returns its path.
pub fn write_profile(profile: &str, key_id: &str, secret: &str) -> Result<PathBuf, String> {
    let path = credentials_file().ok_or("cannot locate the AWS credentials file (HOME unset)")?;
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut out = String::new();
    let mut skipping = false;
    for line in existing.lines() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            skipping = t.trim_start_matches('[').trim_end_matches(']').trim() == profile;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(&format!(
        "[{profile}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    ));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file =
        options.open(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(out.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profiles() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = B\n[profile dev]\naws_access_key_id=C\n";
        assert_eq!(ini_section(text, "default").len(), 2);
        assert_eq!(
            ini_section(text, "dev"),
            vec![("aws_access_key_id".to_owned(), "C".to_owned())]
        );
    }

    #[test]
    fn parses_responses() {
        let (s, b) = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!((s, b.as_slice()), (200, b"{}".as_slice()));
        let (_, b) = parse_response(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(b, b"{}");
        assert!(parse_response(b"garbage").is_err());
    }
}
