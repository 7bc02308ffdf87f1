//! Opening a store where it cannot live, or over a damaged file, is an error, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::fs;
use std::io::{Seek, SeekFrom, Write};

use common::TempDir;
use xacct_store::{open_sqlite, Record, StoreError, DB_FILE_NAME};

#[test]
fn a_data_directory_under_a_regular_file_is_an_io_error() {
    let dir = TempDir::new("under-file");
    let file = dir.path().join("not-a-dir");
    fs::write(&file, b"x").unwrap();
    let err = open_sqlite(&file.join("data")).err().unwrap();
    assert!(matches!(err, StoreError::Io { op: "create the data directory", .. }), "{err:?}");
    assert!(err.to_string().starts_with("could not create the data directory `"), "{err}");
}

#[test]
fn a_directory_where_the_database_file_should_be_is_an_io_error() {
    let dir = TempDir::new("db-is-dir");
    fs::create_dir(dir.path().join(DB_FILE_NAME)).unwrap();
    let err = open_sqlite(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::Io { op: "open the database file", .. }), "{err:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_directory_nobody_may_create_is_an_io_error() {
    // procfs refuses new entries even to root, unlike a chmod-ed directory.
    let err = open_sqlite(std::path::Path::new("/proc/xacct-store-test/data")).err().unwrap();
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
}

#[cfg(unix)]
#[test]
fn a_read_only_directory_is_an_io_error_unless_privileged() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("read-only");
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    fs::set_permissions(&data, fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores permission bits; then the open must simply work.
    let privileged = fs::write(data.join("probe"), b"").is_ok();
    let result = open_sqlite(&data);
    fs::set_permissions(&data, fs::Permissions::from_mode(0o755)).unwrap();
    if privileged {
        result.unwrap();
    } else {
        let err = result.err().unwrap();
        assert!(matches!(err, StoreError::Io { op: "open the database file", .. }), "{err:?}");
    }
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt() {
    let dir = TempDir::new("garbage");
    fs::write(dir.path().join(DB_FILE_NAME), "this is not a sqlite database\n".repeat(200))
        .unwrap();
    let err = open_sqlite(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().starts_with("the database is corrupt"), "{err}");
}

#[test]
fn a_database_with_damaged_pages_is_corrupt() {
    let dir = TempDir::new("damaged");
    {
        let store = open_sqlite(dir.path()).unwrap();
        let mut tx = store.write().unwrap();
        for i in 0..200 {
            tx.put("t", &format!("k{i}"), &Record::new(1, "\"padding padding padding\"")).unwrap();
        }
        tx.commit().unwrap();
    } // Closing checkpoints the WAL into the main file.
    let path = dir.path().join(DB_FILE_NAME);
    let mut file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    // Keep the 100-byte header, scribble over the rest of page 1 (the schema) and page 2.
    file.seek(SeekFrom::Start(100)).unwrap();
    file.write_all(&[0xA5; 8000]).unwrap();
    drop(file);
    let err = open_sqlite(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

#[test]
fn another_applications_database_is_refused() {
    let dir = TempDir::new("foreign");
    write_foreign_db(dir.path());
    let err = open_sqlite(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { op: "check the application id", .. }), "{err:?}");
}

/// Writes a SQLite file with tables but another application's id: a store made elsewhere whose
/// header is then edited.
fn write_foreign_db(dir: &std::path::Path) {
    let other = TempDir::new("foreign-src");
    drop(open_sqlite(other.path()).unwrap());
    let mut bytes = fs::read(other.path().join(DB_FILE_NAME)).unwrap();
    // The application id lives at offset 68 of the database header, big-endian.
    bytes[68..72].copy_from_slice(&0x1234_5678_u32.to_be_bytes());
    fs::write(dir.join(DB_FILE_NAME), bytes).unwrap();
}
