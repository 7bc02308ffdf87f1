//! xacct's own routes under `/_xacct/` (plus moto's `/moto-api/reset`, so moto's server-mode
//! test suites can drive xacct): health, reset, the test clock, and account creation with a
//! fixed id. Everything but health needs the management account's root signature when
//! authentication is on.

use serde_json::{json, Value};
use xacct_services::organizations::{self, NewAccount, DEFAULT_ACCESS_ROLE};
use xacct_services::PrincipalKind;
use xacct_wire::{AwsError, HttpRequest, HttpResponse};

use crate::App;

/// Answers `req` if it is an admin route.
pub(crate) fn route(app: &App, req: &HttpRequest<'_>, request_id: &str) -> Option<HttpResponse> {
    let path = req.path;
    if !(path.starts_with("/_xacct/") || path == "/moto-api/reset" || path == "/moto-api/reset/") {
        return None;
    }
    let resp = match (req.method, path) {
        ("GET", "/_xacct/health") => Ok(json_response(
            200,
            &json!({
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "store": app.options.store_description,
                "auth": if app.options.auth { "on" } else { "off" },
                "uptime_seconds": app.uptime_seconds(),
            }),
        )),
        ("POST", "/_xacct/reset" | "/moto-api/reset" | "/moto-api/reset/") => reset(app, req),
        ("GET" | "POST", "/_xacct/clock") if app.options.clock_admin => clock(app, req),
        ("POST", "/_xacct/accounts") => create_account(app, req),
        _ => {
            Err(AwsError::new("NotFound", format!("No admin route `{} {path}`.", req.method), 404))
        }
    };
    Some(match resp {
        Ok(r) => r,
        Err(e) => json_response(
            e.status,
            &json!({"__type": e.code, "message": e.message, "RequestId": request_id}),
        ),
    })
}

fn json_response(status: u16, body: &Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
        body: body.to_string().into_bytes(),
    }
}

/// The management account's root user must have signed (mock mode lets anyone through).
fn require_management_root(
    app: &App,
    req: &HttpRequest<'_>,
) -> Result<xacct_services::Caller, AwsError> {
    let sreq = xacct_sigv4::HttpRequest {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
    };
    let auth = app.authenticate(&sreq, Some(req.body))?;
    if !app.options.auth {
        return Ok(auth.caller);
    }
    let mgmt = &app.services.config().management_account_id;
    if auth.caller.kind != PrincipalKind::Root || &auth.caller.account != mgmt {
        return Err(AwsError::new(
            "AccessDenied",
            format!("User: {} is not authorized to use xacct's admin routes: only the management account's root user is.", auth.caller.arn),
            403,
        ));
    }
    Ok(auth.caller)
}

fn internal(e: &xacct_services::ServiceError) -> AwsError {
    if e.status >= 500 {
        tracing::error!(detail = ?e.internal_detail, "admin route failed");
        AwsError::internal()
    } else {
        AwsError::new(e.code, e.message.clone(), e.status)
    }
}

fn reset(app: &App, req: &HttpRequest<'_>) -> Result<HttpResponse, AwsError> {
    require_management_root(app, req)?;
    app.services.reset(app.options.root_key.clone()).map_err(|e| internal(&e))?;
    tracing::info!("state reset");
    Ok(json_response(200, &json!({"status": "ok"})))
}

fn body_json(req: &HttpRequest<'_>) -> Result<Value, AwsError> {
    if req.body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(req.body).map_err(|e| {
        AwsError::new("SerializationException", format!("The body is not valid JSON: {e}."), 400)
    })
}

fn clock(app: &App, req: &HttpRequest<'_>) -> Result<HttpResponse, AwsError> {
    let clock = app.services.clock();
    if req.method == "POST" {
        let body = body_json(req)?;
        let seconds = |k: &str| body.get(k).and_then(Value::as_f64);
        // f64 seconds to i64 ms: values beyond ±2^53 ms are not meaningful offsets anyway.
        if let Some(s) = seconds("advance_seconds") {
            clock.advance_ms((s * 1000.0) as i64);
        } else if let Some(s) = seconds("offset_seconds") {
            clock.set_offset_ms((s * 1000.0) as i64);
        } else {
            return Err(AwsError::new(
                "ValidationException",
                "Give `advance_seconds` or `offset_seconds`.",
                400,
            ));
        }
    }
    Ok(json_response(
        200,
        &json!({"now": clock.now_epoch_f64(), "offset_seconds": clock.offset_ms() as f64 / 1000.0}),
    ))
}

fn create_account(app: &App, req: &HttpRequest<'_>) -> Result<HttpResponse, AwsError> {
    let caller = require_management_root(app, req)?;
    let body = body_json(req)?;
    let text = |k: &str| body.get(k).and_then(Value::as_str);
    let name = text("Name").unwrap_or_default().to_owned();
    let id = text("Id");
    let email = match text("Email") {
        Some(e) => e.to_owned(),
        None => format!("{}@xacct.local", id.unwrap_or("account")),
    };
    let new = NewAccount {
        name: &name,
        email: &email,
        role_name: text("RoleName").unwrap_or(DEFAULT_ACCESS_ROLE),
        id,
        with_root_key: true,
    };
    let created = organizations::create_member_account(&app.services, &caller, &new, true)
        .map_err(|e| internal(&e))?;
    let key = created.root_key.as_ref();
    tracing::info!(account = %created.account.id, "account created");
    Ok(json_response(
        200,
        &json!({
            "Account": {"Id": created.account.id, "Name": created.account.name, "Email": created.account.email},
            "Credentials": {
                "AccessKeyId": key.map(|k| k.access_key_id.as_str()),
                "SecretAccessKey": key.map(|k| k.secret_access_key.as_str()),
            },
        }),
    ))
}
