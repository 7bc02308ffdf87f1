//! Scalar conversions shared by the protocol modules: timestamps (epoch seconds ⇄ the wire
//! formats), base64 checks and number parsing from text.

use base64::Engine as _;
use serde_json::{Number, Value};
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::OffsetDateTime;

/// Epoch seconds from a Value a service handed the encoder: a number, or an RFC 3339 string.
pub(crate) fn timestamp_seconds(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_timestamp_text(s),
        _ => None,
    }
}

/// Epoch seconds from text a client sent: ISO 8601 / RFC 3339, epoch seconds, or an HTTP date.
pub(crate) fn parse_timestamp_text(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') && !t.contains("--") {
        if let Ok(n) = t.parse::<f64>() {
            return n.is_finite().then_some(n);
        }
    }
    if let Ok(dt) = OffsetDateTime::parse(t, &Rfc3339) {
        return Some(to_epoch(dt));
    }
    // botocore accepts ISO 8601 without a zone (UTC) and with a lowercase `z`.
    let upper = t.to_ascii_uppercase();
    if let Ok(dt) = OffsetDateTime::parse(&format!("{upper}Z"), &Rfc3339) {
        return Some(to_epoch(dt));
    }
    if let Ok(dt) = OffsetDateTime::parse(t, &Rfc2822) {
        return Some(to_epoch(dt));
    }
    // `GMT` is how HTTP dates spell the zone; RFC 2822 wants `+0000`.
    if let Some(stripped) = t.strip_suffix(" GMT") {
        if let Ok(dt) = OffsetDateTime::parse(&format!("{stripped} +0000"), &Rfc2822) {
            return Some(to_epoch(dt));
        }
    }
    None
}

fn to_epoch(dt: OffsetDateTime) -> f64 {
    let nanos = dt.unix_timestamp_nanos();
    #[expect(clippy::cast_precision_loss, reason = "epoch nanoseconds fit f64 to microseconds")]
    let secs = nanos as f64 / 1e9;
    secs
}

/// Splits epoch seconds into a datetime, or `None` when out of range.
fn datetime(secs: f64) -> Option<OffsetDateTime> {
    if !secs.is_finite() {
        return None;
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "range is checked by from_unix_timestamp_nanos"
    )]
    let nanos = (secs * 1e3).round() as i128 * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// `2026-11-23T08:56:26Z`, or `2026-11-23T08:56:26.123Z` when `millis` or the value has a
/// fraction of a second.
pub(crate) fn format_iso8601(secs: f64, millis: bool) -> Option<String> {
    let dt = datetime(secs)?;
    let ms = dt.millisecond();
    let (y, mo, d) = (dt.year(), u8::from(dt.month()), dt.day());
    let (h, mi, s) = (dt.hour(), dt.minute(), dt.second());
    if millis || ms != 0 {
        Some(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z"))
    } else {
        Some(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"))
    }
}

/// `Mon, 23 Nov 2026 08:56:26 GMT`.
pub(crate) fn format_rfc822(secs: f64) -> Option<String> {
    let dt = datetime(secs)?;
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let day = DAYS.get(usize::from(dt.weekday().number_days_from_monday())).copied()?;
    let month = MONTHS.get(usize::from(u8::from(dt.month())).checked_sub(1)?).copied()?;
    Some(format!(
        "{day}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        dt.day(),
        dt.year(),
        dt.hour(),
        dt.minute(),
        dt.second()
    ))
}

/// Epoch seconds as a JSON number: an integer when whole, else with millisecond precision.
pub(crate) fn epoch_number(secs: f64) -> Option<Number> {
    if !secs.is_finite() {
        return None;
    }
    if secs.fract() == 0.0 && secs.abs() < 9.0e15 {
        #[expect(clippy::cast_possible_truncation, reason = "whole and in i64 range")]
        return Some(Number::from(secs as i64));
    }
    Number::from_f64((secs * 1e3).round() / 1e3)
}

/// Epoch seconds as a JSON Value number (what decoders hand services).
pub(crate) fn epoch_value(secs: f64) -> Value {
    epoch_number(secs).map_or(Value::Null, Value::Number)
}

/// Whether `s` is valid standard base64 (padding optional, as AWS accepts).
pub(crate) fn is_base64(s: &str) -> bool {
    let t = s.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD.decode(t).is_ok()
}

/// The text form of a scalar for XML bodies and form values.
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON number for an integer shape from text.
pub(crate) fn parse_integer(s: &str) -> Option<Value> {
    s.trim().parse::<i64>().ok().map(|n| Value::Number(n.into()))
}

/// A JSON number for a float shape from text (`NaN`/`Infinity` are not representable in JSON).
pub(crate) fn parse_float(s: &str) -> Option<Value> {
    let f = s.trim().parse::<f64>().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// A bool from `true`/`false` (case-insensitive, as AWS's query front end accepts).
pub(crate) fn parse_bool(s: &str) -> Option<Value> {
    match s.trim() {
        t if t.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
        t if t.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_each_format() {
        let t = parse_timestamp_text("2026-11-23T08:56:26Z").unwrap();
        assert_eq!(t, 1_795_424_186.0);
        assert_eq!(format_iso8601(t, false).unwrap(), "2026-11-23T08:56:26Z");
        assert_eq!(format_iso8601(t, true).unwrap(), "2026-11-23T08:56:26.000Z");
        assert_eq!(format_iso8601(t + 0.25, false).unwrap(), "2026-11-23T08:56:26.250Z");
        assert_eq!(format_rfc822(t).unwrap(), "Mon, 23 Nov 2026 08:56:26 GMT");
        assert_eq!(parse_timestamp_text("Mon, 23 Nov 2026 08:56:26 GMT").unwrap(), t);
        assert_eq!(parse_timestamp_text("1795424186").unwrap(), t);
        assert_eq!(parse_timestamp_text("2026-11-23T08:56:26").unwrap(), t);
        assert_eq!(parse_timestamp_text("2026-11-23T09:56:26+01:00").unwrap(), t);
        assert!(parse_timestamp_text("yesterday").is_none());
        assert_eq!(epoch_number(t).unwrap().to_string(), "1795424186");
        assert_eq!(epoch_number(t + 0.5).unwrap().to_string(), "1795424186.5");
    }

    #[test]
    fn base64_checks() {
        assert!(is_base64("aGVsbG8="));
        assert!(is_base64("aGVsbG8"));
        assert!(!is_base64("not base64!"));
    }
}
