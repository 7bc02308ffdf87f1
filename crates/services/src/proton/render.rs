//! The part of Jinja that Proton's environment CloudFormation templates use for parameters
//! (AWS's Proton user guide, "Environment CloudFormation IaC file parameters"): `{{ … }}`
//! expressions naming `environment.inputs.NAME` or `environment.name`, and `{# … #}` comments.
//! Values come from the spec's inputs with the schema's defaults ([`inputs`]).
//!
//! Anything else (`{% … %}` statements, filters, other namespaces) fails the rendering with a
//! message naming it, rather than rendering something Proton would not.

use serde_json::{Map, Value};

/// What a template can name.
pub struct Vars<'a> {
    pub environment_name: &'a str,
    pub inputs: &'a Map<String, Value>,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn lookup(expr: &str, vars: &Vars<'_>) -> Result<String, String> {
    if expr == "environment.name" {
        return Ok(vars.environment_name.to_owned());
    }
    if let Some(name) = expr.strip_prefix("environment.inputs.") {
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
            return vars
                .inputs
                .get(name)
                .map(text_of)
                .ok_or_else(|| format!("'{expr}' is undefined: the spec gives no input {name} and the schema no default"));
        }
    }
    Err(format!("the expression `{{{{ {expr} }}}}` is not supported by xacct's template rendering"))
}

/// Renders `template` with `vars`.
pub fn render(template: &str, vars: &Vars<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    loop {
        let next = ["{{", "{%", "{#"].iter().filter_map(|m| rest.find(m).map(|i| (i, *m))).min();
        let Some((at, open)) = next else {
            out.push_str(rest);
            return Ok(out);
        };
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 2..).unwrap_or_default();
        match open {
            "{{" => {
                let end = after.find("}}").ok_or("an expression `{{` is never closed")?;
                let expr = after.get(..end).unwrap_or_default().trim();
                out.push_str(&lookup(expr, vars)?);
                rest = after.get(end + 2..).unwrap_or_default();
            }
            "{#" => {
                let end = after.find("#}").ok_or("a comment `{#` is never closed")?;
                rest = after.get(end + 2..).unwrap_or_default();
            }
            _ => {
                let end = after.find("%}").unwrap_or(after.len());
                let statement = after.get(..end).unwrap_or_default().trim();
                return Err(format!(
                    "the statement `{{% {statement} %}}` is not supported by xacct's template rendering"
                ));
            }
        }
    }
}

/// The environment's inputs: the spec's `spec` values over the schema's defaults for the
/// schema's `environment_input_type`, checked against its `required` list and property types.
pub fn inputs(schema: &Value, spec: &Value) -> Result<Map<String, Value>, String> {
    let root = schema.get("schema").ok_or("the schema has no `schema` section")?;
    let type_name = root
        .get("environment_input_type")
        .and_then(Value::as_str)
        .ok_or("the schema names no environment_input_type")?;
    let input_type = root
        .get("types")
        .and_then(|t| t.get(type_name))
        .ok_or_else(|| format!("the schema has no type {type_name}"))?;
    let properties =
        input_type.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    if spec.get("proton").and_then(Value::as_str) != Some("EnvironmentSpec") {
        return Err("the spec must start with `proton: EnvironmentSpec`".to_owned());
    }
    let given = match spec.get("spec") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("the spec's `spec` must be a mapping of inputs".to_owned()),
    };
    let mut out = Map::new();
    for (name, value) in &given {
        let Some(prop) = properties.get(name) else {
            return Err(format!(
                "the spec gives input {name}, which the schema's {type_name} does not define"
            ));
        };
        check_type(name, prop, value)?;
        out.insert(name.clone(), value.clone());
    }
    for (name, prop) in &properties {
        if !out.contains_key(name) {
            if let Some(d) = prop.get("default") {
                out.insert(name.clone(), d.clone());
            }
        }
    }
    for req in input_type.get("required").and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = req.as_str() {
            if !out.contains_key(name) {
                return Err(format!("the spec is missing required input {name}"));
            }
        }
    }
    Ok(out)
}

fn check_type(name: &str, prop: &Value, value: &Value) -> Result<(), String> {
    let ok = match prop.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("number") => value.is_number(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        _ => true,
    };
    if !ok {
        let t = prop.get("type").and_then(Value::as_str).unwrap_or_default();
        return Err(format!("input {name} must be of type {t}"));
    }
    if let (Some(s), Some(min)) = (value.as_str(), prop.get("minLength").and_then(Value::as_u64)) {
        if (s.chars().count() as u64) < min {
            return Err(format!("input {name} must be at least {min} characters long"));
        }
    }
    if let (Some(s), Some(max)) = (value.as_str(), prop.get("maxLength").and_then(Value::as_u64)) {
        if (s.chars().count() as u64) > max {
            return Err(format!("input {name} must be at most {max} characters long"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"schema": {
            "format": {"openapi": "3.0.0"},
            "environment_input_type": "EnvInput",
            "types": {"EnvInput": {
                "type": "object",
                "properties": {
                    "bucket_suffix": {"type": "string", "minLength": 3},
                    "retention": {"type": "number", "default": 7},
                },
                "required": ["bucket_suffix"],
            }},
        }})
    }

    #[test]
    fn inputs_take_spec_values_over_schema_defaults() {
        let spec = json!({"proton": "EnvironmentSpec", "spec": {"bucket_suffix": "logs"}});
        let inputs = inputs(&schema(), &spec).unwrap();
        assert_eq!(inputs["bucket_suffix"], "logs");
        assert_eq!(inputs["retention"], 7);
        let vars = Vars { environment_name: "prod", inputs: &inputs };
        let out = render(
            "BucketName: {{ environment.name }}-{{environment.inputs.bucket_suffix}} {# note #}\nDays: {{ environment.inputs.retention }}",
            &vars,
        )
        .unwrap();
        assert_eq!(out, "BucketName: prod-logs \nDays: 7");
    }

    #[test]
    fn bad_specs_and_unsupported_jinja_are_refused() {
        let no_required = json!({"proton": "EnvironmentSpec", "spec": {}});
        assert!(inputs(&schema(), &no_required).unwrap_err().contains("bucket_suffix"));
        let unknown =
            json!({"proton": "EnvironmentSpec", "spec": {"bucket_suffix": "abc", "x": 1}});
        assert!(inputs(&schema(), &unknown).is_err());
        let wrong_type = json!({"proton": "EnvironmentSpec", "spec": {"bucket_suffix": 5}});
        assert!(inputs(&schema(), &wrong_type).is_err());
        let short = json!({"proton": "EnvironmentSpec", "spec": {"bucket_suffix": "a"}});
        assert!(inputs(&schema(), &short).is_err());
        assert!(inputs(&schema(), &json!({"spec": {}})).is_err());

        let map = Map::new();
        let vars = Vars { environment_name: "e", inputs: &map };
        assert!(render("{% if x %}a{% endif %}", &vars).unwrap_err().contains("not supported"));
        assert!(render("{{ environment.inputs.missing }}", &vars)
            .unwrap_err()
            .contains("undefined"));
        assert!(render("{{ service.name }}", &vars).is_err());
        assert!(render("{{ environment.name", &vars).is_err());
    }
}
