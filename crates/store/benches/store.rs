//! Store latency on the SQLite backend: point reads (inside an open snapshot and including
//! opening one), a prefix scan, and a durable single-record commit (one fsync).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde::{Deserialize, Serialize};
use xacct_store::{open_sqlite, Record, Table};

const RECORDS: usize = 10_000;

#[derive(Serialize, Deserialize)]
struct Role {
    arn: String,
    path: String,
    trust_policy: String,
    max_session_duration: u32,
}

const ROLES: Table<Role> = Table::new("roles", 1);

fn key(i: usize) -> String {
    format!("111111111111/role/role-{i:05}")
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("xacct-store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = open_sqlite(&dir).unwrap();
    let mut tx = store.write().unwrap();
    for i in 0..RECORDS {
        let role = Role {
            arn: format!("arn:aws:iam::111111111111:role/role-{i:05}"),
            path: "/".into(),
            trust_policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}"#.repeat(2),
            max_session_duration: 3600,
        };
        ROLES.put(&mut *tx, &key(i), &role).unwrap();
    }
    tx.commit().unwrap();
    let keys: Vec<String> = (0..RECORDS).map(|i| key((i * 7919) % RECORDS)).collect();

    let mut i = 0;
    c.bench_function("get in an open read tx", |b| {
        let r = store.read().unwrap();
        b.iter(|| {
            i = (i + 1) % RECORDS;
            black_box(r.get("roles", &keys[i]).unwrap().unwrap());
        });
    });
    c.bench_function("typed get (decode) in an open read tx", |b| {
        let r = store.read().unwrap();
        b.iter(|| {
            i = (i + 1) % RECORDS;
            black_box(ROLES.get(&*r, &keys[i]).unwrap().unwrap());
        });
    });
    c.bench_function("read tx + get", |b| {
        b.iter(|| {
            i = (i + 1) % RECORDS;
            let r = store.read().unwrap();
            black_box(r.get("roles", &keys[i]).unwrap().unwrap());
        });
    });
    c.bench_function("scan 100 by prefix", |b| {
        let r = store.read().unwrap();
        b.iter(|| {
            let rows = r.scan("roles", "111111111111/role/role-05", None, 100).unwrap();
            assert_eq!(rows.len(), 100);
            black_box(rows);
        });
    });
    c.bench_function("write tx + put + durable commit", |b| {
        let record = Record::new(1, r#"{"n":1}"#);
        b.iter(|| {
            i = (i + 1) % RECORDS;
            let mut tx = store.write().unwrap();
            tx.put("bench_writes", &keys[i], &record).unwrap();
            tx.append_event("111111111111", r#"{"eventName":"UpdateRole"}"#).unwrap();
            tx.commit().unwrap();
        });
    });

    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
