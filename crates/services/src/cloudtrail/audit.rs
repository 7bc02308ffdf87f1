//! The recording machinery: a per-call audit scope, the store wrapper that writes a call's
//! event inside the call's first committed write transaction, and the batching appender for
//! calls that change nothing.
//!
//! How an event reaches the log:
//! - [`Services::call`](crate::Services::call) opens a scope ([`begin`]) holding the call's
//!   [`Draft`]; the operation runs; [`Scope::finish`] closes it with the outcome.
//! - Every write transaction handed out by `Services::store()` is an [`AuditedWrite`]. Its
//!   `commit` appends the call's event (one copy per receiving account) inside the transaction
//!   before committing it, so the change and its record are durable together or not at all. Only
//!   the first committed write transaction of a call carries the event; later ones do not repeat
//!   it. That copy is written before the operation returns, so it has no `responseElements` and
//!   no error yet (see [`Outcome::Pending`](super::record::Outcome)).
//! - When the operation returns, a call that wrote its event inside a transaction has the
//!   event's final body (with `responseElements`, or the error of a call that failed after a
//!   commit) replaced in place through the appender; a call that committed nothing (reads,
//!   denials, errors, `AssumeRole`, `GetCallerIdentity`) has its event appended through the
//!   appender. Neither puts an fsync on the request path.
//! - The appender is a bounded queue drained by one thread that commits what it finds in one
//!   transaction per batch. When the queue is full the caller writes its event itself
//!   (synchronously) rather than dropping it. [`Appender::flush`] waits until everything queued
//!   before it is durable; `LookupEvents` and reset flush first, and dropping [`Services`]
//!   (graceful shutdown) stops the thread after it has written everything queued.
//!
//! Crash window: a change is never durable without its event. What a crash (kill -9, power
//! loss) can lose is what sat in the appender's queue: the events of calls that changed
//! nothing, and the completion (`responseElements`) of events written with a change, from the
//! last batch commit up to the crash — at most [`QUEUE_CAPACITY`] entries, normally the last
//! [`BATCH_WINDOW`] (2 ms) of traffic plus one commit. Their responses may already have been
//! sent.
//!
//! Security: the scope is thread-local. That is sound because `Services::call` is synchronous
//! (it runs on one thread from start to end and handlers never await), and a scope is removed
//! when its call ends, even by unwinding ([`Scope`]'s `Drop`), so a later call on the same
//! thread never writes another call's event. Write transactions opened outside a call
//! (bootstrap, reset, the appender itself) find no scope and record nothing.

use std::cell::RefCell;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use serde_json::Value;
use xacct_store::{Event, ReadTx, Record, Store, StoreError, WriteTx};

use super::record::{Draft, Outcome};
use crate::ServiceError;

/// Entries the appender's queue holds before callers write their events themselves.
pub const QUEUE_CAPACITY: usize = 65_536;

/// Entries committed in one appender transaction at most.
const MAX_BATCH: usize = 16_384;

/// How long the writer lets a batch gather (the bound on how old an unwritten event gets under
/// steady load, and so the crash window). Short batches also keep each commit's burst of CPU
/// short: with 10 ms the AssumeRole benchmark's p99 was 6.8 ms, with 2 ms about 5 ms, at the
/// same throughput.
pub const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(2);

struct ScopeState {
    draft: Draft,
    /// The (account, seq) of each copy written inside a committed write transaction.
    written: Option<Vec<(String, u64)>>,
}

thread_local! {
    static SCOPE: RefCell<Option<ScopeState>> = const { RefCell::new(None) };
}

/// An open audit scope; [`Scope::finish`] records the outcome. Dropping it without finishing
/// (a panic) closes the scope without recording.
pub struct Scope {
    previous: Option<ScopeState>,
    open: bool,
}

/// Opens the audit scope of a call whose event is `draft`.
pub fn begin(draft: Draft) -> Scope {
    let previous = SCOPE.with(|s| s.borrow_mut().replace(ScopeState { draft, written: None }));
    Scope { previous, open: true }
}

impl Scope {
    /// Closes the scope and records `result` through `appender`.
    pub fn finish(mut self, appender: &Appender, result: &Result<Value, ServiceError>) {
        let state = SCOPE.with(|s| s.borrow_mut().take());
        self.open = false;
        let previous = self.previous.take();
        SCOPE.with(|s| *s.borrow_mut() = previous);
        let Some(state) = state else { return };
        let bodies = state.draft.bodies(Outcome::of(result));
        match state.written {
            // An operation the service does not have never reached a service in AWS: no event.
            None if matches!(result, Err(e) if e.code == crate::UNKNOWN_OPERATION) => {}
            None => appender.submit(Job::Append(bodies)),
            Some(seqs) => {
                let pending = state.draft.bodies(Outcome::Pending);
                // Only a body that differs from the one written needs completing.
                let amend: Vec<(String, u64, String)> = seqs
                    .into_iter()
                    .zip(bodies)
                    .zip(pending)
                    .filter(|((_, (_, done)), (_, written))| done != written)
                    .map(|(((account, seq), (_, body)), _)| (account, seq, body))
                    .collect();
                if !amend.is_empty() {
                    appender.submit(Job::Amend(amend));
                }
            }
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if self.open {
            let previous = self.previous.take();
            SCOPE.with(|s| *s.borrow_mut() = previous);
        }
    }
}

/// Appends the open scope's event inside `tx` unless already written; returns what it wrote.
fn append_scope_event(tx: &mut dyn WriteTx) -> Result<Option<Vec<(String, u64)>>, StoreError> {
    SCOPE.with(|s| {
        let scope = s.borrow();
        let Some(state) = scope.as_ref().filter(|st| st.written.is_none()) else {
            return Ok(None);
        };
        let mut seqs = Vec::with_capacity(2);
        for (account, body) in state.draft.bodies(Outcome::Pending) {
            let seq = tx.append_event(&account, &body)?;
            seqs.push((account, seq));
        }
        Ok(Some(seqs))
    })
}

/// The store services see: reads pass through; write transactions record the current call's
/// event when they commit.
pub struct AuditedStore {
    inner: Arc<dyn Store>,
}

impl AuditedStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        AuditedStore { inner }
    }
}

impl Store for AuditedStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn read(&self) -> Result<Box<dyn ReadTx + '_>, StoreError> {
        self.inner.read()
    }

    fn write(&self) -> Result<Box<dyn WriteTx + '_>, StoreError> {
        Ok(Box::new(AuditedWrite { inner: self.inner.write()? }))
    }
}

/// A write transaction whose commit carries the call's event (see the module docs).
struct AuditedWrite<'a> {
    inner: Box<dyn WriteTx + 'a>,
}

impl ReadTx for AuditedWrite<'_> {
    fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        self.inner.get(table, key)
    }

    fn scan(
        &self,
        table: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        self.inner.scan(table, prefix, after, limit)
    }

    fn events(
        &self,
        account: &str,
        after_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.inner.events(account, after_seq, limit)
    }

    fn events_newest_first(
        &self,
        account: &str,
        before_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.inner.events_newest_first(account, before_seq, limit)
    }
}

impl WriteTx for AuditedWrite<'_> {
    fn put(&mut self, table: &str, key: &str, record: &Record) -> Result<(), StoreError> {
        self.inner.put(table, key, record)
    }

    fn insert_new(&mut self, table: &str, key: &str, record: &Record) -> Result<bool, StoreError> {
        self.inner.insert_new(table, key, record)
    }

    fn delete(&mut self, table: &str, key: &str) -> Result<bool, StoreError> {
        self.inner.delete(table, key)
    }

    fn append_event(&mut self, account: &str, event_json: &str) -> Result<u64, StoreError> {
        self.inner.append_event(account, event_json)
    }

    fn append_events(&mut self, events: &[(&str, &str)]) -> Result<(), StoreError> {
        self.inner.append_events(events)
    }

    fn replace_event(
        &mut self,
        account: &str,
        seq: u64,
        event_json: &str,
    ) -> Result<bool, StoreError> {
        self.inner.replace_event(account, seq, event_json)
    }

    fn clear_events(&mut self) -> Result<u64, StoreError> {
        self.inner.clear_events()
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let mut inner = self.inner;
        let written = append_scope_event(&mut *inner)?;
        inner.commit()?;
        if let Some(seqs) = written {
            SCOPE.with(|s| {
                if let Some(state) = s.borrow_mut().as_mut() {
                    state.written = Some(seqs);
                }
            });
        }
        Ok(())
    }
}

/// Work for the appender thread.
pub enum Job {
    /// New events: (account, body).
    Append(Vec<(String, String)>),
    /// Final bodies of events written with their change: (account, seq, body).
    Amend(Vec<(String, u64, String)>),
    /// Acknowledged once everything queued before it is committed.
    Flush(mpsc::Sender<()>),
}

impl Job {
    fn entries(&self) -> usize {
        match self {
            Job::Append(v) => v.len(),
            Job::Amend(v) => v.len(),
            Job::Flush(_) => 0,
        }
    }
}

/// The batching event writer: a bounded queue and one thread.
pub struct Appender {
    store: Arc<dyn Store>,
    queue: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Appender {
    /// Starts the writer thread over `store` (the raw store: the appender records no events
    /// of its own).
    pub fn start(store: Arc<dyn Store>) -> Appender {
        Appender::with_capacity(store, QUEUE_CAPACITY)
    }

    /// [`Appender::start`] with a queue of `capacity` jobs.
    pub fn with_capacity(store: Arc<dyn Store>, capacity: usize) -> Appender {
        let (tx, rx) = mpsc::sync_channel(capacity);
        let thread_store = Arc::clone(&store);
        let thread = std::thread::Builder::new()
            .name("xacct-cloudtrail".into())
            .spawn(move || run(&*thread_store, &rx));
        let (queue, thread) = match thread {
            Ok(handle) => (Some(tx), Some(handle)),
            Err(e) => {
                // Without the thread every event is written synchronously (still recorded).
                tracing::error!(error = %e, "cannot start the event writer thread");
                (None, None)
            }
        };
        Appender { store, queue: Mutex::new(queue), thread: Mutex::new(thread) }
    }

    /// Queues `job`; writes it synchronously when the queue is full or the thread is gone.
    pub fn submit(&self, job: Job) {
        let sender = self.queue.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let job = match sender {
            Some(s) => match s.try_send(job) {
                Ok(()) => return,
                Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => job,
            },
            None => job,
        };
        if let Err(e) = write_batch(&*self.store, std::slice::from_ref(&job)) {
            tracing::error!(error = %e, entries = job.entries(), "recording events failed");
        }
    }

    /// Waits until every job queued before this call is committed.
    pub fn flush(&self) {
        let sender = self.queue.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(s) = sender {
            let (ack, done) = mpsc::channel();
            if s.send(Job::Flush(ack)).is_ok() {
                let _ = done.recv();
            }
        }
    }

    /// Writes everything queued and stops the thread (graceful shutdown). Later jobs are
    /// written synchronously.
    pub fn stop(&self) {
        let sender = self.queue.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(sender);
        let handle = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(h) = handle {
            if h.join().is_err() {
                tracing::error!("the event writer thread panicked");
            }
        }
    }
}

impl Drop for Appender {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The writer loop: one transaction per batch of queued jobs, until every sender is gone.
///
/// After the first job of a batch arrives the thread waits [`BATCH_WINDOW`] before draining the
/// queue: senders then find it busy rather than blocked, so queuing an event does not wake a
/// thread (a futex wake and a context switch per request would cost more than the event).
fn run(store: &dyn Store, rx: &Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        if !matches!(first, Job::Flush(_)) {
            std::thread::sleep(BATCH_WINDOW);
        }
        let mut batch = vec![first];
        let mut entries = batch.iter().map(Job::entries).sum::<usize>();
        while entries < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => {
                    entries += job.entries();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        if let Err(e) = write_batch(store, &batch) {
            // One retry: a busy or briefly failing disk should not lose the batch.
            if let Err(e2) = write_batch(store, &batch) {
                tracing::error!(error = %e, retry_error = %e2, entries, "recording events failed");
            }
        }
        for job in batch {
            if let Job::Flush(ack) = job {
                let _ = ack.send(());
            }
        }
    }
}

fn write_batch(store: &dyn Store, batch: &[Job]) -> Result<(), StoreError> {
    if batch.iter().all(|j| matches!(j, Job::Flush(_))) {
        return Ok(());
    }
    let mut tx = store.write()?;
    // The batch's new events in one call (the store pages them per account); amendments
    // complete events of earlier transactions, so their order against the appends is free.
    let mut appends: Vec<(&str, &str)> = Vec::new();
    for job in batch {
        match job {
            Job::Append(events) => {
                appends.extend(events.iter().map(|(a, b)| (a.as_str(), b.as_str())));
            }
            Job::Amend(events) => {
                for (account, seq, body) in events {
                    tx.replace_event(account, *seq, body)?;
                }
            }
            Job::Flush(_) => {}
        }
    }
    tx.append_events(&appends)?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = xacct_store::open_sqlite(dir.path()).unwrap();
        (dir, store)
    }

    fn count(store: &dyn Store, account: &str) -> usize {
        store.read().unwrap().events(account, None, 100_000).unwrap().len()
    }

    #[test]
    fn flush_makes_queued_events_durable_and_drop_writes_the_rest() {
        let (_dir, store) = store();
        let appender = Appender::start(Arc::clone(&store));
        for i in 0..100 {
            appender.submit(Job::Append(vec![("111111111111".into(), format!(r#"{{"i":{i}}}"#))]));
        }
        appender.flush();
        assert_eq!(count(&*store, "111111111111"), 100);
        for _ in 0..50 {
            appender.submit(Job::Append(vec![("222222222222".into(), "{}".into())]));
        }
        drop(appender);
        assert_eq!(count(&*store, "222222222222"), 50, "graceful stop writes what was queued");
    }

    #[test]
    fn a_full_queue_or_a_stopped_writer_writes_synchronously_rather_than_dropping() {
        let (_dir, store) = store();
        let appender = Appender::with_capacity(Arc::clone(&store), 1);
        // Hold the writer mutex so the thread cannot drain: the queue fills at once.
        let blocker = store.write().unwrap();
        let s2 = Arc::clone(&store);
        let writer = std::thread::spawn(move || {
            let appender = appender;
            for _ in 0..20 {
                appender.submit(Job::Append(vec![("333333333333".into(), "{}".into())]));
            }
            appender
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(blocker);
        let appender = writer.join().unwrap();
        appender.stop();
        assert_eq!(count(&*s2, "333333333333"), 20);
        appender.submit(Job::Append(vec![("333333333333".into(), "{}".into())]));
        assert_eq!(count(&*s2, "333333333333"), 21, "after stop, submit writes itself");
    }

    #[test]
    fn amend_replaces_bodies_in_place() {
        let (_dir, store) = store();
        let mut tx = store.write().unwrap();
        let seq = tx.append_event("111111111111", r#"{"responseElements":null}"#).unwrap();
        tx.commit().unwrap();
        let appender = Appender::start(Arc::clone(&store));
        appender.submit(Job::Amend(vec![("111111111111".into(), seq, r#"{"done":true}"#.into())]));
        appender.flush();
        let events = store.read().unwrap().events("111111111111", None, 10).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].seq, seq);
        assert_eq!(events[0].body, r#"{"done":true}"#);
    }

    #[test]
    fn a_scope_left_by_a_panic_does_not_leak_into_the_next_call() {
        let draft = {
            let caller = crate::Caller::root("111111111111", "AKIA");
            let input = serde_json::json!({});
            let call = crate::test_support::call("iam", "CreateUser", "us-east-1", &caller, &input);
            Draft::new(&call, 0).unwrap()
        };
        let unwound = std::panic::catch_unwind(|| {
            let _scope = begin(draft);
            panic!("handler panicked");
        });
        assert!(unwound.is_err());
        assert!(SCOPE.with(|s| s.borrow().is_none()), "no scope left behind");
        let (_dir, store) = store();
        let audited = AuditedStore::new(Arc::clone(&store));
        let mut tx = audited.write().unwrap();
        tx.put("t", "k", &Record::new(1, "1")).unwrap();
        tx.commit().unwrap();
        assert_eq!(count(&*store, "111111111111"), 0, "a write outside a call records nothing");
    }
}
