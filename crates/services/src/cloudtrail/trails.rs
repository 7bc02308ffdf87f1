//! Trails: `CreateTrail`, `GetTrail`, `DescribeTrails`, `ListTrails`, `UpdateTrail`,
//! `DeleteTrail`, `StartLogging`, `StopLogging`, `GetTrailStatus`, event and Insights selectors,
//! and trail tags.
//!
//! A trail lives in its home region; a multi-region trail also shows in every other region as a
//! shadow trail, readable there (by name or ARN) but changed only from its home region
//! (`InvalidHomeRegionException`).
//!
//! xacct records every event whether or not a trail exists or logs, and delivers no log files:
//! a trail's state is configuration only. `GetTrailStatus` therefore reports no delivery
//! (`LatestDeliveryTime` stays absent).
//!
//! The S3 bucket must exist ([`bucket_exists`], S3's buckets table; its bucket policy is not
//! checked for CloudTrail's write access); SNS does not exist in xacct, so every
//! `SnsTopicName` names a topic that does not exist and is refused as AWS refuses one;
//! `KmsKeyId` is stored unchecked.
//!
//! Messages taken from AWS (as clients observe them): the trail-name rules,
//! "Unknown trail: … for the user: …", "S3 bucket … does not exist!", "Multi-Region trail must
//! include global service events.", "SNS Topic does not exist or the topic policy is
//! incorrect!". Guessed where AWS publishes nothing: the texts marked so below.

use serde_json::{json, Map, Value};
use xacct_store::ReadTx;

use super::client_error;
use super::model::{trail_arn, trail_key, TrailRecord, TRAILS};
use crate::organizations::model::{ORGANIZATION, ORGANIZATION_KEY};
use crate::{input_str, Call, ServiceError, Services};

/// Trails per account and region (AWS's quota).
const MAX_TRAILS_PER_REGION: usize = 5;
/// Tags per trail.
const MAX_TAGS: usize = 50;

/// Whether the S3 bucket `name` exists (bucket names are global, as in S3). `Some` always
/// now that S3 is served; the `Option` stays for services a build may leave out.
fn bucket_exists(tx: &dyn ReadTx, name: &str) -> Result<Option<bool>, ServiceError> {
    Ok(Some(crate::s3::model::BUCKETS.get(tx, name)?.is_some()))
}

// ---------------------------------------------------------------- names and lookup

/// AWS's trail-name rules, in the order AWS reports them.
pub fn validate_trail_name(name: &str) -> Result<(), ServiceError> {
    let invalid = |m: String| client_error("InvalidTrailNameException", m);
    let len = name.chars().count();
    if len < 3 {
        return Err(invalid(format!(
            "Trail name too short. Minimum allowed length: 3 characters. Specified name length: {len} characters."
        )));
    }
    if len > 128 {
        return Err(invalid(format!(
            "Trail name too long. Maximum allowed length: 128 characters. Specified name length: {len} characters."
        )));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().last()) {
        return Err(invalid("Trail name must ends with a letter or number.".into()));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
        return Err(invalid("Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).".into()));
    }
    if !alnum(name.chars().next()) {
        return Err(invalid("Trail name must starts with a letter or number.".into()));
    }
    let sep = |c: char| matches!(c, '.' | '-' | '_');
    if name.chars().zip(name.chars().skip(1)).any(|(a, b)| sep(a) && sep(b)) {
        // Guessed wording.
        return Err(invalid(
            "Trail name cannot have adjacent periods, underscores or dashes.".into(),
        ));
    }
    let octets: Vec<&str> = name.split('.').collect();
    if octets.len() == 4 && octets.iter().all(|o| o.parse::<u8>().is_ok()) {
        // Guessed wording.
        return Err(invalid("Trail name cannot be formatted as an IP address.".into()));
    }
    Ok(())
}

/// A parsed trail ARN: (region, account, name).
fn parse_trail_arn(arn: &str) -> Result<(&str, &str, &str), ServiceError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", "aws", "cloudtrail", region, account, resource]
            if crate::ids::is_account_id(account) && !region.is_empty() =>
        {
            match resource.strip_prefix("trail/") {
                Some(name) if !name.is_empty() => Ok((region, account, name)),
                _ => Err(arn_invalid(arn)),
            }
        }
        _ => Err(arn_invalid(arn)),
    }
}

fn arn_invalid(arn: &str) -> ServiceError {
    // Guessed wording.
    client_error(
        "CloudTrailARNInvalidException",
        format!("The ARN {arn} is not a valid CloudTrail trail ARN."),
    )
}

fn not_found(what: &str, account: &str) -> ServiceError {
    client_error("TrailNotFoundException", format!("Unknown trail: {what} for the user: {account}"))
}

/// Whether an operation changes the trail (only allowed from its home region).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Change,
}

/// How an unknown trail is named in the error: by name as given (`GetTrail`) or by ARN.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NotFoundAs {
    Given,
    Arn,
}

/// The trail `name_or_arn` names for `call` and its key.
fn resolve(
    tx: &dyn ReadTx,
    call: &Call<'_>,
    name_or_arn: &str,
    access: Access,
    not_found_as: NotFoundAs,
) -> Result<(String, TrailRecord), ServiceError> {
    let account = call.caller.account.as_str();
    let region = call.region;
    let found = if name_or_arn.starts_with("arn:") {
        let (r, a, n) = parse_trail_arn(name_or_arn)?;
        if a != account {
            None
        } else {
            let key = trail_key(a, r, n);
            TRAILS
                .get(tx, &key)?
                .filter(|t| r == region || t.is_multi_region_trail)
                .map(|t| (key, t))
        }
    } else {
        validate_trail_name(name_or_arn)?;
        let key = trail_key(account, region, name_or_arn);
        match TRAILS.get(tx, &key)? {
            Some(t) => Some((key, t)),
            None => shadow_by_name(tx, account, name_or_arn)?,
        }
    };
    let Some((key, trail)) = found else {
        let what = match (not_found_as, name_or_arn.starts_with("arn:")) {
            (NotFoundAs::Arn, false) => trail_arn(region, account, name_or_arn),
            _ => name_or_arn.to_owned(),
        };
        return Err(not_found(&what, account));
    };
    if access == Access::Change && trail.home_region != region {
        // Guessed wording.
        return Err(client_error(
            "InvalidHomeRegionException",
            format!(
                "This operation must be called from the trail's home region, {}.",
                trail.home_region
            ),
        ));
    }
    Ok((key, trail))
}

/// A multi-region trail of `account` named `name` whose home is another region.
fn shadow_by_name(
    tx: &dyn ReadTx,
    account: &str,
    name: &str,
) -> Result<Option<(String, TrailRecord)>, ServiceError> {
    Ok(all_trails(tx, account)?
        .into_iter()
        .find(|(_, t)| t.name == name && t.is_multi_region_trail))
}

fn all_trails(tx: &dyn ReadTx, account: &str) -> Result<Vec<(String, TrailRecord)>, ServiceError> {
    let prefix = format!("{account}/");
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = TRAILS.scan(tx, &prefix, after.as_deref(), 200)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        out.extend(page);
    }
    Ok(out)
}

// ---------------------------------------------------------------- shapes

fn put_opt(m: &mut Map<String, Value>, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), Value::from(v.as_str()));
    }
}

fn sns_topic_arn(t: &TrailRecord) -> Option<String> {
    t.sns_topic_name.as_ref().map(|n| format!("arn:aws:sns:{}:{}:{n}", t.home_region, t.account_id))
}

/// The members `CreateTrail` and `UpdateTrail` answer with.
fn trail_response(t: &TrailRecord) -> Value {
    let mut m = Map::new();
    m.insert("Name".into(), Value::from(t.name.as_str()));
    m.insert("S3BucketName".into(), Value::from(t.s3_bucket_name.as_str()));
    put_opt(&mut m, "S3KeyPrefix", &t.s3_key_prefix);
    put_opt(&mut m, "SnsTopicName", &t.sns_topic_name);
    put_opt(&mut m, "SnsTopicARN", &sns_topic_arn(t));
    m.insert("IncludeGlobalServiceEvents".into(), Value::Bool(t.include_global_service_events));
    m.insert("IsMultiRegionTrail".into(), Value::Bool(t.is_multi_region_trail));
    m.insert("TrailARN".into(), Value::from(t.arn()));
    m.insert("LogFileValidationEnabled".into(), Value::Bool(t.log_file_validation_enabled));
    put_opt(&mut m, "CloudWatchLogsLogGroupArn", &t.cloud_watch_logs_log_group_arn);
    put_opt(&mut m, "CloudWatchLogsRoleArn", &t.cloud_watch_logs_role_arn);
    put_opt(&mut m, "KmsKeyId", &t.kms_key_id);
    m.insert("IsOrganizationTrail".into(), Value::Bool(t.is_organization_trail));
    Value::Object(m)
}

/// The `Trail` structure (`GetTrail`, `DescribeTrails`).
fn trail_view(t: &TrailRecord) -> Value {
    let mut v = trail_response(t);
    if let Some(m) = v.as_object_mut() {
        m.insert("HomeRegion".into(), Value::from(t.home_region.as_str()));
        m.insert(
            "HasCustomEventSelectors".into(),
            Value::Bool(t.event_selectors.is_some() || t.advanced_event_selectors.is_some()),
        );
        m.insert(
            "HasInsightSelectors".into(),
            Value::Bool(
                t.insight_selectors
                    .as_ref()
                    .is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty())),
            ),
        );
    }
    v
}

// ---------------------------------------------------------------- validation of settings

fn bool_member(input: &Value, member: &str) -> Option<bool> {
    input.get(member).and_then(Value::as_bool)
}

/// Checks the settings a create or update leaves the trail with.
fn check_settings(
    tx: &dyn ReadTx,
    call: &Call<'_>,
    trail: &TrailRecord,
    bucket_changed: bool,
    sns_given: bool,
) -> Result<(), ServiceError> {
    if trail.is_multi_region_trail && !trail.include_global_service_events {
        return Err(client_error(
            "InvalidParameterCombinationException",
            "Multi-Region trail must include global service events.",
        ));
    }
    if bucket_changed && bucket_exists(tx, &trail.s3_bucket_name)? == Some(false) {
        return Err(client_error(
            "S3BucketDoesNotExistException",
            format!("S3 bucket {} does not exist!", trail.s3_bucket_name),
        ));
    }
    if sns_given && trail.sns_topic_name.is_some() {
        // xacct has no SNS: the topic cannot exist.
        return Err(client_error(
            "InsufficientSnsTopicPolicyException",
            "SNS Topic does not exist or the topic policy is incorrect!",
        ));
    }
    if let Some(arn) = &trail.cloud_watch_logs_log_group_arn {
        if !(arn.starts_with("arn:aws:logs:") && arn.contains(":log-group:")) {
            // Guessed wording.
            return Err(client_error(
                "InvalidCloudWatchLogsLogGroupArnException",
                format!("Log group ARN {arn} is not valid."),
            ));
        }
        if trail.cloud_watch_logs_role_arn.is_none() {
            return Err(client_error(
                "InvalidParameterCombinationException",
                "You must specify a role ARN when you specify a log group ARN.",
            ));
        }
    }
    if let Some(arn) = &trail.cloud_watch_logs_role_arn {
        if !(arn.starts_with("arn:aws:iam::") && arn.contains(":role/")) {
            // Guessed wording.
            return Err(client_error(
                "InvalidCloudWatchLogsRoleArnException",
                format!("Role ARN {arn} is not valid."),
            ));
        }
        if trail.cloud_watch_logs_log_group_arn.is_none() {
            return Err(client_error(
                "InvalidParameterCombinationException",
                "You must specify a log group ARN when you specify a role ARN.",
            ));
        }
    }
    if trail.is_organization_trail {
        match ORGANIZATION.get(tx, ORGANIZATION_KEY)? {
            None => {
                return Err(client_error(
                    "OrganizationsNotInUseException",
                    "This account is not a member of an organization.",
                ))
            }
            Some(org) if org.management_account_id != call.caller.account => {
                return Err(client_error(
                    "NotOrganizationMasterAccountException",
                    "This account is not the management account of an organization.",
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn tags_of(input: &Value, member: &str) -> Result<Vec<(String, String)>, ServiceError> {
    let Some(list) = input.get(member).and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(String, String)> = Vec::with_capacity(list.len());
    for t in list {
        let key = input_str(t, "Key").unwrap_or_default();
        let value = input_str(t, "Value").unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            // Guessed wording.
            return Err(client_error(
                "InvalidTagParameterException",
                "Tag keys must be 1 to 128 characters and values at most 256 characters.",
            ));
        }
        out.retain(|(k, _)| k != key);
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

fn tags_limit() -> ServiceError {
    // Guessed wording.
    client_error("TagsLimitExceededException", format!("A trail can have at most {MAX_TAGS} tags."))
}

// ---------------------------------------------------------------- operations

/// `CreateTrail`.
pub fn create_trail(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let input = call.input;
    let name = input_str(input, "Name").unwrap_or_default();
    validate_trail_name(name)?;
    let account = call.caller.account.as_str();
    let trail = TrailRecord {
        account_id: account.to_owned(),
        name: name.to_owned(),
        home_region: call.region.to_owned(),
        s3_bucket_name: input_str(input, "S3BucketName").unwrap_or_default().to_owned(),
        s3_key_prefix: input_str(input, "S3KeyPrefix").map(str::to_owned),
        sns_topic_name: input_str(input, "SnsTopicName").map(str::to_owned),
        include_global_service_events: bool_member(input, "IncludeGlobalServiceEvents")
            .unwrap_or(true),
        is_multi_region_trail: bool_member(input, "IsMultiRegionTrail").unwrap_or(false),
        log_file_validation_enabled: bool_member(input, "EnableLogFileValidation").unwrap_or(false),
        is_organization_trail: bool_member(input, "IsOrganizationTrail").unwrap_or(false),
        cloud_watch_logs_log_group_arn: input_str(input, "CloudWatchLogsLogGroupArn")
            .map(str::to_owned),
        cloud_watch_logs_role_arn: input_str(input, "CloudWatchLogsRoleArn").map(str::to_owned),
        kms_key_id: input_str(input, "KmsKeyId").map(str::to_owned),
        is_logging: false,
        start_logging_time: None,
        stop_logging_time: None,
        event_selectors: None,
        advanced_event_selectors: None,
        insight_selectors: None,
        tags: tags_of(input, "TagsList")?,
        created: services.clock().now_epoch_f64(),
    };
    if trail.tags.len() > MAX_TAGS {
        return Err(tags_limit());
    }
    let mut tx = services.store().write()?;
    check_settings(&*tx, call, &trail, true, true)?;
    let existing = all_trails(&*tx, account)?;
    if existing
        .iter()
        .any(|(_, t)| t.name == name && (t.home_region == call.region || t.is_multi_region_trail))
    {
        // Guessed wording.
        return Err(client_error(
            "TrailAlreadyExistsException",
            format!("Trail {name} already exists for customer: {account}"),
        ));
    }
    let in_region = existing.iter().filter(|(_, t)| t.home_region == call.region).count();
    if in_region >= MAX_TRAILS_PER_REGION {
        // Guessed wording.
        return Err(client_error(
            "MaximumNumberOfTrailsExceededException",
            format!(
                "User: {account} already has {MAX_TRAILS_PER_REGION} trails in {}.",
                call.region
            ),
        ));
    }
    TRAILS.put(&mut *tx, &trail_key(account, call.region, name), &trail)?;
    tx.commit()?;
    Ok(trail_response(&trail))
}

/// `GetTrail`.
pub fn get_trail(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let name = input_str(call.input, "Name").unwrap_or_default();
    let (_, trail) = resolve(&*tx, call, name, Access::Read, NotFoundAs::Given)?;
    Ok(json!({ "Trail": trail_view(&trail) }))
}

/// `DescribeTrails`.
pub fn describe_trails(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let account = call.caller.account.as_str();
    let shadows = bool_member(call.input, "includeShadowTrails").unwrap_or(true);
    let names: Vec<&str> = call
        .input
        .get("trailNameList")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let visible =
        |t: &TrailRecord| t.home_region == call.region || (shadows && t.is_multi_region_trail);
    let mut list = Vec::new();
    for (_, t) in all_trails(&*tx, account)? {
        let named = names.is_empty()
            || names
                .iter()
                .any(|n| if n.starts_with("arn:") { *n == t.arn() } else { *n == t.name });
        if named && visible(&t) {
            list.push(trail_view(&t));
        }
    }
    Ok(json!({ "trailList": list }))
}

/// `ListTrails`: the trails of the region and the multi-region trails of every region.
pub fn list_trails(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let trails: Vec<Value> = all_trails(&*tx, &call.caller.account)?
        .into_iter()
        .filter(|(_, t)| t.home_region == call.region || t.is_multi_region_trail)
        .map(|(_, t)| json!({"TrailARN": t.arn(), "Name": t.name, "HomeRegion": t.home_region}))
        .collect();
    Ok(json!({ "Trails": trails }))
}

/// `UpdateTrail`: members given replace the trail's settings.
pub fn update_trail(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let input = call.input;
    let name = input_str(input, "Name").unwrap_or_default();
    let mut tx = services.store().write()?;
    let (key, mut trail) = resolve(&*tx, call, name, Access::Change, NotFoundAs::Arn)?;
    let opt = |m: &str| input_str(input, m).map(str::to_owned);
    let bucket_changed = match opt("S3BucketName") {
        Some(b) if b != trail.s3_bucket_name => {
            trail.s3_bucket_name = b;
            true
        }
        _ => false,
    };
    if let Some(p) = opt("S3KeyPrefix") {
        trail.s3_key_prefix = Some(p).filter(|p| !p.is_empty());
    }
    let sns_given = input.get("SnsTopicName").is_some();
    if let Some(t) = opt("SnsTopicName") {
        trail.sns_topic_name = Some(t).filter(|t| !t.is_empty());
    }
    if let Some(b) = bool_member(input, "IncludeGlobalServiceEvents") {
        trail.include_global_service_events = b;
    }
    if let Some(b) = bool_member(input, "IsMultiRegionTrail") {
        trail.is_multi_region_trail = b;
    }
    if let Some(b) = bool_member(input, "EnableLogFileValidation") {
        trail.log_file_validation_enabled = b;
    }
    if let Some(b) = bool_member(input, "IsOrganizationTrail") {
        trail.is_organization_trail = b;
    }
    if let Some(a) = opt("CloudWatchLogsLogGroupArn") {
        trail.cloud_watch_logs_log_group_arn = Some(a).filter(|a| !a.is_empty());
    }
    if let Some(a) = opt("CloudWatchLogsRoleArn") {
        trail.cloud_watch_logs_role_arn = Some(a).filter(|a| !a.is_empty());
    }
    if let Some(k) = opt("KmsKeyId") {
        trail.kms_key_id = Some(k).filter(|k| !k.is_empty());
    }
    check_settings(&*tx, call, &trail, bucket_changed, sns_given)?;
    TRAILS.put(&mut *tx, &key, &trail)?;
    tx.commit()?;
    Ok(trail_response(&trail))
}

/// `DeleteTrail`.
pub fn delete_trail(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = input_str(call.input, "Name").unwrap_or_default();
    let mut tx = services.store().write()?;
    let (key, _) = resolve(&*tx, call, name, Access::Change, NotFoundAs::Arn)?;
    TRAILS.delete(&mut *tx, &key)?;
    tx.commit()?;
    Ok(json!({}))
}

/// `StartLogging` / `StopLogging`.
pub fn set_logging(
    services: &Services,
    call: &Call<'_>,
    logging: bool,
) -> Result<Value, ServiceError> {
    let name = input_str(call.input, "Name").unwrap_or_default();
    let mut tx = services.store().write()?;
    let (key, mut trail) = resolve(&*tx, call, name, Access::Change, NotFoundAs::Arn)?;
    let now = services.clock().now_epoch_f64();
    trail.is_logging = logging;
    if logging {
        trail.start_logging_time = Some(now);
    } else {
        trail.stop_logging_time = Some(now);
    }
    TRAILS.put(&mut *tx, &key, &trail)?;
    tx.commit()?;
    Ok(json!({}))
}

/// `GetTrailStatus`. xacct delivers no log files, so no delivery is reported.
pub fn get_trail_status(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let name = input_str(call.input, "Name").unwrap_or_default();
    let (_, trail) = resolve(&*tx, call, name, Access::Read, NotFoundAs::Arn)?;
    let iso = |t: Option<f64>| t.map(|t| crate::authz::iso8601(t as i64)).unwrap_or_default();
    let mut out = json!({
        "IsLogging": trail.is_logging,
        "LatestDeliveryAttemptTime": "",
        "LatestNotificationAttemptTime": "",
        "LatestNotificationAttemptSucceeded": "",
        "LatestDeliveryAttemptSucceeded": "",
        "TimeLoggingStarted": iso(trail.start_logging_time),
        "TimeLoggingStopped": iso(trail.stop_logging_time),
    });
    if let Some(m) = out.as_object_mut() {
        if let Some(t) = trail.start_logging_time {
            m.insert("StartLoggingTime".into(), Value::from(t));
        }
        if let Some(t) = trail.stop_logging_time {
            m.insert("StopLoggingTime".into(), Value::from(t));
        }
    }
    Ok(out)
}

/// The selector AWS gives a trail that has no custom selectors.
fn default_event_selectors() -> Value {
    json!([{
        "ReadWriteType": "All",
        "IncludeManagementEvents": true,
        "DataResources": [],
        "ExcludeManagementEventSources": [],
    }])
}

fn invalid_selectors(message: &str) -> ServiceError {
    client_error("InvalidEventSelectorsException", message)
}

/// `PutEventSelectors`: either basic or advanced selectors (setting one clears the other).
pub fn put_event_selectors(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let input = call.input;
    let basic = input.get("EventSelectors").filter(|v| !v.is_null());
    let advanced = input.get("AdvancedEventSelectors").filter(|v| !v.is_null());
    // Guessed wording for both refusals.
    let (basic, advanced) = match (basic, advanced) {
        (Some(_), Some(_)) => {
            return Err(invalid_selectors(
                "You can use either AdvancedEventSelectors or EventSelectors, but not both.",
            ))
        }
        (None, None) => {
            return Err(invalid_selectors(
                "Specify either EventSelectors or AdvancedEventSelectors.",
            ))
        }
        other => other,
    };
    if let Some(list) = basic.and_then(Value::as_array) {
        if list.len() > 5 {
            return Err(invalid_selectors("A trail can have at most 5 event selectors."));
        }
        let values: usize = list
            .iter()
            .filter_map(|s| s.get("DataResources").and_then(Value::as_array))
            .flatten()
            .filter_map(|d| d.get("Values").and_then(Value::as_array))
            .map(Vec::len)
            .sum();
        if values > 250 {
            return Err(invalid_selectors(
                "The event selectors of a trail can name at most 250 data resources.",
            ));
        }
    }
    let name = input_str(input, "TrailName").unwrap_or_default();
    let mut tx = services.store().write()?;
    let (key, mut trail) = resolve(&*tx, call, name, Access::Change, NotFoundAs::Arn)?;
    trail.event_selectors = basic.map(with_selector_defaults);
    trail.advanced_event_selectors = advanced.cloned();
    TRAILS.put(&mut *tx, &key, &trail)?;
    tx.commit()?;
    let mut out = json!({ "TrailARN": trail.arn() });
    if let Some(m) = out.as_object_mut() {
        if let Some(b) = &trail.event_selectors {
            m.insert("EventSelectors".into(), b.clone());
        }
        if let Some(a) = &trail.advanced_event_selectors {
            m.insert("AdvancedEventSelectors".into(), a.clone());
        }
    }
    Ok(out)
}

/// Basic selectors as stored: AWS fills `ReadWriteType` and `IncludeManagementEvents` defaults.
fn with_selector_defaults(list: &Value) -> Value {
    let mut list = list.clone();
    if let Some(items) = list.as_array_mut() {
        for s in items.iter_mut().filter_map(Value::as_object_mut) {
            s.entry("ReadWriteType").or_insert_with(|| Value::from("All"));
            s.entry("IncludeManagementEvents").or_insert(Value::Bool(true));
        }
    }
    list
}

/// `GetEventSelectors`.
pub fn get_event_selectors(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let name = input_str(call.input, "TrailName").unwrap_or_default();
    let (_, trail) = resolve(&*tx, call, name, Access::Read, NotFoundAs::Arn)?;
    Ok(match &trail.advanced_event_selectors {
        Some(a) => json!({"TrailARN": trail.arn(), "AdvancedEventSelectors": a}),
        None => json!({
            "TrailARN": trail.arn(),
            "EventSelectors": trail.event_selectors.clone().unwrap_or_else(default_event_selectors),
        }),
    })
}

fn trail_name_for_insights<'a>(call: &'a Call<'_>) -> Result<&'a str, ServiceError> {
    match (input_str(call.input, "TrailName"), input_str(call.input, "EventDataStore")) {
        (Some(t), None) => Ok(t),
        // Guessed wording.
        (Some(_), Some(_)) => Err(client_error(
            "InvalidParameterCombinationException",
            "You cannot specify both TrailName and EventDataStore.",
        )),
        (None, Some(_)) => Err(client_error(
            "UnsupportedOperationException",
            "Event data stores are not supported.",
        )),
        (None, None) => Err(client_error(
            "InvalidParameterCombinationException",
            "You must specify TrailName or EventDataStore.",
        )),
    }
}

/// `PutInsightSelectors` (trails only; xacct computes no Insights events).
pub fn put_insight_selectors(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = trail_name_for_insights(call)?;
    let selectors = call.input.get("InsightSelectors").cloned().unwrap_or_else(|| json!([]));
    let mut tx = services.store().write()?;
    let (key, mut trail) = resolve(&*tx, call, name, Access::Change, NotFoundAs::Arn)?;
    trail.insight_selectors = Some(selectors.clone());
    TRAILS.put(&mut *tx, &key, &trail)?;
    tx.commit()?;
    Ok(json!({ "TrailARN": trail.arn(), "InsightSelectors": selectors }))
}

/// `GetInsightSelectors`.
pub fn get_insight_selectors(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = trail_name_for_insights(call)?;
    let tx = services.store().read()?;
    let (_, trail) = resolve(&*tx, call, name, Access::Read, NotFoundAs::Arn)?;
    match trail.insight_selectors.clone().filter(|s| s.as_array().is_some_and(|a| !a.is_empty())) {
        Some(s) => Ok(json!({ "TrailARN": trail.arn(), "InsightSelectors": s })),
        // Guessed wording.
        None => Err(client_error(
            "InsightNotEnabledException",
            format!("Trail {} does not have Insights enabled.", trail.arn()),
        )),
    }
}

/// The trail a tagging call's `ResourceId` (an ARN) names, in any region of the caller's account.
fn tagged_trail(
    tx: &dyn ReadTx,
    call: &Call<'_>,
    arn: &str,
) -> Result<(String, TrailRecord), ServiceError> {
    let (region, account, name) = parse_trail_arn(arn)?;
    let key = trail_key(account, region, name);
    match TRAILS.get(tx, &key)? {
        Some(t) if account == call.caller.account => Ok((key, t)),
        // Guessed wording.
        _ => Err(client_error("ResourceNotFoundException", format!("Resource {arn} not found."))),
    }
}

/// `AddTags`.
pub fn add_tags(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let arn = input_str(call.input, "ResourceId").unwrap_or_default();
    let new = tags_of(call.input, "TagsList")?;
    let mut tx = services.store().write()?;
    let (key, mut trail) = tagged_trail(&*tx, call, arn)?;
    for (k, v) in new {
        trail.tags.retain(|(tk, _)| *tk != k);
        trail.tags.push((k, v));
    }
    if trail.tags.len() > MAX_TAGS {
        return Err(tags_limit());
    }
    TRAILS.put(&mut *tx, &key, &trail)?;
    tx.commit()?;
    Ok(json!({}))
}

/// `RemoveTags`: removes the keys listed.
pub fn remove_tags(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let arn = input_str(call.input, "ResourceId").unwrap_or_default();
    let gone = tags_of(call.input, "TagsList")?;
    let mut tx = services.store().write()?;
    let (key, mut trail) = tagged_trail(&*tx, call, arn)?;
    trail.tags.retain(|(k, _)| !gone.iter().any(|(g, _)| g == k));
    TRAILS.put(&mut *tx, &key, &trail)?;
    tx.commit()?;
    Ok(json!({}))
}

/// `ListTags`.
pub fn list_tags(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let ids: Vec<&str> = call
        .input
        .get("ResourceIdList")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if ids.len() > 20 {
        // Guessed wording.
        return Err(client_error(
            "InvalidParameterException",
            "ResourceIdList can name at most 20 resources.",
        ));
    }
    let tx = services.store().read()?;
    let mut list = Vec::with_capacity(ids.len());
    for arn in ids {
        let (_, trail) = tagged_trail(&*tx, call, arn)?;
        let tags: Vec<Value> =
            trail.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
        list.push(json!({"ResourceId": arn, "TagsList": tags}));
    }
    Ok(json!({ "ResourceTagList": list }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_names_follow_aws_rules_in_aws_order() {
        let code = |n: &str| validate_trail_name(n).err().map(|e| e.message);
        assert_eq!(code("abc"), None);
        assert_eq!(code("My_trail.1-x"), None);
        assert!(code("a").unwrap().contains("Specified name length: 1 characters."));
        assert!(code(&"a".repeat(129)).unwrap().starts_with("Trail name too long."));
        assert_eq!(code("trail!").unwrap(), "Trail name must ends with a letter or number.");
        assert!(code("my#trail").unwrap().starts_with("Trail name or ARN can only contain"));
        assert_eq!(code("-trail").unwrap(), "Trail name must starts with a letter or number.");
        assert!(code("my--trail").unwrap().contains("adjacent"));
        assert!(code("10.0.0.1").unwrap().contains("IP address"));
    }

    #[test]
    fn trail_arns_parse_or_are_refused() {
        assert_eq!(
            parse_trail_arn("arn:aws:cloudtrail:us-east-1:111111111111:trail/t1").unwrap(),
            ("us-east-1", "111111111111", "t1")
        );
        for bad in [
            "arn:aws:s3:::b",
            "arn:aws:cloudtrail:us-east-1:1:trail/t",
            "arn:aws:cloudtrail:us-east-1:111111111111:trail/",
        ] {
            assert_eq!(parse_trail_arn(bad).unwrap_err().code, "CloudTrailARNInvalidException");
        }
    }
}
