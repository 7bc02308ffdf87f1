//! xacct-store owns xacct's durable state: a keyed-record store behind the [`Store`] trait,
//! versioned records, typed tables on top ([`Table`]), and the per-account audit event log
//! that CloudTrail reads. The embedded SQLite backend ([`open_sqlite`]) is the default; every
//! backend must pass the suite in `conformance` (cargo feature `conformance`).
//!
//! Model: tables are named strings, keys are strings (services compose them, e.g.
//! `111111111111/role/updateapp`), values are [`Record`]s: a schema version plus the record's
//! JSON text. A [`WriteTx`] changes records and appends events atomically; [`WriteTx::commit`]
//! returns only once the transaction is durable, so a caller may acknowledge a request as soon as
//! it returns. A [`ReadTx`] is a consistent snapshot taken when it was opened.
//!
//! Calls block on disk IO: async callers run them on a blocking thread.
//!
//! Security: records may hold secrets. Nothing in [`StoreError`] repeats record contents.

pub mod blob;
mod cache;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod sqlite;
mod typed;

use std::path::Path;
use std::sync::Arc;

pub use blob::{BlobId, BlobReader, BlobStore, BlobWriter, FsBlobStore, StagedBlob};
pub use cache::CachingStore;
pub use error::StoreError;
pub use sqlite::{SqliteStore, DB_FILE_NAME};
pub use typed::{get, insert_new, put, scan_typed, Table, Upgrade};

/// One stored value: the schema version its writer used and its JSON text.
///
/// The store does not interpret `json`; typed access goes through [`Table`] or [`get`]/[`put`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The schema version of the record's type when it was written (see [`Table::new`]).
    pub version: u32,
    /// The record's JSON text.
    pub json: String,
}

impl Record {
    /// Wraps already-serialized JSON text.
    pub fn new(version: u32, json: impl Into<String>) -> Self {
        Record { version, json: json.into() }
    }

    /// Serializes `value` as the record for `table`/`key` (those only name the error).
    pub fn encode<T: serde::Serialize + ?Sized>(
        table: &str,
        key: &str,
        version: u32,
        value: &T,
    ) -> Result<Self, StoreError> {
        let json = serde_json::to_string(value).map_err(|_| StoreError::encode(table, key))?;
        Ok(Record { version, json })
    }

    /// Parses the record's JSON text as `T`, naming `table`/`key` in the error.
    pub fn decode<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
    ) -> Result<T, StoreError> {
        serde_json::from_str(&self.json)
            .map_err(|e| StoreError::decode(table, key, self.version, &e))
    }
}

/// One audit event as appended by [`WriteTx::append_event`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Store-wide sequence number: strictly increasing in commit order within an account, never
    /// reused. Gaps are possible (rolled-back appends).
    pub seq: u64,
    /// The account the event belongs to.
    pub account: String,
    /// The event's JSON text, as given.
    pub body: String,
}

/// A durable store. Implementations are shared between threads (`Arc<dyn Store>`).
pub trait Store: Send + Sync + 'static {
    /// The backend's name, e.g. `"sqlite"`.
    fn backend(&self) -> &'static str;

    /// Opens a read transaction: every read through it sees the state as of this call.
    ///
    /// Keep read transactions short; an open snapshot holds back space reclamation.
    fn read(&self) -> Result<Box<dyn ReadTx + '_>, StoreError>;

    /// Opens the write transaction. Writers are serialized: this waits while another write
    /// transaction is open, so a thread must not hold two at once.
    fn write(&self) -> Result<Box<dyn WriteTx + '_>, StoreError>;
}

/// Reads, against a snapshot (a [`ReadTx`]) or inside a write transaction (which also sees its
/// own uncommitted changes).
pub trait ReadTx {
    /// The record at `table`/`key`, if any.
    fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError>;

    /// Records of `table` whose key starts with `prefix` and is strictly greater than `after`
    /// (when given), in ascending byte order of key, at most `limit` of them.
    ///
    /// Paginate by passing the last key returned as `after`.
    fn scan(
        &self,
        table: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError>;

    /// Events of `account` with `seq` strictly greater than `after_seq` (when given), in
    /// ascending `seq` order, at most `limit` of them.
    fn events(
        &self,
        account: &str,
        after_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError>;

    /// Events of `account` with `seq` strictly less than `before_seq` (when given), newest
    /// first (descending `seq`), at most `limit` of them. Paginate by passing the last `seq`
    /// returned as `before_seq`.
    fn events_newest_first(
        &self,
        account: &str,
        before_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError>;
}

/// A serializable write transaction. Dropping it without [`WriteTx::commit`] rolls back every
/// change and event it made.
pub trait WriteTx: ReadTx {
    /// Creates or replaces the record at `table`/`key`.
    fn put(&mut self, table: &str, key: &str, record: &Record) -> Result<(), StoreError>;

    /// Creates the record only if `table`/`key` is free; returns `false` (and changes nothing)
    /// if a record is already there.
    fn insert_new(&mut self, table: &str, key: &str, record: &Record) -> Result<bool, StoreError>;

    /// Removes the record; returns whether there was one.
    fn delete(&mut self, table: &str, key: &str) -> Result<bool, StoreError>;

    /// Appends an audit event for `account` in this transaction and returns its sequence number.
    fn append_event(&mut self, account: &str, event_json: &str) -> Result<u64, StoreError>;

    /// Appends many events (account, body) without reporting their sequence numbers: each
    /// account's events keep their order, and `events.len()` numbers are used in all, larger
    /// than every number before. Backends may store them in fewer rows (SQLite writes one
    /// page row per account).
    fn append_events(&mut self, events: &[(&str, &str)]) -> Result<(), StoreError> {
        for &(account, body) in events {
            self.append_event(account, body)?;
        }
        Ok(())
    }

    /// Replaces the body of event `seq` of `account` (completing an event appended before its
    /// outcome was known); returns whether there was such an event. Its `seq` does not change.
    fn replace_event(
        &mut self,
        account: &str,
        seq: u64,
        event_json: &str,
    ) -> Result<bool, StoreError>;

    /// Removes every event of every account (a reset); returns how many there were. Sequence
    /// numbers are still never reused.
    fn clear_events(&mut self) -> Result<u64, StoreError>;

    /// Commits. On `Ok` the transaction is durable: it survives a crash of this process (and,
    /// for SQLite with `synchronous=FULL`, of the machine). On `Err` nothing was committed.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Opens (creating if needed) the SQLite store in `dir` (`dir/xacct.db`) and runs migrations.
pub fn open_sqlite(dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(SqliteStore::open(dir)?))
}

/// Opens the store named by a `--store` argument:
/// - `sqlite://DIR` or a plain `DIR`: the SQLite store in data directory `DIR`;
/// - `postgres://…` / `postgresql://…`: not built yet ([`StoreError::Unsupported`]);
/// - any other `scheme://`: [`StoreError::InvalidLocation`].
pub fn open(location: &str) -> Result<Arc<dyn Store>, StoreError> {
    let invalid = |reason| StoreError::InvalidLocation { location: location.to_owned(), reason };
    match location.split_once("://") {
        None => {
            if location.is_empty() {
                return Err(invalid("the data directory is empty"));
            }
            open_sqlite(Path::new(location))
        }
        Some(("sqlite", dir)) => {
            if dir.is_empty() {
                return Err(invalid("`sqlite://` needs a data directory, e.g. `sqlite://./data`"));
            }
            open_sqlite(Path::new(dir))
        }
        Some(("postgres" | "postgresql", _)) => {
            Err(StoreError::Unsupported("the PostgreSQL backend is not built yet"))
        }
        Some(_) => Err(invalid("the scheme is not `sqlite://` or `postgres://`")),
    }
}
