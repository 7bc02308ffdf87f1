#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Decision latency for the tutorial requests, large policy sets and parse+compile.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use xacct_policy::{
    evaluate, Context, ParseOptions, Policy, PolicyKind, PolicySet, Principal, Request,
};

const UPDATE_APP: &str = "arn:aws:iam::999999999999:role/UpdateApp";

fn parse(doc: &str, kind: PolicyKind) -> Policy {
    Policy::parse_with(
        doc,
        kind,
        &ParseOptions { max_size: Some(1 << 24), ..ParseOptions::default() },
    )
    .unwrap()
}

fn doc(statements: &[String]) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

/// `n` statements about other services (with exact, wildcard and resource variety).
fn unrelated(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 3 {
            0 => format!(r#"{{"Sid":"S{i}","Effect":"Allow","Action":"svc{i}:Describe{i}","Resource":"*"}}"#),
            1 => format!(r#"{{"Sid":"S{i}","Effect":"Allow","Action":["svc{i}:Get*","svc{i}:List*"],"Resource":"arn:aws:svc{i}:us-east-1:111111111111:thing/*"}}"#),
            _ => format!(r#"{{"Sid":"S{i}","Effect":"Deny","Action":"svc{i}:Delete{i}","Resource":"*","Condition":{{"StringEquals":{{"aws:RequestedRegion":"eu-west-1"}}}}}}"#),
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let ctx = Context::new();
    let david = Principal::user("arn:aws:iam::111111111111:user/David", "111111111111");
    let jane = Principal::user("arn:aws:iam::111111111111:user/Jane", "111111111111");
    let assume = |p| Request {
        principal: p,
        action: "sts:AssumeRole",
        resource: UPDATE_APP,
        resource_account: Some("999999999999"),
        context: &ctx,
    };

    let david_policy = parse(
        &doc(&[format!(
            r#"{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{UPDATE_APP}"}}"#
        )]),
        PolicyKind::Identity,
    );
    let trust = parse(
        &doc(&[r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}"#.to_owned()]),
        PolicyKind::Trust,
    );
    let power_user = parse(
        &doc(&[r#"{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}"#.to_owned()]),
        PolicyKind::Identity,
    );
    let deny_update = parse(
        &doc(&[format!(
            r#"{{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"{UPDATE_APP}"}}"#
        )]),
        PolicyKind::Identity,
    );

    let allowed_req = assume(david);
    let allowed_set = PolicySet {
        identity: &[&david_policy],
        resource: Some(&trust),
        resource_policy_required: true,
        ..PolicySet::default()
    };
    assert!(evaluate(&allowed_req, &allowed_set).is_allowed());
    c.bench_function("tutorial_david_allowed", |b| {
        b.iter(|| evaluate(black_box(&allowed_req), black_box(&allowed_set)))
    });

    let denied_req = assume(jane);
    let denied_set = PolicySet {
        identity: &[&power_user, &deny_update],
        resource: Some(&trust),
        resource_policy_required: true,
        ..PolicySet::default()
    };
    assert!(!evaluate(&denied_req, &denied_set).is_allowed());
    c.bench_function("tutorial_jane_denied", |b| {
        b.iter(|| evaluate(black_box(&denied_req), black_box(&denied_set)))
    });

    let s3_req = Request {
        principal: david,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::productionapp/reports/q1.csv",
        resource_account: None,
        context: &ctx,
    };
    let matching = r#"{"Sid":"Match","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::productionapp/*"}"#.to_owned();

    let three = {
        let mut s = unrelated(2);
        s.push(matching.clone());
        parse(&doc(&s), PolicyKind::Identity)
    };
    let set3 = PolicySet { identity: &[&three], ..PolicySet::default() };
    assert!(evaluate(&s3_req, &set3).is_allowed());
    c.bench_function("3_statements_match_last", |b| {
        b.iter(|| evaluate(black_box(&s3_req), black_box(&set3)))
    });

    for n in [100usize, 1000] {
        let mut with_match = unrelated(n - 1);
        with_match.push(matching.clone());
        let p_match = parse(&doc(&with_match), PolicyKind::Identity);
        let set = PolicySet { identity: &[&p_match], ..PolicySet::default() };
        assert!(evaluate(&s3_req, &set).is_allowed());
        c.bench_function(&format!("{n}_statements_match_last"), |b| {
            b.iter(|| evaluate(black_box(&s3_req), black_box(&set)))
        });

        let p_none = parse(&doc(&unrelated(n)), PolicyKind::Identity);
        let set = PolicySet { identity: &[&p_none], ..PolicySet::default() };
        assert!(!evaluate(&s3_req, &set).is_allowed());
        c.bench_function(&format!("{n}_statements_none_match"), |b| {
            b.iter(|| evaluate(black_box(&s3_req), black_box(&set)))
        });
    }

    // Conditions on the hot path: tag, IP and Bool checks against a populated context.
    let cond_ctx = Context::new()
        .with("aws:PrincipalTag/team", "blue")
        .with("aws:SourceIp", "203.0.113.10")
        .with("aws:SecureTransport", "true")
        .with("aws:RequestedRegion", "us-east-1")
        .with_many("aws:TagKeys", ["env", "team"]);
    let cond_policy = parse(
        &doc(&[r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::productionapp/${aws:PrincipalTag/team}/*","Condition":{"IpAddress":{"aws:SourceIp":["198.51.100.0/24","203.0.113.0/24"]},"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:RequestedRegion":"us-east-1"},"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","cost"]}}}"#.to_owned()]),
        PolicyKind::Identity,
    );
    let cond_req = Request {
        principal: david,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::productionapp/blue/report.csv",
        resource_account: None,
        context: &cond_ctx,
    };
    let cond_set = PolicySet { identity: &[&cond_policy], ..PolicySet::default() };
    assert!(evaluate(&cond_req, &cond_set).is_allowed());
    c.bench_function("conditions_and_variable", |b| {
        b.iter(|| evaluate(black_box(&cond_req), black_box(&cond_set)))
    });

    // A ~6 KB managed policy (just under the 6,144-character quota).
    let mut statements = Vec::new();
    let mut i = 0;
    while doc(&statements).len() < 5900 {
        statements.push(format!(
            r#"{{"Sid":"Stmt{i}","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:List*"],"Resource":"arn:aws:s3:::bucket-{i}/${{aws:username}}/*","Condition":{{"StringEquals":{{"aws:RequestedRegion":"us-east-1"}},"Bool":{{"aws:SecureTransport":"true"}}}}}}"#
        ));
        i += 1;
    }
    let six_kb = doc(&statements);
    Policy::parse(&six_kb, PolicyKind::Identity).unwrap();
    c.bench_function("parse_compile_6kb", |b| {
        b.iter(|| Policy::parse(black_box(&six_kb), PolicyKind::Identity).unwrap())
    });
}

criterion_group!(evaluate_benches, benches);
criterion_main!(evaluate_benches);
