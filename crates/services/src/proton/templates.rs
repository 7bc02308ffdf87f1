//! Environment templates and their versions. A version is registered from a template bundle in
//! S3, read with the caller's own `s3:GetObject` permission through `Services::call`;
//! registration is synchronous, so a version is `DRAFT` (or `REGISTRATION_FAILED` with the
//! reason in `statusMessage`) when the call returns. Publishing (`UpdateEnvironmentTemplateVersion`
//! with `status` `PUBLISHED`) makes it usable by environments; the template's
//! `recommendedVersion` is its newest published version, and a version's
//! `recommendedMinorVersion` the newest published minor version of its major version.
//!
//! Not served: `CUSTOMER_MANAGED` templates can be made but not deployed, and
//! `CreateEnvironmentTemplateVersion`'s `clientToken` is accepted and ignored.

use std::io::{Read, Seek, SeekFrom};

use serde_json::{json, Value};
use xacct_store::ReadTx;

use super::error::{conflict, not_found, validation};
use super::model::{self, TemplateRecord, VersionRecord, VersionStatus, TEMPLATES, VERSIONS};
use super::{bundle, opt, page, required, tags_of, template_arn, version_arn, with_next};
use crate::{input_str, Call, ServiceError, Services};

/// The largest template bundle read from S3 (chosen; AWS documents no limit).
const MAX_BUNDLE: u64 = 16 * 1024 * 1024;

fn template_not_found(name: &str) -> ServiceError {
    not_found(format!("Resource of type 'environment-template' with name '{name}' was not found"))
    // guessed text
}

fn version_not_found(name: &str, major: u64, minor: u64) -> ServiceError {
    not_found(format!(
        "Resource of type 'environment-template-version' with name '{name}:{major}.{minor}' was not found"
    )) // guessed text
}

pub(crate) fn template_value(t: &TemplateRecord) -> Value {
    let mut v = json!({
        "arn": t.arn,
        "name": t.name,
        "createdAt": t.created_at,
        "lastModifiedAt": t.last_modified_at,
    });
    opt(&mut v, "description", t.description.as_deref());
    opt(&mut v, "displayName", t.display_name.as_deref());
    opt(&mut v, "encryptionKey", t.encryption_key.as_deref());
    opt(&mut v, "provisioning", t.provisioning.as_deref());
    opt(&mut v, "recommendedVersion", t.recommended_version.as_deref());
    v
}

fn version_value(v: &VersionRecord, recommended_minor: Option<u64>, summary: bool) -> Value {
    let mut out = json!({
        "arn": v.arn,
        "templateName": v.template_name,
        "majorVersion": v.major.to_string(),
        "minorVersion": v.minor.to_string(),
        "status": v.status.as_str(),
        "createdAt": v.created_at,
        "lastModifiedAt": v.last_modified_at,
    });
    opt(&mut out, "description", v.description.as_deref());
    opt(&mut out, "statusMessage", v.status_message.as_deref());
    opt(&mut out, "recommendedMinorVersion", recommended_minor.map(|m| m.to_string()).as_deref());
    if !summary {
        opt(&mut out, "schema", v.schema.as_deref());
    }
    out
}

/// The template `name` of the account in the region.
pub(crate) fn find_template(
    tx: &dyn ReadTx,
    account: &str,
    region: &str,
    name: &str,
) -> Result<TemplateRecord, ServiceError> {
    TEMPLATES
        .get(tx, &model::scoped_key(account, region, name))?
        .ok_or_else(|| template_not_found(name))
}

/// Every version of a template, oldest first.
pub(crate) fn versions_of(
    tx: &dyn ReadTx,
    account: &str,
    region: &str,
    template: &str,
) -> Result<Vec<VersionRecord>, ServiceError> {
    let prefix = model::versions_prefix(account, region, template);
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = VERSIONS.scan(tx, &prefix, after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        out.extend(batch.into_iter().map(|(_, v)| v));
    }
    Ok(out)
}

/// The newest published minor version of `major` among `versions`.
fn recommended_minor(versions: &[VersionRecord], major: u64) -> Option<u64> {
    versions
        .iter()
        .filter(|v| v.major == major && v.status == VersionStatus::Published)
        .map(|v| v.minor)
        .max()
}

/// The template's newest published version as `MAJOR.MINOR`.
fn recommended_version(versions: &[VersionRecord]) -> Option<String> {
    versions
        .iter()
        .filter(|v| v.status == VersionStatus::Published)
        .map(|v| (v.major, v.minor))
        .max()
        .map(|(a, b)| format!("{a}.{b}"))
}

/// The published version an environment deploys: `minor` given, or the recommended minor
/// version of `major`.
pub(crate) fn published_version(
    tx: &dyn ReadTx,
    account: &str,
    region: &str,
    template: &str,
    major: u64,
    minor: Option<u64>,
) -> Result<VersionRecord, ServiceError> {
    let t = find_template(tx, account, region, template)?;
    if t.provisioning.is_some() {
        return Err(validation(format!(
            "Environment template {template} is for customer-managed environments, which xacct does not serve"
        )));
    }
    let versions = versions_of(tx, account, region, template)?;
    let minor = match minor {
        Some(m) => m,
        None => recommended_minor(&versions, major).ok_or_else(|| {
            validation(format!(
                "Environment template {template} has no published version with major version {major}"
            )) // guessed text
        })?,
    };
    let v = versions
        .into_iter()
        .find(|v| v.major == major && v.minor == minor)
        .ok_or_else(|| version_not_found(template, major, minor))?;
    if v.status != VersionStatus::Published {
        return Err(validation(format!(
            "Environment template version {template}:{major}.{minor} is not published"
        ))); // guessed text
    }
    Ok(v)
}

/// `CreateEnvironmentTemplate`.
pub fn create_environment_template(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let name = required(call, "name")?;
    let account = call.caller.account.as_str();
    let tags = tags_of(call.input)?;
    let now = services.clock().now_epoch_f64();
    let record = TemplateRecord {
        account: account.to_owned(),
        region: call.region.to_owned(),
        name: name.to_owned(),
        arn: template_arn(call.region, account, name),
        description: input_str(call.input, "description").map(str::to_owned),
        display_name: input_str(call.input, "displayName").map(str::to_owned),
        encryption_key: input_str(call.input, "encryptionKey").map(str::to_owned),
        provisioning: input_str(call.input, "provisioning").map(str::to_owned),
        recommended_version: None,
        created_at: now,
        last_modified_at: now,
        tags,
    };
    let mut tx = services.store().write()?;
    if !TEMPLATES.insert_new(&mut *tx, &model::scoped_key(account, call.region, name), &record)? {
        return Err(conflict(format!(
            "Resource of type 'environment-template' with name '{name}' already exists"
        ))); // guessed text
    }
    tx.commit()?;
    Ok(json!({ "environmentTemplate": template_value(&record) }))
}

/// `GetEnvironmentTemplate`.
pub fn get_environment_template(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let name = required(call, "name")?;
    let tx = services.store().read()?;
    let t = find_template(&*tx, &call.caller.account, call.region, name)?;
    Ok(json!({ "environmentTemplate": template_value(&t) }))
}

/// `UpdateEnvironmentTemplate`: description and display name.
pub fn update_environment_template(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let name = required(call, "name")?;
    let account = call.caller.account.as_str();
    let mut tx = services.store().write()?;
    let mut t = find_template(&*tx, account, call.region, name)?;
    if let Some(d) = input_str(call.input, "description") {
        t.description = Some(d.to_owned());
    }
    if let Some(d) = input_str(call.input, "displayName") {
        t.display_name = Some(d.to_owned());
    }
    t.last_modified_at = services.clock().now_epoch_f64();
    TEMPLATES.put(&mut *tx, &model::scoped_key(account, call.region, name), &t)?;
    tx.commit()?;
    Ok(json!({ "environmentTemplate": template_value(&t) }))
}

/// `DeleteEnvironmentTemplate`: only a template without versions.
pub fn delete_environment_template(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let name = required(call, "name")?;
    let account = call.caller.account.as_str();
    let mut tx = services.store().write()?;
    let t = find_template(&*tx, account, call.region, name)?;
    if !versions_of(&*tx, account, call.region, name)?.is_empty() {
        return Err(conflict(format!(
            "Environment template {name} still has versions: delete them first"
        ))); // guessed text
    }
    TEMPLATES.delete(&mut *tx, &model::scoped_key(account, call.region, name))?;
    tx.commit()?;
    Ok(json!({ "environmentTemplate": template_value(&t) }))
}

/// `ListEnvironmentTemplates`.
pub fn list_environment_templates(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let prefix = model::scope(&call.caller.account, call.region);
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = TEMPLATES.scan(&*tx, &prefix, after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        all.extend(batch.into_iter().map(|(_, t)| template_value(&t)));
    }
    let (items, next) = page(call, &all)?;
    Ok(with_next(json!({ "templates": items }), next))
}

/// The bytes of `bucket`/`key`, read as the caller with S3 `GetObject`.
fn fetch_bundle(
    services: &Services,
    call: &Call<'_>,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, ServiceError> {
    let streams = crate::s3::Streams::default();
    let input = json!({ "Bucket": bucket, "Key": key });
    let get = Call {
        service: "s3",
        operation: "GetObject",
        region: call.region,
        caller: call.caller,
        input: &input,
        request_id: call.request_id,
        // A forward-access call: no source address a policy could test.
        source_ip: "",
        user_agent: super::SERVICE_PRINCIPAL,
        streams: Some(&streams),
    };
    services.call(&get).map_err(|e| match e.code {
        "AccessDenied" => super::error::access_denied(format!(
            "AWS Proton can't read the template bundle s3://{bucket}/{key}: {}",
            e.message
        )), // guessed text
        _ if e.status >= 500 => e,
        _ => validation(format!(
            "AWS Proton can't read the template bundle s3://{bucket}/{key}: {} ({})",
            e.message, e.code
        )), // guessed text
    })?;
    let body = streams.take_body().unwrap_or_default();
    if body.len > MAX_BUNDLE {
        return Err(validation(format!(
            "The template bundle s3://{bucket}/{key} is larger than {MAX_BUNDLE} bytes"
        )));
    }
    let blobs = services.blob_store()?;
    let mut out = Vec::new();
    for r in &body.ranges {
        let mut reader =
            blobs.open(&r.blob).map_err(|e| ServiceError::internal(format!("blob: {e}")))?;
        reader
            .seek(SeekFrom::Start(r.offset))
            .and_then(|_| reader.take(r.len).read_to_end(&mut out))
            .map_err(|e| ServiceError::internal(format!("blob read: {e}")))?;
    }
    Ok(out)
}

/// What registering a bundle found: the schema and the CloudFormation template, or why the
/// registration failed.
pub(crate) fn register(gz: &[u8]) -> Result<(String, String), String> {
    let files = bundle::unpack(gz)?;
    let text = |path: &str| -> Result<String, String> {
        let bytes = files.get(path).ok_or_else(|| format!("the template bundle has no {path}"))?;
        String::from_utf8(bytes.clone()).map_err(|_| format!("{path} is not UTF-8 text"))
    };
    let schema = text("schema/schema.yaml")?;
    let manifest = text("infrastructure/manifest.yaml")?;
    let parsed = crate::cloudformation::template::parse(&schema)
        .map_err(|e| format!("schema/schema.yaml: {}", e.message))?;
    let root = parsed.get("schema").ok_or("schema/schema.yaml has no `schema` section")?;
    if root.get("format").and_then(|f| f.get("openapi")).and_then(Value::as_str) != Some("3.0.0") {
        return Err("schema/schema.yaml must declare format.openapi \"3.0.0\"".to_owned());
    }
    let input_type = root
        .get("environment_input_type")
        .and_then(Value::as_str)
        .ok_or("schema/schema.yaml names no environment_input_type")?;
    if root.get("types").and_then(|t| t.get(input_type)).is_none() {
        return Err(format!("schema/schema.yaml has no type {input_type}"));
    }
    let manifest = crate::cloudformation::template::parse(&manifest)
        .map_err(|e| format!("infrastructure/manifest.yaml: {}", e.message))?;
    let entry = manifest
        .get("infrastructure")
        .and_then(|i| i.get("templates"))
        .and_then(Value::as_array)
        .and_then(|t| t.first())
        .ok_or("infrastructure/manifest.yaml lists no infrastructure templates")?;
    let file = entry.get("file").and_then(Value::as_str).unwrap_or_default();
    let engine = entry.get("rendering_engine").and_then(Value::as_str).unwrap_or_default();
    let language = entry.get("template_language").and_then(Value::as_str).unwrap_or_default();
    if engine != "jinja" || language != "cloudformation" {
        return Err(format!(
            "infrastructure/manifest.yaml: only rendering_engine jinja with template_language cloudformation is served (got {engine}/{language})"
        ));
    }
    let infrastructure = text(&format!("infrastructure/{file}"))?;
    Ok((schema, infrastructure))
}

/// `CreateEnvironmentTemplateVersion`: a new minor version of `majorVersion`, or a new major
/// version, from the bundle at `source.s3`.
pub fn create_environment_template_version(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let name = required(call, "templateName")?;
    let account = call.caller.account.as_str();
    let region = call.region;
    let s3 = call.input.get("source").and_then(|s| s.get("s3"));
    let (Some(bucket), Some(key)) =
        (s3.and_then(|s| input_str(s, "bucket")), s3.and_then(|s| input_str(s, "key")))
    else {
        return Err(validation("source.s3 with bucket and key is required")); // guessed text
    };
    let major_given = super::version_part(call, "majorVersion")?;
    let tags = tags_of(call.input)?;
    {
        let tx = services.store().read()?;
        find_template(&*tx, account, region, name)?;
    }
    let gz = fetch_bundle(services, call, bucket, key)?;
    let (status, status_message, schema, infrastructure) = match register(&gz) {
        Ok((s, i)) => (VersionStatus::Draft, None, Some(s), Some(i)),
        Err(reason) => (VersionStatus::RegistrationFailed, Some(reason), None, None),
    };
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let mut template = find_template(&*tx, account, region, name)?;
    let versions = versions_of(&*tx, account, region, name)?;
    let (major, minor) = match major_given {
        Some(m) => {
            let last = versions.iter().filter(|v| v.major == m).map(|v| v.minor).max();
            let Some(last) = last else {
                return Err(version_not_found(name, m, 0));
            };
            (m, last + 1)
        }
        None => (versions.iter().map(|v| v.major).max().unwrap_or(0) + 1, 0),
    };
    let record = VersionRecord {
        template_name: name.to_owned(),
        major,
        minor,
        arn: version_arn(region, account, name, major, minor),
        description: input_str(call.input, "description").map(str::to_owned),
        status,
        status_message,
        schema,
        infrastructure,
        created_at: now,
        last_modified_at: now,
        tags,
    };
    VERSIONS.put(&mut *tx, &model::version_key(account, region, name, major, minor), &record)?;
    template.last_modified_at = now;
    TEMPLATES.put(&mut *tx, &model::scoped_key(account, region, name), &template)?;
    tx.commit()?;
    let recommended = recommended_minor(&versions, major);
    Ok(json!({ "environmentTemplateVersion": version_value(&record, recommended, false) }))
}

fn version_of_call(
    tx: &dyn ReadTx,
    call: &Call<'_>,
) -> Result<(VersionRecord, Vec<VersionRecord>), ServiceError> {
    let name = required(call, "templateName")?;
    let major = super::version_part(call, "majorVersion")?
        .ok_or_else(|| super::error::missing("majorVersion"))?;
    let minor = super::version_part(call, "minorVersion")?
        .ok_or_else(|| super::error::missing("minorVersion"))?;
    let account = call.caller.account.as_str();
    find_template(tx, account, call.region, name)?;
    let versions = versions_of(tx, account, call.region, name)?;
    let v = versions
        .iter()
        .find(|v| v.major == major && v.minor == minor)
        .cloned()
        .ok_or_else(|| version_not_found(name, major, minor))?;
    Ok((v, versions))
}

/// `GetEnvironmentTemplateVersion`.
pub fn get_environment_template_version(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let (v, all) = version_of_call(&*tx, call)?;
    let rec = recommended_minor(&all, v.major);
    Ok(json!({ "environmentTemplateVersion": version_value(&v, rec, false) }))
}

/// `UpdateEnvironmentTemplateVersion`: description, and `DRAFT` → `PUBLISHED`.
pub fn update_environment_template_version(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = call.caller.account.as_str();
    let mut tx = services.store().write()?;
    let (mut v, mut all) = version_of_call(&*tx, call)?;
    match (v.status, input_str(call.input, "status")) {
        (_, None) => {}
        (VersionStatus::Draft | VersionStatus::Published, Some("PUBLISHED")) => {
            v.status = VersionStatus::Published;
        }
        (VersionStatus::Draft, Some("DRAFT")) => {}
        (from, Some(to)) => {
            return Err(validation(format!(
                "Environment template version {}:{}.{} can't change from {} to {to}",
                v.template_name,
                v.major,
                v.minor,
                from.as_str()
            ))); // guessed text
        }
    }
    if let Some(d) = input_str(call.input, "description") {
        v.description = Some(d.to_owned());
    }
    let now = services.clock().now_epoch_f64();
    v.last_modified_at = now;
    VERSIONS.put(
        &mut *tx,
        &model::version_key(account, call.region, &v.template_name, v.major, v.minor),
        &v,
    )?;
    for x in &mut all {
        if x.major == v.major && x.minor == v.minor {
            *x = v.clone();
        }
    }
    let mut t = find_template(&*tx, account, call.region, &v.template_name)?;
    t.recommended_version = recommended_version(&all);
    t.last_modified_at = now;
    TEMPLATES.put(&mut *tx, &model::scoped_key(account, call.region, &t.name), &t)?;
    tx.commit()?;
    let rec = recommended_minor(&all, v.major);
    Ok(json!({ "environmentTemplateVersion": version_value(&v, rec, false) }))
}

/// `DeleteEnvironmentTemplateVersion`: not while an environment uses it.
pub fn delete_environment_template_version(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = call.caller.account.as_str();
    let mut tx = services.store().write()?;
    let (v, all) = version_of_call(&*tx, call)?;
    let used = super::environments::all(&*tx, account, call.region)?.into_iter().find(|e| {
        e.template_name == v.template_name
            && e.template_major == v.major
            && e.template_minor == v.minor
    });
    if let Some(e) = used {
        return Err(conflict(format!(
            "Environment template version {}:{}.{} is used by environment {}",
            v.template_name, v.major, v.minor, e.name
        ))); // guessed text
    }
    VERSIONS.delete(
        &mut *tx,
        &model::version_key(account, call.region, &v.template_name, v.major, v.minor),
    )?;
    let rest: Vec<VersionRecord> =
        all.into_iter().filter(|x| !(x.major == v.major && x.minor == v.minor)).collect();
    let mut t = find_template(&*tx, account, call.region, &v.template_name)?;
    t.recommended_version = recommended_version(&rest);
    t.last_modified_at = services.clock().now_epoch_f64();
    TEMPLATES.put(&mut *tx, &model::scoped_key(account, call.region, &t.name), &t)?;
    tx.commit()?;
    let rec = recommended_minor(&rest, v.major);
    Ok(json!({ "environmentTemplateVersion": version_value(&v, rec, false) }))
}

/// `ListEnvironmentTemplateVersions`.
pub fn list_environment_template_versions(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let name = required(call, "templateName")?;
    let major = super::version_part(call, "majorVersion")?;
    let account = call.caller.account.as_str();
    let tx = services.store().read()?;
    find_template(&*tx, account, call.region, name)?;
    let all = versions_of(&*tx, account, call.region, name)?;
    let items: Vec<Value> = all
        .iter()
        .filter(|v| major.is_none_or(|m| v.major == m))
        .map(|v| version_value(v, recommended_minor(&all, v.major), true))
        .collect();
    let (items, next) = page(call, &items)?;
    Ok(with_next(json!({ "templateVersions": items }), next))
}
