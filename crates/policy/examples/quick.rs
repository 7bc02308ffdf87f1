#![allow(clippy::unwrap_used)]
use std::hint::black_box;
use std::time::Instant;
use xacct_policy::{evaluate, Context, Policy, PolicyKind, PolicySet, Principal, Request};

fn main() {
    let ctx = Context::new();
    let role = "arn:aws:iam::999999999999:role/UpdateApp";
    let idp = Policy::parse(&format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{role}"}}}}"#), PolicyKind::Identity).unwrap();
    let trust = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}}"#, PolicyKind::Trust).unwrap();
    let req = Request { principal: Principal::user("arn:aws:iam::111111111111:user/David", "111111111111"), action: "sts:AssumeRole", resource: role, resource_account: Some("999999999999"), context: &ctx };
    let set = PolicySet { identity: &[&idp], resource: Some(&trust), resource_policy_required: true, ..PolicySet::default() };
    let mut best = f64::MAX;
    for _ in 0..200 {
        let t = Instant::now();
        for _ in 0..10_000 {
            black_box(evaluate(black_box(&req), black_box(&set)));
        }
        best = best.min(t.elapsed().as_nanos() as f64 / 10_000.0);
    }
    println!("tutorial allow: best batch mean {best:.1} ns");
}
