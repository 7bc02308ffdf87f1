//! Condition operators: every family AWS documents (String, Numeric, Date, Bool, Binary, IP,
//! ARN, Null), the `...IfExists` suffix and the `ForAllValues:`/`ForAnyValue:` set
//! qualifiers. Compiled once per statement; evaluated against the request context.
//!
//! Semantics (IAM User Guide, condition element and multivalued keys):
//! - values listed for one key are OR'd; a negated operator must match none of them;
//! - a missing key makes a positive operator false and a negated one true, except that
//!   `...IfExists` makes any operator true on a missing key;
//! - `ForAllValues` on a missing or empty set is true; `ForAnyValue` on one is false.

use std::net::IpAddr;

use base64::Engine as _;

use crate::arn::{matches_text, ArnPattern, Target};
use crate::context::Values;
use crate::error::PolicyError;
use crate::glob::{wildcard_match, Glob};
use crate::template::{Mode, Template, Text};

/// Where conditions read key values from (lowercased key names).
pub(crate) trait Lookup {
    fn values(&self, key: &str) -> Option<Values<'_>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, context: T, policy: T) -> bool {
        match self {
            Cmp::Eq => context == policy,
            Cmp::Lt => context < policy,
            Cmp::Le => context <= policy,
            Cmp::Gt => context > policy,
            Cmp::Ge => context >= policy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Single,
    ForAllValues,
    ForAnyValue,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(Box<str>),
    Like(Glob),
    Arn(ArnPattern),
    Template(Template),
    Num(f64),
    Date(i64),
    Bool(bool),
    Binary(Vec<u8>),
    Cidr(IpAddr, u8),
    Null(bool),
    /// A value that cannot match (unparseable for its operator).
    Never,
}

/// One operator + key + values triple of a Condition block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    family: Family,
    negated: bool,
    set: SetOp,
    if_exists: bool,
    key: Box<str>,
    values: Box<[Value]>,
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| s.get(prefix.len()..)).flatten()
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| s.get(..cut)).flatten()
}

/// Splits an operator name into (family, negated, set qualifier, IfExists). `None` when the
/// name is not an operator IAM knows.
fn parse_operator(name: &str) -> Option<(Family, bool, SetOp, bool)> {
    let (set, rest) = if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
        (SetOp::ForAllValues, r)
    } else if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
        (SetOp::ForAnyValue, r)
    } else {
        (SetOp::Single, name)
    };
    let (base, if_exists) = match strip_suffix_ci(rest, "IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    use Cmp::*;
    use Family::*;
    let (family, negated) = match base.to_ascii_lowercase().as_str() {
        "stringequals" => (StringEquals, false),
        "stringnotequals" => (StringEquals, true),
        "stringequalsignorecase" => (StringEqualsIgnoreCase, false),
        "stringnotequalsignorecase" => (StringEqualsIgnoreCase, true),
        "stringlike" => (StringLike, false),
        "stringnotlike" => (StringLike, true),
        "numericequals" => (Numeric(Eq), false),
        "numericnotequals" => (Numeric(Eq), true),
        "numericlessthan" => (Numeric(Lt), false),
        "numericlessthanequals" => (Numeric(Le), false),
        "numericgreaterthan" => (Numeric(Gt), false),
        "numericgreaterthanequals" => (Numeric(Ge), false),
        "dateequals" => (Date(Eq), false),
        "datenotequals" => (Date(Eq), true),
        "datelessthan" => (Date(Lt), false),
        "datelessthanequals" => (Date(Le), false),
        "dategreaterthan" => (Date(Gt), false),
        "dategreaterthanequals" => (Date(Ge), false),
        "bool" => (Bool, false),
        "binaryequals" => (Binary, false),
        "ipaddress" => (Ip, false),
        "notipaddress" => (Ip, true),
        "arnequals" | "arnlike" => (Arn, false),
        "arnnotequals" | "arnnotlike" => (Arn, true),
        "null" => (Null, false),
        _ => return None,
    };
    if family == Null && (if_exists || set != SetOp::Single) {
        return None;
    }
    Some((family, negated, set, if_exists))
}

impl Condition {
    /// Compiles one operator/key/values triple. `variables` is false before 2012-10-17.
    /// Errors carry IAM's message for an unknown operator or an unparseable date.
    pub(crate) fn new(
        operator: &str,
        key: &str,
        values: &[String],
        variables: bool,
    ) -> Result<Condition, PolicyError> {
        // IAM answers an unknown operator with its generic grammar error. (S3 bucket policies
        // say "Invalid Condition type : X" instead; we follow IAM for every kind.)
        let (family, negated, set, if_exists) =
            parse_operator(operator).ok_or_else(PolicyError::syntax)?;
        let compiled = values
            .iter()
            .map(|v| compile_value(family, v, variables))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Condition {
            family,
            negated,
            set,
            if_exists,
            key: key.to_lowercase().into(),
            values: compiled.into(),
        })
    }

    /// Evaluates against the request context.
    pub(crate) fn evaluate(&self, lookup: &impl Lookup) -> bool {
        let found = lookup.values(&self.key).filter(|v| !v.is_empty());
        if self.family == Family::Null {
            let absent = found.is_none();
            return self.values.iter().any(|v| matches!(v, Value::Null(want) if *want == absent));
        }
        let Some(found) = found else {
            return match self.set {
                SetOp::ForAllValues => true,
                SetOp::ForAnyValue => self.if_exists,
                SetOp::Single => self.if_exists || self.negated,
            };
        };
        match self.set {
            SetOp::Single => found.iter().any(|cv| self.matches_any(cv, lookup)) != self.negated,
            SetOp::ForAnyValue => {
                found.iter().any(|cv| self.matches_any(cv, lookup) != self.negated)
            }
            SetOp::ForAllValues => {
                found.iter().all(|cv| self.matches_any(cv, lookup) != self.negated)
            }
        }
    }

    /// Does the context value `cv` match at least one policy value (positive sense)?
    fn matches_any(&self, cv: &str, lookup: &impl Lookup) -> bool {
        // Typed families parse the context value once, not once per policy value.
        match self.family {
            Family::Ip => cv.trim().parse::<IpAddr>().is_ok_and(|ip| {
                self.values.iter().any(
                    |v| matches!(v, Value::Cidr(net, prefix) if cidr_contains(*net, *prefix, ip)),
                )
            }),
            Family::Numeric(cmp) => cv.trim().parse::<f64>().is_ok_and(|c| {
                self.values.iter().any(|v| matches!(v, Value::Num(n) if cmp.holds(c, *n)))
            }),
            Family::Date(cmp) => parse_date(cv).is_some_and(|c| {
                self.values.iter().any(|v| matches!(v, Value::Date(d) if cmp.holds(c, *d)))
            }),
            _ => self.values.iter().any(|v| self.matches_one(v, cv, lookup)),
        }
    }

    /// String, ARN, Bool and Binary values (the typed families are handled in `matches_any`).
    fn matches_one(&self, v: &Value, cv: &str, lookup: &impl Lookup) -> bool {
        match (v, self.family) {
            (Value::Str(s), Family::StringEquals) => **s == *cv,
            (Value::Str(s), Family::StringEqualsIgnoreCase) => eq_ignore_case(s, cv),
            (Value::Like(g), _) => g.matches(cv, false),
            (Value::Arn(p), _) => p.matches(&Target::new(cv)),
            (Value::Template(t), family) => {
                let mode = match family {
                    Family::StringLike | Family::Arn => Mode::Glob,
                    _ => Mode::Plain,
                };
                let mut buf = String::new();
                let resolved =
                    t.render(|k| lookup.values(k).and_then(|vals| vals.single()), mode, &mut buf);
                resolved
                    && match family {
                        Family::StringEquals => buf == cv,
                        Family::StringEqualsIgnoreCase => buf
                            .chars()
                            .flat_map(char::to_lowercase)
                            .eq(cv.chars().flat_map(char::to_lowercase)),
                        Family::StringLike => wildcard_match(&buf, cv, false),
                        Family::Arn => matches_text(&buf, &Target::new(cv)),
                        _ => false,
                    }
            }
            (Value::Bool(b), Family::Bool) => parse_bool(cv) == Some(*b),
            (Value::Binary(bytes), Family::Binary) => base64::engine::general_purpose::STANDARD
                .decode(cv.trim())
                .is_ok_and(|c| c == *bytes),
            _ => false,
        }
    }
}

fn compile_value(family: Family, raw: &str, variables: bool) -> Result<Value, PolicyError> {
    Ok(match family {
        Family::StringEquals
        | Family::StringEqualsIgnoreCase
        | Family::StringLike
        | Family::Arn => {
            let mode = if matches!(family, Family::StringLike | Family::Arn) {
                Mode::Glob
            } else {
                Mode::Plain
            };
            match Text::new(raw, variables, mode) {
                Text::Template(t) => Value::Template(t),
                Text::Const(c) => match family {
                    Family::StringEqualsIgnoreCase => Value::Str(c.to_lowercase().into()),
                    Family::StringLike => Value::Like(Glob::new(&c, false)),
                    Family::Arn => Value::Arn(ArnPattern::new(&c)),
                    _ => Value::Str(c),
                },
            }
        }
        Family::Numeric(_) => raw.trim().parse::<f64>().map_or(Value::Never, Value::Num),
        // IAM's legacy parser refuses a date it cannot read.
        Family::Date(_) => Value::Date(parse_date(raw).ok_or_else(PolicyError::legacy)?),
        Family::Bool => parse_bool(raw).map_or(Value::Never, Value::Bool),
        Family::Binary => base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_or(Value::Never, Value::Binary),
        Family::Ip => parse_cidr(raw).map_or(Value::Never, |(n, p)| Value::Cidr(n, p)),
        Family::Null => parse_bool(raw).map_or(Value::Never, Value::Null),
    })
}

fn eq_ignore_case(folded_policy: &str, context: &str) -> bool {
    folded_policy.chars().eq(context.chars().flat_map(char::to_lowercase))
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `203.0.113.0/24`, `2001:db8::/32` or a bare address (a full-length prefix).
pub(crate) fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
        None => (s.parse::<IpAddr>().ok()?, None),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some((addr, prefix))
}

fn cidr_contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        (IpAddr::V4(_), IpAddr::V6(i)) => {
            i.to_ipv4_mapped().is_some_and(|v4| cidr_contains(net, prefix, IpAddr::V4(v4)))
        }
        (IpAddr::V6(_), IpAddr::V4(_)) => false,
    }
}

/// Milliseconds since the epoch of a date value: epoch seconds (`1577836801`) or ISO 8601 as
/// IAM's (Java) reader takes it, which is looser than W3C's profile: `2020-01-01`,
/// `2020-01-01T00:00:01Z`, a bare year (`01T`), an ordinal date (`2020-183`), a lower-case `t`,
/// one-digit fields (`t2:00`), fractions of up to nine digits and `+HH`, `+HH:mm` or `+HHmm`
/// offsets (`+23` is read; `+1` is not). Fields out of range (`234-13`) are refused.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = s.parse().ok()?;
        if !secs.is_finite() || secs.abs() > 1.0e13 {
            return None;
        }
        // Bounded above, so the cast cannot truncate.
        return Some((secs * 1000.0).round() as i64);
    }
    let mut c = DateCursor { s: s.as_bytes(), at: 0 };
    let (year, month, day) = if c.peek_is(b'T') { (1970, 1, 1) } else { c.date()? };
    let mut millis = days_from_civil(year, month, day).checked_mul(86_400_000)?;
    if c.eat(b'T') {
        if c.peek().is_some_and(|b| b.is_ascii_digit()) {
            millis = millis.checked_add(c.time()?)?;
        }
        if !c.done() {
            millis = millis.checked_sub(c.offset()?)?;
        }
    }
    c.done().then_some(millis)
}

/// A reader over a date value's bytes.
struct DateCursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl DateCursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn peek_is(&self, letter: u8) -> bool {
        self.peek().is_some_and(|b| b.eq_ignore_ascii_case(&letter))
    }

    fn done(&self) -> bool {
        self.at >= self.s.len()
    }

    /// Consumes `b` (either case for a letter).
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek_is(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    /// The run of digits ahead, if its length is within `min..=max`.
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let run = self.s.get(self.at..)?.iter().take_while(|b| b.is_ascii_digit()).count();
        if run < min || run > max {
            return None;
        }
        let text = std::str::from_utf8(self.s.get(self.at..self.at + run)?).ok()?;
        self.at += run;
        Some((text.parse().ok()?, run))
    }

    /// `[+-]yyyy[-MM[-dd]]` or `[+-]yyyy-DDD`, the year 1 to 9 digits.
    fn date(&mut self) -> Option<(i64, i64, i64)> {
        let sign = if self.eat(b'-') {
            -1
        } else {
            self.eat(b'+');
            1
        };
        let year = sign * self.digits(1, 9)?.0;
        if !self.eat(b'-') {
            return Some((year, 1, 1));
        }
        let run = self.s.get(self.at..)?.iter().take_while(|b| b.is_ascii_digit()).count();
        if run == 3 {
            let (ordinal, _) = self.digits(3, 3)?;
            let len = if is_leap(year) { 366 } else { 365 };
            if !(1..=len).contains(&ordinal) {
                return None;
            }
            return Some((year, 1, ordinal));
        }
        let (month, _) = self.digits(1, 2)?;
        if !(1..=12).contains(&month) {
            return None;
        }
        let day = if self.eat(b'-') { self.digits(1, 2)?.0 } else { 1 };
        (1..=days_in_month(year, month)).contains(&day).then_some((year, month, day))
    }

    /// `HH[:mm[:ss]]` with a fraction on the last field; milliseconds into the day.
    fn time(&mut self) -> Option<i64> {
        let (hour, _) = self.digits(1, 2)?;
        let mut millis = hour * 3_600_000;
        let mut unit = 3_600_000;
        if self.eat(b':') {
            let (minute, _) = self.digits(1, 2)?;
            millis += minute * 60_000;
            unit = 60_000;
            if self.eat(b':') {
                let (second, _) = self.digits(1, 2)?;
                if second > 59 {
                    return None;
                }
                millis += second * 1000;
                unit = 1000;
            }
            if minute > 59 {
                return None;
            }
        }
        if hour > 23 {
            return None;
        }
        if self.eat(b'.') || self.eat(b',') {
            let (frac, len) = self.digits(1, 9)?;
            millis += frac * unit / 10_i64.pow(u32::try_from(len).ok()?);
        }
        Some(millis)
    }

    /// `Z` or `±HH[[:]mm]`; the offset from UTC in milliseconds.
    fn offset(&mut self) -> Option<i64> {
        if self.eat(b'Z') {
            return Some(0);
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return None;
        };
        let (hours, _) = self.digits(2, 2).or_else(|| self.two_digits())?;
        let mut minutes = 0;
        if !self.done() {
            self.eat(b':');
            minutes = self.two_digits()?.0;
        }
        (hours <= 23 && minutes <= 59).then_some(sign * (hours * 60 + minutes) * 60_000)
    }

    /// Exactly two digits, even when more follow (`+1000`).
    fn two_digits(&mut self) -> Option<(i64, usize)> {
        let pair = self.s.get(self.at..self.at + 2)?;
        if !pair.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += 2;
        Some((std::str::from_utf8(pair).ok()?.parse().ok()?, 2))
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Ctx(HashMap<String, Vec<String>>);

    impl Lookup for Ctx {
        fn values(&self, key: &str) -> Option<Values<'_>> {
            self.0.get(key).map(|v| Values::Many(v.as_slice()))
        }
    }

    fn ctx(pairs: &[(&str, &[&str])]) -> Ctx {
        Ctx(pairs
            .iter()
            .map(|(k, v)| (k.to_lowercase(), v.iter().map(|s| s.to_string()).collect()))
            .collect())
    }

    fn eval(op: &str, key: &str, values: &[&str], c: &Ctx) -> bool {
        let vals: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        Condition::new(op, key, &vals, true).unwrap().evaluate(c)
    }

    #[test]
    fn string_family() {
        let c = ctx(&[("aws:username", &["David"])]);
        assert!(eval("StringEquals", "aws:username", &["David"], &c));
        assert!(!eval("StringEquals", "aws:username", &["david"], &c));
        assert!(eval("StringEquals", "AWS:UserName", &["Jane", "David"], &c));
        assert!(eval("StringNotEquals", "aws:username", &["Jane"], &c));
        assert!(!eval("StringNotEquals", "aws:username", &["Jane", "David"], &c));
        assert!(eval("StringEqualsIgnoreCase", "aws:username", &["DAVID"], &c));
        assert!(!eval("StringNotEqualsIgnoreCase", "aws:username", &["dAvId"], &c));
        assert!(eval("StringLike", "aws:username", &["D*d"], &c));
        assert!(eval("StringLike", "aws:username", &["Dav?d"], &c));
        assert!(!eval("StringLike", "aws:username", &["d*"], &c));
        assert!(eval("StringNotLike", "aws:username", &["J*"], &c));
    }

    #[test]
    fn missing_key_rules() {
        let c = ctx(&[]);
        assert!(!eval("StringEquals", "aws:username", &["x"], &c));
        assert!(eval("StringNotEquals", "aws:username", &["x"], &c));
        assert!(eval("StringNotLike", "aws:username", &["x"], &c));
        assert!(eval("ArnNotLike", "aws:sourcearn", &["arn:aws:s3:::x"], &c));
        assert!(eval("StringEqualsIfExists", "aws:username", &["x"], &c));
        assert!(eval("NumericLessThanIfExists", "aws:multifactorauthage", &["3600"], &c));
        assert!(!eval("NumericLessThan", "aws:multifactorauthage", &["3600"], &c));
    }

    #[test]
    fn if_exists_present_key_evaluates_normally() {
        let c = ctx(&[("aws:MultiFactorAuthPresent", &["false"])]);
        assert!(!eval("BoolIfExists", "aws:MultiFactorAuthPresent", &["true"], &c));
        assert!(eval("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"], &c));
    }

    #[test]
    fn set_qualifiers() {
        let c = ctx(&[("aws:TagKeys", &["env", "team"]), ("x:empty", &[])]);
        assert!(eval("ForAllValues:StringEquals", "aws:TagKeys", &["env", "team", "cost"], &c));
        assert!(!eval("ForAllValues:StringEquals", "aws:TagKeys", &["env"], &c));
        assert!(eval("ForAnyValue:StringEquals", "aws:TagKeys", &["env"], &c));
        assert!(!eval("ForAnyValue:StringEquals", "aws:TagKeys", &["cost"], &c));
        // Negated: ForAnyValue:StringNotEquals = some value outside the list.
        assert!(eval("ForAnyValue:StringNotEquals", "aws:TagKeys", &["env"], &c));
        assert!(!eval("ForAllValues:StringNotEquals", "aws:TagKeys", &["env"], &c));
        assert!(eval("ForAllValues:StringNotEquals", "aws:TagKeys", &["cost"], &c));
        // Missing and empty sets.
        assert!(eval("ForAllValues:StringEquals", "aws:missing", &["a"], &c));
        assert!(eval("ForAllValues:StringEquals", "x:empty", &["a"], &c));
        assert!(!eval("ForAnyValue:StringEquals", "aws:missing", &["a"], &c));
        assert!(!eval("ForAnyValue:StringEquals", "x:empty", &["a"], &c));
        assert!(eval("ForAnyValue:StringEqualsIfExists", "aws:missing", &["a"], &c));
    }

    #[test]
    fn numeric_family() {
        let c = ctx(&[("s3:max-keys", &["10"])]);
        assert!(eval("NumericEquals", "s3:max-keys", &["10"], &c));
        assert!(eval("NumericEquals", "s3:max-keys", &["10.0"], &c));
        assert!(eval("NumericNotEquals", "s3:max-keys", &["11"], &c));
        assert!(eval("NumericLessThan", "s3:max-keys", &["11"], &c));
        assert!(!eval("NumericLessThan", "s3:max-keys", &["10"], &c));
        assert!(eval("NumericLessThanEquals", "s3:max-keys", &["10"], &c));
        assert!(eval("NumericGreaterThan", "s3:max-keys", &["9.5"], &c));
        assert!(eval("NumericGreaterThanEquals", "s3:max-keys", &["10"], &c));
        assert!(!eval("NumericEquals", "s3:max-keys", &["ten"], &c));
    }

    #[test]
    fn date_family() {
        let c = ctx(&[
            ("aws:CurrentTime", &["2026-11-23T09:00:00Z"]),
            ("aws:EpochTime", &["1700000000"]),
        ]);
        assert!(eval("DateGreaterThan", "aws:CurrentTime", &["2026-01-01T00:00:00Z"], &c));
        assert!(eval("DateLessThan", "aws:CurrentTime", &["2027-01-01"], &c));
        assert!(eval("DateEquals", "aws:CurrentTime", &["2026-11-23T10:00:00+01:00"], &c));
        assert!(eval("DateNotEquals", "aws:CurrentTime", &["2026-11-23T09:00:01Z"], &c));
        assert!(eval("DateLessThanEquals", "aws:CurrentTime", &["2026-11-23T09:00:00Z"], &c));
        assert!(eval("DateGreaterThanEquals", "aws:EpochTime", &["2023-11-14T22:13:20Z"], &c));
        // Epoch in the policy against ISO in the context.
        assert!(eval("DateGreaterThan", "aws:CurrentTime", &["1700000000"], &c));
    }

    #[test]
    fn date_parsing() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("2020-01-01T00:00:01Z"), Some(1_577_836_801_000));
        assert_eq!(parse_date("2020-01-01T00:00:01.5Z"), Some(1_577_836_801_500));
        assert_eq!(parse_date("1577836801"), Some(1_577_836_801_000));
        assert_eq!(parse_date("sdfdsf"), None);
        assert_eq!(parse_date("234-13"), None);
        assert_eq!(parse_date("2016-12-13t2:00:00.593194+1"), None);
        assert_eq!(parse_date("9223372036854775808"), None);
        // IAM's reader (getmoto/moto#2269's cases, checked against IAM).
        assert_eq!(parse_date("01T"), Some(days_from_civil(1, 1, 1) * 86_400_000));
        assert_eq!(
            parse_date("2016-12-13t2:00:00.593194+23"),
            Some(days_from_civil(2016, 12, 13) * 86_400_000 + (2 - 23) * 3_600_000 + 593)
        );
        assert_eq!(parse_date("2016-12-13t2:00:00.1999999999+10:59"), None);
        assert_eq!(parse_date("2020-01-01T00:00:01+0100"), Some(1_577_833_201_000));
        assert_eq!(parse_date("2020-032"), Some(1_580_515_200_000));
        assert_eq!(parse_date("2019-02-29"), None);
        assert_eq!(parse_date("2020-01-01T24:00"), None);
        assert_eq!(parse_date("2020-01-01X"), None);
    }

    #[test]
    fn bad_date_in_policy_fails_legacy_parsing() {
        let err = Condition::new("DateGreaterThan", "a", &["sdfdsf".into()], true).unwrap_err();
        assert_eq!(err.message(), "The policy failed legacy parsing");
    }

    #[test]
    fn unknown_operator_is_a_syntax_error() {
        let err = Condition::new("x", "a", &["1".into()], true).unwrap_err();
        assert_eq!(err.message(), "Syntax errors in policy.");
        assert!(Condition::new("ForAnyValue::StringEqualsIfExists", "a", &[], true).is_err());
        assert!(Condition::new("NullIfExists", "a", &[], true).is_err());
        assert!(Condition::new("stringequals", "a", &[], true).is_ok());
    }

    #[test]
    fn bool_and_binary() {
        let c = ctx(&[("aws:SecureTransport", &["true"]), ("x:bin", &["QmluYXJ5"])]);
        assert!(eval("Bool", "aws:SecureTransport", &["true"], &c));
        assert!(eval("Bool", "aws:SecureTransport", &["TRUE"], &c));
        assert!(!eval("Bool", "aws:SecureTransport", &["false"], &c));
        assert!(eval("BinaryEquals", "x:bin", &["QmluYXJ5"], &c));
        assert!(!eval("BinaryEquals", "x:bin", &["QmluYXJ6"], &c));
    }

    #[test]
    fn ip_family() {
        let c = ctx(&[("aws:SourceIp", &["203.0.113.7"]), ("x:v6", &["2001:db8::1"])]);
        assert!(eval("IpAddress", "aws:SourceIp", &["203.0.113.0/24"], &c));
        assert!(!eval("IpAddress", "aws:SourceIp", &["198.51.100.0/24"], &c));
        assert!(eval("IpAddress", "aws:SourceIp", &["203.0.113.7"], &c));
        assert!(eval("NotIpAddress", "aws:SourceIp", &["198.51.100.0/24"], &c));
        assert!(eval("IpAddress", "x:v6", &["2001:db8::/32"], &c));
        assert!(!eval("IpAddress", "x:v6", &["2001:db9::/32"], &c));
        assert!(eval("IpAddress", "aws:SourceIp", &["0.0.0.0/0"], &c));
    }

    #[test]
    fn arn_family() {
        let c =
            ctx(&[("aws:SourceArn", &["arn:aws:proton:us-east-1:111111111111:environment/prod"])]);
        assert!(eval(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:proton:*:111111111111:environment/*"],
            &c
        ));
        assert!(eval(
            "ArnEquals",
            "aws:SourceArn",
            &["arn:aws:proton:*:111111111111:environment/*"],
            &c
        ));
        assert!(!eval(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:proton:*:222222222222:environment/*"],
            &c
        ));
        assert!(eval("ArnNotLike", "aws:SourceArn", &["arn:aws:proton:*:222222222222:*"], &c));
        assert!(!eval(
            "ArnNotEquals",
            "aws:SourceArn",
            &["arn:aws:proton:us-east-1:111111111111:environment/prod"],
            &c
        ));
    }

    #[test]
    fn null_operator() {
        let c = ctx(&[("aws:TokenIssueTime", &["2026-01-01T00:00:00Z"])]);
        assert!(eval("Null", "aws:TokenIssueTime", &["false"], &c));
        assert!(!eval("Null", "aws:TokenIssueTime", &["true"], &c));
        assert!(eval("Null", "aws:MultiFactorAuthAge", &["true"], &c));
    }

    #[test]
    fn variables_with_ignore_case_operators() {
        let c = ctx(&[("aws:username", &["David"]), ("s3:prefix", &["DAVID"])]);
        assert!(eval("StringEqualsIgnoreCase", "s3:prefix", &["${aws:username}"], &c));
        assert!(!eval("StringNotEqualsIgnoreCase", "s3:prefix", &["${aws:username}"], &c));
        assert!(!eval("StringEquals", "s3:prefix", &["${aws:username}"], &c));
    }

    #[test]
    fn variables_in_condition_values() {
        let c = ctx(&[("aws:username", &["David"]), ("s3:prefix", &["home/David/x"])]);
        assert!(eval("StringLike", "s3:prefix", &["home/${aws:username}/*"], &c));
        let c2 = ctx(&[("s3:prefix", &["home/David/x"])]);
        assert!(!eval("StringLike", "s3:prefix", &["home/${aws:username}/*"], &c2));
        assert!(eval("StringLike", "s3:prefix", &["home/${aws:username, 'David'}/*"], &c2));
    }
}
