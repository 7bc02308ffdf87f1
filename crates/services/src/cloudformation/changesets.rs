//! Change sets: `CreateChangeSet` (type `CREATE` records the stack in `REVIEW_IN_PROGRESS`,
//! type `UPDATE` needs a stable stack), `DescribeChangeSet` with the resource changes
//! (`Add`/`Modify`/`Remove`, `Replacement` `True`/`False`/`Conditional`), `ExecuteChangeSet`
//! (provisions like `CreateStack`/`UpdateStack`, then the stack's change sets are gone, as in
//! AWS), `DeleteChangeSet` and `ListChangeSets`. What `aws cloudformation deploy` uses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use xacct_store::Table;

use super::engine::OnFailure;
use super::intrinsics::{Exports, ParamValue, Provisioned, Scope};
use super::model::{self, ParameterRecord, StackRecord, STACKS};
use super::template::{self, Template};
use super::{
    check_stack_name, effective_caller, find_stack, insert_stack, new_stack, no_changes, not_exist,
    plan_of, pseudo_of, required, run_create, run_update, strings, template_of_call,
    update_template, uuid, validation, Plan, UPDATABLE,
};
use crate::{input_str, Call, ServiceError, Services};

/// A change set, waiting to be executed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChangeSetRecord {
    /// `arn:aws:cloudformation:REGION:ACCOUNT:changeSet/NAME/UUID`.
    pub change_set_id: String,
    pub change_set_name: String,
    pub stack_id: String,
    pub stack_name: String,
    /// `CREATE` or `UPDATE`.
    pub change_set_type: String,
    pub description: Option<String>,
    pub template_body: String,
    pub parameters: Vec<ParameterRecord>,
    pub capabilities: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub role_arn: Option<String>,
    pub notification_arns: Vec<String>,
    pub status: String,
    pub execution_status: String,
    pub status_reason: Option<String>,
    pub creation_time: f64,
    /// The `Changes` list as `DescribeChangeSet` shows it.
    pub changes: Value,
}

/// Change sets by `ACCOUNT/REGION/STACK_ID#NAME`.
pub const CHANGE_SETS: Table<ChangeSetRecord> = Table::new("cfn_change_sets", 1);

fn key(account: &str, region: &str, stack_id: &str, name: &str) -> String {
    format!("{}#{name}", model::stack_key(account, region, stack_id))
}

const NO_CHANGES: &str =
    "The submitted information didn't contain changes. Submit different information to create a change set.";

fn change_set_not_found(name: &str) -> ServiceError {
    ServiceError::client("ChangeSetNotFound", 404, format!("ChangeSet [{name}] does not exist"))
}

/// The parameter values of stored records, typed by the template's declarations.
fn values_of(t: &Template, records: &[ParameterRecord]) -> BTreeMap<String, ParamValue> {
    records
        .iter()
        .map(|r| {
            let list = t.parameters.iter().any(|d| d.name == r.key && d.is_list());
            let v = if list {
                ParamValue::List(r.value.split(',').map(str::to_owned).collect())
            } else {
                ParamValue::Text(r.value.clone())
            };
            (r.key.clone(), v)
        })
        .collect()
}

/// The resource changes `plan` makes to `stack`.
fn changes(
    stack: &StackRecord,
    plan: &Plan,
    exports: &Exports,
) -> Result<Vec<Value>, ServiceError> {
    let t = &plan.template;
    let pseudo = pseudo_of(stack);
    let conditions =
        super::intrinsics::evaluate_conditions(&t.conditions, &plan.values, &pseudo, &t.mappings)?;
    let live: Vec<&model::ResourceRecord> = stack
        .resources
        .iter()
        .filter(|r| !r.physical_id.is_empty() && !r.status.starts_with("DELETE"))
        .collect();
    let provisioned: BTreeMap<String, Provisioned> = live
        .iter()
        .map(|r| {
            let p = Provisioned {
                physical_id: r.physical_id.clone(),
                attributes: r.attributes.clone(),
            };
            (r.logical_id.clone(), p)
        })
        .collect();
    let scope = Scope {
        params: &plan.values,
        pseudo: &pseudo,
        resources: &provisioned,
        conditions: &conditions,
        mappings: &t.mappings,
        exports,
    };
    let mut out = Vec::new();
    let change = |action: &str,
                  logical: &str,
                  physical: Option<&str>,
                  rtype: &str,
                  replacement: Option<&str>| {
        let mut rc = json!({
            "Action": action,
            "LogicalResourceId": logical,
            "ResourceType": rtype,
            "Scope": [],
            "Details": [],
        });
        if let Some(obj) = rc.as_object_mut() {
            if let Some(p) = physical {
                obj.insert("PhysicalResourceId".into(), json!(p));
            }
            if let Some(r) = replacement {
                obj.insert("Replacement".into(), json!(r));
                obj.insert("Scope".into(), json!(["Properties"]));
            }
        }
        json!({"Type": "Resource", "ResourceChange": rc})
    };
    let mut kept = Vec::new();
    for decl in &t.resources {
        if !decl.condition.as_ref().is_none_or(|c| conditions.get(c).copied().unwrap_or(false)) {
            continue;
        }
        let Some(old) = live.iter().find(|r| r.logical_id == decl.logical_id) else {
            out.push(change("Add", &decl.logical_id, None, &decl.resource_type, None));
            continue;
        };
        kept.push(decl.logical_id.clone());
        let replacement = match scope.eval(&decl.properties) {
            Ok(props) => {
                let props = props.unwrap_or(Value::Null);
                if props == old.properties {
                    continue;
                }
                if super::provider::needs_replacement(&decl.resource_type, &old.properties, &props)
                {
                    "True"
                } else {
                    "False"
                }
            }
            // Depends on a value only known during the update.
            Err(_) => "Conditional",
        };
        out.push(change(
            "Modify",
            &decl.logical_id,
            Some(&old.physical_id),
            &decl.resource_type,
            Some(replacement),
        ));
    }
    for old in live.iter().filter(|r| !kept.contains(&r.logical_id)) {
        out.push(change(
            "Remove",
            &old.logical_id,
            Some(&old.physical_id),
            &old.resource_type,
            None,
        ));
    }
    Ok(out)
}

/// `CreateChangeSet`.
pub fn create_change_set(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let input = call.input;
    let name = required(call, "ChangeSetName")?;
    let stack_name = required(call, "StackName")?;
    if name.chars().count() > 128
        || !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )));
    }
    let kind = input_str(input, "ChangeSetType").unwrap_or("UPDATE");
    let existing = {
        let tx = services.store().read()?;
        find_stack(&*tx, call, stack_name)?.filter(|s| s.status != "DELETE_COMPLETE")
    };
    let (stack, plan, fresh) = match kind {
        "CREATE" => {
            check_stack_name(stack_name)?;
            let (body, t) = template_of_call(call)?;
            let plan = plan_of(call, body, t, None)?;
            match existing {
                Some(s) if s.status == "REVIEW_IN_PROGRESS" => (s, plan, false),
                Some(_) => {
                    return Err(ServiceError::client(
                        "AlreadyExistsException",
                        400,
                        format!("Stack [{stack_name}] already exists and cannot be created again with the changeSet [{name}]."),
                    ))
                }
                None => {
                    let s = new_stack(services, call, stack_name, &plan, "REVIEW_IN_PROGRESS")?;
                    (s, plan, true)
                }
            }
        }
        "UPDATE" => {
            let Some(current) = existing.filter(|s| s.status != "REVIEW_IN_PROGRESS") else {
                return Err(validation(format!("Stack [{stack_name}] does not exist")));
            };
            if !UPDATABLE.contains(&current.status.as_str()) {
                return Err(super::not_updatable(&current));
            }
            let (body, t) = update_template(call, &current)?;
            let plan = plan_of(call, body, t, Some(&current))?;
            (current, plan, false)
        }
        other => {
            return Err(validation(format!("ChangeSetType {other} is not supported by xacct")))
        }
    };
    let exports = super::exports_for(services, call, &stack.stack_id)?;
    let list = if kind == "CREATE" {
        changes(&StackRecord { resources: Vec::new(), ..stack.clone() }, &plan, &exports)?
    } else {
        changes(&stack, &plan, &exports)?
    };
    let empty = list.is_empty() && (kind == "UPDATE" && no_changes(&stack, &plan));
    let record = ChangeSetRecord {
        change_set_id: format!(
            "arn:aws:cloudformation:{}:{}:changeSet/{name}/{}",
            call.region,
            call.caller.account,
            uuid()?
        ),
        change_set_name: name.to_owned(),
        stack_id: stack.stack_id.clone(),
        stack_name: stack.stack_name.clone(),
        change_set_type: kind.to_owned(),
        description: input_str(input, "Description").map(str::to_owned),
        template_body: plan.body.clone(),
        parameters: plan.parameters.clone(),
        capabilities: plan.capabilities.clone(),
        tags: plan.tags.clone(),
        role_arn: plan.role_arn.clone(),
        notification_arns: strings(input, "NotificationARNs"),
        status: if empty { "FAILED" } else { "CREATE_COMPLETE" }.to_owned(),
        execution_status: if empty { "UNAVAILABLE" } else { "AVAILABLE" }.to_owned(),
        status_reason: empty.then(|| NO_CHANGES.to_owned()),
        creation_time: services.clock().now_epoch_f64(),
        changes: Value::Array(list),
    };
    if fresh {
        let mut stack = stack.clone();
        stack.status_reason = None;
        stack.events.push(model::EventRecord {
            event_id: uuid()?,
            logical_id: stack.stack_name.clone(),
            physical_id: stack.stack_id.clone(),
            resource_type: "AWS::CloudFormation::Stack".to_owned(),
            status: "REVIEW_IN_PROGRESS".to_owned(),
            status_reason: Some("User Initiated".to_owned()),
            timestamp: stack.creation_time,
            properties: None,
        });
        insert_stack(services, &stack)?;
    }
    let mut tx = services.store().write()?;
    let k = key(&stack.account, &stack.region, &stack.stack_id, name);
    if !CHANGE_SETS.insert_new(&mut *tx, &k, &record)? {
        return Err(ServiceError::client(
            "AlreadyExistsException",
            400,
            format!("ChangeSet {name} already exists"), // (guessed)
        ));
    }
    tx.commit()?;
    Ok(json!({"Id": record.change_set_id, "StackId": record.stack_id}))
}

/// The change set a call names: by ARN, or by name with `StackName`.
fn find_change_set(services: &Services, call: &Call<'_>) -> Result<ChangeSetRecord, ServiceError> {
    let name = required(call, "ChangeSetName")?;
    let tx = services.store().read()?;
    if name.starts_with("arn:aws:cloudformation:") {
        let prefix = model::region_prefix(&call.caller.account, call.region);
        let mut after: Option<String> = None;
        loop {
            let batch = CHANGE_SETS.scan(&*tx, &prefix, after.as_deref(), 500)?;
            let Some((last, _)) = batch.last() else { break };
            after = Some(last.clone());
            if let Some((_, cs)) = batch.into_iter().find(|(_, cs)| cs.change_set_id == name) {
                return Ok(cs);
            }
        }
        return Err(change_set_not_found(name));
    }
    let Some(stack_name) = input_str(call.input, "StackName") else {
        // (guessed)
        return Err(validation(
            "StackName must be specified if ChangeSetName is not specified as an ARN.",
        ));
    };
    let stack = find_stack(&*tx, call, stack_name)?.ok_or_else(|| change_set_not_found(name))?;
    CHANGE_SETS
        .get(&*tx, &key(&stack.account, &stack.region, &stack.stack_id, name))?
        .ok_or_else(|| change_set_not_found(name))
}

/// `DescribeChangeSet`.
pub fn describe_change_set(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let cs = find_change_set(services, call)?;
    let mut v = json!({
        "ChangeSetName": cs.change_set_name,
        "ChangeSetId": cs.change_set_id,
        "StackId": cs.stack_id,
        "StackName": cs.stack_name,
        "CreationTime": cs.creation_time,
        "ExecutionStatus": cs.execution_status,
        "Status": cs.status,
        "NotificationARNs": cs.notification_arns,
        "Capabilities": cs.capabilities,
        "Tags": cs.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
        "Changes": cs.changes,
        "IncludeNestedStacks": false,
        "Parameters": cs.parameters.iter().map(|p| json!({"ParameterKey": p.key, "ParameterValue": if p.no_echo { "****" } else { p.value.as_str() }})).collect::<Vec<_>>(),
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(d) = &cs.description {
            obj.insert("Description".into(), json!(d));
        }
        if let Some(r) = &cs.status_reason {
            obj.insert("StatusReason".into(), json!(r));
        }
    }
    Ok(v)
}

/// Removes every change set of `stack`.
pub(crate) fn delete_stack_change_sets(
    services: &Services,
    stack: &StackRecord,
) -> Result<(), ServiceError> {
    let mut tx = services.store().write()?;
    let prefix = format!("{}#", model::stack_key(&stack.account, &stack.region, &stack.stack_id));
    loop {
        let batch = tx.scan(CHANGE_SETS.name(), &prefix, None, 500)?;
        if batch.is_empty() {
            break;
        }
        for (k, _) in batch {
            tx.delete(CHANGE_SETS.name(), &k)?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// `ExecuteChangeSet`: provisions the change set's template; the stack's change sets go.
pub fn execute_change_set(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let cs = find_change_set(services, call)?;
    if cs.status != "CREATE_COMPLETE" || cs.execution_status != "AVAILABLE" {
        return Err(ServiceError::client(
            "InvalidChangeSetStatus",
            400,
            format!(
                "ChangeSet [{}] cannot be executed in its current status of [{}]",
                cs.change_set_id, cs.status
            ),
        ));
    }
    let stack = {
        let tx = services.store().read()?;
        STACKS.get(&*tx, &model::stack_key(&call.caller.account, call.region, &cs.stack_id))?
    };
    let Some(stack) = stack else { return Err(not_exist(&cs.stack_name)) };
    let parsed = template::parse(&cs.template_body)?;
    let t = Template::from_value(&parsed)?;
    let values = values_of(&t, &cs.parameters);
    let plan = Plan {
        body: cs.template_body.clone(),
        template: t,
        parameters: cs.parameters.clone(),
        values,
        capabilities: cs.capabilities.clone(),
        tags: cs.tags.clone(),
        role_arn: cs.role_arn.clone(),
    };
    let caller = effective_caller(services, call, plan.role_arn.as_deref())?;
    delete_stack_change_sets(services, &stack)?;
    if cs.change_set_type == "CREATE" {
        if stack.status != "REVIEW_IN_PROGRESS" {
            return Err(super::not_updatable(&stack));
        }
        let mut stack = stack;
        stack.template_body.clone_from(&plan.body);
        stack.description.clone_from(&plan.template.description);
        stack.parameters.clone_from(&plan.parameters);
        stack.capabilities.clone_from(&plan.capabilities);
        stack.tags.clone_from(&plan.tags);
        stack.role_arn.clone_from(&plan.role_arn);
        stack.notification_arns.clone_from(&cs.notification_arns);
        let on_failure = if input_str(call.input, "DisableRollback") == Some("true")
            || call.input.get("DisableRollback").and_then(Value::as_bool) == Some(true)
        {
            OnFailure::DoNothing
        } else {
            OnFailure::Rollback
        };
        stack.disable_rollback = on_failure == OnFailure::DoNothing;
        run_create(services, call, &caller, stack, &plan, on_failure)?;
    } else {
        if !UPDATABLE.contains(&stack.status.as_str()) {
            return Err(super::not_updatable(&stack));
        }
        run_update(services, call, stack, &plan)?;
    }
    Ok(json!({}))
}

/// `DeleteChangeSet`.
pub fn delete_change_set(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let cs = find_change_set(services, call)?;
    let mut tx = services.store().write()?;
    CHANGE_SETS.delete(
        &mut *tx,
        &key(&call.caller.account, call.region, &cs.stack_id, &cs.change_set_name),
    )?;
    tx.commit()?;
    Ok(json!({}))
}

/// `ListChangeSets`.
pub fn list_change_sets(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let stack_name = required(call, "StackName")?;
    let tx = services.store().read()?;
    let stack = find_stack(&*tx, call, stack_name)?.ok_or_else(|| not_exist(stack_name))?;
    let prefix = format!("{}#", model::stack_key(&stack.account, &stack.region, &stack.stack_id));
    let sets = CHANGE_SETS.scan(&*tx, &prefix, None, 1000)?;
    let summaries: Vec<Value> = sets
        .iter()
        .map(|(_, cs)| {
            let mut v = json!({
                "StackId": cs.stack_id,
                "StackName": cs.stack_name,
                "ChangeSetId": cs.change_set_id,
                "ChangeSetName": cs.change_set_name,
                "ExecutionStatus": cs.execution_status,
                "Status": cs.status,
                "CreationTime": cs.creation_time,
                "IncludeNestedStacks": false,
            });
            if let Some(obj) = v.as_object_mut() {
                if let Some(d) = &cs.description {
                    obj.insert("Description".into(), json!(d));
                }
                if let Some(r) = &cs.status_reason {
                    obj.insert("StatusReason".into(), json!(r));
                }
            }
            v
        })
        .collect();
    Ok(json!({"Summaries": summaries}))
}
