//! The backend conformance suite: what every [`Store`] implementation must do, written once
//! against `&dyn Store` so SQLite, the later PostgreSQL backend and the server's tests share it.
//!
//! Each case uses its own table names and accounts, so [`run_all`] can run them one after another
//! on one fresh store. Cases return `Err` when the store fails a call and panic (through
//! `assert!`) when it answers wrongly, as test code does.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{Record, Store, StoreError, Table};

/// Runs every case that needs only one store, on a fresh (empty) `store`.
pub fn run_all(store: &dyn Store) -> Result<(), StoreError> {
    put_get_delete(store)?;
    tables_are_separate(store)?;
    insert_new_conflict(store)?;
    scan_prefix_after_limit(store)?;
    scan_unicode_keys(store)?;
    rollback_on_drop(store)?;
    panic_in_write_tx_rolls_back(store)?;
    write_tx_sees_its_own_writes(store)?;
    read_snapshot_isolation(store)?;
    versioned_records_round_trip(store)?;
    events_append_and_order(store)?;
    events_append_many_in_order(store)?;
    events_roll_back_with_their_transaction(store)?;
    events_newest_first_pages_backwards(store)?;
    events_replace_and_clear(store)?;
    events_many_read_back_one_by_one(store)?;
    concurrent_writers(store)?;
    readers_during_writes(store)?;
    Ok(())
}

fn rec(version: u32, json: &str) -> Record {
    Record::new(version, json)
}

fn commit_puts(store: &dyn Store, table: &str, keys: &[&str]) -> Result<(), StoreError> {
    let mut tx = store.write()?;
    for key in keys {
        tx.put(table, key, &rec(1, &format!("{{\"k\":{}}}", serde_json::json!(key))))?;
    }
    tx.commit()
}

fn keys_of(rows: &[(String, Record)]) -> Vec<&str> {
    rows.iter().map(|(k, _)| k.as_str()).collect()
}

/// put creates and replaces, get returns exactly what was put, delete removes and reports it.
pub fn put_get_delete(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_basic";
    let key = "111111111111/role/updateapp";
    assert!(store.read()?.get(t, key)?.is_none());

    let mut tx = store.write()?;
    tx.put(t, key, &rec(1, r#"{"name":"UpdateApp"}"#))?;
    tx.commit()?;
    assert_eq!(store.read()?.get(t, key)?, Some(rec(1, r#"{"name":"UpdateApp"}"#)));

    let mut tx = store.write()?;
    tx.put(t, key, &rec(2, r#"{"name":"UpdateApp","path":"/"}"#))?;
    tx.commit()?;
    assert_eq!(store.read()?.get(t, key)?, Some(rec(2, r#"{"name":"UpdateApp","path":"/"}"#)));

    let mut tx = store.write()?;
    assert!(tx.delete(t, key)?, "delete of a present key reports true");
    assert!(!tx.delete(t, key)?, "a second delete reports false");
    assert!(!tx.delete(t, "111111111111/role/missing")?);
    tx.commit()?;
    assert!(store.read()?.get(t, key)?.is_none());

    // Empty and large values and keys with separators round-trip unchanged.
    let big = format!("\"{}\"", "x".repeat(64 * 1024));
    let mut tx = store.write()?;
    tx.put(t, "", &rec(1, "null"))?;
    tx.put(t, "a b/c:d*e?f", &rec(1, "[]"))?;
    tx.put(t, "big", &rec(1, &big))?;
    tx.commit()?;
    let r = store.read()?;
    assert_eq!(r.get(t, "")?, Some(rec(1, "null")));
    assert_eq!(r.get(t, "a b/c:d*e?f")?, Some(rec(1, "[]")));
    assert_eq!(r.get(t, "big")?.map(|r| r.json.len()), Some(big.len()));
    Ok(())
}

/// The same key in two tables names two records.
pub fn tables_are_separate(store: &dyn Store) -> Result<(), StoreError> {
    let mut tx = store.write()?;
    tx.put("conf_sep_a", "k", &rec(1, "1"))?;
    tx.put("conf_sep_b", "k", &rec(1, "2"))?;
    tx.commit()?;
    let mut tx = store.write()?;
    assert!(tx.delete("conf_sep_a", "k")?);
    tx.commit()?;
    let r = store.read()?;
    assert!(r.get("conf_sep_a", "k")?.is_none());
    assert_eq!(r.get("conf_sep_b", "k")?, Some(rec(1, "2")));
    assert_eq!(keys_of(&r.scan("conf_sep_b", "", None, 10)?), ["k"]);
    assert!(r.scan("conf_sep_a", "", None, 10)?.is_empty());
    Ok(())
}

/// insert_new creates a free key and refuses, without changing anything, a taken one.
pub fn insert_new_conflict(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_insert";
    let mut tx = store.write()?;
    assert!(tx.insert_new(t, "david", &rec(1, r#"{"v":1}"#))?);
    assert!(!tx.insert_new(t, "david", &rec(1, r#"{"v":2}"#))?, "taken within the same tx");
    tx.commit()?;

    let mut tx = store.write()?;
    assert!(!tx.insert_new(t, "david", &rec(3, r#"{"v":3}"#))?, "taken by a committed record");
    assert_eq!(tx.get(t, "david")?, Some(rec(1, r#"{"v":1}"#)));
    assert!(tx.delete(t, "david")?);
    assert!(tx.insert_new(t, "david", &rec(1, r#"{"v":4}"#))?, "free again after delete");
    tx.commit()?;
    assert_eq!(store.read()?.get(t, "david")?, Some(rec(1, r#"{"v":4}"#)));
    Ok(())
}

/// scan honours prefix boundaries, `after` (exclusive), `limit`, and byte order of keys.
pub fn scan_prefix_after_limit(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_scan";
    // Inserted out of order; "1111/rolf" and "1111/role" straddle the "1111/role/" prefix.
    let keys = [
        "1111/role/c",
        "1111/role/a",
        "1111/role/b",
        "1111/role/",
        "1111/role",
        "1111/role0",
        "1111/rolf",
        "1111/role/a/nested",
        "2222/role/a",
        "1111/user/jane",
    ];
    commit_puts(store, t, &keys)?;
    let r = store.read()?;

    let all = r.scan(t, "1111/role/", None, 100)?;
    assert_eq!(
        keys_of(&all),
        ["1111/role/", "1111/role/a", "1111/role/a/nested", "1111/role/b", "1111/role/c"]
    );
    assert_eq!(all.first().map(|(_, r)| r.json.as_str()), Some(r#"{"k":"1111/role/"}"#));

    // Pagination by `after` visits each key exactly once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = r.scan(t, "1111/role/", after.as_deref(), 2)?;
        assert!(page.len() <= 2);
        match page.last() {
            Some((k, _)) => after = Some(k.clone()),
            None => break,
        }
        seen.extend(page.into_iter().map(|(k, _)| k));
    }
    assert_eq!(seen, keys_of(&all));

    assert_eq!(
        keys_of(&r.scan(t, "1111/role/", Some("1111/role/a"), 2)?),
        ["1111/role/a/nested", "1111/role/b"]
    );
    // `after` before the prefix range does not widen it; past it yields nothing.
    assert_eq!(r.scan(t, "1111/role/", Some("0000"), 100)?.len(), 5);
    assert!(r.scan(t, "1111/role/", Some("1111/role/c"), 100)?.is_empty());
    assert!(r.scan(t, "1111/role/", Some("9999"), 100)?.is_empty());
    // `after` that is not itself a key.
    assert_eq!(
        keys_of(&r.scan(t, "1111/role/", Some("1111/role/aa"), 100)?),
        ["1111/role/b", "1111/role/c"]
    );

    assert!(r.scan(t, "1111/role/", None, 0)?.is_empty());
    assert!(r.scan(t, "3333/", None, 100)?.is_empty());
    assert!(r.scan("conf_scan_empty", "", None, 100)?.is_empty());

    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort_unstable();
    assert_eq!(keys_of(&r.scan(t, "", None, 100)?), sorted);
    assert_eq!(keys_of(&r.scan(t, "", None, 3)?), sorted.get(..3).unwrap_or_default());
    assert_eq!(
        keys_of(&r.scan(t, "1111/role", None, 100)?),
        [
            "1111/role",
            "1111/role/",
            "1111/role/a",
            "1111/role/a/nested",
            "1111/role/b",
            "1111/role/c",
            "1111/role0"
        ]
    );
    Ok(())
}

/// Keys sort by UTF-8 bytes (code point order) and prefixes ending in high code points work.
pub fn scan_unicode_keys(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_scan_unicode";
    let keys =
        ["a", "a\u{7f}", "a\u{e9}", "a\u{FFFF}", "a\u{10000}", "a\u{10FFFF}", "a\u{10FFFF}z", "b"];
    commit_puts(store, t, &keys)?;
    let r = store.read()?;
    assert_eq!(keys_of(&r.scan(t, "", None, 100)?), keys);
    assert_eq!(keys_of(&r.scan(t, "a\u{10FFFF}", None, 100)?), ["a\u{10FFFF}", "a\u{10FFFF}z"]);
    assert_eq!(
        keys_of(&r.scan(t, "a", Some("a\u{FFFF}"), 100)?),
        ["a\u{10000}", "a\u{10FFFF}", "a\u{10FFFF}z"]
    );
    Ok(())
}

/// Dropping a write transaction without commit discards all of its changes.
pub fn rollback_on_drop(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_rollback";
    commit_puts(store, t, &["kept", "deleted-then-rolled-back"])?;
    {
        let mut tx = store.write()?;
        tx.put(t, "new", &rec(1, "1"))?;
        tx.put(t, "kept", &rec(9, "9"))?;
        assert!(tx.delete(t, "deleted-then-rolled-back")?);
        assert!(tx.insert_new(t, "inserted", &rec(1, "1"))?);
        // Dropped here.
    }
    let r = store.read()?;
    assert!(r.get(t, "new")?.is_none());
    assert!(r.get(t, "inserted")?.is_none());
    assert_eq!(r.get(t, "kept")?.map(|r| r.version), Some(1));
    assert!(r.get(t, "deleted-then-rolled-back")?.is_some());
    drop(r);
    // The store is usable afterwards.
    commit_puts(store, t, &["after"])?;
    assert!(store.read()?.get(t, "after")?.is_some());
    Ok(())
}

/// A thread unwinding out of an open write transaction rolls it back, and the store keeps
/// accepting writes afterwards.
pub fn panic_in_write_tx_rolls_back(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_panic";
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if let Ok(mut tx) = store.write() {
            let _ = tx.put(t, "half-done", &rec(1, "1"));
            let _ = tx.append_event("conf-panic", "{}");
            // resume_unwind skips the panic hook, keeping test output quiet.
            std::panic::resume_unwind(Box::new("a handler failed mid-transaction"));
        }
    }));
    assert!(unwound.is_err(), "the closure unwinds");
    commit_puts(store, t, &["after"])?;
    let r = store.read()?;
    assert!(r.get(t, "half-done")?.is_none());
    assert!(r.get(t, "after")?.is_some());
    assert!(r.events("conf-panic", None, 10)?.is_empty());
    Ok(())
}

/// Reads inside a write transaction see its uncommitted changes; other readers do not.
pub fn write_tx_sees_its_own_writes(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_own_writes";
    commit_puts(store, t, &["gone"])?;
    let mut tx = store.write()?;
    tx.put(t, "x/1", &rec(1, "1"))?;
    tx.put(t, "x/2", &rec(1, "2"))?;
    assert!(tx.delete(t, "gone")?);
    assert_eq!(tx.get(t, "x/1")?, Some(rec(1, "1")));
    assert!(tx.get(t, "gone")?.is_none());
    assert_eq!(keys_of(&tx.scan(t, "x/", None, 10)?), ["x/1", "x/2"]);
    let seq = tx.append_event("conf-own-writes", r#"{"e":1}"#)?;
    assert_eq!(
        tx.events("conf-own-writes", None, 10)?.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [seq]
    );
    {
        let r = store.read()?;
        assert!(r.get(t, "x/1")?.is_none(), "uncommitted writes are invisible to readers");
        assert!(r.get(t, "gone")?.is_some());
        assert!(r.events("conf-own-writes", None, 10)?.is_empty());
    }
    tx.commit()?;
    let r = store.read()?;
    assert!(r.get(t, "x/1")?.is_some());
    assert!(r.get(t, "gone")?.is_none());
    Ok(())
}

/// A read transaction keeps seeing the state as of its opening, across later commits.
pub fn read_snapshot_isolation(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_snapshot";
    commit_puts(store, t, &["a"])?;
    let snapshot = store.read()?;
    let mut tx = store.write()?;
    tx.put(t, "a", &rec(2, "2"))?;
    tx.put(t, "b", &rec(1, "1"))?;
    tx.append_event("conf-snapshot", "{}")?;
    tx.commit()?;

    assert_eq!(snapshot.get(t, "a")?.map(|r| r.version), Some(1), "old value still seen");
    assert!(snapshot.get(t, "b")?.is_none(), "later insert not seen");
    assert_eq!(keys_of(&snapshot.scan(t, "", None, 10)?), ["a"]);
    assert!(snapshot.events("conf-snapshot", None, 10)?.is_empty());

    let fresh = store.read()?;
    assert_eq!(fresh.get(t, "a")?.map(|r| r.version), Some(2));
    assert_eq!(keys_of(&fresh.scan(t, "", None, 10)?), ["a", "b"]);
    assert_eq!(fresh.events("conf-snapshot", None, 10)?.len(), 1);
    drop(snapshot);
    Ok(())
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct RoleV1 {
    name: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct RoleV2 {
    role_name: String,
    #[serde(default)]
    max_session_duration: u32,
}

const ROLES_V1: Table<RoleV1> = Table::new("conf_versioned", 1);
const ROLES_V2: Table<RoleV2> = Table::new("conf_versioned", 2).with_upgrade(|from, mut old| {
    if from != 1 {
        return Err("only version 1 upgrades");
    }
    let name = old.get_mut("name").map(serde_json::Value::take).ok_or("version 1 has no name")?;
    Ok(serde_json::json!({ "role_name": name, "max_session_duration": 3600 }))
});

/// Records keep their version; typed tables upgrade old versions and refuse newer ones.
pub fn versioned_records_round_trip(store: &dyn Store) -> Result<(), StoreError> {
    let mut tx = store.write()?;
    ROLES_V1.put(&mut *tx, "old", &RoleV1 { name: "UpdateApp".into() })?;
    tx.put(ROLES_V1.name(), "broken-v1", &rec(1, r#"{"nom":"x"}"#))?;
    tx.commit()?;

    let r = store.read()?;
    assert_eq!(r.get(ROLES_V1.name(), "old")?.map(|r| r.version), Some(1));
    assert_eq!(ROLES_V1.get(&*r, "old")?, Some(RoleV1 { name: "UpdateApp".into() }));
    // The newer build reads the old record through its upgrade hook.
    assert_eq!(
        ROLES_V2.get(&*r, "old")?,
        Some(RoleV2 { role_name: "UpdateApp".into(), max_session_duration: 3600 })
    );
    assert!(matches!(
        ROLES_V2.get(&*r, "broken-v1"),
        Err(StoreError::Upgrade { from: 1, reason: "version 1 has no name", .. })
    ));
    drop(r);

    let mut tx = store.write()?;
    ROLES_V2.put(
        &mut *tx,
        "new",
        &RoleV2 { role_name: "Jane".into(), max_session_duration: 7200 },
    )?;
    assert!(!ROLES_V2.insert_new(
        &mut *tx,
        "new",
        &RoleV2 { role_name: "Other".into(), max_session_duration: 1 }
    )?);
    tx.put(
        ROLES_V2.name(),
        "garbled",
        &rec(2, r#"{"role_name":"x","max_session_duration":"AKIASECRETVALUE"}"#),
    )?;
    tx.commit()?;

    let r = store.read()?;
    assert_eq!(r.get(ROLES_V2.name(), "new")?.map(|r| r.version), Some(2));
    // An old build must not misread a record written by a newer one.
    assert!(matches!(
        ROLES_V1.get(&*r, "new"),
        Err(StoreError::UnknownVersion { found: 2, supported: 1, .. })
    ));
    // A decode failure names the record but never repeats its contents.
    let err = ROLES_V2.get(&*r, "garbled").err();
    assert!(matches!(err, Some(StoreError::Decode { version: 2, category: "data", .. })));
    let shown = err.map(|e| format!("{e} {e:?}")).unwrap_or_default();
    assert!(shown.contains("garbled") && !shown.contains("AKIASECRETVALUE"), "{shown}");

    let scanned = ROLES_V2.scan(&*r, "n", None, 10)?;
    assert_eq!(scanned.len(), 1);
    let typed: Vec<(String, serde_json::Value)> =
        crate::scan_typed(&*r, ROLES_V2.name(), "o", None, 10)?;
    assert_eq!(typed, vec![("old".to_owned(), serde_json::json!({"name": "UpdateApp"}))]);
    drop(r);

    let mut tx = store.write()?;
    crate::put(&mut *tx, "conf_versioned_free", "k", 7, &serde_json::json!({"a": [1, 2]}))?;
    assert!(!crate::insert_new(&mut *tx, "conf_versioned_free", "k", 7, &1)?);
    tx.commit()?;
    let r = store.read()?;
    let v: Option<serde_json::Value> = crate::get(&*r, "conf_versioned_free", "k")?;
    assert_eq!(v, Some(serde_json::json!({"a": [1, 2]})));
    assert_eq!(r.get("conf_versioned_free", "k")?.map(|r| r.version), Some(7));
    assert_eq!(crate::get::<u8, _>(&*r, "conf_versioned_free", "missing")?, None);
    Ok(())
}

/// Events are kept per account, in append order, with increasing sequence numbers.
pub fn events_append_and_order(store: &dyn Store) -> Result<(), StoreError> {
    let (a, b) = ("conf-events-111111111111", "conf-events-222222222222");
    let mut appended_a = Vec::new();
    let mut appended_b = Vec::new();
    for round in 0..3 {
        let mut tx = store.write()?;
        for i in 0..4 {
            let body = format!(r#"{{"round":{round},"i":{i}}}"#);
            let seq = tx.append_event(a, &body)?;
            appended_a.push((seq, body));
            if i % 2 == 0 {
                let body = format!(r#"{{"b":{round}{i}}}"#);
                appended_b.push((tx.append_event(b, &body)?, body));
            }
        }
        tx.commit()?;
    }
    let seqs: Vec<u64> = appended_a.iter().map(|(s, _)| *s).collect();
    assert!(seqs.windows(2).all(|w| matches!(w, [x, y] if x < y)), "strictly increasing");

    let r = store.read()?;
    let got_a = r.events(a, None, 1000)?;
    assert_eq!(got_a.len(), 12);
    assert!(got_a.iter().all(|e| e.account == a));
    let pairs: Vec<(u64, String)> = got_a.iter().map(|e| (e.seq, e.body.clone())).collect();
    assert_eq!(pairs, appended_a);
    let got_b: Vec<(u64, String)> =
        r.events(b, None, 1000)?.into_iter().map(|e| (e.seq, e.body)).collect();
    assert_eq!(got_b, appended_b);
    assert!(r.events("conf-events-333333333333", None, 10)?.is_empty());

    // Paging with after_seq.
    let third = seqs.get(2).copied().unwrap_or_default();
    let page = r.events(a, Some(third), 4)?;
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs.get(3..7).unwrap_or_default());
    assert!(r.events(a, seqs.last().copied(), 10)?.is_empty());
    assert!(r.events(a, None, 0)?.is_empty());
    assert_eq!(r.events(a, Some(0), 1)?.first().map(|e| e.seq), seqs.first().copied());
    Ok(())
}

/// `append_events` writes in order, across accounts, as many single appends would: 75 events
/// (more than one multi-row statement's worth, plus a remainder).
pub fn events_append_many_in_order(store: &dyn Store) -> Result<(), StoreError> {
    let (a, b) = ("conf-many-111111111111", "conf-many-222222222222");
    let events: Vec<(String, String)> = (0..75)
        .map(|i| ((if i % 3 == 0 { b } else { a }).to_owned(), format!(r#"{{"i":{i}}}"#)))
        .collect();
    let mut tx = store.write()?;
    let first = tx.append_event(a, r#"{"first":true}"#)?;
    let refs: Vec<(&str, &str)> = events.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    tx.append_events(&refs)?;
    let last = tx.append_event(b, r#"{"last":true}"#)?;
    tx.commit()?;
    assert_eq!(last, first + 76, "sequence numbers follow the order of appending");
    let r = store.read()?;
    let got_a: Vec<String> = r.events(a, None, 1000)?.into_iter().map(|e| e.body).collect();
    let want_a: Vec<String> = std::iter::once(r#"{"first":true}"#.to_owned())
        .chain(events.iter().filter(|(acct, _)| acct == a).map(|(_, body)| body.clone()))
        .collect();
    assert_eq!(got_a, want_a);
    let got_b = r.events(b, None, 1000)?;
    assert_eq!(got_b.len(), 26);
    assert!(got_b.windows(2).all(|w| matches!(w, [x, y] if x.seq < y.seq)));
    let mut empty = store.write()?;
    empty.append_events(&[])?;
    empty.commit()?;
    Ok(())
}

/// An event appended in a rolled-back transaction is gone, as are the records beside it.
pub fn events_roll_back_with_their_transaction(store: &dyn Store) -> Result<(), StoreError> {
    let account = "conf-events-rollback";
    {
        let mut tx = store.write()?;
        tx.put("conf_events_rb", "k", &rec(1, "1"))?;
        tx.append_event(account, r#"{"lost":true}"#)?;
    }
    let mut tx = store.write()?;
    let kept = tx.append_event(account, r#"{"kept":true}"#)?;
    tx.commit()?;
    let r = store.read()?;
    let events = r.events(account, None, 10)?;
    assert_eq!(
        events.iter().map(|e| (e.seq, e.body.as_str())).collect::<Vec<_>>(),
        [(kept, r#"{"kept":true}"#)]
    );
    assert!(r.get("conf_events_rb", "k")?.is_none());
    Ok(())
}

/// `events_newest_first` reads one account's events in descending `seq`, paging with
/// `before_seq`, and sees a write transaction's own appends.
pub fn events_newest_first_pages_backwards(store: &dyn Store) -> Result<(), StoreError> {
    let (a, b) = ("conf-newest-111111111111", "conf-newest-222222222222");
    let mut seqs = Vec::new();
    let mut tx = store.write()?;
    for i in 0..7 {
        seqs.push(tx.append_event(a, &format!(r#"{{"i":{i}}}"#))?);
        tx.append_event(b, r#"{"other":true}"#)?;
    }
    let s = |i: usize| seqs.get(i).copied().unwrap_or_default();
    let own = tx.events_newest_first(a, None, 2)?;
    assert_eq!(own.iter().map(|e| e.seq).collect::<Vec<_>>(), [s(6), s(5)]);
    tx.commit()?;
    let r = store.read()?;
    let all: Vec<u64> = r.events_newest_first(a, None, 100)?.iter().map(|e| e.seq).collect();
    let mut expected = seqs.clone();
    expected.reverse();
    assert_eq!(all, expected);
    let first = r.events_newest_first(a, None, 3)?;
    assert_eq!(first.first().map(|e| e.body.as_str()), Some(r#"{"i":6}"#));
    assert!(first.iter().all(|e| e.account == a));
    let next = r.events_newest_first(a, first.last().map(|e| e.seq), 3)?;
    assert_eq!(next.iter().map(|e| e.seq).collect::<Vec<_>>(), [s(3), s(2), s(1)]);
    let last = r.events_newest_first(a, Some(s(1)), 3)?;
    assert_eq!(last.iter().map(|e| e.seq).collect::<Vec<_>>(), [s(0)]);
    assert!(r.events_newest_first(a, Some(s(0)), 3)?.is_empty());
    assert!(r.events_newest_first(a, None, 0)?.is_empty());
    assert!(r.events_newest_first("conf-newest-none", None, 5)?.is_empty());
    Ok(())
}

/// `replace_event` rewrites one event's body in place (same `seq`, same account only);
/// `clear_events` empties the log and later appends still get larger sequence numbers.
pub fn events_replace_and_clear(store: &dyn Store) -> Result<(), StoreError> {
    let (a, b) = ("conf-replace-111111111111", "conf-replace-222222222222");
    let mut tx = store.write()?;
    let first = tx.append_event(a, r#"{"v":1}"#)?;
    let other = tx.append_event(b, r#"{"b":1}"#)?;
    tx.commit()?;
    let mut tx = store.write()?;
    assert!(tx.replace_event(a, first, r#"{"v":2}"#)?);
    assert!(!tx.replace_event(a, other, r#"{"stolen":true}"#)?, "another account's event");
    assert!(!tx.replace_event(a, u64::MAX, r#"{"v":3}"#)?);
    tx.commit()?;
    {
        let r = store.read()?;
        let got = r.events(a, None, 10)?;
        assert_eq!(
            got.iter().map(|e| (e.seq, e.body.as_str())).collect::<Vec<_>>(),
            [(first, r#"{"v":2}"#)]
        );
        assert_eq!(
            r.events(b, None, 10)?.first().map(|e| e.body.clone()).as_deref(),
            Some(r#"{"b":1}"#)
        );
    }
    {
        // A rolled-back replacement changes nothing.
        let mut tx = store.write()?;
        assert!(tx.replace_event(a, first, r#"{"v":9}"#)?);
    }
    assert_eq!(
        store.read()?.events(a, None, 10)?.first().map(|e| e.body.clone()).as_deref(),
        Some(r#"{"v":2}"#)
    );
    let mut tx = store.write()?;
    assert!(tx.clear_events()? >= 2);
    tx.commit()?;
    let r = store.read()?;
    assert!(r.events(a, None, 10)?.is_empty());
    assert!(r.events(b, None, 10)?.is_empty());
    drop(r);
    let mut tx = store.write()?;
    let later = tx.append_event(a, r#"{"after":true}"#)?;
    tx.commit()?;
    assert!(later > other, "sequence numbers are never reused");
    Ok(())
}

/// Many events appended at once (600 for one account, more than a backend may keep in one
/// row, interleaved with another account's, with newlines and non-ASCII in bodies) read back
/// exactly through every paging path, replaced one at a time, cleared and counted, and never
/// renumbered.
pub fn events_many_read_back_one_by_one(store: &dyn Store) -> Result<(), StoreError> {
    let (a, b) = ("conf-bulk-111111111111", "conf-bulk-222222222222");
    let events: Vec<(String, String)> = (0..700)
        .map(|i| {
            let account = if i % 7 == 3 { b } else { a };
            (account.to_owned(), format!("{{\"i\":{i},\n \"s\":\"é\"}}"))
        })
        .collect();
    let refs: Vec<(&str, &str)> = events.iter().map(|(x, y)| (x.as_str(), y.as_str())).collect();
    let mut tx = store.write()?;
    let before = tx.append_event(a, "{}")?;
    tx.append_events(&refs)?;
    let after = tx.append_event(a, "{}")?;
    tx.commit()?;
    assert_eq!(after, before + 701);

    let want_a: Vec<&str> = refs.iter().filter(|(x, _)| *x == a).map(|(_, y)| *y).collect();
    let r = store.read()?;
    let all = r.events(a, Some(before), 10_000)?;
    let bodies: Vec<&str> = all.iter().map(|e| e.body.as_str()).collect();
    assert_eq!(bodies.get(..want_a.len()), Some(want_a.as_slice()));
    assert_eq!(all.len(), want_a.len() + 1);
    assert!(all.windows(2).all(|w| matches!(w, [x, y] if x.seq + 1 == y.seq || x.seq < y.seq)));
    // Forward paging in steps of 7 and backward paging in steps of 11 see the same sequence.
    let mut forward = Vec::new();
    let mut cursor = Some(before);
    loop {
        let page = r.events(a, cursor, 7)?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.seq);
        assert!(page.len() <= 7);
        forward.extend(page.into_iter().map(|e| (e.seq, e.body)));
    }
    let expected: Vec<(u64, String)> = all.iter().map(|e| (e.seq, e.body.clone())).collect();
    assert_eq!(forward, expected);
    let mut backward = Vec::new();
    let mut cursor = Some(after + 1);
    loop {
        let page = r.events_newest_first(a, cursor, 11)?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.seq);
        backward.extend(page.into_iter().map(|e| (e.seq, e.body)));
    }
    backward.reverse();
    let mut expected_back = vec![(before, "{}".to_owned())];
    expected_back.extend(expected.iter().cloned());
    assert_eq!(backward, expected_back);
    // Every number in the middle of a run is found by paging from just before it.
    for probe in [1usize, 255, 256, 257, 400] {
        let Some((seq, body)) = expected.get(probe) else { continue };
        let one = r.events(a, Some(seq - 1), 1)?;
        assert_eq!(one.first().map(|e| (e.seq, e.body.as_str())), Some((*seq, body.as_str())));
        let back = r.events_newest_first(a, Some(seq + 1), 1)?;
        assert_eq!(back.first().map(|e| (e.seq, e.body.as_str())), Some((*seq, body.as_str())));
    }
    let got_b: Vec<String> = r.events(b, None, 10_000)?.into_iter().map(|e| e.body).collect();
    let want_b: Vec<&str> = refs.iter().filter(|(x, _)| *x == b).map(|(_, y)| *y).collect();
    assert_eq!(got_b, want_b);
    drop(r);

    // Replace one event in the middle of a run: only it changes, and not from another account.
    let target = expected.get(300).map(|(s, _)| *s).unwrap_or_default();
    let mut tx = store.write()?;
    assert!(tx.replace_event(a, target, r#"{"replaced":true}"#)?);
    assert!(!tx.replace_event(b, target, r#"{"stolen":true}"#)?);
    tx.commit()?;
    let r = store.read()?;
    let now = r.events(a, Some(before), 10_000)?;
    for (e, (seq, body)) in now.iter().zip(&expected) {
        assert_eq!(e.seq, *seq);
        if *seq == target {
            assert_eq!(e.body, r#"{"replaced":true}"#);
        } else {
            assert_eq!(&e.body, body);
        }
    }
    drop(r);
    let mut tx = store.write()?;
    assert!(tx.clear_events()? >= 702);
    tx.commit()?;
    let mut tx = store.write()?;
    let later = tx.append_event(a, "{}")?;
    tx.commit()?;
    assert!(later > after, "sequence numbers are never reused");
    Ok(())
}

/// Several threads committing distinct keys concurrently: every commit is present afterwards.
pub fn concurrent_writers(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_concurrent";
    const THREADS: usize = 4;
    const PER_THREAD: usize = 25;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                s.spawn(move || -> Result<(), StoreError> {
                    for i in 0..PER_THREAD {
                        let mut tx = store.write()?;
                        let key = format!("t{thread}/{i:03}");
                        tx.put(t, &key, &rec(1, &thread.to_string()))?;
                        tx.append_event("conf-concurrent", &format!(r#""{key}""#))?;
                        tx.commit()?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })?;
    let r = store.read()?;
    let rows = r.scan(t, "", None, usize::MAX)?;
    assert_eq!(rows.len(), THREADS * PER_THREAD);
    for thread in 0..THREADS {
        let mine = r.scan(t, &format!("t{thread}/"), None, usize::MAX)?;
        assert_eq!(mine.len(), PER_THREAD);
        assert!(mine.iter().all(|(_, rec)| rec.json == thread.to_string()));
    }
    let events = r.events("conf-concurrent", None, usize::MAX)?;
    assert_eq!(events.len(), THREADS * PER_THREAD);
    let distinct: BTreeSet<&str> = events.iter().map(|e| e.body.as_str()).collect();
    assert_eq!(distinct.len(), THREADS * PER_THREAD);
    Ok(())
}

/// Readers running while a writer commits always see a whole transaction or none of it.
pub fn readers_during_writes(store: &dyn Store) -> Result<(), StoreError> {
    let t = "conf_atomic";
    const ROUNDS: u32 = 40;
    commit_pair(store, t, 0)?;
    std::thread::scope(|s| {
        let writer = s.spawn(|| -> Result<(), StoreError> {
            (1..=ROUNDS).try_for_each(|round| commit_pair(store, t, round))
        });
        let readers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| -> Result<(), StoreError> {
                    for _ in 0..ROUNDS {
                        let r = store.read()?;
                        let left = r.get(t, "left")?.map(|r| r.version);
                        let right = r.get(t, "right")?.map(|r| r.version);
                        assert!(left.is_some());
                        assert_eq!(left, right, "a reader saw half of a transaction");
                    }
                    Ok(())
                })
            })
            .collect();
        std::iter::once(writer)
            .chain(readers)
            .try_for_each(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })?;
    assert_eq!(store.read()?.get(t, "left")?.map(|r| r.version), Some(ROUNDS));
    Ok(())
}

fn commit_pair(store: &dyn Store, t: &str, round: u32) -> Result<(), StoreError> {
    let mut tx = store.write()?;
    tx.put(t, "left", &rec(round, "{}"))?;
    tx.put(t, "right", &rec(round, "{}"))?;
    tx.commit()
}

/// Writes a known data set, to be checked by [`check_durable_data`] after the store is closed
/// (or its process killed) and reopened.
pub fn write_durable_data(store: &dyn Store) -> Result<(), StoreError> {
    for i in 0..10u32 {
        let mut tx = store.write()?;
        tx.put("conf_durable", &format!("k{i:02}"), &rec(i + 1, &format!("{{\"i\":{i}}}")))?;
        tx.append_event("conf-durable", &format!("{{\"i\":{i}}}"))?;
        if i == 5 {
            assert!(tx.delete("conf_durable", "k02")?);
        }
        tx.commit()?;
    }
    // Not committed: must not survive.
    let mut tx = store.write()?;
    tx.put("conf_durable", "uncommitted", &rec(1, "1"))?;
    drop(tx);
    Ok(())
}

/// Checks everything [`write_durable_data`] committed is present and nothing else.
pub fn check_durable_data(store: &dyn Store) -> Result<(), StoreError> {
    let r = store.read()?;
    let rows = r.scan("conf_durable", "", None, 100)?;
    let expected: Vec<(String, Record)> = (0..10u32)
        .filter(|i| *i != 2)
        .map(|i| (format!("k{i:02}"), rec(i + 1, &format!("{{\"i\":{i}}}"))))
        .collect();
    assert_eq!(rows, expected);
    let bodies: Vec<String> =
        r.events("conf-durable", None, 100)?.into_iter().map(|e| e.body).collect();
    let expected: Vec<String> = (0..10).map(|i| format!("{{\"i\":{i}}}")).collect();
    assert_eq!(bodies, expected);
    Ok(())
}

/// Everything committed before the store was closed is there after reopening it, and the
/// reopened store keeps working. `open` opens the same location each time it is called.
pub fn reopen_keeps_everything(
    open: &dyn Fn() -> Result<std::sync::Arc<dyn Store>, StoreError>,
) -> Result<(), StoreError> {
    let store = open()?;
    write_durable_data(&*store)?;
    check_durable_data(&*store)?;
    drop(store);

    let store = open()?;
    check_durable_data(&*store)?;
    let last = store.read()?.events("conf-durable", None, 100)?.last().map(|e| e.seq);
    let mut tx = store.write()?;
    let seq = tx.append_event("conf-durable", "{}")?;
    tx.commit()?;
    assert!(Some(seq) > last, "sequence numbers keep increasing across reopen");
    drop(store);

    let store = open()?;
    assert_eq!(store.read()?.events("conf-durable", None, 100)?.len(), 11);
    Ok(())
}
