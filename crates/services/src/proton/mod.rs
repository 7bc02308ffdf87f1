//! AWS Proton (json 1.0, `AwsProton20200720`), per account and region: environment account
//! connections ([`connections`]), environment templates and their versions ([`templates`]),
//! and environments provisioned through CloudFormation ([`environments`]), one function per
//! operation, named as AWS names it. [`actions`] is the permission table; [`render`] the
//! Jinja subset Proton renders environment templates with; [`bundle`] reads template bundles.
//!
//! Provisioning acts as the service does: Proton assumes the connection's role in the
//! environment account as `proton.amazonaws.com` (with `aws:SourceAccount` and `aws:SourceArn`
//! for the trust policy's conditions), renders the template, and runs CloudFormation there as
//! that role session (see `environments`). Every step is a call through `Services::call` (or the
//! recorded service `AssumeRole`), so it is authorized and appears in CloudTrail in the account
//! where it happens.
//!
//! Deployments are durable jobs (see [`crate::jobs`]), as in AWS: `CreateEnvironment`,
//! `UpdateEnvironment` and `DeleteEnvironment` validate, write the environment `IN_PROGRESS` (or
//! `DELETE_IN_PROGRESS`) together with the job in one transaction, and answer at once; the job
//! worker deploys and records `SUCCEEDED`/`FAILED` (or removes the environment, or records
//! `DELETE_FAILED`). Clients poll `GetEnvironment` (botocore's `environment_deployed` waiter).
//!
//! Not served: services, service instances, pipelines, components, service templates,
//! repositories, self-managed (pull request) and CodeBuild provisioning, customer-managed
//! environments: they answer `UnknownOperationException` or `ValidationException`.
//!
//! Security: the connection's role is assumed only for the management account the connection
//! names, only while the connection is `CONNECTED`, and only for an environment of that name;
//! the role's own permissions decide what the deployment may create.

pub mod actions;
pub mod bundle;
pub mod connections;
pub mod environments;
pub mod error;
pub mod model;
pub mod render;
pub mod templates;
#[cfg(test)]
mod tests;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::{input_str, unknown_operation, Call, ServiceError, Services};
use model::Tag;

/// The service principal Proton acts as.
pub const SERVICE_PRINCIPAL: &str = "proton.amazonaws.com";

/// Largest page of the `List*` operations (`maxResults` 1–100).
const MAX_PAGE: usize = 100;

/// Most tags on one resource (the model's `TagList` max is 50).
const MAX_TAGS: usize = 50;

pub(crate) fn dispatch(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    match call.operation {
        "CreateEnvironmentAccountConnection" => {
            connections::create_environment_account_connection(services, call)
        }
        "AcceptEnvironmentAccountConnection" => {
            connections::accept_environment_account_connection(services, call)
        }
        "RejectEnvironmentAccountConnection" => {
            connections::reject_environment_account_connection(services, call)
        }
        "GetEnvironmentAccountConnection" => {
            connections::get_environment_account_connection(services, call)
        }
        "ListEnvironmentAccountConnections" => {
            connections::list_environment_account_connections(services, call)
        }
        "UpdateEnvironmentAccountConnection" => {
            connections::update_environment_account_connection(services, call)
        }
        "DeleteEnvironmentAccountConnection" => {
            connections::delete_environment_account_connection(services, call)
        }
        "CreateEnvironmentTemplate" => templates::create_environment_template(services, call),
        "GetEnvironmentTemplate" => templates::get_environment_template(services, call),
        "UpdateEnvironmentTemplate" => templates::update_environment_template(services, call),
        "DeleteEnvironmentTemplate" => templates::delete_environment_template(services, call),
        "ListEnvironmentTemplates" => templates::list_environment_templates(services, call),
        "CreateEnvironmentTemplateVersion" => {
            templates::create_environment_template_version(services, call)
        }
        "GetEnvironmentTemplateVersion" => {
            templates::get_environment_template_version(services, call)
        }
        "UpdateEnvironmentTemplateVersion" => {
            templates::update_environment_template_version(services, call)
        }
        "DeleteEnvironmentTemplateVersion" => {
            templates::delete_environment_template_version(services, call)
        }
        "ListEnvironmentTemplateVersions" => {
            templates::list_environment_template_versions(services, call)
        }
        "CreateEnvironment" => environments::create_environment(services, call),
        "GetEnvironment" => environments::get_environment(services, call),
        "UpdateEnvironment" => environments::update_environment(services, call),
        "DeleteEnvironment" => environments::delete_environment(services, call),
        "ListEnvironments" => environments::list_environments(services, call),
        "TagResource" => tag_resource(services, call),
        "UntagResource" => untag_resource(services, call),
        "ListTagsForResource" => list_tags_for_resource(services, call),
        _ => Err(unknown_operation(call)),
    }
}

// ---------------------------------------------------------------- ARNs and input helpers

pub(crate) fn template_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:proton:{region}:{account}:environment-template/{name}")
}

pub(crate) fn version_arn(
    region: &str,
    account: &str,
    name: &str,
    major: u64,
    minor: u64,
) -> String {
    format!("arn:aws:proton:{region}:{account}:environment-template/{name}:{major}.{minor}")
}

pub(crate) fn environment_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:proton:{region}:{account}:environment/{name}")
}

/// A required string member (the wire layer checks presence too; this keeps handlers total).
pub(crate) fn required<'v>(call: &'v Call<'_>, member: &str) -> Result<&'v str, ServiceError> {
    input_str(call.input, member).ok_or_else(|| error::missing(member))
}

/// A `TemplateVersionPart` member (`0` or a number without leading zeros) as a number.
pub(crate) fn version_part(call: &Call<'_>, member: &str) -> Result<Option<u64>, ServiceError> {
    match input_str(call.input, member) {
        None => Ok(None),
        Some(s) => s.parse::<u64>().map(Some).map_err(|_| {
            error::validation(format!(
                "1 validation error detected: Value '{s}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(0|([1-9]{{1}}\\d*))$"
            ))
        }),
    }
}

/// The `tags` member as tags (the model bounds their lengths; at most 50).
pub(crate) fn tags_of(input: &Value) -> Result<Vec<Tag>, ServiceError> {
    let list = input.get("tags").and_then(Value::as_array).cloned().unwrap_or_default();
    if list.len() > MAX_TAGS {
        return Err(error::validation(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        ));
    }
    let mut out: Vec<Tag> = Vec::new();
    for t in &list {
        let (Some(key), Some(value)) = (input_str(t, "key"), input_str(t, "value")) else {
            continue;
        };
        out.retain(|x| x.key != key);
        out.push(Tag { key: key.to_owned(), value: value.to_owned() });
    }
    Ok(out)
}

pub(crate) fn tags_value(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({"key": t.key, "value": t.value})).collect())
}

/// One page of `items` for the call's `maxResults` and `nextToken` (an opaque base64 offset).
pub(crate) fn page<T: Clone>(
    call: &Call<'_>,
    items: &[T],
) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let start = match input_str(call.input, "nextToken") {
        None => 0,
        Some(t) => STANDARD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse::<usize>().ok()))
            .ok_or_else(|| error::validation("The nextToken is not valid"))?, // guessed text
    };
    let max = call
        .input
        .get("maxResults")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(MAX_PAGE)
        .clamp(1, MAX_PAGE);
    let end = start.saturating_add(max).min(items.len());
    let slice = items.get(start..end).map(<[T]>::to_vec).unwrap_or_default();
    let next = (end < items.len()).then(|| STANDARD.encode(format!("offset:{end}")));
    Ok((slice, next))
}

/// Adds `nextToken` to an output object when there is one.
pub(crate) fn with_next(mut out: Value, next: Option<String>) -> Value {
    if let (Some(n), Some(obj)) = (next, out.as_object_mut()) {
        obj.insert("nextToken".into(), Value::String(n));
    }
    out
}

/// Sets `key` on an output object when `value` is present.
pub(crate) fn opt(out: &mut Value, key: &str, value: Option<&str>) {
    if let (Some(v), Some(obj)) = (value, out.as_object_mut()) {
        obj.insert(key.to_owned(), Value::String(v.to_owned()));
    }
}

// ---------------------------------------------------------------- tags

/// What a `resourceArn` names.
enum Tagged {
    Connection(String),
    Template(String),
    Environment(String),
}

/// Parses a Proton resource ARN of the call's region.
fn tagged(call: &Call<'_>, arn: &str) -> Result<(String, Tagged), ServiceError> {
    let parts = xacct_policy::ArnParts::parse(arn)
        .filter(|p| p.service == "proton" && crate::ids::is_account_id(p.account));
    let Some(parts) = parts else {
        return Err(error::validation(format!("Invalid resource ARN {arn}"))); // guessed text
    };
    if parts.region != call.region {
        return Err(error::not_found(format!("Resource {arn} not found"))); // guessed text
    }
    let owner = parts.account.to_owned();
    let resource = parts.resource;
    let kind = if let Some(id) = resource.strip_prefix("environment-account-connection/") {
        Tagged::Connection(id.to_owned())
    } else if let Some(name) = resource.strip_prefix("environment-template/") {
        if name.contains(':') {
            return Err(error::validation(format!(
                "Tagging template versions is not supported by xacct: {arn}"
            )));
        }
        Tagged::Template(name.to_owned())
    } else if let Some(name) = resource.strip_prefix("environment/") {
        Tagged::Environment(name.to_owned())
    } else {
        return Err(error::validation(format!("Invalid resource ARN {arn}"))); // guessed text
    };
    Ok((owner, kind))
}

/// Applies `change` to the tags of the resource `resourceArn` names, in one transaction; the
/// resource must be the caller's (a connection: one of its two accounts).
fn with_tags(
    services: &Services,
    call: &Call<'_>,
    write: bool,
    change: impl FnOnce(&mut Vec<Tag>) -> Result<(), ServiceError>,
) -> Result<Vec<Tag>, ServiceError> {
    let arn = required(call, "resourceArn")?;
    let (owner, kind) = tagged(call, arn)?;
    let me = call.caller.account.as_str();
    let missing = || error::not_found(format!("Resource {arn} not found")); // guessed text
    let mut tx = services.store().write()?;
    let tags = match kind {
        Tagged::Connection(id) => {
            let key = model::connection_key(call.region, &id);
            let mut c = model::CONNECTIONS
                .get(&*tx, &key)?
                .filter(|c| c.arn == arn && connections::visible_to(c, me))
                .ok_or_else(missing)?;
            change(&mut c.tags)?;
            if write {
                model::CONNECTIONS.put(&mut *tx, &key, &c)?;
            }
            c.tags
        }
        Tagged::Template(name) => {
            if owner != me {
                return Err(missing());
            }
            let key = model::scoped_key(me, call.region, &name);
            let mut t = model::TEMPLATES.get(&*tx, &key)?.ok_or_else(missing)?;
            change(&mut t.tags)?;
            if write {
                model::TEMPLATES.put(&mut *tx, &key, &t)?;
            }
            t.tags
        }
        Tagged::Environment(name) => {
            if owner != me {
                return Err(missing());
            }
            let key = model::scoped_key(me, call.region, &name);
            let mut e = model::ENVIRONMENTS.get(&*tx, &key)?.ok_or_else(missing)?;
            change(&mut e.tags)?;
            if write {
                model::ENVIRONMENTS.put(&mut *tx, &key, &e)?;
            }
            e.tags
        }
    };
    if write {
        tx.commit()?;
    }
    Ok(tags)
}

/// `TagResource`: adds or replaces tags.
pub fn tag_resource(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let new = tags_of(call.input)?;
    with_tags(services, call, true, |tags| {
        for t in new {
            tags.retain(|x| x.key != t.key);
            tags.push(t);
        }
        if tags.len() > MAX_TAGS {
            return Err(quota_tags());
        }
        Ok(())
    })?;
    Ok(json!({}))
}

fn quota_tags() -> ServiceError {
    error::quota_exceeded("A resource can have at most 50 tags") // guessed text
}

/// `UntagResource`: removes tags by key (absent keys are fine).
pub fn untag_resource(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let keys: Vec<String> = call
        .input
        .get("tagKeys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    with_tags(services, call, true, |tags| {
        tags.retain(|t| !keys.contains(&t.key));
        Ok(())
    })?;
    Ok(json!({}))
}

/// `ListTagsForResource`.
pub fn list_tags_for_resource(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tags = with_tags(services, call, false, |_| Ok(()))?;
    let (items, next) = page(call, &tags)?;
    Ok(with_next(json!({ "tags": tags_value(&items) }), next))
}
