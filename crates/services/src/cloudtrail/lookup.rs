//! `LookupEvents`: the caller's account's events of the call's region, newest first, filtered
//! by at most one lookup attribute and a time range, paged with an opaque token.
//!
//! Global-service events (IAM, Organizations, STS through its global endpoint) are recorded in
//! us-east-1 and, as AWS has done since November 2021, only a us-east-1 lookup shows them.
//!
//! Each call reads at most [`SCAN_LIMIT`] events; when that many were read without filling the
//! page, the page is returned as is (possibly empty) with a `NextToken`, as AWS's lookup may.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::record::{resources, username};
use super::{client_error, invalid_parameter};
use crate::{input_str, Call, ServiceError, Services};

/// Events read from the log per call at most.
const SCAN_LIMIT: usize = 20_000;
/// Events fetched from the store per read.
const BATCH: usize = 512;
const DEFAULT_MAX_RESULTS: usize = 50;

/// One lookup attribute (AWS's `LookupAttributeKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    EventId,
    EventName,
    ReadOnly,
    Username,
    ResourceType,
    ResourceName,
    EventSource,
    AccessKeyId,
}

impl Key {
    fn parse(s: &str) -> Option<Key> {
        Some(match s {
            "EventId" => Key::EventId,
            "EventName" => Key::EventName,
            "ReadOnly" => Key::ReadOnly,
            "Username" => Key::Username,
            "ResourceType" => Key::ResourceType,
            "ResourceName" => Key::ResourceName,
            "EventSource" => Key::EventSource,
            "AccessKeyId" => Key::AccessKeyId,
            _ => return None,
        })
    }
}

/// What a lookup asks for.
struct Query {
    account: String,
    region: String,
    attribute: Option<(Key, String)>,
    start: Option<f64>,
    end: Option<f64>,
}

impl Query {
    /// Ties a token to the query it was issued for (FNV-1a of its parts).
    fn fingerprint(&self) -> u64 {
        let attr = self.attribute.as_ref().map(|(k, v)| format!("{k:?}={v}")).unwrap_or_default();
        let text =
            format!("{}|{}|{attr}|{:?}|{:?}", self.account, self.region, self.start, self.end);
        text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn matches(&self, record: &Value) -> bool {
        let s = |k: &str| record.get(k).and_then(Value::as_str);
        if s("awsRegion") != Some(self.region.as_str()) {
            return false;
        }
        if self.start.is_some() || self.end.is_some() {
            let Some(t) = s("eventTime").and_then(parse_time) else {
                return false;
            };
            if self.start.is_some_and(|st| t < st) || self.end.is_some_and(|e| t > e) {
                return false;
            }
        }
        let Some((key, value)) = &self.attribute else {
            return true;
        };
        let identity = record.get("userIdentity").unwrap_or(&Value::Null);
        match key {
            Key::EventId => s("eventID") == Some(value),
            Key::EventName => s("eventName") == Some(value),
            Key::EventSource => s("eventSource") == Some(value),
            Key::ReadOnly => {
                record.get("readOnly").and_then(Value::as_bool).map(|b| b.to_string()).as_deref()
                    == Some(value.as_str())
            }
            Key::Username => username(identity).as_deref() == Some(value.as_str()),
            Key::AccessKeyId => {
                identity.get("accessKeyId").and_then(Value::as_str) == Some(value.as_str())
            }
            Key::ResourceType => resources(record).iter().any(|(t, _)| t == value),
            Key::ResourceName => resources(record).iter().any(|(_, n)| n == value),
        }
    }
}

fn parse_time(s: &str) -> Option<f64> {
    OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| t.unix_timestamp() as f64)
}

fn encode_token(before_seq: u64, fingerprint: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{before_seq}:{fingerprint:016x}"))
}

fn decode_token(token: &str, fingerprint: u64) -> Result<u64, ServiceError> {
    // Guessed wording: AWS's text for a token that does not fit the request is unpublished.
    let invalid = || client_error("InvalidNextTokenException", "Invalid NextToken.");
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(raw).map_err(|_| invalid())?;
    let mut parts = text.split(':');
    let (Some("v1"), Some(seq), Some(fp), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let seq: u64 = seq.parse().map_err(|_| invalid())?;
    if u64::from_str_radix(fp, 16).ok() != Some(fingerprint) {
        return Err(invalid());
    }
    Ok(seq)
}

fn timestamp(input: &Value, member: &str) -> Option<f64> {
    let v = input.get(member)?;
    v.as_f64().or_else(|| v.as_str().and_then(parse_time))
}

fn parse_query(call: &Call<'_>) -> Result<Query, ServiceError> {
    let input = call.input;
    let attrs = input.get("LookupAttributes").and_then(Value::as_array);
    let attribute = match attrs.map(Vec::as_slice) {
        None | Some([]) => None,
        Some([one]) => {
            let key = input_str(one, "AttributeKey").unwrap_or_default();
            let value = input_str(one, "AttributeValue").unwrap_or_default();
            let key = Key::parse(key).ok_or_else(|| {
                client_error(
                    "InvalidLookupAttributesException",
                    format!("The lookup attribute key {key} is not valid."),
                )
            })?;
            Some((key, value.to_owned()))
        }
        // AWS accepts one attribute per lookup.
        Some(_) => {
            return Err(client_error(
                "InvalidLookupAttributesException",
                "You cannot use more than one lookup attribute in a lookup request.",
            ))
        }
    };
    let start = timestamp(input, "StartTime");
    let end = timestamp(input, "EndTime");
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(client_error(
                "InvalidTimeRangeException",
                "Start time must be earlier than end time.",
            ));
        }
    }
    Ok(Query {
        account: call.caller.account.clone(),
        region: call.region.to_owned(),
        attribute,
        start,
        end,
    })
}

/// `LookupEvents`.
pub fn lookup_events(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let query = parse_query(call)?;
    let max = match call.input.get("MaxResults").and_then(Value::as_i64) {
        None => DEFAULT_MAX_RESULTS,
        Some(n @ 1..=50) => usize::try_from(n).unwrap_or(DEFAULT_MAX_RESULTS),
        Some(n) => {
            return Err(invalid_parameter(
                "InvalidMaxResultsException",
                format!("Value {n} for MaxResults is invalid. It must be between 1 and 50."),
            ))
        }
    };
    let fingerprint = query.fingerprint();
    let mut before = match input_str(call.input, "NextToken") {
        Some(t) => Some(decode_token(t, fingerprint)?),
        None => None,
    };
    if input_str(call.input, "EventCategory").is_some() {
        // Insights events: xacct computes no Insights, so there are none to show.
        return Ok(json!({ "Events": [] }));
    }
    // Events of calls that changed nothing are written in batches: wait for them.
    services.audit().flush();
    let tx = services.store().read()?;
    let mut events = Vec::new();
    let mut scanned = 0usize;
    let mut next = None;
    'scan: loop {
        let batch = tx.events_newest_first(&query.account, before, BATCH)?;
        if batch.is_empty() {
            break;
        }
        for event in batch {
            scanned += 1;
            before = Some(event.seq);
            let Ok(record) = serde_json::from_str::<Value>(&event.body) else {
                tracing::warn!(seq = event.seq, "skipping an event that is not JSON");
                continue;
            };
            if query.matches(&record) {
                events.push(lookup_event(&record, event.body));
                if events.len() >= max {
                    next = Some(event.seq);
                    break 'scan;
                }
            }
            if scanned >= SCAN_LIMIT {
                next = Some(event.seq);
                break 'scan;
            }
        }
    }
    let mut out = json!({ "Events": events });
    if let (Some(seq), Some(obj)) = (next, out.as_object_mut()) {
        obj.insert("NextToken".into(), Value::from(encode_token(seq, fingerprint)));
    }
    Ok(out)
}

/// The `Event` LookupEvents shows for a record.
fn lookup_event(record: &Value, body: String) -> Value {
    let s = |k: &str| record.get(k).and_then(Value::as_str);
    let identity = record.get("userIdentity").unwrap_or(&Value::Null);
    let mut e = serde_json::Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            e.insert(k.to_owned(), v);
        }
    };
    put("EventId", s("eventID").map(Value::from));
    put("EventName", s("eventName").map(Value::from));
    put(
        "ReadOnly",
        record.get("readOnly").and_then(Value::as_bool).map(|b| Value::from(b.to_string())),
    );
    put(
        "AccessKeyId",
        identity
            .get("accessKeyId")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .map(Value::from),
    );
    put("EventTime", s("eventTime").and_then(parse_time).map(Value::from));
    put("EventSource", s("eventSource").map(Value::from));
    put("Username", username(identity).map(Value::from));
    let res: Vec<Value> = resources(record)
        .into_iter()
        .map(|(t, n)| json!({"ResourceType": t, "ResourceName": n}))
        .collect();
    put("Resources", Some(Value::Array(res)));
    put("CloudTrailEvent", Some(Value::from(body)));
    Value::Object(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_tied_to_their_query() {
        let t = encode_token(42, 7);
        assert_eq!(decode_token(&t, 7).unwrap(), 42);
        assert_eq!(decode_token(&t, 8).unwrap_err().code, "InvalidNextTokenException");
        assert_eq!(decode_token("garbage!", 7).unwrap_err().code, "InvalidNextTokenException");
        let forged = URL_SAFE_NO_PAD.encode("v1:x:0000000000000007");
        assert!(decode_token(&forged, 7).is_err());
    }

    #[test]
    fn matching_by_each_attribute() {
        let record = json!({
            "eventID": "e1", "eventName": "CreateUser", "eventSource": "iam.amazonaws.com",
            "readOnly": false, "awsRegion": "us-east-1", "eventTime": "2026-01-01T00:00:10Z",
            "userIdentity": {"type": "IAMUser", "userName": "David", "accessKeyId": "AKIAD"},
            "requestParameters": {"userName": "bob"},
        });
        let q = |attr: Option<(Key, &str)>, start: Option<f64>, end: Option<f64>| Query {
            account: "1".into(),
            region: "us-east-1".into(),
            attribute: attr.map(|(k, v)| (k, v.to_owned())),
            start,
            end,
        };
        let t0 = parse_time("2026-01-01T00:00:10Z").unwrap();
        for (key, yes, no) in [
            (Key::EventId, "e1", "e2"),
            (Key::EventName, "CreateUser", "DeleteUser"),
            (Key::EventSource, "iam.amazonaws.com", "s3.amazonaws.com"),
            (Key::ReadOnly, "false", "true"),
            (Key::Username, "David", "bob"),
            (Key::AccessKeyId, "AKIAD", "AKIAX"),
            (Key::ResourceType, "AWS::IAM::User", "AWS::IAM::Role"),
            (Key::ResourceName, "bob", "David"),
        ] {
            assert!(q(Some((key, yes)), None, None).matches(&record), "{key:?}");
            assert!(!q(Some((key, no)), None, None).matches(&record), "{key:?}");
        }
        assert!(q(None, Some(t0), Some(t0)).matches(&record));
        assert!(!q(None, Some(t0 + 1.0), None).matches(&record));
        assert!(!q(None, None, Some(t0 - 1.0)).matches(&record));
        let mut other_region = q(None, None, None);
        other_region.region = "eu-west-1".into();
        assert!(!other_region.matches(&record));
    }
}
