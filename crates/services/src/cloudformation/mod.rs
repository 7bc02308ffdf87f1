//! AWS CloudFormation (query protocol), per account and region: stacks created, updated and
//! deleted from JSON or YAML templates, with parameters, conditions, outputs, tags,
//! capabilities and service roles; their resources, events and templates. One function per
//! operation, named as AWS names it.
//!
//! Provisioning runs synchronously inside `CreateStack`, `UpdateStack` and `DeleteStack`: when
//! the call returns, the stack is in its final state (`CREATE_COMPLETE`, `ROLLBACK_COMPLETE`,
//! `UPDATE_COMPLETE`, `DELETE_COMPLETE`, …). AWS answers these calls at once and works in the
//! background; clients that wait for a final status (waiters, `aws cloudformation deploy`) see
//! the same end state.
//!
//! Resources are created through [`provider`], one API call at a time, as the stack's caller
//! or, when the stack has a `RoleARN`, as a session of that role assumed by
//! `cloudformation.amazonaws.com` (see `sts::assume_role_for_service`). A resource type xacct
//! does not emulate fails the stack ("Resource type X is not emulated by xacct").
//!
//! Authorization of the CloudFormation operations themselves is in [`actions`].

pub mod actions;
pub mod changesets;
pub mod engine;
pub mod intrinsics;
pub mod model;
pub mod provider;
pub mod template;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::{ids, input_str, unknown_operation, Call, Caller, ServiceError, Services};
use engine::{Inputs, OnFailure, Run};
use intrinsics::{Exports, ParamValue, Pseudo};
use model::{ParameterRecord, StackRecord, STACKS, STACK_NAMES};
use provider::Invoker;
use template::Template;

/// Stack ids start with this.
pub const STACK_ID_PREFIX: &str = "arn:aws:cloudformation:";

/// The session name CloudFormation uses when it assumes a stack's service role (chosen; AWS
/// does not document its session names).
const ROLE_SESSION_NAME: &str = "AWSCloudFormation";

/// Largest page of `DescribeStacks`, `ListStacks`, `ListStackResources`, `DescribeStackEvents`.
const PAGE: usize = 100;

pub(crate) fn dispatch(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    match call.operation {
        "CreateStack" => create_stack(services, call),
        "UpdateStack" => update_stack(services, call),
        "DeleteStack" => delete_stack(services, call),
        "DescribeStacks" => describe_stacks(services, call),
        "ListStacks" => list_stacks(services, call),
        "DescribeStackResources" => describe_stack_resources(services, call),
        "DescribeStackResource" => describe_stack_resource(services, call),
        "ListStackResources" => list_stack_resources(services, call),
        "DescribeStackEvents" => describe_stack_events(services, call),
        "GetTemplate" => get_template(services, call),
        "ValidateTemplate" => validate_template(services, call),
        "GetTemplateSummary" => get_template_summary(services, call),
        "ListExports" => list_exports(services, call),
        "CreateChangeSet" => changesets::create_change_set(services, call),
        "DescribeChangeSet" => changesets::describe_change_set(services, call),
        "ExecuteChangeSet" => changesets::execute_change_set(services, call),
        "DeleteChangeSet" => changesets::delete_change_set(services, call),
        "ListChangeSets" => changesets::list_change_sets(services, call),
        _ => Err(unknown_operation(call)),
    }
}

// ---------------------------------------------------------------- errors and helpers

fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ValidationError", 400, message)
}

fn not_exist(name: &str) -> ServiceError {
    validation(format!("Stack with id {name} does not exist"))
}

/// A random version 4 UUID.
pub(crate) fn uuid() -> Result<String, ServiceError> {
    let b = ids::random_bytes::<16>()?;
    let hex: String = b
        .iter()
        .enumerate()
        .map(|(i, x)| match i {
            6 => format!("{:02x}", (x & 0x0f) | 0x40),
            8 => format!("{:02x}", (x & 0x3f) | 0x80),
            _ => format!("{x:02x}"),
        })
        .collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    ))
}

fn required<'v>(call: &'v Call<'_>, member: &str) -> Result<&'v str, ServiceError> {
    input_str(call.input, member).ok_or_else(|| {
        let mut m = member.to_owned();
        if let Some(first) = m.get_mut(0..1) {
            first.make_ascii_lowercase();
        }
        validation(format!(
            "1 validation error detected: Value null at '{m}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn opt_bool(input: &Value, member: &str) -> Option<bool> {
    match input.get(member)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s == "true"),
        _ => None,
    }
}

fn strings(input: &Value, member: &str) -> Vec<String> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// `StackName` of `CreateStack`: `[a-zA-Z][-a-zA-Z0-9]*`, at most 128 characters.
fn check_stack_name(name: &str) -> Result<(), ServiceError> {
    let rule = |c: &str| {
        validation(format!(
            "1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: {c}"
        ))
    };
    if name.chars().count() > 128 {
        return Err(rule("Member must have length less than or equal to 128"));
    }
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok {
        return Err(rule("Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"));
    }
    Ok(())
}

/// The stack a `StackName` (name or id) names in the call's account and region. Deleted stacks
/// are found by id only, as AWS finds them.
fn find_stack(
    tx: &dyn xacct_store::ReadTx,
    call: &Call<'_>,
    name_or_id: &str,
) -> Result<Option<StackRecord>, ServiceError> {
    let account = &call.caller.account;
    let id = if name_or_id.starts_with(STACK_ID_PREFIX) {
        name_or_id.to_owned()
    } else {
        match STACK_NAMES.get(tx, &model::name_key(account, call.region, name_or_id))? {
            Some(id) => id,
            None => return Ok(None),
        }
    };
    Ok(STACKS.get(tx, &model::stack_key(account, call.region, &id))?)
}

fn all_stacks(services: &Services, call: &Call<'_>) -> Result<Vec<StackRecord>, ServiceError> {
    let tx = services.store().read()?;
    let prefix = model::region_prefix(&call.caller.account, call.region);
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = STACKS.scan(&*tx, &prefix, after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        out.extend(batch.into_iter().map(|(_, s)| s));
    }
    // Newest first, as AWS lists stacks.
    out.sort_by(|a, b| b.creation_time.total_cmp(&a.creation_time));
    Ok(out)
}

/// One page of `items` after the `NextToken` of the call.
fn page<T: Clone>(call: &Call<'_>, items: &[T]) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let start = match input_str(call.input, "NextToken") {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| validation("Invalid NextToken"))?,
    };
    let end = (start + PAGE).min(items.len());
    let slice = items.get(start..end).map(<[T]>::to_vec).unwrap_or_default();
    Ok((slice, (end < items.len()).then(|| end.to_string())))
}

fn with_next(mut out: Value, next: Option<String>) -> Value {
    if let (Some(n), Some(obj)) = (next, out.as_object_mut()) {
        obj.insert("NextToken".into(), Value::String(n));
    }
    out
}

// ---------------------------------------------------------------- templates and parameters

/// The template of a `CreateStack`/`UpdateStack`/`ValidateTemplate` call: its body and the
/// checked template.
fn template_of_call(call: &Call<'_>) -> Result<(String, Template), ServiceError> {
    let body = input_str(call.input, "TemplateBody");
    let url = input_str(call.input, "TemplateURL");
    let body = match (body, url) {
        (Some(_), Some(_)) => {
            return Err(validation("You cannot specify both TemplateURL and TemplateBody"));
            // (guessed)
        }
        (Some(b), None) => b,
        (None, Some(_)) => {
            return Err(validation(
                "TemplateURL is not supported by xacct: pass the template as TemplateBody",
            ))
        }
        (None, None) => {
            return Err(validation("Either Template URL or Template Body must be specified."))
        }
    };
    let parsed = template::parse(body)?;
    let t = Template::from_value(&parsed)?;
    Ok((body.to_owned(), t))
}

/// The parameters of a call resolved against the template (given, previous or default).
fn resolve_parameters(
    t: &Template,
    input: &Value,
    previous: Option<&[ParameterRecord]>,
) -> Result<(Vec<ParameterRecord>, BTreeMap<String, ParamValue>), ServiceError> {
    let given: Vec<&Value> = input
        .get("Parameters")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let unknown: Vec<String> = given
        .iter()
        .filter_map(|p| input_str(p, "ParameterKey"))
        .filter(|k| !t.parameters.iter().any(|d| d.name == *k))
        .map(str::to_owned)
        .collect();
    if !unknown.is_empty() {
        return Err(validation(format!(
            "Parameters: [{}] do not exist in the template",
            unknown.join(", ")
        )));
    }
    let mut records = Vec::new();
    let mut values = BTreeMap::new();
    let mut missing = Vec::new();
    for d in &t.parameters {
        let entry = given.iter().find(|p| input_str(p, "ParameterKey") == Some(d.name.as_str()));
        let value = match entry {
            Some(p) if opt_bool(p, "UsePreviousValue") == Some(true) => {
                match previous.and_then(|prev| prev.iter().find(|r| r.key == d.name)) {
                    Some(r) => Some(r.value.clone()),
                    None => {
                        return Err(validation(format!(
                            "Invalid input for parameter key {}. Cannot specify usePreviousValue as true for a parameter key not in the previous template",
                            d.name
                        )))
                    }
                }
            }
            Some(p) => {
                input_str(p, "ParameterValue").map(str::to_owned).or_else(|| d.default.clone())
            }
            None => d.default.clone(),
        };
        let Some(value) = value else {
            missing.push(d.name.clone());
            continue;
        };
        if d.type_name.starts_with("AWS::SSM::Parameter::") {
            return Err(validation(format!(
                "Parameter '{}' is of type {}: SSM parameter types are not supported by xacct",
                d.name, d.type_name
            )));
        }
        check_parameter(d, &value)?;
        values.insert(
            d.name.clone(),
            if d.is_list() {
                ParamValue::List(value.split(',').map(str::to_owned).collect())
            } else {
                ParamValue::Text(value.clone())
            },
        );
        records.push(ParameterRecord { key: d.name.clone(), value, no_echo: d.no_echo });
    }
    if !missing.is_empty() {
        return Err(validation(format!("Parameters: [{}] must have values", missing.join(", "))));
    }
    Ok((records, values))
}

fn check_parameter(d: &template::ParameterDecl, value: &str) -> Result<(), ServiceError> {
    let name = &d.name;
    let items: Vec<&str> = if d.is_list() { value.split(',').collect() } else { vec![value] };
    let numeric = d.type_name == "Number" || d.type_name == "List<Number>";
    for item in &items {
        if numeric {
            let n: f64 = item
                .trim()
                .parse()
                .map_err(|_| validation(format!("Parameter '{name}' must be a number.")))?;
            if let Some(min) = d.min_value.filter(|m| n < *m) {
                return Err(validation(format!(
                    "Parameter '{name}' must be a number not less than {min}"
                )));
            }
            if let Some(max) = d.max_value.filter(|m| n > *m) {
                return Err(validation(format!(
                    "Parameter '{name}' must be a number not greater than {max}"
                )));
            }
        }
        if !d.allowed_values.is_empty() && !d.allowed_values.iter().any(|a| a == item) {
            return Err(validation(format!("Parameter '{name}' must be one of AllowedValues")));
        }
    }
    let len = value.chars().count();
    if let Some(min) = d.min_length.filter(|m| len < *m) {
        return Err(validation(format!(
            "Parameter '{name}' must contain at least {min} characters"
        )));
    }
    if let Some(max) = d.max_length.filter(|m| len > *m) {
        return Err(validation(format!(
            "Parameter '{name}' must contain at most {max} characters"
        )));
    }
    Ok(())
}

/// The capability the template needs (`CAPABILITY_NAMED_IAM` over `CAPABILITY_IAM`) and the
/// resource types that need it.
fn required_capability(t: &Template) -> Option<(&'static str, Vec<String>)> {
    let mut needed: Option<&'static str> = None;
    let mut types: Vec<String> = Vec::new();
    for r in &t.resources {
        if let Some(c) = provider::capability(&r.resource_type, &r.properties) {
            if needed != Some("CAPABILITY_NAMED_IAM") {
                needed = Some(c);
            }
            if !types.contains(&r.resource_type) {
                types.push(r.resource_type.clone());
            }
        }
    }
    needed.map(|c| (c, types))
}

fn check_capabilities(t: &Template, given: &[String]) -> Result<(), ServiceError> {
    let Some((needed, _)) = required_capability(t) else { return Ok(()) };
    let has = |c: &str| given.iter().any(|g| g == c);
    let ok = match needed {
        "CAPABILITY_NAMED_IAM" => has("CAPABILITY_NAMED_IAM"),
        _ => has("CAPABILITY_IAM") || has("CAPABILITY_NAMED_IAM"),
    };
    if ok {
        return Ok(());
    }
    Err(ServiceError::client(
        "InsufficientCapabilitiesException",
        400,
        format!("Requires capabilities : [{needed}]"),
    ))
}

fn tags_of(input: &Value) -> Result<Vec<(String, String)>, ServiceError> {
    let Some(list) = input.get("Tags").and_then(Value::as_array) else { return Ok(Vec::new()) };
    if list.len() > 50 {
        return Err(validation(
            "1 validation error detected: Value '[...]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        ));
    }
    Ok(list
        .iter()
        .filter_map(|t| Some((input_str(t, "Key")?.to_owned(), input_str(t, "Value")?.to_owned())))
        .collect())
}

/// The principal that provisions: the caller, or a session of `role_arn` assumed by
/// CloudFormation (AWS's message when it cannot be assumed).
fn effective_caller(
    services: &Services,
    call: &Call<'_>,
    role_arn: Option<&str>,
) -> Result<Caller, ServiceError> {
    match role_arn {
        None => Ok(call.caller.clone()),
        Some(role) => crate::sts::assume_role_for_service(
            services,
            role,
            actions::SERVICE_PRINCIPAL,
            ROLE_SESSION_NAME,
            call.region,
        )
        .map_err(|e| {
            if e.status >= 500 {
                return e;
            }
            validation(format!("Role {role} is invalid or cannot be assumed"))
        }),
    }
}

fn pseudo_of(stack: &StackRecord) -> Pseudo {
    Pseudo {
        account: stack.account.clone(),
        region: stack.region.clone(),
        stack_name: stack.stack_name.clone(),
        stack_id: stack.stack_id.clone(),
        notification_arns: stack.notification_arns.clone(),
    }
}

/// The exports of the account and region's live stacks other than `except` (a stack id).
fn exports_for(
    services: &Services,
    call: &Call<'_>,
    except: &str,
) -> Result<Exports, ServiceError> {
    let mut exports = Exports::default();
    for s in all_stacks(services, call)? {
        if s.status == "DELETE_COMPLETE" || s.stack_id == except {
            continue;
        }
        for o in &s.outputs {
            if let Some(name) = &o.export_name {
                exports.by_name.insert(name.clone(), (o.value.clone(), s.stack_name.clone()));
            }
        }
    }
    Ok(exports)
}

fn save(services: &Services, stack: &StackRecord) -> Result<(), ServiceError> {
    let mut tx = services.store().write()?;
    STACKS.put(
        &mut *tx,
        &model::stack_key(&stack.account, &stack.region, &stack.stack_id),
        stack,
    )?;
    let name_key = model::name_key(&stack.account, &stack.region, &stack.stack_name);
    if stack.status == "DELETE_COMPLETE"
        && STACK_NAMES.get(&*tx, &name_key)?.as_deref() == Some(stack.stack_id.as_str())
    {
        STACK_NAMES.delete(&mut *tx, &name_key)?;
    }
    tx.commit()?;
    Ok(())
}

// ---------------------------------------------------------------- CreateStack

/// A checked request to provision a template: what `CreateStack`, `UpdateStack` and
/// `CreateChangeSet` agree on before anything is created.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub body: String,
    pub template: Template,
    pub parameters: Vec<ParameterRecord>,
    pub values: BTreeMap<String, ParamValue>,
    pub capabilities: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub role_arn: Option<String>,
}

/// Checks a template, its parameters and capabilities against `previous` (an update's stack).
fn plan_of(
    call: &Call<'_>,
    body: String,
    template: Template,
    previous: Option<&StackRecord>,
) -> Result<Plan, ServiceError> {
    let input = call.input;
    template.check_supported()?;
    let (parameters, values) =
        resolve_parameters(&template, input, previous.map(|p| p.parameters.as_slice()))?;
    let capabilities = strings(input, "Capabilities");
    check_capabilities(&template, &capabilities)?;
    let tags = match previous {
        Some(p) if input.get("Tags").is_none() => p.tags.clone(),
        _ => tags_of(input)?,
    };
    let role_arn = input_str(input, "RoleARN")
        .map(str::to_owned)
        .or_else(|| previous.and_then(|p| p.role_arn.clone()));
    if let Some(p) = previous {
        for r in &template.resources {
            let same_id = |o: &&model::ResourceRecord| {
                o.logical_id == r.logical_id && !o.status.starts_with("DELETE")
            };
            if let Some(old) = p.resources.iter().find(same_id) {
                if old.resource_type != r.resource_type {
                    return Err(validation(format!(
                        "Update of resource type is not permitted. The new template modifies resource type of the following resources: [{}]",
                        r.logical_id
                    )));
                }
            }
        }
    }
    Ok(Plan { body, template, parameters, values, capabilities, tags, role_arn })
}

/// A new stack record for `plan`, in `status`.
fn new_stack(
    services: &Services,
    call: &Call<'_>,
    name: &str,
    plan: &Plan,
    status: &str,
) -> Result<StackRecord, ServiceError> {
    let account = call.caller.account.clone();
    let stack_id =
        format!("arn:aws:cloudformation:{}:{account}:stack/{name}/{}", call.region, uuid()?);
    Ok(StackRecord {
        stack_id,
        stack_name: name.to_owned(),
        account,
        region: call.region.to_owned(),
        status: status.to_owned(),
        status_reason: Some("User Initiated".to_owned()),
        description: plan.template.description.clone(),
        template_body: plan.body.clone(),
        parameters: plan.parameters.clone(),
        capabilities: plan.capabilities.clone(),
        tags: plan.tags.clone(),
        role_arn: plan.role_arn.clone(),
        notification_arns: strings(call.input, "NotificationARNs"),
        timeout_in_minutes: call.input.get("TimeoutInMinutes").and_then(Value::as_i64),
        disable_rollback: false,
        enable_termination_protection: opt_bool(call.input, "EnableTerminationProtection")
            .unwrap_or(false),
        creation_time: services.clock().now_epoch_f64(),
        last_updated_time: None,
        deletion_time: None,
        outputs: Vec::new(),
        resources: Vec::new(),
        events: Vec::new(),
        imports: Vec::new(),
    })
}

/// Records a new stack under its name; `AlreadyExistsException` when the name is taken.
fn insert_stack(services: &Services, stack: &StackRecord) -> Result<(), ServiceError> {
    let mut tx = services.store().write()?;
    let key = model::name_key(&stack.account, &stack.region, &stack.stack_name);
    if !STACK_NAMES.insert_new(&mut *tx, &key, &stack.stack_id)? {
        return Err(ServiceError::client(
            "AlreadyExistsException",
            400,
            format!("Stack [{}] already exists", stack.stack_name),
        ));
    }
    STACKS.put(
        &mut *tx,
        &model::stack_key(&stack.account, &stack.region, &stack.stack_id),
        stack,
    )?;
    tx.commit()?;
    Ok(())
}

/// Provisions a recorded stack (`CreateStack`, or a `CREATE` change set) and saves the result.
fn run_create(
    services: &Services,
    call: &Call<'_>,
    caller: &Caller,
    stack: StackRecord,
    plan: &Plan,
    on_failure: OnFailure,
) -> Result<(), ServiceError> {
    let pseudo = pseudo_of(&stack);
    let t = &plan.template;
    let conditions =
        intrinsics::evaluate_conditions(&t.conditions, &plan.values, &pseudo, &t.mappings)?;
    let exports = exports_for(services, call, &stack.stack_id)?;
    let mut run = Run { inv: Invoker { services, parent: call, caller }, stack };
    let inputs = Inputs {
        template: t,
        params: &plan.values,
        conditions: &conditions,
        pseudo: &pseudo,
        exports: &exports,
    };
    let result = run.create(&inputs, on_failure);
    if run.stack.status == "CREATE_COMPLETE" {
        run.stack.imports = exports.imported.borrow().iter().cloned().collect();
    }
    // Whatever happened, the stack's record says it.
    save(services, &run.stack)?;
    result
}

/// `CreateStack`: checks the request and template, records the stack, provisions it.
pub fn create_stack(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let input = call.input;
    let name = required(call, "StackName")?;
    check_stack_name(name)?;
    let (body, t) = template_of_call(call)?;
    let plan = plan_of(call, body, t, None)?;
    let disable_rollback = opt_bool(input, "DisableRollback");
    let on_failure = match (input_str(input, "OnFailure"), disable_rollback) {
        (Some(_), Some(_)) => {
            return Err(validation("You cannot specify both DisableRollback and OnFailure."))
        }
        (Some("DO_NOTHING"), _) | (None, Some(true)) => OnFailure::DoNothing,
        (Some("DELETE"), _) => OnFailure::Delete,
        _ => OnFailure::Rollback,
    };
    let caller = effective_caller(services, call, plan.role_arn.as_deref())?;
    let mut stack = new_stack(services, call, name, &plan, "CREATE_IN_PROGRESS")?;
    stack.disable_rollback = on_failure == OnFailure::DoNothing;
    // Conditions are checked before anything is recorded.
    intrinsics::evaluate_conditions(
        &plan.template.conditions,
        &plan.values,
        &pseudo_of(&stack),
        &plan.template.mappings,
    )?;
    insert_stack(services, &stack)?;
    let stack_id = stack.stack_id.clone();
    run_create(services, call, &caller, stack, &plan, on_failure)?;
    Ok(json!({ "StackId": stack_id }))
}

// ---------------------------------------------------------------- UpdateStack

const UPDATABLE: &[&str] = &[
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
];

fn not_updatable(stack: &StackRecord) -> ServiceError {
    validation(format!(
        "Stack:{} is in {} state and can not be updated.",
        stack.stack_id, stack.status
    ))
}

/// The live stack a `StackName` names, in a state that allows an update.
fn updatable_stack(services: &Services, call: &Call<'_>) -> Result<StackRecord, ServiceError> {
    let name = required(call, "StackName")?;
    let current = {
        let tx = services.store().read()?;
        find_stack(&*tx, call, name)?
    };
    let Some(current) = current.filter(|s| s.status != "DELETE_COMPLETE") else {
        return Err(not_exist(name));
    };
    if !UPDATABLE.contains(&current.status.as_str()) {
        return Err(not_updatable(&current));
    }
    Ok(current)
}

/// The template of an update: the request's, or the stack's with `UsePreviousTemplate`.
fn update_template(
    call: &Call<'_>,
    current: &StackRecord,
) -> Result<(String, Template), ServiceError> {
    let input = call.input;
    if opt_bool(input, "UsePreviousTemplate") == Some(true) {
        if input_str(input, "TemplateBody").is_some() || input_str(input, "TemplateURL").is_some() {
            return Err(validation(
                "You cannot specify both usePreviousTemplate and Template Body/Template URL.", // (guessed)
            ));
        }
        let parsed = template::parse(&current.template_body)?;
        return Ok((current.template_body.clone(), Template::from_value(&parsed)?));
    }
    template_of_call(call)
}

/// Whether `plan` changes nothing of `current` (AWS: "No updates are to be performed.").
fn no_changes(current: &StackRecord, plan: &Plan) -> bool {
    plan.body == current.template_body
        && plan.parameters == current.parameters
        && plan.tags == current.tags
        && plan.role_arn == current.role_arn
}

/// Applies `plan` to a stable stack (`UpdateStack`, or an `UPDATE` change set).
fn run_update(
    services: &Services,
    call: &Call<'_>,
    current: StackRecord,
    plan: &Plan,
) -> Result<(), ServiceError> {
    let caller = effective_caller(services, call, plan.role_arn.as_deref())?;
    let t = &plan.template;
    let mut stack = current.clone();
    stack.template_body.clone_from(&plan.body);
    stack.description.clone_from(&t.description);
    stack.parameters.clone_from(&plan.parameters);
    stack.capabilities.clone_from(&plan.capabilities);
    stack.tags.clone_from(&plan.tags);
    stack.role_arn.clone_from(&plan.role_arn);
    if call.input.get("NotificationARNs").is_some() {
        stack.notification_arns = strings(call.input, "NotificationARNs");
    }
    let pseudo = pseudo_of(&stack);
    let conditions =
        intrinsics::evaluate_conditions(&t.conditions, &plan.values, &pseudo, &t.mappings)?;
    {
        // Claim the stack: a concurrent update sees it in progress.
        let mut tx = services.store().write()?;
        let key = model::stack_key(&stack.account, &stack.region, &stack.stack_id);
        match STACKS.get(&*tx, &key)? {
            Some(latest) if latest.status == current.status => {}
            Some(latest) => return Err(not_updatable(&latest)),
            None => return Err(not_exist(&stack.stack_name)),
        }
        let mut claimed = current.clone();
        claimed.status = "UPDATE_IN_PROGRESS".to_owned();
        STACKS.put(&mut *tx, &key, &claimed)?;
        tx.commit()?;
    }
    let exports = exports_for(services, call, &stack.stack_id)?;
    let mut run = Run { inv: Invoker { services, parent: call, caller: &caller }, stack };
    let inputs = Inputs {
        template: t,
        params: &plan.values,
        conditions: &conditions,
        pseudo: &pseudo,
        exports: &exports,
    };
    let result = run.update(&inputs);
    if run.stack.status == "UPDATE_COMPLETE" {
        run.stack.imports = exports.imported.borrow().iter().cloned().collect();
    }
    if run.stack.status != "UPDATE_COMPLETE" {
        // A rolled-back update keeps the previous template and parameters.
        run.stack.template_body = current.template_body.clone();
        run.stack.parameters = current.parameters.clone();
        run.stack.description = current.description.clone();
        run.stack.tags = current.tags.clone();
        run.stack.role_arn = current.role_arn.clone();
        run.stack.capabilities = current.capabilities.clone();
    }
    save(services, &run.stack)?;
    result
}

/// `UpdateStack`: a new template and/or parameters for a stable stack.
pub fn update_stack(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let current = updatable_stack(services, call)?;
    let (body, t) = update_template(call, &current)?;
    let plan = plan_of(call, body, t, Some(&current))?;
    if no_changes(&current, &plan) {
        return Err(validation("No updates are to be performed."));
    }
    let stack_id = current.stack_id.clone();
    run_update(services, call, current, &plan)?;
    Ok(json!({ "StackId": stack_id }))
}

// ---------------------------------------------------------------- DeleteStack

/// `DeleteStack`: deletes the stack's resources (a stack that does not exist is no error, as in
/// AWS).
pub fn delete_stack(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "StackName")?;
    let current = {
        let tx = services.store().read()?;
        find_stack(&*tx, call, name)?
    };
    let Some(current) = current.filter(|s| s.status != "DELETE_COMPLETE") else {
        return Ok(json!({}));
    };
    if current.enable_termination_protection {
        return Err(validation(format!(
            "Stack [{}] cannot be deleted while TerminationProtection is enabled",
            current.stack_name
        )));
    }
    if current.status.ends_with("_IN_PROGRESS") && current.status != "REVIEW_IN_PROGRESS" {
        // (guessed) AWS's wording for deleting a stack while another operation runs.
        return Err(validation(format!(
            "Stack:{} is in {} state and can not be deleted.",
            current.stack_id, current.status
        )));
    }
    let role_arn =
        input_str(call.input, "RoleARN").map(str::to_owned).or_else(|| current.role_arn.clone());
    let caller = effective_caller(services, call, role_arn.as_deref())?;
    let retain = strings(call.input, "RetainResources");
    let mut stack = current;
    for r in &mut stack.resources {
        if retain.contains(&r.logical_id) {
            r.retain = true;
        }
    }
    changesets::delete_stack_change_sets(services, &stack)?;
    let in_use = exports_in_use(services, call, &stack)?;
    let mut run = Run { inv: Invoker { services, parent: call, caller: &caller }, stack };
    let result = match in_use {
        // The exporter stays: nothing is deleted while another stack imports from it.
        Some(reason) => {
            run.stack_status("DELETE_IN_PROGRESS", Some("User Initiated".to_owned()))?;
            run.stack_status("DELETE_FAILED", Some(reason))
        }
        None => run.delete(),
    };
    save(services, &run.stack)?;
    result?;
    Ok(json!({}))
}

/// AWS's reason when another live stack imports one of `stack`'s exports.
fn exports_in_use(
    services: &Services,
    call: &Call<'_>,
    stack: &StackRecord,
) -> Result<Option<String>, ServiceError> {
    let names: Vec<&String> = stack.outputs.iter().filter_map(|o| o.export_name.as_ref()).collect();
    if names.is_empty() {
        return Ok(None);
    }
    for other in all_stacks(services, call)? {
        if other.status == "DELETE_COMPLETE" || other.stack_id == stack.stack_id {
            continue;
        }
        if let Some(name) = names.iter().find(|n| other.imports.contains(n)) {
            return Ok(Some(format!(
                "Export {name} cannot be deleted as it is in use by {}",
                other.stack_name
            )));
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------- reads

fn stack_json(s: &StackRecord) -> Value {
    let mut v = json!({
        "StackId": s.stack_id,
        "StackName": s.stack_name,
        "CreationTime": s.creation_time,
        "StackStatus": s.status,
        "DisableRollback": s.disable_rollback,
        "NotificationARNs": s.notification_arns,
        "Capabilities": s.capabilities,
        "Tags": s.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
        "EnableTerminationProtection": s.enable_termination_protection,
        "RollbackConfiguration": {},
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    });
    let Some(obj) = v.as_object_mut() else { return v };
    if let Some(d) = &s.description {
        obj.insert("Description".into(), json!(d));
    }
    if !s.parameters.is_empty() {
        obj.insert(
            "Parameters".into(),
            Value::Array(
                s.parameters
                    .iter()
                    .map(|p| json!({"ParameterKey": p.key, "ParameterValue": if p.no_echo { "****" } else { p.value.as_str() }}))
                    .collect(),
            ),
        );
    }
    if let Some(t) = s.last_updated_time {
        obj.insert("LastUpdatedTime".into(), json!(t));
    }
    if let Some(t) = s.deletion_time {
        obj.insert("DeletionTime".into(), json!(t));
    }
    if let Some(r) = &s.status_reason {
        obj.insert("StackStatusReason".into(), json!(r));
    }
    if let Some(t) = s.timeout_in_minutes {
        obj.insert("TimeoutInMinutes".into(), json!(t));
    }
    if let Some(r) = &s.role_arn {
        obj.insert("RoleARN".into(), json!(r));
    }
    if !s.outputs.is_empty() {
        obj.insert(
            "Outputs".into(),
            Value::Array(
                s.outputs
                    .iter()
                    .map(|o| {
                        let mut x = json!({"OutputKey": o.key, "OutputValue": o.value});
                        if let Some(xo) = x.as_object_mut() {
                            if let Some(d) = &o.description {
                                xo.insert("Description".into(), json!(d));
                            }
                            if let Some(e) = &o.export_name {
                                xo.insert("ExportName".into(), json!(e));
                            }
                        }
                        x
                    })
                    .collect(),
            ),
        );
    }
    v
}

/// `DescribeStacks`: one stack (by name, or by id even when deleted) or every live stack.
pub fn describe_stacks(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    if let Some(name) = input_str(call.input, "StackName") {
        let tx = services.store().read()?;
        let stack = find_stack(&*tx, call, name)?.ok_or_else(|| not_exist(name))?;
        return Ok(json!({ "Stacks": [stack_json(&stack)] }));
    }
    let live: Vec<StackRecord> =
        all_stacks(services, call)?.into_iter().filter(|s| s.status != "DELETE_COMPLETE").collect();
    let (items, next) = page(call, &live)?;
    Ok(with_next(json!({ "Stacks": items.iter().map(stack_json).collect::<Vec<_>>() }), next))
}

/// `ListStacks`: summaries of every stack (deleted ones too), filtered by status.
pub fn list_stacks(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let filter = strings(call.input, "StackStatusFilter");
    let stacks: Vec<StackRecord> = all_stacks(services, call)?
        .into_iter()
        .filter(|s| filter.is_empty() || filter.contains(&s.status))
        .collect();
    let (items, next) = page(call, &stacks)?;
    let summaries: Vec<Value> = items
        .iter()
        .map(|s| {
            let mut v = json!({
                "StackId": s.stack_id,
                "StackName": s.stack_name,
                "CreationTime": s.creation_time,
                "StackStatus": s.status,
                "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
            });
            if let Some(obj) = v.as_object_mut() {
                if let Some(d) = &s.description {
                    obj.insert("TemplateDescription".into(), json!(d));
                }
                if let Some(t) = s.last_updated_time {
                    obj.insert("LastUpdatedTime".into(), json!(t));
                }
                if let Some(t) = s.deletion_time {
                    obj.insert("DeletionTime".into(), json!(t));
                }
                if let Some(r) = &s.status_reason {
                    obj.insert("StackStatusReason".into(), json!(r));
                }
            }
            v
        })
        .collect();
    Ok(with_next(json!({ "StackSummaries": summaries }), next))
}

fn resource_json(s: &StackRecord, r: &model::ResourceRecord, shape: &str) -> Value {
    let time_member = if shape == "StackResource" { "Timestamp" } else { "LastUpdatedTimestamp" };
    let mut v = json!({
        "LogicalResourceId": r.logical_id,
        "ResourceType": r.resource_type,
        "ResourceStatus": r.status,
        time_member: r.timestamp,
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    });
    let Some(obj) = v.as_object_mut() else { return v };
    if !r.physical_id.is_empty() {
        obj.insert("PhysicalResourceId".into(), json!(r.physical_id));
    }
    if let Some(reason) = &r.status_reason {
        obj.insert("ResourceStatusReason".into(), json!(reason));
    }
    if shape != "StackResourceSummary" {
        obj.insert("StackName".into(), json!(s.stack_name));
        obj.insert("StackId".into(), json!(s.stack_id));
    }
    v
}

fn existing_stack(services: &Services, call: &Call<'_>) -> Result<StackRecord, ServiceError> {
    let name = required(call, "StackName")?;
    let tx = services.store().read()?;
    find_stack(&*tx, call, name)?.ok_or_else(|| not_exist(name))
}

/// `ListStackResources`.
pub fn list_stack_resources(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let stack = existing_stack(services, call)?;
    let (items, next) = page(call, &stack.resources)?;
    let summaries: Vec<Value> =
        items.iter().map(|r| resource_json(&stack, r, "StackResourceSummary")).collect();
    Ok(with_next(json!({ "StackResourceSummaries": summaries }), next))
}

/// `DescribeStackResources`: by stack (optionally one logical id) or by physical id.
pub fn describe_stack_resources(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let logical = input_str(call.input, "LogicalResourceId");
    let stack =
        match (input_str(call.input, "StackName"), input_str(call.input, "PhysicalResourceId")) {
            (Some(name), _) => {
                let tx = services.store().read()?;
                find_stack(&*tx, call, name)?.ok_or_else(|| not_exist(name))?
            }
            (None, Some(physical)) => all_stacks(services, call)?
                .into_iter()
                .find(|s| {
                    s.status != "DELETE_COMPLETE"
                        && s.resources.iter().any(|r| r.physical_id == physical)
                })
                .ok_or_else(|| validation(format!("Stack for {physical} does not exist")))?,
            (None, None) => {
                // (guessed)
                return Err(validation(
                    "Either StackName or PhysicalResourceId must be specified.",
                ));
            }
        };
    let physical = input_str(call.input, "PhysicalResourceId");
    let resources: Vec<Value> = stack
        .resources
        .iter()
        .filter(|r| logical.is_none_or(|l| r.logical_id == l))
        .filter(|r| physical.is_none_or(|p| r.physical_id == p) || logical.is_some())
        .map(|r| resource_json(&stack, r, "StackResource"))
        .collect();
    Ok(json!({ "StackResources": resources }))
}

/// `DescribeStackResource`.
pub fn describe_stack_resource(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let stack = existing_stack(services, call)?;
    let logical = required(call, "LogicalResourceId")?;
    let r = stack.resources.iter().find(|r| r.logical_id == logical).ok_or_else(|| {
        validation(format!("Resource {logical} does not exist for stack {}", stack.stack_name))
    })?;
    let mut detail = resource_json(&stack, r, "StackResourceDetail");
    if let Some(obj) = detail.as_object_mut() {
        obj.insert("Metadata".into(), json!("{}"));
    }
    Ok(json!({ "StackResourceDetail": detail }))
}

/// `DescribeStackEvents`: newest first.
pub fn describe_stack_events(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let stack = existing_stack(services, call)?;
    let events: Vec<&model::EventRecord> = stack.events.iter().rev().collect();
    let (items, next) = page(call, &events)?;
    let out: Vec<Value> = items
        .iter()
        .map(|e| {
            let mut v = json!({
                "StackId": stack.stack_id,
                "EventId": e.event_id,
                "StackName": stack.stack_name,
                "LogicalResourceId": e.logical_id,
                "PhysicalResourceId": e.physical_id,
                "ResourceType": e.resource_type,
                "Timestamp": e.timestamp,
                "ResourceStatus": e.status,
            });
            if let Some(obj) = v.as_object_mut() {
                if let Some(r) = &e.status_reason {
                    obj.insert("ResourceStatusReason".into(), json!(r));
                }
                if let Some(p) = &e.properties {
                    obj.insert("ResourceProperties".into(), json!(p));
                }
            }
            v
        })
        .collect();
    Ok(with_next(json!({ "StackEvents": out }), next))
}

/// `GetTemplate`: the template as it was sent.
pub fn get_template(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    if input_str(call.input, "ChangeSetName").is_some() {
        return Err(ServiceError::client(
            "ChangeSetNotFound",
            404,
            "Change sets are not supported by xacct",
        ));
    }
    let stack = existing_stack(services, call)?;
    Ok(json!({ "TemplateBody": stack.template_body, "StagesAvailable": ["Original", "Processed"] }))
}

fn capabilities_json(t: &Template, out: &mut serde_json::Map<String, Value>) {
    if let Some((cap, types)) = required_capability(t) {
        out.insert("Capabilities".into(), json!([cap]));
        out.insert(
            "CapabilitiesReason".into(),
            json!(format!(
                "The following resource(s) require capabilities: [{}]",
                types.join(", ")
            )),
        );
    }
}

/// `ValidateTemplate`.
pub fn validate_template(_services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let (_, t) = template_of_call(call)?;
    let mut out = serde_json::Map::new();
    out.insert(
        "Parameters".into(),
        Value::Array(
            t.parameters
                .iter()
                .map(|p| {
                    let mut v = json!({"ParameterKey": p.name, "NoEcho": p.no_echo});
                    if let Some(obj) = v.as_object_mut() {
                        if let Some(d) = &p.default {
                            obj.insert("DefaultValue".into(), json!(d));
                        }
                        if let Some(d) = &p.description {
                            obj.insert("Description".into(), json!(d));
                        }
                    }
                    v
                })
                .collect(),
        ),
    );
    if let Some(d) = &t.description {
        out.insert("Description".into(), json!(d));
    }
    capabilities_json(&t, &mut out);
    out.insert("DeclaredTransforms".into(), json!(t.transforms));
    Ok(Value::Object(out))
}

/// `GetTemplateSummary`: for a template body or an existing stack's template.
pub fn get_template_summary(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let t = match input_str(call.input, "StackName") {
        Some(_) if input_str(call.input, "TemplateBody").is_none() => {
            let stack = existing_stack(services, call)?;
            Template::from_value(&template::parse(&stack.template_body)?)?
        }
        _ => template_of_call(call)?.1,
    };
    let mut out = serde_json::Map::new();
    out.insert(
        "Parameters".into(),
        Value::Array(
            t.parameters
                .iter()
                .map(|p| {
                    let mut v = json!({"ParameterKey": p.name, "ParameterType": p.type_name, "NoEcho": p.no_echo});
                    if let Some(obj) = v.as_object_mut() {
                        if let Some(d) = &p.default {
                            obj.insert("DefaultValue".into(), json!(d));
                        }
                        if let Some(d) = &p.description {
                            obj.insert("Description".into(), json!(d));
                        }
                        if !p.allowed_values.is_empty() {
                            obj.insert("ParameterConstraints".into(), json!({"AllowedValues": p.allowed_values}));
                        }
                    }
                    v
                })
                .collect(),
        ),
    );
    if let Some(d) = &t.description {
        out.insert("Description".into(), json!(d));
    }
    capabilities_json(&t, &mut out);
    let mut types: Vec<&str> = t.resources.iter().map(|r| r.resource_type.as_str()).collect();
    types.sort_unstable();
    types.dedup();
    out.insert("ResourceTypes".into(), json!(types));
    out.insert("Version".into(), json!("2010-09-09"));
    out.insert("DeclaredTransforms".into(), json!(t.transforms));
    Ok(Value::Object(out))
}

/// `ListExports`: the exported outputs of the live stacks of the account and region.
pub fn list_exports(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut exports = Vec::new();
    for s in all_stacks(services, call)?.iter().filter(|s| s.status != "DELETE_COMPLETE") {
        for o in &s.outputs {
            if let Some(name) = &o.export_name {
                exports
                    .push(json!({"ExportingStackId": s.stack_id, "Name": name, "Value": o.value}));
            }
        }
    }
    let (items, next) = page(call, &exports)?;
    Ok(with_next(json!({ "Exports": items }), next))
}
