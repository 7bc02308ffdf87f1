//! The embedded SQLite backend: one database file `DIR/xacct.db` in WAL mode with
//! `synchronous=FULL`, one writer connection behind a mutex (`BEGIN IMMEDIATE` … `COMMIT`), and a
//! small pool of query-only reader connections so reads never wait behind a writer's fsync.
//!
//! Durability: in WAL mode with `synchronous=FULL` SQLite fsyncs the WAL before `COMMIT`
//! returns, so a committed transaction survives a process kill and a power cut.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};

use crate::{Event, ReadTx, Record, Store, StoreError, WriteTx};

/// The database file's name inside the data directory.
pub const DB_FILE_NAME: &str = "xacct.db";

/// Reader connections kept open between read transactions; more are opened under load and
/// closed when returned to a full pool.
const READER_POOL: usize = 4;

/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements cached per connection (every statement below fits).
const STATEMENT_CACHE: usize = 32;

/// `PRAGMA application_id` of an xacct database ("xact"), telling it from other SQLite files.
const APPLICATION_ID: i64 = 0x7861_6374;

/// Numbered schema migrations, applied in order at open inside one transaction. Never edit a
/// released entry: append a new one.
const MIGRATIONS: &[(u32, &str)] = &[
    (
        1,
        // A rowid table with a unique (tbl, key) index rather than WITHOUT ROWID: records such as
        // roles with inline policies run to kilobytes, which WITHOUT ROWID stores poorly.
        "CREATE TABLE records (
         id INTEGER PRIMARY KEY,
         tbl TEXT NOT NULL,
         key TEXT NOT NULL,
         version INTEGER NOT NULL,
         data TEXT NOT NULL,
         UNIQUE (tbl, key)
     );
     CREATE TABLE events (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         account TEXT NOT NULL,
         body TEXT NOT NULL
     );
     CREATE INDEX events_by_account ON events (account, seq);",
    ),
    (
        2,
        // Event pages: a row holds `n` consecutive events of one account, `seq` being the last
        // one's number (so AUTOINCREMENT's high-water mark covers every number a page used).
        // A row with n = 1 is one event with its JSON as TEXT, as every version-1 row is; a
        // page (n > 1) is a BLOB of LZ4-compressed, length-prefixed bodies (see `encode_page`).
        "ALTER TABLE events ADD COLUMN n INTEGER NOT NULL DEFAULT 1;",
    ),
];

/// Events per page row at most (see migration 2). Batches of the CloudTrail writer go in pages,
/// so a batch costs one row per account rather than one per event; the cap bounds what a
/// reader loads to return one event of a page.
const PAGE_MAX: usize = 256;

/// A page's body: the LZ4 block (lz4_flex, size prepended as u32 little-endian) of the events
/// each written as its length (u32, little-endian) and its UTF-8 bytes. Events of one batch and
/// account differ in a few ids and times, so a page shrinks about tenfold.
fn encode_page(bodies: &[&str]) -> Result<Vec<u8>, StoreError> {
    let mut raw = Vec::with_capacity(bodies.iter().map(|b| b.len() + 4).sum());
    for body in bodies {
        let len = u32::try_from(body.len()).map_err(|_| StoreError::Database {
            op: "append events",
            message: "an event body is larger than 4 GiB".to_owned(),
        })?;
        raw.extend_from_slice(&len.to_le_bytes());
        raw.extend_from_slice(body.as_bytes());
    }
    if u32::try_from(raw.len()).is_err() {
        return Err(StoreError::Database {
            op: "append events",
            message: "an event page is larger than 4 GiB".to_owned(),
        });
    }
    Ok(lz4_flex::compress_prepend_size(&raw))
}

/// The bodies of a page written by [`encode_page`].
fn decode_page(page: &[u8]) -> Result<Vec<String>, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        op: "read an event page",
        message: message.to_owned(),
    };
    let (size, block) = page.split_first_chunk::<4>().ok_or_else(|| corrupt("a truncated page"))?;
    let size =
        usize::try_from(u32::from_le_bytes(*size)).map_err(|_| corrupt("a size overflows"))?;
    // LZ4 expands at most 255-fold: a larger claimed size is damage, not a reason to allocate.
    if size > block.len().saturating_mul(255).saturating_add(16) {
        return Err(corrupt("the page claims more bytes than its block can hold"));
    }
    let raw =
        lz4_flex::block::decompress(block, size).map_err(|_| corrupt("a damaged LZ4 block"))?;
    let mut bytes = raw.as_slice();
    let mut bodies = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) =
            bytes.split_first_chunk::<4>().ok_or_else(|| corrupt("a truncated length"))?;
        let len =
            usize::try_from(u32::from_le_bytes(*len)).map_err(|_| corrupt("a length overflows"))?;
        let (body, rest) = rest.split_at_checked(len).ok_or_else(|| corrupt("a truncated body"))?;
        let body = std::str::from_utf8(body).map_err(|_| corrupt("a body is not UTF-8"))?;
        bodies.push(body.to_owned());
        bytes = rest;
    }
    Ok(bodies)
}

/// One row of the events table: `n` events ending at `last`.
struct EventRow {
    last: u64,
    n: u64,
    body: RowBody,
}

enum RowBody {
    One(String),
    Page(Vec<u8>),
}

impl EventRow {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
        use rusqlite::types::ValueRef;
        let last: i64 = row.get(0)?;
        let n: i64 = row.get(1)?;
        let body = match row.get_ref(2)? {
            ValueRef::Blob(b) => RowBody::Page(b.to_vec()),
            other => RowBody::One(other.as_str()?.to_owned()),
        };
        Ok(EventRow {
            last: u64::try_from(last).unwrap_or_default(),
            n: u64::try_from(n).unwrap_or(1).max(1),
            body,
        })
    }

    fn first(&self) -> u64 {
        self.last.saturating_sub(self.n - 1)
    }

    /// The row's events as (seq, body), oldest first.
    fn events(self) -> Result<Vec<(u64, String)>, StoreError> {
        let first = self.first();
        let bodies = match self.body {
            RowBody::One(body) => vec![body],
            RowBody::Page(bytes) => decode_page(&bytes)?,
        };
        if bodies.len() as u64 != self.n {
            return Err(StoreError::Corrupt {
                op: "read an event page",
                message: format!(
                    "the page ending at {} holds {} events, not {}",
                    self.last,
                    bodies.len(),
                    self.n
                ),
            });
        }
        Ok((first..).zip(bodies).collect())
    }
}

/// The SQLite store. Most callers hold it as `Arc<dyn Store>` from [`crate::open_sqlite`].
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/xacct.db`, configures WAL and full sync, and migrates.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            op: "create the data directory",
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(DB_FILE_NAME);
        // Opening the file ourselves first turns permission and "is a directory" problems into
        // an io::Error naming the path, instead of SQLite's "unable to open database file".
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| StoreError::Io {
                op: "open the database file",
                path: path.clone(),
                source,
            })?;

        let writer = open_connection(&path)?;
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(db_err("switch to write-ahead logging"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Database {
                op: "switch to write-ahead logging",
                message: format!("the journal mode stayed `{mode}`"),
            });
        }
        writer
            // journal_size_limit: truncate the WAL after a checkpoint if a burst grew it past 64 MiB.
            // cache_size: 16 MiB (negative = KiB) for the writer, so a batch of CloudTrail events
            // (thousands of rows under load) fits without spilling dirty pages mid-transaction
            // and reading them back; SQLite's default is 2 MiB.
            // wal_autocheckpoint: checkpoint every 256 pages (1 MiB) rather than SQLite's 1000,
            // so each checkpoint is a shorter burst on the writer thread. Under the AssumeRole
            // benchmark p99 was 3.9-4.3 ms in five runs against 3.9-6.3 ms with 1000.
            .execute_batch(
                "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
                 PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -16384;
                 PRAGMA wal_autocheckpoint = 256;",
            )
            .map_err(db_err("configure the writer connection"))?;
        migrate(&writer)?;
        // The file may be new: make its directory entry durable too.
        sync_dir(dir)?;

        let store =
            SqliteStore { path, writer: Mutex::new(writer), readers: Mutex::new(Vec::new()) };
        // Open one reader now so a broken setup fails at open rather than at the first read.
        let reader = store.reader()?;
        store.return_reader(reader);
        Ok(store)
    }

    /// The database file's path.
    pub fn db_path(&self) -> &Path {
        &self.path
    }

    fn reader(&self) -> Result<Connection, StoreError> {
        let pooled = self.readers.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => {
                let conn = open_connection(&self.path)?;
                conn.execute_batch("PRAGMA query_only = ON;")
                    .map_err(db_err("configure a reader connection"))?;
                Ok(conn)
            }
        }
    }

    fn return_reader(&self, conn: Connection) {
        let mut pool = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < READER_POOL {
            pool.push(conn);
        }
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn read(&self) -> Result<Box<dyn ReadTx + '_>, StoreError> {
        let conn = self.reader()?;
        conn.prepare_cached("BEGIN")
            .and_then(|mut s| s.execute([]))
            .map_err(db_err("begin a read transaction"))?;
        let tx = SqliteRead { store: self, conn: Some(conn) };
        // A deferred transaction takes its snapshot at its first read: read now, so the
        // snapshot is the state as of this call.
        tx.conn()?
            .prepare_cached("SELECT 1 FROM records LIMIT 1")
            .and_then(|mut s| s.query_row([], |_| Ok(())).optional())
            .map_err(db_err("begin a read transaction"))?;
        Ok(Box::new(tx))
    }

    fn write(&self) -> Result<Box<dyn WriteTx + '_>, StoreError> {
        // A panic inside a write transaction rolled it back in Drop while unwinding, so the
        // connection is sound even if the mutex is poisoned.
        let conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if !conn.is_autocommit() {
            // A rollback in Drop failed earlier; finish it before starting afresh.
            conn.execute_batch("ROLLBACK").map_err(db_err("roll back a stale transaction"))?;
        }
        conn.prepare_cached("BEGIN IMMEDIATE")
            .and_then(|mut s| s.execute([]))
            .map_err(db_err("begin a write transaction"))?;
        Ok(Box::new(SqliteWrite { conn, committed: false }))
    }
}

/// A snapshot on a pooled reader connection; ends its transaction and returns the connection
/// to the pool when dropped.
struct SqliteRead<'a> {
    store: &'a SqliteStore,
    // Always Some until Drop takes it.
    conn: Option<Connection>,
}

impl SqliteRead<'_> {
    fn conn(&self) -> Result<&Connection, StoreError> {
        self.conn.as_ref().ok_or(StoreError::Database {
            op: "use a read transaction",
            message: "the transaction is already closed".to_owned(),
        })
    }
}

impl Drop for SqliteRead<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let ended = conn.prepare_cached("COMMIT").and_then(|mut s| s.execute([])).is_ok();
            // A connection whose transaction could not be ended is closed, never reused.
            if ended && conn.is_autocommit() {
                self.store.return_reader(conn);
            }
        }
    }
}

impl ReadTx for SqliteRead<'_> {
    fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        query_get(self.conn()?, table, key)
    }

    fn scan(
        &self,
        table: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        query_scan(self.conn()?, table, prefix, after, limit)
    }

    fn events(
        &self,
        account: &str,
        after_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        query_events(self.conn()?, account, after_seq, limit)
    }

    fn events_newest_first(
        &self,
        account: &str,
        before_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        query_events_newest_first(self.conn()?, account, before_seq, limit)
    }
}

/// The write transaction: holds the writer mutex for its whole life.
struct SqliteWrite<'a> {
    conn: MutexGuard<'a, Connection>,
    committed: bool,
}

impl Drop for SqliteWrite<'_> {
    fn drop(&mut self) {
        if !self.committed && !self.conn.is_autocommit() {
            // Errors are ignored here: write() finishes a failed rollback before the next BEGIN.
            let _ = self.conn.prepare_cached("ROLLBACK").and_then(|mut s| s.execute([]));
        }
    }
}

impl ReadTx for SqliteWrite<'_> {
    fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        query_get(&self.conn, table, key)
    }

    fn scan(
        &self,
        table: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        query_scan(&self.conn, table, prefix, after, limit)
    }

    fn events(
        &self,
        account: &str,
        after_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        query_events(&self.conn, account, after_seq, limit)
    }

    fn events_newest_first(
        &self,
        account: &str,
        before_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        query_events_newest_first(&self.conn, account, before_seq, limit)
    }
}

impl WriteTx for SqliteWrite<'_> {
    fn put(&mut self, table: &str, key: &str, record: &Record) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO records (tbl, key, version, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tbl, key) DO UPDATE SET version = excluded.version, data = excluded.data",
            )
            .and_then(|mut s| s.execute(params![table, key, record.version, record.json]))
            .map_err(db_err("write a record"))?;
        Ok(())
    }

    fn insert_new(&mut self, table: &str, key: &str, record: &Record) -> Result<bool, StoreError> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO records (tbl, key, version, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tbl, key) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![table, key, record.version, record.json]))
            .map_err(db_err("insert a record"))?;
        Ok(inserted == 1)
    }

    fn delete(&mut self, table: &str, key: &str) -> Result<bool, StoreError> {
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM records WHERE tbl = ?1 AND key = ?2")
            .and_then(|mut s| s.execute(params![table, key]))
            .map_err(db_err("delete a record"))?;
        Ok(deleted > 0)
    }

    fn append_event(&mut self, account: &str, event_json: &str) -> Result<u64, StoreError> {
        self.conn
            .prepare_cached("INSERT INTO events (account, body) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![account, event_json]))
            .map_err(db_err("append an event"))?;
        u64::try_from(self.conn.last_insert_rowid()).map_err(|_| StoreError::Corrupt {
            op: "append an event",
            message: "the event sequence number is negative".to_owned(),
        })
    }

    fn append_events(&mut self, events: &[(&str, &str)]) -> Result<(), StoreError> {
        // One page row per account (per PAGE_MAX events), numbered from AUTOINCREMENT's
        // high-water mark: each account's events keep their order and take consecutive numbers.
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        for &(account, body) in events {
            match groups.iter_mut().find(|(a, _)| *a == account) {
                Some((_, bodies)) => bodies.push(body),
                None => groups.push((account, vec![body])),
            }
        }
        if groups.is_empty() {
            return Ok(());
        }
        let high: i64 = self
            .conn
            .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
            .and_then(|mut s| s.query_row([], |r| r.get(0)).optional())
            .map_err(db_err("append events"))?
            .unwrap_or(0);
        let mut next = high;
        let mut stmt = self
            .conn
            .prepare_cached("INSERT INTO events (seq, account, body, n) VALUES (?1, ?2, ?3, ?4)")
            .map_err(db_err("append events"))?;
        for (account, bodies) in &groups {
            for page in bodies.chunks(PAGE_MAX) {
                let n = i64::try_from(page.len()).unwrap_or(i64::MAX);
                next = next.checked_add(n).ok_or(StoreError::Corrupt {
                    op: "append events",
                    message: "event sequence numbers are exhausted".to_owned(),
                })?;
                match page {
                    [one] => stmt.execute(params![next, account, one, 1]),
                    _ => stmt.execute(params![next, account, encode_page(page)?, n]),
                }
                .map_err(db_err("append events"))?;
            }
        }
        Ok(())
    }

    fn replace_event(
        &mut self,
        account: &str,
        seq: u64,
        event_json: &str,
    ) -> Result<bool, StoreError> {
        let Ok(target) = i64::try_from(seq) else {
            return Ok(false);
        };
        // The row holding `seq` is the account's first row ending at or after it.
        let row = self
            .conn
            .prepare_cached(
                "SELECT seq, n, body FROM events WHERE account = ?1 AND seq >= ?2 ORDER BY seq LIMIT 1",
            )
            .and_then(|mut s| s.query_row(params![account, target], EventRow::from_row).optional())
            .map_err(db_err("replace an event"))?;
        let Some(row) = row.filter(|r| r.first() <= seq) else {
            return Ok(false);
        };
        let last = i64::try_from(row.last).unwrap_or(i64::MAX);
        let mut update = self
            .conn
            .prepare_cached("UPDATE events SET body = ?3 WHERE seq = ?1 AND account = ?2")
            .map_err(db_err("replace an event"))?;
        if row.n == 1 {
            update.execute(params![last, account, event_json])
        } else {
            let mut events = row.events()?;
            for (s, body) in &mut events {
                if *s == seq {
                    *body = event_json.to_owned();
                }
            }
            let bodies: Vec<&str> = events.iter().map(|(_, b)| b.as_str()).collect();
            update.execute(params![last, account, encode_page(&bodies)?])
        }
        .map_err(db_err("replace an event"))?;
        Ok(true)
    }

    fn clear_events(&mut self) -> Result<u64, StoreError> {
        // AUTOINCREMENT keeps its high-water mark in sqlite_sequence: numbers are not reused.
        let events: i64 = self
            .conn
            .prepare_cached("SELECT coalesce(sum(n), 0) FROM events")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(db_err("clear events"))?;
        self.conn
            .prepare_cached("DELETE FROM events")
            .and_then(|mut s| s.execute([]))
            .map_err(db_err("clear events"))?;
        Ok(u64::try_from(events).unwrap_or_default())
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]))
            .map_err(db_err("commit a transaction"))?;
        self.committed = true;
        Ok(())
    }
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(db_err("open the database file"))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err("set the busy timeout"))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Checks the file belongs to xacct and applies every migration newer than its schema version.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let supported = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    let err = db_err("migrate the schema");
    conn.execute_batch("BEGIN IMMEDIATE").map_err(&err)?;
    let result = (|| {
        let app_id: i64 =
            conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(&err)?;
        let objects: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).map_err(&err)?;
        if app_id != APPLICATION_ID && objects > 0 {
            return Err(StoreError::Corrupt {
                op: "check the application id",
                message: "the file is a SQLite database of another application".to_owned(),
            });
        }
        conn.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID};
             CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY,
                 applied_at TEXT NOT NULL
             );"
        ))
        .map_err(&err)?;
        let current: u32 = conn
            .query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| r.get(0))
            .map_err(&err)?;
        if current > supported {
            return Err(StoreError::SchemaTooNew { found: current, supported });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            conn.execute_batch(sql).map_err(&err)?;
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at)
                 VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                [version],
            )
            .map_err(&err)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT").map_err(&err),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let io =
        |source| StoreError::Io { op: "sync the data directory", path: dir.to_owned(), source };
    fs::File::open(dir).map_err(io)?.sync_all().map_err(io)
}

fn query_get(conn: &Connection, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
    conn.prepare_cached("SELECT version, data FROM records WHERE tbl = ?1 AND key = ?2")
        .and_then(|mut s| {
            s.query_row(params![table, key], |row| {
                Ok(Record { version: row.get(0)?, json: row.get(1)? })
            })
            .optional()
        })
        .map_err(db_err("read a record"))
}

fn query_scan(
    conn: &Connection,
    table: &str,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, Record)>, StoreError> {
    // Range bounds on the (tbl, key) index: start at the prefix (or just after `after`, when
    // that is further on) and stop before the least key greater than every key with the prefix.
    let (lower, exclusive) = match after {
        Some(after) if after >= prefix => (after, true),
        _ => (prefix, false),
    };
    let upper = prefix_successor(prefix);
    let sql = match (exclusive, upper.is_some()) {
        (false, false) => {
            "SELECT key, version, data FROM records WHERE tbl = ?1 AND key >= ?2
             ORDER BY key LIMIT ?3"
        }
        (true, false) => {
            "SELECT key, version, data FROM records WHERE tbl = ?1 AND key > ?2
             ORDER BY key LIMIT ?3"
        }
        (false, true) => {
            "SELECT key, version, data FROM records WHERE tbl = ?1 AND key >= ?2 AND key < ?4
             ORDER BY key LIMIT ?3"
        }
        (true, true) => {
            "SELECT key, version, data FROM records WHERE tbl = ?1 AND key > ?2 AND key < ?4
             ORDER BY key LIMIT ?3"
        }
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let map_row = |row: &rusqlite::Row<'_>| {
        Ok((row.get::<_, String>(0)?, Record { version: row.get(1)?, json: row.get(2)? }))
    };
    conn.prepare_cached(sql)
        .and_then(|mut s| match &upper {
            Some(upper) => s.query_map(params![table, lower, limit, upper], map_row)?.collect(),
            None => s.query_map(params![table, lower, limit], map_row)?.collect(),
        })
        .map_err(db_err("scan records"))
}

fn query_events(
    conn: &Connection,
    account: &str,
    after_seq: Option<u64>,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    // Sequence numbers start at 1, so "after 0" is "from the start". Every row ending after
    // `after` holds at least one wanted event, so `limit` rows are enough.
    let after = after_seq.unwrap_or(0);
    let after_sql = i64::try_from(after).unwrap_or(i64::MAX);
    let rows: Vec<EventRow> = conn
        .prepare_cached(
            "SELECT seq, n, body FROM events WHERE account = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .and_then(|mut s| {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            s.query_map(params![account, after_sql, limit], EventRow::from_row)?.collect()
        })
        .map_err(db_err("read events"))?;
    let mut out = Vec::new();
    for row in rows {
        for (seq, body) in EventRow::events(row)? {
            if seq > after && out.len() < limit {
                out.push(Event { seq, account: account.to_owned(), body });
            }
        }
    }
    Ok(out)
}

fn query_events_newest_first(
    conn: &Connection,
    account: &str,
    before_seq: Option<u64>,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let before = before_seq.unwrap_or(u64::MAX);
    // The (account, seq) index read backwards from the one row that can straddle `before`
    // (a page ends at most PAGE_MAX - 1 numbers after its first event).
    let bound = i64::try_from(before.saturating_add(PAGE_MAX as u64)).unwrap_or(i64::MAX);
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, n, body FROM events WHERE account = ?1 AND seq < ?2 ORDER BY seq DESC",
        )
        .map_err(db_err("read events"))?;
    let rows = stmt
        .query_map(params![account, bound], EventRow::from_row)
        .map_err(db_err("read events"))?;
    let mut out = Vec::new();
    for row in rows {
        let row = row.map_err(db_err("read events"))?;
        if row.first() >= before {
            continue;
        }
        for (seq, body) in row.events()?.into_iter().rev() {
            if seq < before {
                out.push(Event { seq, account: account.to_owned(), body });
                if out.len() == limit {
                    return Ok(out);
                }
            }
        }
    }
    Ok(out)
}

/// The least string greater than every string starting with `prefix`, or `None` when no string
/// is (the prefix is empty or all `char::MAX`). UTF-8 byte order is code point order, so
/// bumping the last char that can be bumped gives it.
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Maps an engine error for operation `op`: corruption (including a stored row that does not fit
/// the schema) and lock contention get their own variants. The engine's messages name columns and
/// positions, never stored or bound values.
fn db_err(op: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                StoreError::Corrupt { op, message: e.to_string() }
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy,
            _ => StoreError::Database { op, message: e.to_string() },
        },
        rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::Utf8Error(_) => StoreError::Corrupt { op, message: e.to_string() },
        _ => StoreError::Database { op, message: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successor_bounds_exactly_the_prefixed_keys() {
        assert_eq!(prefix_successor(""), None);
        assert_eq!(prefix_successor("a/").as_deref(), Some("a0"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{10FFFF}"), None);
        assert_eq!(prefix_successor("x\u{D7FF}").as_deref(), Some("x\u{E000}"));
        let keys = ["a/", "a/b", "a/\u{10FFFF}\u{10FFFF}", "a0", "a.", "a"];
        let upper = prefix_successor("a/").unwrap();
        for k in keys {
            assert_eq!(k.starts_with("a/"), k >= "a/" && k < upper.as_str(), "{k:?}");
        }
    }

    #[test]
    fn writer_runs_in_wal_mode_with_full_sync() {
        let dir = std::env::temp_dir().join(format!("xacct-store-unit-{}", std::process::id()));
        let store = SqliteStore::open(&dir).unwrap();
        {
            let conn = store.writer.lock().unwrap();
            let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
            let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
            let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
            assert_eq!(mode, "wal");
            assert_eq!(sync, 2, "synchronous=FULL");
            assert_eq!(fk, 1);
        }
        let reader = store.reader().unwrap();
        let query_only: i64 = reader.query_row("PRAGMA query_only", [], |r| r.get(0)).unwrap();
        assert_eq!(query_only, 1);
        drop(reader);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rows_that_do_not_fit_the_schema_are_corrupt_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("xacct-store-rows-{}", std::process::id()));
        let store = SqliteStore::open(&dir).unwrap();
        store
            .writer
            .lock()
            .unwrap()
            .execute_batch(
                "INSERT INTO records (tbl, key, version, data) VALUES
                     ('t', 'negative', -1, '{}'),
                     ('t', 'blob', 1, x'00ff'),
                     ('t', 'bad-utf8', 1, CAST(x'ff' AS TEXT));",
            )
            .unwrap();
        let r = store.read().unwrap();
        for key in ["negative", "blob", "bad-utf8"] {
            let err = r.get("t", key).unwrap_err();
            assert!(
                matches!(err, StoreError::Corrupt { op: "read a record", .. }),
                "{key}: {err:?}"
            );
        }
        assert!(matches!(r.scan("t", "", None, 10), Err(StoreError::Corrupt { .. })));
        drop(r);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_batch_is_one_page_row_per_account_and_a_broken_page_is_corrupt() {
        let dir = std::env::temp_dir().join(format!("xacct-store-pages-{}", std::process::id()));
        let store = SqliteStore::open(&dir).unwrap();
        let bodies: Vec<String> = (0..300)
            .map(|i| {
                format!(r#"{{"eventVersion":"1.09","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","i":{i}}}"#)
            })
            .collect();
        let mut events: Vec<(&str, &str)> = bodies.iter().map(|b| ("a", b.as_str())).collect();
        events.push(("b", "{}"));
        let mut tx = store.write().unwrap();
        tx.append_events(&events).unwrap();
        tx.commit().unwrap();
        let rows: Vec<(String, i64)> = {
            let conn = store.writer.lock().unwrap();
            let mut s = conn.prepare("SELECT account, n FROM events ORDER BY seq").unwrap();
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
        };
        assert_eq!(rows, [("a".to_owned(), 256), ("a".to_owned(), 44), ("b".to_owned(), 1)]);
        let got = store.read().unwrap().events("a", None, 1000).unwrap();
        assert_eq!(got.iter().map(|e| e.body.as_str()).collect::<Vec<_>>(), bodies);

        // The pages are compressed: 300 similar bodies take far less than their length.
        let stored: i64 = store
            .writer
            .lock()
            .unwrap()
            .query_row("SELECT sum(length(body)) FROM events WHERE n > 1", [], |r| r.get(0))
            .unwrap();
        let raw: usize = bodies.iter().map(String::len).sum();
        assert!((stored as usize) * 4 < raw, "{stored} stored bytes for {raw}");

        // A damaged block, and a size no block of that length could expand to.
        for damage in ["x'0500000041'", "x'ffffffff00'", "x'01'"] {
            store
                .writer
                .lock()
                .unwrap()
                .execute_batch(&format!("UPDATE events SET body = {damage} WHERE n = 44"))
                .unwrap();
            let err = store.read().unwrap().events("a", None, 1000).unwrap_err();
            assert!(matches!(err, StoreError::Corrupt { op: "read an event page", .. }), "{err:?}");
        }
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_version_1_database_keeps_its_events_and_numbers() {
        let dir = std::env::temp_dir().join(format!("xacct-store-v1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        {
            let conn = Connection::open(dir.join(DB_FILE_NAME)).unwrap();
            let (_, v1) = MIGRATIONS.first().unwrap();
            conn.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID};
                 CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
                 INSERT INTO schema_migrations VALUES (1, 'then');
                 {v1}
                 INSERT INTO events (account, body) VALUES ('a', '{{\"old\":1}}'), ('a', '{{\"old\":2}}');"
            ))
            .unwrap();
        }
        let store = SqliteStore::open(&dir).unwrap();
        let mut tx = store.write().unwrap();
        tx.append_events(&[("a", r#"{"new":1}"#), ("a", r#"{"new":2}"#)]).unwrap();
        assert!(tx.replace_event("a", 1, r#"{"old":"one"}"#).unwrap());
        tx.commit().unwrap();
        let got: Vec<(u64, String)> = store
            .read()
            .unwrap()
            .events_newest_first("a", None, 10)
            .unwrap()
            .into_iter()
            .map(|e| (e.seq, e.body))
            .collect();
        let want = [
            (4, r#"{"new":2}"#),
            (3, r#"{"new":1}"#),
            (2, r#"{"old":2}"#),
            (1, r#"{"old":"one"}"#),
        ];
        assert_eq!(got, want.map(|(s, b)| (s, b.to_owned())));
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_schema_from_a_newer_build_is_refused_and_left_alone() {
        let dir = std::env::temp_dir().join(format!("xacct-store-newer-{}", std::process::id()));
        let store = SqliteStore::open(&dir).unwrap();
        store
            .writer
            .lock()
            .unwrap()
            .execute_batch("INSERT INTO schema_migrations VALUES (99, 'later')")
            .unwrap();
        drop(store);
        let err = SqliteStore::open(&dir).unwrap_err();
        assert!(matches!(err, StoreError::SchemaTooNew { found: 99, .. }), "{err:?}");
        assert!(err.to_string().starts_with("the database schema version 99 is newer"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_read_tx_returns_its_connection_to_the_pool() {
        let dir = std::env::temp_dir().join(format!("xacct-store-pool-{}", std::process::id()));
        let store = SqliteStore::open(&dir).unwrap();
        let txs: Vec<_> = (0..READER_POOL + 2).map(|_| store.read().unwrap()).collect();
        assert!(store.readers.lock().unwrap().is_empty());
        drop(txs);
        assert_eq!(store.readers.lock().unwrap().len(), READER_POOL);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
