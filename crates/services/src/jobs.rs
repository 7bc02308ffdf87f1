//! Durable jobs: work a service does for a customer after the request that asked for it (Proton
//! deployments). A job is a row of the `jobs` table written in the same write transaction as the
//! state change that needs it ([`enqueue`]), so a job exists if and only if that change
//! committed; the resource shows the job's progress in its own status (an environment's
//! `deploymentStatus`).
//!
//! One worker thread per [`Services`] ([`Worker`]) runs the jobs:
//! - it claims a due job in a write transaction (`Running`, one more attempt, a lease of
//!   [`LEASE_SECONDS`]), runs it with no transaction open, and the job's handler writes the
//!   outcome to its resource and moves the job to `jobs_done` in one transaction;
//! - a transient failure (the store or a service answering with a 5xx) is retried after a
//!   backoff, at most [`MAX_ATTEMPTS`] attempts in all; any other failure (an `AccessDenied`, a
//!   template that does not render, a stack that rolled back) is final at once;
//! - it is woken when a job is enqueued ([`Signal::notify`], called after the commit) and
//!   otherwise looks every [`POLL_INTERVAL`] for due retries;
//! - at start it picks up the jobs an earlier run left `Running` (a crash or a stop mid-job),
//!   without waiting for their lease: a job's steps are idempotent, so running one again is safe.
//!   With several nodes sharing one store a node starting up would run again a job another node
//!   is running; the steps tolerate that, the duplicate work is the cost.
//! - dropping `Services` (or [`Services::stop_job_worker`](crate::Services::stop_job_worker))
//!   stops the worker after the job it is running; what is queued stays for the next start.
//!
//! Timestamps (`not_before`, leases) come from the server's clock, so tests that move the clock
//! move retries too. Tests drive the queue without the thread through
//! [`Services::run_jobs`](crate::Services::run_jobs).

use std::sync::{Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use xacct_store::{ReadTx, Table, WriteTx};

use crate::{ServiceError, Services};

/// Attempts a job gets before a transient failure counts as final.
pub const MAX_ATTEMPTS: u32 = 5;

/// How long a claimed job belongs to its worker before another may claim it again.
pub const LEASE_SECONDS: f64 = 300.0;

/// How often the idle worker looks for due jobs it was not woken for (retries, other nodes').
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// What a job does.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind")]
pub enum Work {
    /// Deploys environment `name` (its spec and template version as stored) as deployment
    /// `deployment_id`; a new stack is called `stack_name`.
    ProtonDeployEnvironment {
        account: String,
        region: String,
        name: String,
        deployment_id: String,
        stack_name: String,
    },
    /// Deletes environment `name`'s stack, then the environment.
    ProtonDeleteEnvironment { account: String, region: String, name: String, deployment_id: String },
    /// Tests of the queue itself: fails transiently in its first `transient_failures` attempts,
    /// then succeeds (or fails for good when `fatal`).
    #[cfg(test)]
    Probe { transient_failures: u32, fatal: bool },
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum JobState {
    /// Waiting until `not_before`.
    Pending,
    /// Claimed by a worker until `lease_until`.
    Running,
    /// Done (in `jobs_done`).
    Succeeded,
    /// Given up (in `jobs_done`): `last_error` says why.
    Failed,
}

/// One job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobRecord {
    pub id: String,
    pub work: Work,
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: u32,
    /// Epoch seconds before which the job is not run.
    pub not_before: f64,
    /// While `Running`: epoch seconds when the claim lapses.
    #[serde(default)]
    pub lease_until: f64,
    /// The last failure (a transient one before a retry, or the final one).
    #[serde(default)]
    pub last_error: Option<String>,
    pub created_at: f64,
    pub updated_at: f64,
}

/// Queued and running jobs, keyed by id (ids sort by creation time).
pub const JOBS: Table<JobRecord> = Table::new("jobs", 1);
/// Finished jobs, keyed by id.
pub const JOBS_DONE: Table<JobRecord> = Table::new("jobs_done", 1);

/// The job tables, for reset.
pub const TABLE_NAMES: &[&str] = &[JOBS.name(), JOBS_DONE.name()];

/// A job's failure: `retry` when trying again later may succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    pub message: String,
    pub retry: bool,
}

impl JobError {
    /// A failure trying again will not mend.
    pub fn fatal(message: impl Into<String>) -> JobError {
        JobError { message: message.into(), retry: false }
    }

    /// A failure of `what` with `err`: transient when the server was at fault (5xx). The
    /// message is the customer's to read: an internal error's detail goes to the log only.
    pub fn of(what: &str, err: &ServiceError) -> JobError {
        if let Some(detail) = &err.internal_detail {
            tracing::warn!(step = what, detail = %detail, "a job step failed inside the server");
        }
        JobError {
            message: format!("{what} failed: {} ({})", err.message, err.code),
            retry: err.status >= 500,
        }
    }
}

impl From<ServiceError> for JobError {
    fn from(e: ServiceError) -> JobError {
        JobError::of("a step", &e)
    }
}

impl From<xacct_store::StoreError> for JobError {
    fn from(e: xacct_store::StoreError) -> JobError {
        JobError { message: format!("store: {e}"), retry: true }
    }
}

/// Writes a new job for `work` inside `tx`: it exists once `tx` commits. Call
/// [`Signal::notify`] (`services.jobs_enqueued()`) after the commit to wake the worker.
pub fn enqueue(tx: &mut dyn WriteTx, now: f64, work: Work) -> Result<JobRecord, ServiceError> {
    let random = crate::ids::random_bytes::<8>()?;
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    // Milliseconds, zero-padded: ids sort in creation order.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ms = (now * 1000.0).max(0.0) as u64;
    let job = JobRecord {
        id: format!("{ms:015}-{suffix}"),
        work,
        state: JobState::Pending,
        attempts: 0,
        not_before: now,
        lease_until: 0.0,
        last_error: None,
        created_at: now,
        updated_at: now,
    };
    if !JOBS.insert_new(tx, &job.id, &job)? {
        return Err(ServiceError::internal("a job with this id already exists"));
    }
    Ok(job)
}

/// Moves `job` to `jobs_done` inside `tx` with `state` (`Succeeded` or `Failed`) and `error`.
/// Handlers call it in the transaction that writes the job's outcome to its resource.
pub fn finish(
    tx: &mut dyn WriteTx,
    job: &JobRecord,
    now: f64,
    state: JobState,
    error: Option<String>,
) -> Result<(), ServiceError> {
    let mut done = job.clone();
    done.state = state;
    done.lease_until = 0.0;
    done.updated_at = now;
    if error.is_some() {
        done.last_error = error;
    }
    JOBS.delete(tx, &job.id)?;
    JOBS_DONE.put(tx, &job.id, &done)?;
    Ok(())
}

/// Every queued or running job, oldest first.
pub fn queued(tx: &dyn ReadTx) -> Result<Vec<JobRecord>, ServiceError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = JOBS.scan(tx, "", after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        out.extend(batch.into_iter().map(|(_, j)| j));
    }
    Ok(out)
}

fn claimable(job: &JobRecord, now: f64, recovering: bool) -> bool {
    match job.state {
        JobState::Pending => job.not_before <= now,
        JobState::Running => recovering || job.lease_until <= now,
        JobState::Succeeded | JobState::Failed => false,
    }
}

/// Claims the oldest claimable job (see [`claimable`]); `None` when there is none.
fn claim_next(services: &Services, recovering: bool) -> Result<Option<JobRecord>, ServiceError> {
    let now = services.clock().now_epoch_f64();
    let candidates: Vec<JobRecord> = {
        let tx = services.store().read()?;
        queued(&*tx)?.into_iter().filter(|j| claimable(j, now, recovering)).collect()
    };
    for candidate in candidates {
        let mut tx = services.store().write()?;
        // Claimed by someone else meanwhile (another node, a test driving the queue): skip it.
        let Some(mut job) = JOBS.get(&*tx, &candidate.id)? else { continue };
        if job != candidate || !claimable(&job, now, recovering) {
            continue;
        }
        job.state = JobState::Running;
        job.attempts = job.attempts.saturating_add(1);
        job.lease_until = now + LEASE_SECONDS;
        job.updated_at = now;
        JOBS.put(&mut *tx, &job.id, &job)?;
        tx.commit()?;
        return Ok(Some(job));
    }
    Ok(None)
}

/// Runs one claimed job and records its outcome.
fn execute(services: &Services, job: &JobRecord) -> Result<(), ServiceError> {
    let result = match &job.work {
        Work::ProtonDeployEnvironment { .. } | Work::ProtonDeleteEnvironment { .. } => {
            crate::proton::environments::run_job(services, job)
        }
        #[cfg(test)]
        Work::Probe { transient_failures, fatal } => {
            if job.attempts <= *transient_failures {
                Err(JobError { message: format!("attempt {} failed", job.attempts), retry: true })
            } else if *fatal {
                Err(JobError::fatal("refused"))
            } else {
                Ok(())
            }
        }
    };
    let now = services.clock().now_epoch_f64();
    match result {
        Ok(()) => {
            // The handler finishes the job with its outcome; finish one it left behind.
            let mut tx = services.store().write()?;
            if JOBS.get(&*tx, &job.id)?.is_some() {
                finish(&mut *tx, job, now, JobState::Succeeded, None)?;
                tx.commit()?;
            }
            Ok(())
        }
        Err(err) if err.retry && job.attempts < MAX_ATTEMPTS => {
            tracing::warn!(job = %job.id, attempt = job.attempts, error = %err.message, "job failed; retrying later");
            let mut tx = services.store().write()?;
            let Some(mut queued) = JOBS.get(&*tx, &job.id)? else { return Ok(()) };
            queued.state = JobState::Pending;
            queued.not_before = now + backoff(job.attempts);
            queued.lease_until = 0.0;
            queued.last_error = Some(err.message);
            queued.updated_at = now;
            JOBS.put(&mut *tx, &job.id, &queued)?;
            tx.commit()?;
            Ok(())
        }
        Err(err) => {
            tracing::info!(job = %job.id, attempts = job.attempts, error = %err.message, "job failed");
            match &job.work {
                Work::ProtonDeployEnvironment { .. } | Work::ProtonDeleteEnvironment { .. } => {
                    crate::proton::environments::abandon_job(services, job, &err.message)
                }
                #[cfg(test)]
                Work::Probe { .. } => {
                    let mut tx = services.store().write()?;
                    finish(&mut *tx, job, now, JobState::Failed, Some(err.message))?;
                    tx.commit()?;
                    Ok(())
                }
            }
        }
    }
}

/// Seconds before attempt `attempts + 1`: 2, 4, 8, … at most a minute.
fn backoff(attempts: u32) -> f64 {
    f64::from(2_u32.saturating_pow(attempts.min(6))).min(60.0)
}

/// Runs due jobs one after another until none is due (or the worker is asked to stop); returns
/// how many ran. `recovering` also claims jobs still marked `Running` (at start: an earlier run
/// left them).
pub fn run_due(services: &Services, recovering: bool) -> usize {
    let mut ran = 0;
    while !services.jobs.stopping() {
        match claim_next(services, recovering) {
            Ok(Some(job)) => {
                if let Err(e) = execute(services, &job) {
                    // The job stays claimed; its lease lapses and it runs again.
                    tracing::error!(job = %job.id, error = %e, detail = ?e.internal_detail, "recording a job's outcome failed");
                }
                ran += 1;
            }
            Ok(None) => break,
            Err(e) => {
                tracing::error!(error = %e, detail = ?e.internal_detail, "claiming a job failed");
                break;
            }
        }
    }
    ran
}

#[derive(Debug, Default)]
struct SignalState {
    woken: bool,
    stop: bool,
}

/// Wakes the worker (a job was enqueued) and stops it.
#[derive(Debug, Default)]
pub struct Signal {
    state: Mutex<SignalState>,
    ready: Condvar,
}

impl Signal {
    /// A job was committed: the worker looks at once.
    pub fn notify(&self) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).woken = true;
        self.ready.notify_all();
    }

    fn stopping(&self) -> bool {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).stop
    }

    /// Waits until notified, stopped, or `timeout`; `true` when the worker is to stop.
    fn wait(&self, timeout: Duration) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut state, _) = self
            .ready
            .wait_timeout_while(state, timeout, |s| !s.woken && !s.stop)
            .unwrap_or_else(PoisonError::into_inner);
        state.woken = false;
        state.stop
    }

    fn set_stop(&self, stop: bool) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).stop = stop;
        self.ready.notify_all();
    }
}

/// The worker thread of one [`Services`].
#[derive(Debug, Default)]
pub struct Worker {
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Worker {
    /// No thread (the worker's own handle on the services).
    pub fn none() -> Worker {
        Worker::default()
    }

    /// Starts the worker thread over `handle` (services sharing the state of the ones that own
    /// the worker, with no worker of their own).
    pub fn start(handle: Services) -> Worker {
        let thread = std::thread::Builder::new().name("xacct-jobs".into()).spawn(move || {
            let services = handle;
            let mut recovering = true;
            loop {
                run_due(&services, recovering);
                recovering = false;
                if services.jobs.wait(POLL_INTERVAL) {
                    break;
                }
            }
        });
        match thread {
            Ok(handle) => Worker { thread: Mutex::new(Some(handle)) },
            Err(e) => {
                // Jobs stay queued (and visible as in progress) until a start that has a thread.
                tracing::error!(error = %e, "cannot start the job worker thread");
                Worker::none()
            }
        }
    }

    /// Stops the thread after the job it is running and waits for it.
    pub fn stop(&self, signal: &Signal) {
        let handle = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(h) = handle {
            signal.set_stop(true);
            if h.join().is_err() {
                tracing::error!("the job worker thread panicked");
            }
            // `run_jobs` on the calling thread keeps working.
            signal.set_stop(false);
        }
    }
}

impl Services {
    /// Wakes the job worker: call after committing a transaction that enqueued a job.
    pub fn jobs_enqueued(&self) {
        self.jobs.notify();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{Clock, Config};

    fn services(worker: bool) -> (tempfile::TempDir, Services) {
        let dir = tempfile::tempdir().unwrap();
        let store = xacct_store::open_sqlite(dir.path()).unwrap();
        let s = Services::new(store, Arc::new(Clock::new()), Config::default());
        (dir, if worker { s } else { s.without_job_worker() })
    }

    fn submit(s: &Services, work: Work) -> JobRecord {
        let mut tx = s.store().write().unwrap();
        let job = enqueue(&mut *tx, s.clock().now_epoch_f64(), work).unwrap();
        tx.commit().unwrap();
        s.jobs_enqueued();
        job
    }

    fn finished(s: &Services, id: &str) -> Option<JobRecord> {
        JOBS_DONE.get(&*s.store().read().unwrap(), id).unwrap()
    }

    fn pending(s: &Services, id: &str) -> Option<JobRecord> {
        JOBS.get(&*s.store().read().unwrap(), id).unwrap()
    }

    #[test]
    fn transient_failures_are_retried_after_a_backoff_until_they_succeed() {
        let (_dir, s) = services(false);
        let job = submit(&s, Work::Probe { transient_failures: 2, fatal: false });
        assert_eq!(s.run_jobs(), 1);
        let waiting = pending(&s, &job.id).unwrap();
        assert_eq!((waiting.state, waiting.attempts), (JobState::Pending, 1));
        assert_eq!(waiting.last_error.as_deref(), Some("attempt 1 failed"));
        assert!(waiting.not_before >= s.clock().now_epoch_f64() + 1.0);
        assert_eq!(s.run_jobs(), 0, "not due before its backoff");
        s.clock().advance_ms(2_500);
        assert_eq!(s.run_jobs(), 1);
        assert_eq!(pending(&s, &job.id).unwrap().attempts, 2);
        assert_eq!(s.run_jobs(), 0);
        s.clock().advance_ms(4_500);
        assert_eq!(s.run_jobs(), 1);
        assert!(pending(&s, &job.id).is_none());
        let done = finished(&s, &job.id).unwrap();
        assert_eq!((done.state, done.attempts), (JobState::Succeeded, 3));
    }

    #[test]
    fn retries_are_bounded_and_a_fatal_failure_is_not_retried() {
        let (_dir, s) = services(false);
        let flaky = submit(&s, Work::Probe { transient_failures: 100, fatal: false });
        let fatal = submit(&s, Work::Probe { transient_failures: 0, fatal: true });
        assert_eq!(s.run_jobs(), 2);
        let refused = finished(&s, &fatal.id).unwrap();
        assert_eq!((refused.state, refused.attempts), (JobState::Failed, 1));
        assert_eq!(refused.last_error.as_deref(), Some("refused"));
        for _ in 1..MAX_ATTEMPTS {
            s.clock().advance_ms(61_000);
            assert_eq!(s.run_jobs(), 1);
        }
        let given_up = finished(&s, &flaky.id).unwrap();
        assert_eq!((given_up.state, given_up.attempts), (JobState::Failed, MAX_ATTEMPTS));
        assert_eq!(given_up.last_error, Some(format!("attempt {MAX_ATTEMPTS} failed")));
        s.clock().advance_ms(61_000);
        assert_eq!(s.run_jobs(), 0);
    }

    #[test]
    fn a_running_job_is_claimed_again_only_once_its_lease_lapsed() {
        let now = 1_000.0;
        let mut job = JobRecord {
            id: "j".into(),
            work: Work::Probe { transient_failures: 0, fatal: false },
            state: JobState::Running,
            attempts: 1,
            not_before: now,
            lease_until: now + LEASE_SECONDS,
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        assert!(!claimable(&job, now, false));
        assert!(claimable(&job, now, true), "at start, a job left running is run again");
        assert!(claimable(&job, now + LEASE_SECONDS, false));
        job.state = JobState::Pending;
        job.not_before = now + 5.0;
        assert!(!claimable(&job, now, true));
        assert!(claimable(&job, now + 5.0, false));
    }

    #[test]
    fn the_worker_runs_an_enqueued_job_and_stops_when_services_are_dropped() {
        let (_dir, s) = services(true);
        let job = submit(&s, Work::Probe { transient_failures: 0, fatal: false });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while finished(&s, &job.id).is_none() {
            assert!(std::time::Instant::now() < deadline, "the worker did not run the job");
            std::thread::sleep(Duration::from_millis(5));
        }
        // Dropping joins the worker thread (this test would hang otherwise).
        drop(s);
    }

    #[test]
    fn ids_sort_in_creation_order() {
        let (_dir, s) = services(false);
        let mut tx = s.store().write().unwrap();
        let a =
            enqueue(&mut *tx, 99.5, Work::Probe { transient_failures: 0, fatal: false }).unwrap();
        let b =
            enqueue(&mut *tx, 100.0, Work::Probe { transient_failures: 0, fatal: false }).unwrap();
        tx.commit().unwrap();
        assert!(a.id < b.id);
        let order: Vec<String> =
            queued(&*s.store().read().unwrap()).unwrap().into_iter().map(|j| j.id).collect();
        assert_eq!(order, vec![a.id, b.id]);
    }
}
