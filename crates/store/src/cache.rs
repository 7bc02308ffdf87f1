//! A read cache in front of any [`Store`], for hot read paths that tolerate a view assembled
//! from more than one snapshot (authorization lookups: AWS's IAM is itself eventually consistent,
//! xacct's is read-your-writes).
//!
//! [`CachingStore`] passes every [`Store`] call through unchanged, so ordinary transactions keep
//! their snapshot semantics; it only counts commits that changed records (a *generation*) and
//! empties the cache on each. [`CachingStore::cached_read`] hands out a [`ReadTx`] whose `get`
//! and `scan` are answered from the cache when it holds the key at the current generation, and
//! otherwise from a real read transaction opened on first need; results read at a generation are
//! cached only if no record-changing commit finished in between.
//!
//! Guarantee of a cached read: every value it returns was current at some commit at or after the
//! moment the cached read was opened (so a write acknowledged before a request began is always
//! seen by that request). It is not one snapshot: two values may come from different commits.
//!
//! Scope: one process. Several processes sharing a database (the PostgreSQL plan) need the
//! generation to come from the database, not from this process's commits.
//!
//! Security: the cache holds records as stored (they may hold secrets); it never logs them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::{Event, ReadTx, Record, Store, StoreError, WriteTx};

/// Entries kept before the cache is emptied (records are small; the working set of
/// authorization is a few records per principal).
const CAPACITY: usize = 65_536;

type ScanKey = (String, String, Option<String>, usize);
type ScanRows = Arc<Vec<(String, Record)>>;

#[derive(Default)]
struct Cached {
    generation: u64,
    gets: HashMap<(String, String), Option<Record>>,
    scans: HashMap<ScanKey, ScanRows>,
}

impl Cached {
    fn len(&self) -> usize {
        self.gets.len() + self.scans.len()
    }
}

/// A [`Store`] with a generation-checked read cache; see the module docs.
pub struct CachingStore {
    inner: Arc<dyn Store>,
    cached: Arc<RwLock<Cached>>,
}

impl CachingStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Store>) -> CachingStore {
        CachingStore { inner, cached: Arc::new(RwLock::new(Cached::default())) }
    }

    /// The number of record-changing commits made through this store.
    pub fn generation(&self) -> u64 {
        self.cached.read().map(|c| c.generation).unwrap_or(0)
    }

    /// A cached read view (see the module docs for what it guarantees).
    pub fn cached_read(&self) -> Box<dyn ReadTx + '_> {
        Box::new(CachedRead {
            store: self,
            generation: self.generation(),
            tx: std::cell::OnceCell::new(),
        })
    }

    fn lookup_get(&self, generation: u64, table: &str, key: &str) -> Option<Option<Record>> {
        let c = self.cached.read().ok()?;
        if c.generation != generation {
            return None;
        }
        c.gets.get(&(table.to_owned(), key.to_owned())).cloned()
    }

    fn remember<F: FnOnce(&mut Cached)>(&self, generation: u64, f: F) {
        if let Ok(mut c) = self.cached.write() {
            if c.generation != generation {
                return;
            }
            if c.len() >= CAPACITY {
                c.gets.clear();
                c.scans.clear();
            }
            f(&mut c);
        }
    }
}

impl Store for CachingStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn read(&self) -> Result<Box<dyn ReadTx + '_>, StoreError> {
        self.inner.read()
    }

    fn write(&self) -> Result<Box<dyn WriteTx + '_>, StoreError> {
        Ok(Box::new(TrackedWrite {
            tx: self.inner.write()?,
            cached: Arc::clone(&self.cached),
            changed: false,
        }))
    }
}

/// A write transaction that advances the generation when it commits a record change.
struct TrackedWrite<'a> {
    tx: Box<dyn WriteTx + 'a>,
    cached: Arc<RwLock<Cached>>,
    changed: bool,
}

impl ReadTx for TrackedWrite<'_> {
    fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        self.tx.get(table, key)
    }

    fn scan(
        &self,
        table: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        self.tx.scan(table, prefix, after, limit)
    }

    fn events(
        &self,
        account: &str,
        after_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.tx.events(account, after_seq, limit)
    }

    fn events_newest_first(
        &self,
        account: &str,
        before_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.tx.events_newest_first(account, before_seq, limit)
    }
}

impl WriteTx for TrackedWrite<'_> {
    fn put(&mut self, table: &str, key: &str, record: &Record) -> Result<(), StoreError> {
        self.changed = true;
        self.tx.put(table, key, record)
    }

    fn insert_new(&mut self, table: &str, key: &str, record: &Record) -> Result<bool, StoreError> {
        self.changed = true;
        self.tx.insert_new(table, key, record)
    }

    fn delete(&mut self, table: &str, key: &str) -> Result<bool, StoreError> {
        self.changed = true;
        self.tx.delete(table, key)
    }

    fn append_event(&mut self, account: &str, event_json: &str) -> Result<u64, StoreError> {
        // Events are not records: appending one leaves cached records valid.
        self.tx.append_event(account, event_json)
    }

    fn append_events(&mut self, events: &[(&str, &str)]) -> Result<(), StoreError> {
        self.tx.append_events(events)
    }

    fn replace_event(
        &mut self,
        account: &str,
        seq: u64,
        event_json: &str,
    ) -> Result<bool, StoreError> {
        self.tx.replace_event(account, seq, event_json)
    }

    fn clear_events(&mut self) -> Result<u64, StoreError> {
        self.tx.clear_events()
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let TrackedWrite { tx, cached, changed } = *self;
        tx.commit()?;
        if changed {
            // After the commit: a reader that cached an older value before this point loses it
            // now; one that starts after sees the new generation and the new data.
            match cached.write() {
                Ok(mut c) => {
                    c.generation += 1;
                    c.gets.clear();
                    c.scans.clear();
                }
                Err(poisoned) => {
                    let mut c = poisoned.into_inner();
                    c.generation += 1;
                    c.gets.clear();
                    c.scans.clear();
                }
            }
        }
        Ok(())
    }
}

/// The read view of [`CachingStore::cached_read`].
struct CachedRead<'a> {
    store: &'a CachingStore,
    /// The generation when the view was opened; results are cached only under it.
    generation: u64,
    tx: std::cell::OnceCell<Box<dyn ReadTx + 'a>>,
}

impl<'a> CachedRead<'a> {
    fn tx(&self) -> Result<&(dyn ReadTx + 'a), StoreError> {
        if let Some(tx) = self.tx.get() {
            return Ok(&**tx);
        }
        let opened = self.store.inner.read()?;
        Ok(&**self.tx.get_or_init(|| opened))
    }
}

impl ReadTx for CachedRead<'_> {
    fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        if let Some(hit) = self.store.lookup_get(self.generation, table, key) {
            return Ok(hit);
        }
        let value = self.tx()?.get(table, key)?;
        self.store.remember(self.generation, |c| {
            c.gets.insert((table.to_owned(), key.to_owned()), value.clone());
        });
        Ok(value)
    }

    fn scan(
        &self,
        table: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        let key: ScanKey = (table.to_owned(), prefix.to_owned(), after.map(str::to_owned), limit);
        if let Ok(c) = self.store.cached.read() {
            if c.generation == self.generation {
                if let Some(rows) = c.scans.get(&key) {
                    return Ok(rows.as_ref().clone());
                }
            }
        }
        let rows = self.tx()?.scan(table, prefix, after, limit)?;
        let shared = Arc::new(rows.clone());
        self.store.remember(self.generation, |c| {
            c.scans.insert(key, shared);
        });
        Ok(rows)
    }

    fn events(
        &self,
        account: &str,
        after_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        // The event log grows without record changes: never cached.
        self.tx()?.events(account, after_seq, limit)
    }

    fn events_newest_first(
        &self,
        account: &str,
        before_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.tx()?.events_newest_first(account, before_seq, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn store() -> (Dir, CachingStore) {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "xacct-cache-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        let inner = crate::open_sqlite(&path).unwrap();
        (Dir(path), CachingStore::new(inner))
    }

    fn put(s: &CachingStore, key: &str, v: &str) {
        let mut tx = s.write().unwrap();
        tx.put("t", key, &Record::new(1, v)).unwrap();
        tx.commit().unwrap();
    }

    #[test]
    fn a_cached_read_sees_every_write_committed_before_it() {
        let (_d, s) = store();
        put(&s, "k", "1");
        assert_eq!(s.cached_read().get("t", "k").unwrap().unwrap().json, "1");
        // Cached now; a commit must make the next view see the new value.
        put(&s, "k", "2");
        assert_eq!(s.cached_read().get("t", "k").unwrap().unwrap().json, "2");
        let mut tx = s.write().unwrap();
        tx.delete("t", "k").unwrap();
        tx.commit().unwrap();
        assert!(s.cached_read().get("t", "k").unwrap().is_none());
        put(&s, "k2", "x");
        assert_eq!(s.cached_read().scan("t", "", None, 10).unwrap().len(), 1);
        put(&s, "k3", "y");
        assert_eq!(s.cached_read().scan("t", "", None, 10).unwrap().len(), 2);
    }

    #[test]
    fn results_of_an_older_view_are_not_cached_after_a_commit() {
        let (_d, s) = store();
        put(&s, "k", "old");
        let view = s.cached_read();
        put(&s, "k", "new");
        // The older view may answer from a newer snapshot, but must not poison the cache.
        let _ = view.get("t", "k").unwrap();
        drop(view);
        assert_eq!(s.cached_read().get("t", "k").unwrap().unwrap().json, "new");
    }

    #[test]
    fn rolled_back_and_event_only_writes_keep_the_generation() {
        let (_d, s) = store();
        put(&s, "k", "1");
        let g = s.generation();
        {
            let mut tx = s.write().unwrap();
            tx.put("t", "k", &Record::new(1, "2")).unwrap();
            // dropped: rolled back
        }
        let mut tx = s.write().unwrap();
        tx.append_event("111111111111", "{}").unwrap();
        tx.commit().unwrap();
        assert_eq!(s.generation(), g);
        assert_eq!(s.cached_read().get("t", "k").unwrap().unwrap().json, "1");
    }
}
