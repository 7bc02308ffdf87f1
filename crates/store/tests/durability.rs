//! A write acknowledged by `commit` survives the writer being killed with SIGKILL right after.
//!
//! The parent test re-runs this test binary as a child (selecting the ignored `child_writer`
//! test and pointing it at a data directory through an environment variable). The child commits,
//! prints that it committed, then sleeps holding the store open; the parent kills it as soon as it reads
//! that line, so the store is never closed cleanly, and reopens the directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TempDir;
use xacct_store::{conformance, open_sqlite, Record, DB_FILE_NAME};

const DIR_ENV: &str = "XACCT_STORE_DURABILITY_DIR";
const COMMITTED: &str = "xacct-store-child: committed";

#[test]
#[ignore = "the child process of `acknowledged_writes_survive_sigkill`"]
fn child_writer() {
    let Some(dir) = std::env::var_os(DIR_ENV) else { return };
    let store = open_sqlite(std::path::Path::new(&dir)).unwrap();
    conformance::write_durable_data(&*store).unwrap();
    let mut tx = store.write().unwrap();
    tx.put("durability", "111111111111/role/updateapp", &Record::new(3, r#"{"acked":true}"#))
        .unwrap();
    tx.append_event("111111111111", r#"{"eventName":"CreateRole"}"#).unwrap();
    tx.commit().unwrap();
    let mut out = std::io::stdout().lock();
    // libtest may have printed `test child_writer ... ` on the same line.
    writeln!(out, "{COMMITTED}").unwrap();
    out.flush().unwrap();
    drop(out);
    // Hold the store open (no clean close, no checkpoint) until the parent kills us.
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = TempDir::new("durability");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child_writer", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let acked = BufReader::new(stdout).lines().any(|l| l.is_ok_and(|l| l.ends_with(COMMITTED)));
        let _ = tx.send(acked);
    });
    // A hung child must fail the test, not hang it.
    let acked = rx.recv_timeout(Duration::from_secs(60)).unwrap_or(false);
    // Kill (SIGKILL on Unix) before looking at the result, so a failure never leaves it running.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(acked, "the child exited without committing: {status}");
    assert!(!status.success(), "the child was killed, not finished: {status}");

    // The store was not closed: its committed data is still in the write-ahead log.
    let wal = dir.path().join(format!("{DB_FILE_NAME}-wal"));
    assert!(wal.metadata().map(|m| m.len() > 0).unwrap_or(false), "no WAL left behind");

    let store = open_sqlite(dir.path()).unwrap();
    conformance::check_durable_data(&*store).unwrap();
    let r = store.read().unwrap();
    assert_eq!(
        r.get("durability", "111111111111/role/updateapp").unwrap(),
        Some(Record::new(3, r#"{"acked":true}"#))
    );
    let events = r.events("111111111111", None, 10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].body, r#"{"eventName":"CreateRole"}"#);
    assert!(r.get("conf_durable", "uncommitted").unwrap().is_none());
}
