//! AWS CloudTrail (json 1.1): every authenticated call becomes an event in the caller's
//! account's log (and in the resource owner's, with one `sharedEventID`, when a call crosses
//! accounts), and the CloudTrail API reads it back: `LookupEvents` ([`lookup`]) and the trail
//! operations ([`trails`]).
//!
//! - [`record`] builds the records AWS writes (`userIdentity`, `requestParameters` with secrets
//!   hidden, `responseElements`, `errorCode`, …);
//! - [`audit`] gets them into the store: inside the transaction of the change they record when
//!   the call changes something, through a batching appender when it does not. Its docs state the
//!   crash window;
//! - [`actions`] maps operations to permissions (`cloudtrail:LookupEvents` on `*`, trail
//!   operations on the trail's ARN);
//! - [`model`] holds the trail records.
//!
//! What is recorded: every call that reaches `Services::call` (authorized, denied, failed), in
//! mock mode too, and calls the server rejects after authentication because their input does not
//! decode ([`Services::record_rejected`](crate::Services::record_rejected)). Authentication
//! failures are not recorded: they cannot be attributed to an account, as in AWS.
//!
//! Security: records never hold secrets (see [`record`]); `LookupEvents` shows only the calling
//! account's events, and only after `cloudtrail:LookupEvents` is allowed.

pub mod actions;
pub mod audit;
pub mod lookup;
pub mod model;
pub mod record;
pub mod trails;

use std::sync::Arc;

use serde_json::Value;
use xacct_store::Store;

use crate::{unknown_operation, Call, ServiceError, Services};

pub(crate) fn dispatch(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    match call.operation {
        "LookupEvents" => lookup::lookup_events(services, call),
        "CreateTrail" => trails::create_trail(services, call),
        "GetTrail" => trails::get_trail(services, call),
        "DescribeTrails" => trails::describe_trails(services, call),
        "ListTrails" => trails::list_trails(services, call),
        "UpdateTrail" => trails::update_trail(services, call),
        "DeleteTrail" => trails::delete_trail(services, call),
        "StartLogging" => trails::set_logging(services, call, true),
        "StopLogging" => trails::set_logging(services, call, false),
        "GetTrailStatus" => trails::get_trail_status(services, call),
        "PutEventSelectors" => trails::put_event_selectors(services, call),
        "GetEventSelectors" => trails::get_event_selectors(services, call),
        "PutInsightSelectors" => trails::put_insight_selectors(services, call),
        "GetInsightSelectors" => trails::get_insight_selectors(services, call),
        "AddTags" => trails::add_tags(services, call),
        "RemoveTags" => trails::remove_tags(services, call),
        "ListTags" => trails::list_tags(services, call),
        _ => Err(unknown_operation(call)),
    }
}

/// A CloudTrail client error (HTTP 400).
pub(crate) fn client_error(code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::client(code, 400, message)
}

/// A parameter error with its own code (HTTP 400).
pub(crate) fn invalid_parameter(code: &'static str, message: impl Into<String>) -> ServiceError {
    client_error(code, message)
}

/// The recording state of a [`Services`]: the audited store services write through and the
/// appender for events written outside a change.
pub struct Audit {
    store: audit::AuditedStore,
    appender: audit::Appender,
}

impl Audit {
    pub fn new(store: Arc<dyn Store>) -> Audit {
        Audit {
            appender: audit::Appender::start(Arc::clone(&store)),
            store: audit::AuditedStore::new(store),
        }
    }

    /// The store whose write transactions record the current call's event.
    pub fn store(&self) -> &audit::AuditedStore {
        &self.store
    }

    pub fn appender(&self) -> &audit::Appender {
        &self.appender
    }

    /// Waits until every event queued so far is durable.
    pub fn flush(&self) {
        self.appender.flush();
    }

    /// Writes every queued event and stops the appender (graceful shutdown).
    pub fn shutdown(&self) {
        self.appender.stop();
    }
}

/// Runs `run` for `call` inside an audit scope and records its outcome.
pub(crate) fn recorded(
    services: &Services,
    call: &Call<'_>,
    run: impl FnOnce() -> Result<Value, ServiceError>,
) -> Result<Value, ServiceError> {
    // Without OS randomness for the event id the call fails rather than go unrecorded.
    let draft = record::Draft::new(call, services.clock().now_unix())?;
    let scope = audit::begin(draft);
    let result = run();
    scope.finish(services.audit().appender(), &result);
    result
}

/// Records a call refused before it reached its operation (see `Services::record_rejected`).
pub(crate) fn record_rejected(services: &Services, call: &Call<'_>, code: &str, message: &str) {
    match record::Draft::new(call, services.clock().now_unix()) {
        Ok(draft) => {
            let outcome = record::Outcome::Failed { code, message };
            let bodies = draft.bodies(outcome);
            services.audit().appender().submit(audit::Job::Append(bodies));
        }
        Err(e) => tracing::error!(detail = ?e.internal_detail, "cannot record a rejected call"),
    }
}

#[cfg(test)]
mod tests;
