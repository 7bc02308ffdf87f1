//! The backend conformance suite, run against the SQLite backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::TempDir;
use xacct_store::{conformance, open, open_sqlite, Store, StoreError};

fn fresh(name: &str) -> (TempDir, std::sync::Arc<dyn Store>) {
    let dir = TempDir::new(name);
    let store = open_sqlite(dir.path()).unwrap();
    assert_eq!(store.backend(), "sqlite");
    (dir, store)
}

macro_rules! conformance_tests {
    ($($case:ident),* $(,)?) => {$(
        #[test]
        fn $case() {
            let (_dir, store) = fresh(stringify!($case));
            conformance::$case(&*store).unwrap();
        }
    )*};
}

conformance_tests!(
    put_get_delete,
    tables_are_separate,
    insert_new_conflict,
    scan_prefix_after_limit,
    scan_unicode_keys,
    rollback_on_drop,
    panic_in_write_tx_rolls_back,
    write_tx_sees_its_own_writes,
    read_snapshot_isolation,
    versioned_records_round_trip,
    events_append_and_order,
    events_append_many_in_order,
    events_many_read_back_one_by_one,
    events_roll_back_with_their_transaction,
    events_newest_first_pages_backwards,
    events_replace_and_clear,
    concurrent_writers,
    readers_during_writes,
);

#[test]
fn run_all_on_one_store() {
    let (_dir, store) = fresh("run_all");
    conformance::run_all(&*store).unwrap();
}

#[test]
fn reopen_keeps_everything() {
    let dir = TempDir::new("reopen");
    let path = dir.path().to_owned();
    conformance::reopen_keeps_everything(&|| open_sqlite(&path)).unwrap();
}

#[test]
fn store_locations_parse() {
    let dir = TempDir::new("locations");
    let plain = dir.path().join("plain");
    let url = dir.path().join("url");
    open(plain.to_str().unwrap()).unwrap();
    assert!(plain.join("xacct.db").is_file());
    let store = open(&format!("sqlite://{}", url.display())).unwrap();
    assert_eq!(store.backend(), "sqlite");
    assert!(url.join("xacct.db").is_file());

    let err = open("postgres://xacct@localhost/xacct").err().unwrap();
    assert!(matches!(err, StoreError::Unsupported(_)));
    assert_eq!(err.to_string(), "the PostgreSQL backend is not built yet");
    assert!(matches!(open("postgresql://h/db"), Err(StoreError::Unsupported(_))));
    assert!(matches!(open("mysql://h/db"), Err(StoreError::InvalidLocation { .. })));
    assert!(matches!(open("sqlite://"), Err(StoreError::InvalidLocation { .. })));
    assert!(matches!(open(""), Err(StoreError::InvalidLocation { .. })));
}

#[test]
fn caching_store_passes_the_suite() {
    // The read cache wraps a backend; its ordinary transactions must keep every promise.
    let (_dir, inner) = fresh("caching");
    let store = xacct_store::CachingStore::new(inner);
    conformance::run_all(&store).unwrap();
}
