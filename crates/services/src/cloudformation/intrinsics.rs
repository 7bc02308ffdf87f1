//! Intrinsic functions and conditions: `Ref` (parameters, pseudo parameters, resources' physical
//! ids, `AWS::NoValue`), `Fn::GetAtt`, `Fn::Sub` (both forms), `Fn::Join`, `Fn::Select`,
//! `Fn::Split`, `Fn::If`, `Fn::FindInMap`, `Fn::GetAZs`, `Fn::Base64`, and the condition
//! functions `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`.
//!
//! `Fn::ImportValue` reads the exports of the account and region's other stacks ([`Exports`]).
//! `Fn::GetAZs` answers the region's first three zones (`REGIONa`, `b`, `c`): xacct emulates no
//! EC2 zones. `Fn::Cidr`, `Fn::Transform`, `Fn::ToJsonString` and `Fn::Length` are refused
//! with a clear error.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::{Map, Value};

use super::template::{format_error, template_error};
use crate::ServiceError;

/// A parameter's resolved value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Text(String),
    List(Vec<String>),
}

/// What a stack's pseudo parameters resolve to.
#[derive(Debug, Clone, Default)]
pub struct Pseudo {
    pub account: String,
    pub region: String,
    pub stack_name: String,
    pub stack_id: String,
    pub notification_arns: Vec<String>,
}

/// A provisioned resource as intrinsics see it.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    pub physical_id: String,
    pub attributes: BTreeMap<String, String>,
}

/// The exports of the other stacks of an account and region (name → value and exporting
/// stack's name), and the names an evaluation imported.
#[derive(Debug, Default)]
pub struct Exports {
    pub by_name: BTreeMap<String, (String, String)>,
    pub imported: RefCell<BTreeSet<String>>,
}

/// Everything an evaluation can read.
pub struct Scope<'a> {
    pub params: &'a BTreeMap<String, ParamValue>,
    pub pseudo: &'a Pseudo,
    pub resources: &'a BTreeMap<String, Provisioned>,
    pub conditions: &'a BTreeMap<String, bool>,
    pub mappings: &'a Map<String, Value>,
    pub exports: &'a Exports,
}

const NOT_SUPPORTED: &[&str] = &["Fn::Cidr", "Fn::Transform", "Fn::ToJsonString", "Fn::Length"];

/// The one-key object's function name and argument, if `v` is an intrinsic call.
fn intrinsic(v: &Map<String, Value>) -> Option<(&str, &Value)> {
    if v.len() != 1 {
        return None;
    }
    let (k, arg) = v.iter().next()?;
    (k == "Ref" || k == "Condition" || k.starts_with("Fn::")).then_some((k.as_str(), arg))
}

/// A scalar as text (`Fn::Join`, `Fn::Sub`, parameters).
pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Scope<'_> {
    /// Evaluates `v`; `None` means `AWS::NoValue` (the enclosing property is removed).
    pub fn eval(&self, v: &Value) -> Result<Option<Value>, ServiceError> {
        match v {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    if let Some(x) = self.eval(i)? {
                        out.push(x);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Value::Object(obj) => {
                if let Some((name, arg)) = intrinsic(obj) {
                    if name != "Condition" {
                        return self.call(name, arg);
                    }
                }
                let mut out = Map::new();
                for (k, x) in obj {
                    if let Some(y) = self.eval(x)? {
                        out.insert(k.clone(), y);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// Evaluates `v`, where `AWS::NoValue` is not allowed.
    fn value(&self, v: &Value, function: &str) -> Result<Value, ServiceError> {
        self.eval(v)?.ok_or_else(|| {
            template_error(format!("AWS::NoValue is not allowed as an argument of {function}"))
        })
    }

    fn text(&self, v: &Value, function: &str) -> Result<String, ServiceError> {
        as_text(&self.value(v, function)?)
            .ok_or_else(|| template_error(format!("every {function} argument must be a string")))
    }

    fn list(&self, v: &Value, function: &str) -> Result<Vec<Value>, ServiceError> {
        match self.value(v, function)? {
            Value::Array(items) => Ok(items),
            _ => Err(template_error(format!("{function} requires a list argument"))),
        }
    }

    fn call(&self, name: &str, arg: &Value) -> Result<Option<Value>, ServiceError> {
        match name {
            "Ref" => {
                let target = arg.as_str().ok_or_else(|| {
                    template_error("every Ref object must have a single String value.")
                })?;
                self.reference(target)
            }
            "Fn::GetAtt" => self.get_att(arg).map(Some),
            "Fn::Sub" => self.sub(arg).map(|s| Some(Value::String(s))),
            "Fn::Join" => {
                let parts = match arg {
                    Value::Array(p) if p.len() == 2 => p,
                    _ => return Err(template_error("Fn::Join requires a delimiter and a list")),
                };
                let (Some(delim), Some(items)) = (parts.first(), parts.get(1)) else {
                    return Err(template_error("Fn::Join requires a delimiter and a list"));
                };
                let delim = self.text(delim, "Fn::Join")?;
                let items = self.list(items, "Fn::Join")?;
                let texts: Option<Vec<String>> = items.iter().map(as_text).collect();
                let texts = texts.ok_or_else(|| {
                    template_error("every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.")
                })?;
                Ok(Some(Value::String(texts.join(&delim))))
            }
            "Fn::Select" => {
                let (Some(index), Some(items)) =
                    (arg.as_array().and_then(|a| a.first()), arg.as_array().and_then(|a| a.get(1)))
                else {
                    return Err(template_error("Fn::Select requires an index and a list"));
                };
                let index = self.text(index, "Fn::Select")?;
                let items = self.list(items, "Fn::Select")?;
                let i: usize = index
                    .parse()
                    .map_err(|_| template_error("Fn::Select index must be a number"))?;
                items.get(i).cloned().map(Some).ok_or_else(|| {
                    template_error(
                        "Fn::Select cannot select nonexistent value at index ".to_owned() + &index,
                    )
                })
            }
            "Fn::Split" => {
                let (Some(delim), Some(source)) =
                    (arg.as_array().and_then(|a| a.first()), arg.as_array().and_then(|a| a.get(1)))
                else {
                    return Err(template_error("Fn::Split requires a delimiter and a string"));
                };
                let delim = self.text(delim, "Fn::Split")?;
                let source = self.text(source, "Fn::Split")?;
                Ok(Some(Value::Array(
                    source.split(delim.as_str()).map(|s| Value::String(s.to_owned())).collect(),
                )))
            }
            "Fn::If" => {
                let parts = arg.as_array().filter(|a| a.len() == 3).ok_or_else(|| {
                    template_error("Fn::If requires a list argument with three elements")
                })?;
                let (Some(cond), Some(yes), Some(no)) = (parts.first(), parts.get(1), parts.get(2))
                else {
                    return Err(template_error(
                        "Fn::If requires a list argument with three elements",
                    ));
                };
                let cond = cond
                    .as_str()
                    .ok_or_else(|| template_error("Fn::If requires a condition name"))?;
                let truth = self.conditions.get(cond).copied().ok_or_else(|| {
                    format_error(format!("Unresolved condition dependency {cond} in Fn::If"))
                })?;
                self.eval(if truth { yes } else { no })
            }
            "Fn::FindInMap" => {
                let parts =
                    arg.as_array().filter(|a| (3..=4).contains(&a.len())).ok_or_else(|| {
                        template_error("Fn::FindInMap requires a map name and two keys")
                    })?;
                let mut keys = Vec::with_capacity(3);
                for p in parts.iter().take(3) {
                    keys.push(self.text(p, "Fn::FindInMap")?);
                }
                let found = match keys.as_slice() {
                    [map, k1, k2] => {
                        self.mappings.get(map).and_then(|m| m.get(k1)).and_then(|m| m.get(k2))
                    }
                    _ => None,
                };
                match (found, parts.get(3)) {
                    (Some(v), _) => Ok(Some(v.clone())),
                    (None, Some(default)) => match default.get("DefaultValue") {
                        Some(d) => self.eval(d),
                        None => {
                            Err(template_error("Fn::FindInMap default must be {DefaultValue: …}"))
                        }
                    },
                    (None, None) => Err(template_error(format!(
                        "Unable to get mapping for {}",
                        keys.join("::")
                    ))),
                }
            }
            "Fn::GetAZs" => {
                let region = match self.value(arg, "Fn::GetAZs")? {
                    Value::String(s) if !s.is_empty() => s,
                    _ => self.pseudo.region.clone(),
                };
                Ok(Some(Value::Array(
                    ["a", "b", "c"].iter().map(|z| Value::String(format!("{region}{z}"))).collect(),
                )))
            }
            "Fn::ImportValue" => {
                let name = self.text(arg, "Fn::ImportValue")?;
                let (value, _) = self
                    .exports
                    .by_name
                    .get(&name)
                    .ok_or_else(|| template_error(format!("No export named {name} found.")))?;
                self.exports.imported.borrow_mut().insert(name);
                Ok(Some(Value::String(value.clone())))
            }
            "Fn::Base64" => {
                let text = self.text(arg, "Fn::Base64")?;
                Ok(Some(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
                )))
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                Ok(Some(Value::Bool(self.condition_value(&Value::Object(
                    [(name.to_owned(), arg.clone())].into_iter().collect(),
                ))?)))
            }
            n if NOT_SUPPORTED.contains(&n) => Err(ServiceError::client(
                "ValidationError",
                400,
                format!("Template error: {n} is not supported by xacct"),
            )),
            other => Err(format_error(format!("Encountered unsupported function: {other}"))),
        }
    }

    fn reference(&self, target: &str) -> Result<Option<Value>, ServiceError> {
        let p = self.pseudo;
        let text = |s: &str| Ok(Some(Value::String(s.to_owned())));
        match target {
            "AWS::NoValue" => Ok(None),
            "AWS::AccountId" => text(&p.account),
            "AWS::Region" => text(&p.region),
            "AWS::StackName" => text(&p.stack_name),
            "AWS::StackId" => text(&p.stack_id),
            "AWS::Partition" => text("aws"),
            "AWS::URLSuffix" => text("amazonaws.com"),
            "AWS::NotificationARNs" => Ok(Some(Value::Array(
                p.notification_arns.iter().cloned().map(Value::String).collect(),
            ))),
            name => {
                if let Some(v) = self.params.get(name) {
                    return Ok(Some(match v {
                        ParamValue::Text(s) => Value::String(s.clone()),
                        ParamValue::List(items) => {
                            Value::Array(items.iter().cloned().map(Value::String).collect())
                        }
                    }));
                }
                match self.resources.get(name) {
                    Some(r) => text(&r.physical_id),
                    None => Err(template_error(format!(
                        "Unresolved resource dependencies [{name}] in the Resources block of the template"
                    ))),
                }
            }
        }
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<String, ServiceError> {
        let r = self.resources.get(resource).ok_or_else(|| {
            template_error(format!(
                "instance of Fn::GetAtt references undefined resource {resource}"
            ))
        })?;
        r.attributes.get(attribute).cloned().ok_or_else(|| {
            template_error(format!(
                "resource {resource} does not support attribute type {attribute} in Fn::GetAtt"
            ))
        })
    }

    fn get_att(&self, arg: &Value) -> Result<Value, ServiceError> {
        let (resource, attribute) = match arg {
            Value::Array(parts) if parts.len() == 2 => {
                let res = parts.first().and_then(Value::as_str);
                let attr = match parts.get(1) {
                    Some(a) => Some(self.text(a, "Fn::GetAtt")?),
                    None => None,
                };
                (res.map(str::to_owned), attr)
            }
            Value::String(s) => match s.split_once('.') {
                Some((r, a)) => (Some(r.to_owned()), Some(a.to_owned())),
                None => (None, None),
            },
            _ => (None, None),
        };
        let (Some(resource), Some(attribute)) = (resource, attribute) else {
            return Err(template_error(
                "every Fn::GetAtt object requires two non-empty parameters.",
            ));
        };
        self.attribute(&resource, &attribute).map(Value::String)
    }

    fn sub(&self, arg: &Value) -> Result<String, ServiceError> {
        let (text, vars) = match arg {
            Value::String(s) => (s.clone(), Map::new()),
            Value::Array(parts) if parts.len() == 2 => {
                let text = parts
                    .first()
                    .and_then(Value::as_str)
                    .ok_or_else(|| template_error("Fn::Sub requires a string"))?;
                let vars = parts
                    .get(1)
                    .and_then(Value::as_object)
                    .ok_or_else(|| template_error("Fn::Sub variables must be an object"))?;
                let mut resolved = Map::new();
                for (k, v) in vars {
                    resolved.insert(k.clone(), Value::String(self.text(v, "Fn::Sub")?));
                }
                (text.to_owned(), resolved)
            }
            _ => return Err(template_error("Fn::Sub requires a string or a list of two")),
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(rest.get(..start).unwrap_or_default());
            let after = rest.get(start + 2..).unwrap_or_default();
            let Some(end) = after.find('}') else {
                out.push_str(rest.get(start..).unwrap_or_default());
                rest = "";
                break;
            };
            let name = after.get(..end).unwrap_or_default();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let name = name.trim();
                let value = if let Some(v) = vars.get(name) {
                    as_text(v).unwrap_or_default()
                } else if let Some((res, attr)) =
                    name.split_once('.').filter(|_| !self.params.contains_key(name))
                {
                    self.attribute(res, attr)?
                } else {
                    match self.reference(name)? {
                        Some(v) => as_text(&v).ok_or_else(|| {
                            template_error(format!("variable {name} in Fn::Sub expression does not resolve to a string"))
                        })?,
                        None => String::new(),
                    }
                };
                out.push_str(&value);
            }
            rest = after.get(end + 1..).unwrap_or_default();
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A condition expression's truth.
    pub fn condition_value(&self, v: &Value) -> Result<bool, ServiceError> {
        let bad = || {
            template_error(
                "Conditions can only be boolean operations on parameters and other conditions",
            )
        };
        let Some((name, arg)) = v.as_object().and_then(intrinsic) else {
            return match v {
                Value::Bool(b) => Ok(*b),
                Value::String(s) if s == "true" => Ok(true),
                Value::String(s) if s == "false" => Ok(false),
                _ => Err(bad()),
            };
        };
        let args = |n: std::ops::RangeInclusive<usize>| {
            arg.as_array().filter(|a| n.contains(&a.len())).ok_or_else(|| {
                template_error(format!(
                    "{name} requires a list of {}..{} arguments",
                    n.start(),
                    n.end()
                ))
            })
        };
        match name {
            "Condition" => {
                let c = arg.as_str().ok_or_else(bad)?;
                self.conditions.get(c).copied().ok_or_else(|| {
                    format_error(format!("Unresolved condition dependency {c} in Condition"))
                })
            }
            "Fn::Equals" => {
                let a = args(2..=2)?;
                let (Some(x), Some(y)) = (a.first(), a.get(1)) else { return Err(bad()) };
                let x = self.value(x, "Fn::Equals")?;
                let y = self.value(y, "Fn::Equals")?;
                Ok(match (as_text(&x), as_text(&y)) {
                    (Some(x), Some(y)) => x == y,
                    _ => x == y,
                })
            }
            "Fn::Not" => {
                let a = args(1..=1)?;
                let x = a.first().ok_or_else(bad)?;
                Ok(!self.condition_value(x)?)
            }
            "Fn::And" | "Fn::Or" => {
                let a = args(2..=10)?;
                let mut values = Vec::with_capacity(a.len());
                for x in a {
                    values.push(self.condition_value(x)?);
                }
                Ok(if name == "Fn::And" {
                    values.iter().all(|b| *b)
                } else {
                    values.iter().any(|b| *b)
                })
            }
            _ => match self.eval(v)? {
                Some(Value::Bool(b)) => Ok(b),
                _ => Err(bad()),
            },
        }
    }
}

/// Evaluates every condition of a template (a condition may name another; a cycle is refused).
pub fn evaluate_conditions(
    conditions: &Map<String, Value>,
    params: &BTreeMap<String, ParamValue>,
    pseudo: &Pseudo,
    mappings: &Map<String, Value>,
) -> Result<BTreeMap<String, bool>, ServiceError> {
    let empty = BTreeMap::new();
    let no_exports = Exports::default();
    let mut done: BTreeMap<String, bool> = BTreeMap::new();
    // Each pass settles the conditions whose named conditions are settled.
    for _ in 0..=conditions.len() {
        let mut progressed = false;
        for (name, expr) in conditions {
            if done.contains_key(name) {
                continue;
            }
            let mut named = Vec::new();
            condition_names(expr, &mut named);
            if let Some(missing) = named.iter().find(|n| !conditions.contains_key(*n)) {
                return Err(format_error(format!(
                    "Unresolved condition dependency {missing} in Fn::If"
                )));
            }
            if !named.iter().all(|n| done.contains_key(n)) {
                continue;
            }
            let scope = Scope {
                params,
                pseudo,
                resources: &empty,
                conditions: &done,
                mappings,
                exports: &no_exports,
            };
            let value = scope.condition_value(expr)?;
            done.insert(name.clone(), value);
            progressed = true;
        }
        if !progressed {
            break;
        }
    }
    if done.len() != conditions.len() {
        let left: Vec<&str> =
            conditions.keys().filter(|k| !done.contains_key(*k)).map(String::as_str).collect();
        return Err(format_error(format!(
            "Circular dependency between conditions: [{}]",
            left.join(", ")
        )));
    }
    Ok(done)
}

fn condition_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(obj) => {
            if let (1, Some(Value::String(c))) = (obj.len(), obj.get("Condition")) {
                out.push(c.clone());
            }
            obj.values().for_each(|x| condition_names(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| condition_names(x, out)),
        _ => {}
    }
}
