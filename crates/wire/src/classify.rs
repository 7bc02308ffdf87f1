//! Classification: which service, operation and protocol an HTTP request is for, decided the way
//! AWS front ends decide on a shared endpoint: `X-Amz-Target` (json), `Action` (query, ec2),
//! else REST routing by path (s3, imagebuilder), with the SigV4 credential scope as a tiebreaker.

use std::sync::Arc;

use crate::form;
use crate::model::{Models, ServiceModel, SERVICES};
use crate::{HttpRequest, Protocol, Rejection, RejectionKind, Route};

const DEFAULT_REGION: &str = "us-east-1";

fn unknown_operation(svc: &ServiceModel, operation: &str) -> Rejection {
    Rejection::new(
        RejectionKind::UnknownOperation {
            operation: operation.to_owned(),
            api_version: svc.metadata.api_version.clone(),
        },
        format!("unknown operation `{operation}`"),
    )
}

fn unknown_service(detail: &str) -> Rejection {
    Rejection::new(RejectionKind::UnknownService, detail)
}

fn route(svc: &Arc<ServiceModel>, operation: String, protocol: Protocol, region: &str) -> Route {
    Route {
        service: Arc::clone(svc),
        operation,
        protocol,
        region: region.to_owned(),
        labels: Vec::new(),
    }
}

fn json_protocol(svc: &ServiceModel, req: &HttpRequest<'_>) -> Protocol {
    match req.media_type().as_deref() {
        Some("application/x-amz-json-1.0") => Protocol::Json10,
        Some("application/x-amz-json-1.1") => Protocol::Json11,
        _ => Protocol::from_model(svc),
    }
}

/// The query-family service (iam, sts, ec2, cloudformation) an `Action` request is for.
fn query_service<'m>(
    models: &'m Models,
    scope_service: Option<&str>,
    action: &str,
    version: Option<&str>,
) -> Option<&'m Arc<ServiceModel>> {
    let query_ids = ["sts", "iam", "ec2", "cloudformation"];
    if let Some(scope) = scope_service {
        if let Some(info) =
            SERVICES.iter().find(|i| i.signing_name == scope && query_ids.contains(&i.id))
        {
            return models.service(info.id).ok();
        }
    }
    if let Some(v) = version {
        if let Some(info) =
            SERVICES.iter().find(|i| i.api_version == v && query_ids.contains(&i.id))
        {
            return models.service(info.id).ok();
        }
    }
    // No scope and no known version: the service whose model has the action; sts first, since
    // unsigned sts calls (AssumeRoleWithWebIdentity) are the common unscoped case.
    query_ids
        .iter()
        .filter_map(|id| models.service(id).ok())
        .find(|svc| svc.operation(action).is_some())
}

pub(crate) fn classify(
    models: &Models,
    req: &HttpRequest<'_>,
    scope_service: Option<&str>,
    scope_region: Option<&str>,
) -> Result<Route, Rejection> {
    let region = scope_region.filter(|r| !r.is_empty()).unwrap_or(DEFAULT_REGION);

    if let Some(target) = req.header("x-amz-target") {
        let (prefix, operation) = target
            .rsplit_once('.')
            .ok_or_else(|| unknown_service("X-Amz-Target has no operation"))?;
        let svc = models
            .by_target_prefix(prefix)
            .ok_or_else(|| unknown_service("unknown X-Amz-Target prefix"))?;
        if svc.operation(operation).is_none() {
            return Err(unknown_operation(svc, operation));
        }
        return Ok(route(svc, operation.to_owned(), json_protocol(svc, req), region));
    }

    let scope_info = scope_service.and_then(|s| SERVICES.iter().find(|i| i.signing_name == s));
    let scoped_rest = scope_info.is_some_and(|i| i.protocol.starts_with("rest-"));
    if !scoped_rest {
        let (action, version) = form::peek_action(req);
        if let Some(action) = action {
            let svc = query_service(models, scope_service, &action, version.as_deref())
                .ok_or_else(|| unknown_service("no query service has this action"))?;
            let protocol = Protocol::from_model(svc);
            if svc.operation(&action).is_none() {
                let mut rej = unknown_operation(svc, &action);
                // AWS quotes the version the request asked for.
                if let (RejectionKind::UnknownOperation { api_version, .. }, Some(v)) =
                    (&mut rej.kind, version.as_deref())
                {
                    v.clone_into(api_version);
                }
                return Err(rej);
            }
            return Ok(route(svc, action, protocol, region));
        }
        if let Some(info) = scope_info {
            // A query/ec2 or json service signed for, but neither Action nor X-Amz-Target given.
            return Err(match info.protocol {
                "query" | "ec2" => {
                    Rejection::new(RejectionKind::MissingAction, "the request has no Action")
                }
                _ => unknown_service("the request has no X-Amz-Target"),
            });
        }
    }

    // REST: the scope names the service; unsigned requests are tried as s3.
    let id = scope_info.map_or("s3", |i| i.id);
    let svc = models.service(id).map_err(|_| unknown_service("unknown service"))?;
    let protocol = Protocol::from_model(svc);
    match crate::rest::route(svc, req) {
        Some((operation, labels)) => {
            let mut r = route(svc, operation, protocol, region);
            r.labels = labels;
            Ok(r)
        }
        None => Err(unknown_operation(svc, req.method)),
    }
}

/// The protocol to answer a classification failure in.
pub(crate) fn protocol_hint(
    models: &Models,
    req: &HttpRequest<'_>,
    scope_service: Option<&str>,
) -> Protocol {
    if req.header("x-amz-target").is_none() {
        if let Some(info) =
            scope_service.and_then(|s| SERVICES.iter().find(|i| i.signing_name == s))
        {
            if let Ok(svc) = models.service(info.id) {
                return Protocol::from_model(svc);
            }
        }
    }
    guess(req)
}

/// The protocol judged from the request alone.
pub(crate) fn guess(req: &HttpRequest<'_>) -> Protocol {
    if req.header("x-amz-target").is_some() {
        return match req.media_type().as_deref() {
            Some("application/x-amz-json-1.0") => Protocol::Json10,
            _ => Protocol::Json11,
        };
    }
    let (action, version) = form::peek_action(req);
    if action.is_some() {
        return if version.as_deref() == Some("2016-11-15") {
            Protocol::Ec2
        } else {
            Protocol::Query
        };
    }
    if req.media_type().is_some_and(|m| m == "application/x-www-form-urlencoded") {
        return Protocol::Query;
    }
    Protocol::RestXml
}
