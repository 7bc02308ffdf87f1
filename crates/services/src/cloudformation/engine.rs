//! Stack operations as CloudFormation runs them: create in dependency order (rolling back what
//! was created when a resource fails), update (in place, by replacement, added and removed
//! resources, with an update rollback on failure), and delete in reverse dependency order.
//! Everything runs synchronously inside the API call: the status is final when it returns.
//! Events are recorded as AWS shows them (stack events carry the stack's name as logical id).

use std::collections::BTreeMap;

use serde_json::Value;

use super::intrinsics::{as_text, Exports, ParamValue, Provisioned, Pseudo, Scope};
use super::model::{EventRecord, OutputRecord, ResourceRecord, StackRecord};
use super::provider::{self, Created, Invoker};
use super::template::Template;
use super::uuid;
use crate::ServiceError;

/// What a failed create does (`OnFailure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    Rollback,
    DoNothing,
    Delete,
}

/// The evaluation inputs shared by every step of a run.
pub struct Inputs<'a> {
    pub template: &'a Template,
    pub params: &'a BTreeMap<String, ParamValue>,
    pub conditions: &'a BTreeMap<String, bool>,
    pub pseudo: &'a Pseudo,
    /// The other stacks' exports (`Fn::ImportValue`); records what was imported.
    pub exports: &'a Exports,
}

const STACK_TYPE: &str = "AWS::CloudFormation::Stack";

pub struct Run<'a> {
    pub inv: Invoker<'a>,
    pub stack: StackRecord,
}

impl Run<'_> {
    fn now(&self) -> f64 {
        self.inv.services.clock().now_epoch_f64()
    }

    fn event(
        &mut self,
        logical_id: &str,
        physical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<String>,
        properties: Option<String>,
    ) -> Result<(), ServiceError> {
        let e = EventRecord {
            event_id: uuid()?,
            logical_id: logical_id.to_owned(),
            physical_id: physical_id.to_owned(),
            resource_type: resource_type.to_owned(),
            status: status.to_owned(),
            status_reason: reason,
            timestamp: self.now(),
            properties,
        };
        self.stack.events.push(e);
        Ok(())
    }

    /// Sets the stack's status and records the stack event.
    pub fn stack_status(
        &mut self,
        status: &str,
        reason: Option<String>,
    ) -> Result<(), ServiceError> {
        self.stack.status = status.to_owned();
        self.stack.status_reason.clone_from(&reason);
        let (name, id) = (self.stack.stack_name.clone(), self.stack.stack_id.clone());
        self.event(&name, &id, STACK_TYPE, status, reason, None)
    }

    fn set_resource(
        &mut self,
        index: usize,
        status: &str,
        reason: Option<String>,
        properties: Option<String>,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let Some(r) = self.stack.resources.get_mut(index) else { return Ok(()) };
        r.status = status.to_owned();
        r.status_reason.clone_from(&reason);
        r.timestamp = now;
        let (l, p, t) = (r.logical_id.clone(), r.physical_id.clone(), r.resource_type.clone());
        self.event(&l, &p, &t, status, reason, properties)
    }

    fn provisioned(&self) -> BTreeMap<String, Provisioned> {
        self.stack
            .resources
            .iter()
            .filter(|r| !r.physical_id.is_empty() && !r.status.starts_with("DELETE"))
            .map(|r| {
                (
                    r.logical_id.clone(),
                    Provisioned {
                        physical_id: r.physical_id.clone(),
                        attributes: r.attributes.clone(),
                    },
                )
            })
            .collect()
    }

    fn evaluate(&self, inputs: &Inputs<'_>, v: &Value) -> Result<Value, ServiceError> {
        let resources = self.provisioned();
        let scope = Scope {
            params: inputs.params,
            pseudo: inputs.pseudo,
            resources: &resources,
            conditions: inputs.conditions,
            mappings: &inputs.template.mappings,
            exports: inputs.exports,
        };
        Ok(scope.eval(v)?.unwrap_or(Value::Null))
    }

    fn outputs(&self, inputs: &Inputs<'_>) -> Result<Vec<OutputRecord>, ServiceError> {
        let mut out = Vec::new();
        for o in &inputs.template.outputs {
            if let Some(c) = &o.condition {
                if !inputs.conditions.get(c).copied().unwrap_or(false) {
                    continue;
                }
            }
            let value = self.evaluate(inputs, &o.value)?;
            let value = match &value {
                Value::Array(items) => {
                    items.iter().filter_map(as_text).collect::<Vec<_>>().join(",")
                }
                v => as_text(v).unwrap_or_else(|| v.to_string()),
            };
            let text = |v: &Option<Value>| -> Result<Option<String>, ServiceError> {
                match v {
                    Some(v) => Ok(as_text(&self.evaluate(inputs, v)?)),
                    None => Ok(None),
                }
            };
            let export_name = text(&o.export_name)?;
            if let Some(name) = &export_name {
                if let Some((_, stack)) = inputs.exports.by_name.get(name) {
                    return Err(ServiceError::client(
                        "ValidationError",
                        400,
                        format!("Export with name {name} is already exported by stack {stack}"),
                    ));
                }
            }
            out.push(OutputRecord {
                key: o.name.clone(),
                value,
                description: text(&o.description)?,
                export_name,
            });
        }
        Ok(out)
    }

    fn included(inputs: &Inputs<'_>, condition: Option<&String>) -> bool {
        condition.is_none_or(|c| inputs.conditions.get(c).copied().unwrap_or(false))
    }

    /// Creates one declared resource at the end of the stack's list; `Err` carries the reason.
    fn create_one(
        &mut self,
        inputs: &Inputs<'_>,
        logical_id: &str,
    ) -> Result<Result<(), String>, ServiceError> {
        let Some(decl) = inputs.template.resource(logical_id) else { return Ok(Ok(())) };
        let props = match self.evaluate(inputs, &decl.properties) {
            Ok(p) => p,
            Err(e) => {
                self.push_resource(decl, Value::Null);
                let i = self.stack.resources.len() - 1;
                self.set_resource(i, "CREATE_FAILED", Some(e.message.clone()), None)?;
                return Ok(Err(e.message));
            }
        };
        self.push_resource(decl, props.clone());
        let i = self.stack.resources.len() - 1;
        let shown = (!props.is_null()).then(|| props.to_string());
        self.set_resource(i, "CREATE_IN_PROGRESS", None, shown)?;
        let stack_name = self.stack.stack_name.clone();
        match provider::create(&self.inv, &stack_name, logical_id, &decl.resource_type, &props) {
            Ok(created) => {
                if let Some(r) = self.stack.resources.get_mut(i) {
                    r.physical_id = created.physical_id;
                    r.attributes = created.attributes;
                }
                self.set_resource(i, "CREATE_COMPLETE", None, None)?;
                Ok(Ok(()))
            }
            Err(f) => {
                self.set_resource(i, "CREATE_FAILED", Some(f.0.clone()), None)?;
                Ok(Err(f.0))
            }
        }
    }

    fn push_resource(&mut self, decl: &super::template::ResourceDecl, props: Value) {
        let now = self.now();
        self.stack.resources.push(ResourceRecord {
            logical_id: decl.logical_id.clone(),
            resource_type: decl.resource_type.clone(),
            physical_id: String::new(),
            status: "CREATE_IN_PROGRESS".to_owned(),
            status_reason: None,
            timestamp: now,
            properties: props,
            attributes: BTreeMap::new(),
            depends_on: decl.depends_on.clone(),
            retain: decl.retain,
        });
    }

    /// Deletes the resources at `indexes` (in that order); returns the logical ids that failed.
    fn delete_indexes(
        &mut self,
        indexes: &[usize],
        honour_retain: bool,
    ) -> Result<Vec<String>, ServiceError> {
        let mut failed = Vec::new();
        for &i in indexes {
            let Some(r) = self.stack.resources.get(i).cloned() else { continue };
            if r.status == "DELETE_COMPLETE" || r.status == "DELETE_SKIPPED" {
                continue;
            }
            if honour_retain && r.retain {
                self.set_resource(i, "DELETE_SKIPPED", None, None)?;
                continue;
            }
            self.set_resource(i, "DELETE_IN_PROGRESS", None, None)?;
            match provider::delete(&self.inv, &r.resource_type, &r.physical_id, &r.properties) {
                Ok(()) => self.set_resource(i, "DELETE_COMPLETE", None, None)?,
                Err(f) => {
                    self.set_resource(i, "DELETE_FAILED", Some(f.0), None)?;
                    failed.push(r.logical_id.clone());
                }
            }
        }
        Ok(failed)
    }

    /// `CreateStack`'s provisioning.
    pub fn create(
        &mut self,
        inputs: &Inputs<'_>,
        on_failure: OnFailure,
    ) -> Result<(), ServiceError> {
        self.stack_status("CREATE_IN_PROGRESS", Some("User Initiated".to_owned()))?;
        let mut failed: Option<(String, String)> = None;
        for decl in &inputs.template.resources {
            if !Self::included(inputs, decl.condition.as_ref()) {
                continue;
            }
            if let Err(reason) = self.create_one(inputs, &decl.logical_id)? {
                failed = Some((decl.logical_id.clone(), reason));
                break;
            }
        }
        if failed.is_none() {
            match self.outputs(inputs) {
                Ok(outputs) => {
                    self.stack.outputs = outputs;
                    return self.stack_status("CREATE_COMPLETE", None);
                }
                Err(e) => failed = Some((String::new(), e.message)),
            }
        }
        let (logical, reason) = failed.unwrap_or_default();
        let summary = if logical.is_empty() {
            format!("{}. ", reason.trim_end_matches('.'))
        } else {
            format!("The following resource(s) failed to create: [{logical}]. ")
        };
        if on_failure == OnFailure::DoNothing {
            return self.stack_status("CREATE_FAILED", Some(summary));
        }
        self.stack_status(
            "ROLLBACK_IN_PROGRESS",
            Some(format!("{summary}Rollback requested by user.")),
        )?;
        let order: Vec<usize> = (0..self.stack.resources.len()).rev().collect();
        let undeleted = self.delete_indexes(&order, false)?;
        if !undeleted.is_empty() {
            return self.stack_status(
                "ROLLBACK_FAILED",
                Some(format!(
                    "The following resource(s) failed to delete: [{}]. ",
                    undeleted.join(", ")
                )),
            );
        }
        self.stack_status("ROLLBACK_COMPLETE", None)?;
        if on_failure == OnFailure::Delete {
            self.delete()?;
        }
        Ok(())
    }

    /// `DeleteStack`'s deprovisioning, in reverse creation (dependency) order.
    pub fn delete(&mut self) -> Result<(), ServiceError> {
        self.stack_status("DELETE_IN_PROGRESS", Some("User Initiated".to_owned()))?;
        let order: Vec<usize> = (0..self.stack.resources.len()).rev().collect();
        let failed = self.delete_indexes(&order, true)?;
        if !failed.is_empty() {
            return self.stack_status(
                "DELETE_FAILED",
                Some(format!(
                    "The following resource(s) failed to delete: [{}]. ",
                    failed.join(", ")
                )),
            );
        }
        self.stack.deletion_time = Some(self.now());
        self.stack_status("DELETE_COMPLETE", None)
    }

    /// `UpdateStack`'s changes: the new template's resources in dependency order (unchanged,
    /// updated in place, replaced or added), then the clean-up of removed and replaced ones.
    pub fn update(&mut self, inputs: &Inputs<'_>) -> Result<(), ServiceError> {
        self.stack_status("UPDATE_IN_PROGRESS", Some("User Initiated".to_owned()))?;
        let old_resources: Vec<ResourceRecord> = self
            .stack
            .resources
            .iter()
            .filter(|r| !r.physical_id.is_empty() && !r.status.starts_with("DELETE"))
            .cloned()
            .collect();
        // The new resource list is built in the new template's order; `undo` says how to revert.
        self.stack.resources = Vec::new();
        let mut undo: Vec<Undo> = Vec::new();
        let mut failure: Option<(String, String)> = None;
        for decl in &inputs.template.resources {
            if !Self::included(inputs, decl.condition.as_ref()) {
                continue;
            }
            let old = old_resources.iter().find(|r| r.logical_id == decl.logical_id).cloned();
            let Some(old) = old else {
                let result = self.create_one(inputs, &decl.logical_id)?;
                undo.push(Undo::Created(self.stack.resources.len() - 1));
                if let Err(reason) = result {
                    failure = Some((decl.logical_id.clone(), reason));
                    break;
                }
                continue;
            };
            let props = match self.evaluate(inputs, &decl.properties) {
                Ok(p) => p,
                Err(e) => {
                    self.stack.resources.push(old.clone());
                    let i = self.stack.resources.len() - 1;
                    self.set_resource(i, "UPDATE_FAILED", Some(e.message.clone()), None)?;
                    undo.push(Undo::Kept(i));
                    failure = Some((decl.logical_id.clone(), e.message));
                    break;
                }
            };
            let mut record = old.clone();
            record.depends_on.clone_from(&decl.depends_on);
            record.retain = decl.retain;
            if props == old.properties {
                self.stack.resources.push(record);
                undo.push(Undo::Kept(self.stack.resources.len() - 1));
                continue;
            }
            self.stack.resources.push(record);
            let i = self.stack.resources.len() - 1;
            let shown = Some(props.to_string());
            self.set_resource(i, "UPDATE_IN_PROGRESS", None, shown)?;
            let current = Created {
                physical_id: old.physical_id.clone(),
                attributes: old.attributes.clone(),
            };
            let result =
                if provider::needs_replacement(&decl.resource_type, &old.properties, &props) {
                    let stack_name = self.stack.stack_name.clone();
                    let r = provider::create(
                        &self.inv,
                        &stack_name,
                        &decl.logical_id,
                        &decl.resource_type,
                        &props,
                    );
                    undo.push(Undo::Replaced(i, old.clone()));
                    r
                } else {
                    let r = provider::update(
                        &self.inv,
                        &decl.logical_id,
                        &decl.resource_type,
                        &current,
                        &old.properties,
                        &props,
                    );
                    undo.push(Undo::Updated(i, old.clone()));
                    r
                };
            match result {
                Ok(created) => {
                    if let Some(r) = self.stack.resources.get_mut(i) {
                        r.physical_id = created.physical_id;
                        r.attributes = created.attributes;
                        r.properties = props;
                    }
                    self.set_resource(i, "UPDATE_COMPLETE", None, None)?;
                }
                Err(f) => {
                    if let Some(Undo::Replaced(_, _)) = undo.last() {
                        // Nothing new exists: there is no replacement to delete.
                        undo.pop();
                        undo.push(Undo::Kept(i));
                    }
                    self.set_resource(i, "UPDATE_FAILED", Some(f.0.clone()), None)?;
                    failure = Some((decl.logical_id.clone(), f.0));
                    break;
                }
            }
        }
        let outputs = match failure {
            None => match self.outputs(inputs) {
                Ok(o) => Some(o),
                Err(e) => {
                    failure = Some((String::new(), e.message));
                    None
                }
            },
            Some(_) => None,
        };
        if let (Some(outputs), None) = (outputs, &failure) {
            self.stack.outputs = outputs;
            self.stack_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None)?;
            // Removed resources and replaced physical resources go last, newest first.
            let kept: Vec<String> =
                self.stack.resources.iter().map(|r| r.logical_id.clone()).collect();
            let mut cleanup: Vec<ResourceRecord> =
                old_resources.iter().filter(|r| !kept.contains(&r.logical_id)).cloned().collect();
            cleanup.reverse();
            let replaced: Vec<ResourceRecord> = undo
                .iter()
                .filter_map(|u| match u {
                    Undo::Replaced(_, old) => Some(old.clone()),
                    _ => None,
                })
                .collect();
            for old in replaced.into_iter().chain(cleanup) {
                let (l, p, t) =
                    (old.logical_id.clone(), old.physical_id.clone(), old.resource_type.clone());
                if old.retain && !kept.contains(&old.logical_id) {
                    self.event(&l, &p, &t, "DELETE_SKIPPED", None, None)?;
                    continue;
                }
                self.event(&l, &p, &t, "DELETE_IN_PROGRESS", None, None)?;
                match provider::delete(
                    &self.inv,
                    &old.resource_type,
                    &old.physical_id,
                    &old.properties,
                ) {
                    Ok(()) => self.event(&l, &p, &t, "DELETE_COMPLETE", None, None)?,
                    // AWS completes the update and reports the clean-up failure on the resource.
                    Err(f) => self.event(&l, &p, &t, "DELETE_FAILED", Some(f.0), None)?,
                }
            }
            self.stack.last_updated_time = Some(self.now());
            return self.stack_status("UPDATE_COMPLETE", None);
        }
        let (logical, reason) = failure.unwrap_or_default();
        let summary = if logical.is_empty() {
            format!("{}. ", reason.trim_end_matches('.'))
        } else {
            format!("The following resource(s) failed to update: [{logical}]. ")
        };
        self.stack_status("UPDATE_ROLLBACK_IN_PROGRESS", Some(summary))?;
        let mut rollback_failed = Vec::new();
        let mut restored: Vec<ResourceRecord> = Vec::new();
        for step in undo.into_iter().rev() {
            match step {
                Undo::Kept(i) => {
                    if let Some(r) = self.stack.resources.get(i) {
                        let mut r = r.clone();
                        if r.status == "UPDATE_FAILED" {
                            r.status = "UPDATE_COMPLETE".to_owned();
                            r.status_reason = None;
                        }
                        restored.push(r);
                    }
                }
                Undo::Created(i) => {
                    let failed = self.delete_indexes(&[i], false)?;
                    rollback_failed.extend(failed);
                }
                Undo::Replaced(i, old) => {
                    let failed = self.delete_indexes(&[i], false)?;
                    rollback_failed.extend(failed);
                    restored.push(old);
                }
                Undo::Updated(i, old) => {
                    let Some(now) = self.stack.resources.get(i).cloned() else { continue };
                    let current = Created {
                        physical_id: now.physical_id.clone(),
                        attributes: now.attributes.clone(),
                    };
                    self.set_resource(i, "UPDATE_IN_PROGRESS", None, None)?;
                    match provider::update(
                        &self.inv,
                        &old.logical_id,
                        &old.resource_type,
                        &current,
                        &now.properties,
                        &old.properties,
                    ) {
                        Ok(_) => {
                            self.set_resource(i, "UPDATE_COMPLETE", None, None)?;
                            let mut back = old.clone();
                            back.status = "UPDATE_COMPLETE".to_owned();
                            restored.push(back);
                        }
                        Err(f) => {
                            self.set_resource(i, "UPDATE_FAILED", Some(f.0), None)?;
                            rollback_failed.push(old.logical_id.clone());
                            if let Some(r) = self.stack.resources.get(i) {
                                restored.push(r.clone());
                            }
                        }
                    }
                }
            }
        }
        // Resources the new template dropped were never touched: they stay as they were.
        for old in &old_resources {
            if !restored.iter().any(|r| r.logical_id == old.logical_id) {
                restored.push(old.clone());
            }
        }
        // Back to the previous order (creation order of the old list).
        restored.sort_by_key(|r| {
            old_resources.iter().position(|o| o.logical_id == r.logical_id).unwrap_or(usize::MAX)
        });
        self.stack.resources = restored;
        if !rollback_failed.is_empty() {
            return self.stack_status(
                "UPDATE_ROLLBACK_FAILED",
                Some(format!(
                    "The following resource(s) failed to update: [{}]. ",
                    rollback_failed.join(", ")
                )),
            );
        }
        self.stack_status("UPDATE_ROLLBACK_COMPLETE", None)
    }
}

/// How to revert one step of an update.
enum Undo {
    /// Unchanged (or failed before any change): keep as it is.
    Kept(usize),
    /// Newly added: delete it.
    Created(usize),
    /// Replaced: delete the new physical resource and keep the old record.
    Replaced(usize, ResourceRecord),
    /// Updated in place: apply the old properties again.
    Updated(usize, ResourceRecord),
}
