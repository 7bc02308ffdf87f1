//! Templates: JSON or YAML text to one JSON value (YAML short-form tags such as `!Ref` and
//! `!GetAtt a.b` become their long forms), the checks CloudFormation makes before it creates
//! anything (sections, resource declarations, parameters, references), and the dependency
//! order of the resources (Ref, Fn::GetAtt, Fn::Sub and DependsOn; a cycle is refused).
//!
//! Error texts follow AWS's "Template format error: …" messages where they are known; those
//! marked "(guessed)" are our wording for cases whose AWS text we have not seen.

use std::collections::{BTreeMap, BTreeSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

use crate::ServiceError;

/// A `ValidationError` with AWS's "Template format error: " prefix.
pub fn format_error(message: impl std::fmt::Display) -> ServiceError {
    ServiceError::client("ValidationError", 400, format!("Template format error: {message}"))
}

/// A `ValidationError` with AWS's "Template error: " prefix (evaluation problems).
pub fn template_error(message: impl std::fmt::Display) -> ServiceError {
    ServiceError::client("ValidationError", 400, format!("Template error: {message}"))
}

// ---------------------------------------------------------------- text to value

/// Parses a template body: JSON when it starts with `{`, YAML otherwise.
pub fn parse(body: &str) -> Result<Value, ServiceError> {
    if body.trim_start().starts_with('{') {
        return serde_json::from_str(body).map_err(|e| {
            format_error(format!(
                "JSON not well-formed. (line {},  column {})",
                e.line(),
                e.column()
            ))
        });
    }
    parse_yaml(body)
}

enum Frame {
    Seq(Vec<Value>, Option<Tag>),
    Map(Map<String, Value>, Option<String>, Option<Tag>),
}

/// The functions a YAML short-form tag (`!Name`) stands for.
const SHORT_FORMS: &[&str] = &[
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "ToJsonString",
    "Length",
];

fn apply_tag(tag: Option<&Tag>, value: Value) -> Result<Value, ServiceError> {
    let Some(tag) = tag else { return Ok(value) };
    if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
        // Core-schema tags: `!!str` keeps a scalar as text; the others change nothing here.
        return Ok(match (tag.suffix.as_str(), value) {
            ("str", Value::Number(n)) => Value::String(n.to_string()),
            ("str", Value::Bool(b)) => Value::String(b.to_string()),
            ("str", Value::Null) => Value::String(String::new()),
            (_, v) => v,
        });
    }
    if tag.handle != "!" {
        return Err(format_error(format!(
            "YAML not well-formed. Unknown tag {}{}",
            tag.handle, tag.suffix
        )));
    }
    let name = tag.suffix.as_str();
    let mut obj = Map::new();
    match name {
        "Ref" => {
            obj.insert("Ref".into(), value);
        }
        "Condition" => {
            obj.insert("Condition".into(), value);
        }
        "GetAtt" => {
            let v = match value {
                Value::String(s) => match s.split_once('.') {
                    Some((res, attr)) => {
                        Value::Array(vec![Value::String(res.into()), Value::String(attr.into())])
                    }
                    None => Value::String(s),
                },
                other => other,
            };
            obj.insert("Fn::GetAtt".into(), v);
        }
        n if SHORT_FORMS.contains(&n) => {
            obj.insert(format!("Fn::{n}"), value);
        }
        // (guessed) AWS's text for an unknown short-form tag.
        other => return Err(format_error(format!("YAML not well-formed. Unknown tag !{other}"))),
    }
    Ok(Value::Object(obj))
}

/// A plain scalar as YAML's core schema resolves it (quoted scalars stay strings).
fn plain_scalar(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Number(i.into());
        }
        return Value::String(s.to_owned());
    }
    let looks_float = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b"._eE+-".contains(&b))
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1;
    if looks_float {
        if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_owned())
}

fn key_text(v: Value) -> Result<String, ServiceError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok("null".to_owned()),
        // (guessed) AWS's text for a mapping key that is not a scalar.
        _ => Err(format_error("YAML not well-formed. A mapping key must be a scalar")),
    }
}

fn parse_yaml(body: &str) -> Result<Value, ServiceError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let mut done = false;
    for item in Parser::new_from_str(body) {
        let (event, span) = item.map_err(|e| {
            format_error(format!(
                "YAML not well-formed. (line {}, column {})",
                e.marker().line(),
                e.marker().col() + 1
            ))
        })?;
        if done {
            // Only the first document is the template.
            continue;
        }
        let value = match event {
            Event::Scalar(text, style, _, tag) => {
                let v = if style == ScalarStyle::Plain && tag.is_none() {
                    plain_scalar(&text)
                } else if style == ScalarStyle::Plain {
                    // A tagged plain scalar (`!Ref Name`, `!!str 1`) keeps YAML's typing.
                    match plain_scalar(&text) {
                        Value::Null if !text.is_empty() => Value::String(text.to_string()),
                        v => v,
                    }
                } else {
                    Value::String(text.to_string())
                };
                apply_tag(tag.as_deref(), v)?
            }
            Event::SequenceStart(_, tag) => {
                stack.push(Frame::Seq(Vec::new(), tag.map(|t| t.into_owned())));
                continue;
            }
            Event::MappingStart(_, tag) => {
                stack.push(Frame::Map(Map::new(), None, tag.map(|t| t.into_owned())));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, tag)) => apply_tag(tag.as_ref(), Value::Array(items))?,
                _ => return Err(format_error("YAML not well-formed.")),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(map, None, tag)) => apply_tag(tag.as_ref(), Value::Object(map))?,
                _ => return Err(format_error("YAML not well-formed.")),
            },
            Event::Alias(_) => {
                return Err(format_error(format!(
                    "YAML aliases are not allowed in CloudFormation templates (line {})",
                    span.start.line()
                )))
            }
            Event::DocumentEnd => {
                if root.is_some() {
                    done = true;
                }
                continue;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::Nothing => {
                continue
            }
        };
        match stack.last_mut() {
            None => root = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, pending, _)) => match pending.take() {
                None => *pending = Some(key_text(value)?),
                Some(key) => {
                    map.insert(key, value);
                }
            },
        }
    }
    match root {
        Some(v) => Ok(v),
        None => Err(format_error("unsupported structure.")),
    }
}

// ---------------------------------------------------------------- structure

/// The parameter types CloudFormation accepts (the AWS-specific ones are checked as strings).
fn known_parameter_type(t: &str) -> bool {
    matches!(t, "String" | "Number" | "List<Number>" | "CommaDelimitedList")
        || t.starts_with("AWS::EC2::")
        || t.starts_with("AWS::Route53::")
        || t.starts_with("List<AWS::EC2::")
        || t.starts_with("List<AWS::Route53::")
        || t.starts_with("AWS::SSM::Parameter::")
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterDecl {
    pub name: String,
    pub type_name: String,
    pub default: Option<String>,
    pub no_echo: bool,
    pub allowed_values: Vec<String>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub description: Option<String>,
}

impl ParameterDecl {
    /// List types are `CommaDelimitedList` and `List<…>`.
    pub fn is_list(&self) -> bool {
        self.type_name == "CommaDelimitedList" || self.type_name.starts_with("List<")
    }
}

/// One declared resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDecl {
    pub logical_id: String,
    pub resource_type: String,
    /// `Properties` (an object, or `Null` when absent).
    pub properties: Value,
    /// Every logical resource id this one needs first.
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
    /// `DeletionPolicy: Retain`.
    pub retain: bool,
}

/// One declared output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDecl {
    pub name: String,
    pub value: Value,
    pub description: Option<Value>,
    pub export_name: Option<Value>,
    pub condition: Option<String>,
}

/// A checked template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub description: Option<String>,
    pub parameters: Vec<ParameterDecl>,
    pub mappings: Map<String, Value>,
    pub conditions: Map<String, Value>,
    /// In dependency order (a resource after everything it depends on).
    pub resources: Vec<ResourceDecl>,
    pub outputs: Vec<OutputDecl>,
    /// `Transform` declarations (refused by [`Template::check_supported`]).
    pub transforms: Vec<String>,
}

/// Pseudo parameters `Ref` accepts.
pub const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::Region",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::NoValue",
    "AWS::NotificationARNs",
];

const TOP_LEVEL: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Rules",
    "Hooks",
];

const RESOURCE_ATTRIBUTES: &[&str] = &[
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
    "CreationPolicy",
    "UpdatePolicy",
    "Version",
];

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parameter_decl(name: &str, v: &Value) -> Result<ParameterDecl, ServiceError> {
    let obj = v.as_object().ok_or_else(|| {
        format_error(format!("Invalid parameter property or properties [{name}]"))
    })?;
    let type_name = obj
        .get("Type")
        .and_then(text_of)
        .ok_or_else(|| format_error("Every Parameters object must contain a Type member."))?;
    if !known_parameter_type(&type_name) {
        return Err(format_error(format!("Unrecognized parameter type: {type_name}")));
    }
    let number = |k: &str| obj.get(k).and_then(|v| text_of(v)?.parse::<f64>().ok());
    let length = |k: &str| obj.get(k).and_then(|v| text_of(v)?.parse::<usize>().ok());
    let allowed_values = match obj.get("AllowedValues") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(text_of).collect(),
        Some(_) => {
            // (guessed)
            return Err(format_error(format!(
                "Every AllowedValues object must be a list of strings, parameter {name}"
            )));
        }
    };
    let no_echo = match obj.get("NoEcho") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    Ok(ParameterDecl {
        name: name.to_owned(),
        type_name,
        default: obj.get("Default").and_then(|d| match d {
            Value::Array(items) => {
                Some(items.iter().filter_map(text_of).collect::<Vec<_>>().join(","))
            }
            other => text_of(other),
        }),
        no_echo,
        allowed_values,
        min_length: length("MinLength"),
        max_length: length("MaxLength"),
        min_value: number("MinValue"),
        max_value: number("MaxValue"),
        description: obj.get("Description").and_then(text_of),
    })
}

/// Collects what `v` refers to: `Ref` names and `Fn::GetAtt`/`Fn::Sub` resource names.
pub fn references(v: &Value, refs: &mut BTreeSet<String>, getatts: &mut BTreeSet<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| references(i, refs, getatts)),
        Value::Object(obj) => {
            if obj.len() == 1 {
                if let Some(Value::String(name)) = obj.get("Ref") {
                    refs.insert(name.clone());
                    return;
                }
                if let Some(arg) = obj.get("Fn::GetAtt") {
                    match arg {
                        Value::Array(parts) => {
                            if let Some(Value::String(res)) = parts.first() {
                                getatts.insert(res.clone());
                            }
                            parts.iter().skip(1).for_each(|p| references(p, refs, getatts));
                        }
                        Value::String(s) => {
                            getatts.insert(s.split('.').next().unwrap_or(s).to_owned());
                        }
                        _ => {}
                    }
                    return;
                }
                if let Some(arg) = obj.get("Fn::Sub") {
                    let (text, vars) = match arg {
                        Value::String(s) => (Some(s.as_str()), None),
                        Value::Array(parts) => (
                            parts.first().and_then(Value::as_str),
                            parts.get(1).and_then(Value::as_object),
                        ),
                        _ => (None, None),
                    };
                    if let Some(vars) = vars {
                        vars.values().for_each(|x| references(x, refs, getatts));
                    }
                    if let Some(text) = text {
                        for var in sub_variables(text) {
                            if vars.is_some_and(|m| m.contains_key(&var)) {
                                continue;
                            }
                            match var.split_once('.') {
                                Some((res, _)) => {
                                    getatts.insert(res.to_owned());
                                }
                                None => {
                                    refs.insert(var);
                                }
                            }
                        }
                    }
                    return;
                }
            }
            obj.values().for_each(|x| references(x, refs, getatts));
        }
        _ => {}
    }
}

/// The `${…}` variables of an `Fn::Sub` string (`${!…}` is a literal).
pub fn sub_variables(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = rest.get(start + 2..).unwrap_or_default();
        let Some(end) = after.find('}') else { break };
        let name = after.get(..end).unwrap_or_default();
        if !name.starts_with('!') {
            out.push(name.trim().to_owned());
        }
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|i| i.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

/// A resource type name CloudFormation could know: `Vendor::Service::Type` or `Custom::Name`.
fn well_formed_type(t: &str) -> bool {
    let parts: Vec<&str> = t.split("::").collect();
    let ok_part = |p: &&str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric());
    match parts.as_slice() {
        ["Custom", name] => ok_part(name),
        [_, _, _] | [_, _, _, "MODULE"] => parts.iter().all(ok_part),
        _ => false,
    }
}

impl Template {
    /// Checks a parsed template's structure and orders its resources.
    pub fn from_value(v: &Value) -> Result<Template, ServiceError> {
        let Some(top) = v.as_object() else {
            return Err(format_error("unsupported structure."));
        };
        let unknown: Vec<&str> =
            top.keys().map(String::as_str).filter(|k| !TOP_LEVEL.contains(k)).collect();
        if !unknown.is_empty() {
            return Err(format_error(format!(
                "Invalid template property or properties [{}]",
                unknown.join(", ")
            )));
        }
        if let Some(version) = top.get("AWSTemplateFormatVersion") {
            let text = text_of(version).unwrap_or_default();
            if text != "2010-09-09" {
                // (guessed)
                return Err(format_error(format!("'{text}' is not a supported version")));
            }
        }
        let description = match top.get("Description") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            // (guessed)
            Some(_) => return Err(format_error("Every Description member must be a string.")),
        };
        let section = |name: &str| -> Result<Map<String, Value>, ServiceError> {
            match top.get(name) {
                None | Some(Value::Null) => Ok(Map::new()),
                Some(Value::Object(m)) => Ok(m.clone()),
                Some(_) => Err(format_error(format!("{name} must be an object"))), // (guessed)
            }
        };
        let mut parameters = Vec::new();
        for (name, decl) in &section("Parameters")? {
            parameters.push(parameter_decl(name, decl)?);
        }
        let mappings = section("Mappings")?;
        let conditions = section("Conditions")?;
        let resources_section = section("Resources")?;
        if resources_section.is_empty() {
            return Err(format_error("At least one Resources member must be defined."));
        }
        let transforms = match top.get("Transform") {
            None => Vec::new(),
            Some(v) => string_list(v).unwrap_or_else(|| vec![v.to_string()]),
        };

        let param_names: BTreeSet<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
        let resource_names: BTreeSet<&str> = resources_section.keys().map(String::as_str).collect();
        let mut resources = Vec::new();
        for (logical_id, decl) in &resources_section {
            let Some(obj) = decl.as_object() else {
                return Err(format_error(format!(
                    "[/Resources/{logical_id}] resource definition is malformed"
                )));
            };
            if let Some(bad) = obj.keys().find(|k| !RESOURCE_ATTRIBUTES.contains(&k.as_str())) {
                return Err(format_error(format!("Invalid template resource property '{bad}'")));
            }
            let resource_type = obj.get("Type").and_then(Value::as_str).ok_or_else(|| {
                format_error(format!(
                    "[/Resources/{logical_id}] Every Resources object must contain a Type member."
                ))
            })?;
            if !well_formed_type(resource_type) {
                return Err(format_error(format!(
                    "Unrecognized resource types: [{resource_type}]"
                )));
            }
            let properties = obj.get("Properties").cloned().unwrap_or(Value::Null);
            if !matches!(properties, Value::Object(_) | Value::Null) {
                // (guessed)
                return Err(format_error(format!(
                    "[/Resources/{logical_id}/Properties] Every Properties member must be an object"
                )));
            }
            let mut refs = BTreeSet::new();
            let mut getatts = BTreeSet::new();
            references(&properties, &mut refs, &mut getatts);
            let mut unresolved: Vec<String> = refs
                .iter()
                .filter(|r| {
                    !param_names.contains(r.as_str())
                        && !resource_names.contains(r.as_str())
                        && !PSEUDO_PARAMETERS.contains(&r.as_str())
                })
                .cloned()
                .collect();
            let explicit = match obj.get("DependsOn") {
                None => Vec::new(),
                Some(v) => string_list(v).ok_or_else(|| {
                    format_error("DependsOn must be a string or list of strings")
                    // (guessed)
                })?,
            };
            unresolved
                .extend(explicit.iter().filter(|d| !resource_names.contains(d.as_str())).cloned());
            if !unresolved.is_empty() {
                return Err(format_error(format!(
                    "Unresolved resource dependencies [{}] in the Resources block of the template",
                    unresolved.join(", ")
                )));
            }
            if let Some(bad) = getatts.iter().find(|g| !resource_names.contains(g.as_str())) {
                return Err(template_error(format!(
                    "instance of Fn::GetAtt references undefined resource {bad}"
                )));
            }
            let mut depends_on: BTreeSet<String> = refs
                .into_iter()
                .filter(|r| resource_names.contains(r.as_str()))
                .chain(getatts)
                .chain(explicit)
                .collect();
            depends_on.remove(logical_id);
            let condition = match obj.get("Condition") {
                None => None,
                Some(Value::String(c)) => {
                    if !conditions.contains_key(c) {
                        // (guessed)
                        return Err(format_error(format!(
                            "Unresolved condition dependency {c} in resource {logical_id}"
                        )));
                    }
                    Some(c.clone())
                }
                Some(_) => return Err(format_error("Condition must be a string")), // (guessed)
            };
            let retain = obj.get("DeletionPolicy").and_then(Value::as_str) == Some("Retain");
            resources.push(ResourceDecl {
                logical_id: logical_id.clone(),
                resource_type: resource_type.to_owned(),
                properties,
                depends_on: depends_on.into_iter().collect(),
                condition,
                retain,
            });
        }
        let resources = order(resources)?;

        let mut outputs = Vec::new();
        for (name, decl) in &section("Outputs")? {
            let obj = decl.as_object();
            let Some(value) = obj.and_then(|o| o.get("Value")) else {
                return Err(format_error(format!(
                    "Every Outputs member must contain a Value object, the key {name} does not" // (guessed)
                )));
            };
            let mut refs = BTreeSet::new();
            let mut getatts = BTreeSet::new();
            references(decl, &mut refs, &mut getatts);
            let unresolved: Vec<String> = refs
                .iter()
                .filter(|r| {
                    !param_names.contains(r.as_str())
                        && !resource_names.contains(r.as_str())
                        && !PSEUDO_PARAMETERS.contains(&r.as_str())
                })
                .cloned()
                .collect();
            if !unresolved.is_empty() {
                return Err(format_error(format!(
                    "Unresolved resource dependencies [{}] in the Outputs block of the template",
                    unresolved.join(", ")
                )));
            }
            if let Some(bad) = getatts.iter().find(|g| !resource_names.contains(g.as_str())) {
                return Err(template_error(format!(
                    "instance of Fn::GetAtt references undefined resource {bad}"
                )));
            }
            let export_name =
                obj.and_then(|o| o.get("Export")).and_then(|e| e.get("Name")).cloned();
            outputs.push(OutputDecl {
                name: name.clone(),
                value: value.clone(),
                description: obj.and_then(|o| o.get("Description")).cloned(),
                export_name,
                condition: obj
                    .and_then(|o| o.get("Condition"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
        Ok(Template {
            description,
            parameters,
            mappings,
            conditions,
            resources,
            outputs,
            transforms,
        })
    }

    /// Refuses what xacct does not evaluate: transforms (macros such as `AWS::Serverless`).
    pub fn check_supported(&self) -> Result<(), ServiceError> {
        if let Some(t) = self.transforms.first() {
            return Err(ServiceError::client(
                "ValidationError",
                400,
                format!("Transform {t} is not supported by xacct"),
            ));
        }
        Ok(())
    }

    /// The declared resource `logical_id`.
    pub fn resource(&self, logical_id: &str) -> Option<&ResourceDecl> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }
}

/// Orders resources so that each comes after what it depends on (Kahn's algorithm, ties by
/// logical id); what cannot be ordered is a cycle.
pub fn order(resources: Vec<ResourceDecl>) -> Result<Vec<ResourceDecl>, ServiceError> {
    let mut pending: BTreeMap<String, ResourceDecl> =
        resources.into_iter().map(|r| (r.logical_id.clone(), r)).collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(pending.len());
    loop {
        let ready: Vec<String> = pending
            .values()
            .filter(|r| r.depends_on.iter().all(|d| done.contains(d)))
            .map(|r| r.logical_id.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        for id in ready {
            if let Some(r) = pending.remove(&id) {
                done.insert(id);
                out.push(r);
            }
        }
    }
    if !pending.is_empty() {
        let names: Vec<&str> = pending.keys().map(String::as_str).collect();
        return Err(format_error(format!(
            "Circular dependency between resources: [{}]",
            names.join(", ")
        )));
    }
    Ok(out)
}
