#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Property tests: the wildcard matcher against a naive reference, and two invariants of the
//! evaluation logic (unrelated statements change nothing; explicit deny is final).

use proptest::prelude::*;
use xacct_policy::{
    evaluate, wildcard_match, Context, Effect, Policy, PolicyKind, PolicySet, Principal, Request,
};

/// Reference matcher: plain recursion over characters, obviously correct, exponential.
fn reference(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..])),
        Some(('?', rest)) => !t.is_empty() && reference(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && reference(rest, &t[1..]),
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn wildcard_agrees_with_reference(pattern in "[ab*?/:é]{0,10}", text in "[ab/:é]{0,12}") {
        prop_assert_eq!(wildcard_match(&pattern, &text, false), reference(&chars(&pattern), &chars(&text)));
    }

    #[test]
    fn case_folding_agrees_with_reference(pattern in "[aAbB*?]{0,8}", text in "[aAbB]{0,10}") {
        let expected = reference(&chars(&pattern.to_ascii_lowercase()), &chars(&text.to_ascii_lowercase()));
        prop_assert_eq!(wildcard_match(&pattern, &text, true), expected);
    }

    #[test]
    fn action_and_resource_matching_through_policies(name_pat in "[aAb*?]{0,6}", name in "[aAb]{1,6}", res_pat in "[ab*?/:]{0,8}", res in "[ab/:]{0,8}") {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"svc:{name_pat}","Resource":"arn:aws:s3:::{res_pat}"}}}}"#
        );
        let policy = Policy::parse(&doc, PolicyKind::Identity).unwrap();
        let action = format!("svc:{name}");
        let resource = format!("arn:aws:s3:::{res}");
        let ctx = Context::new();
        let request = Request {
            principal: Principal::user("arn:aws:iam::111111111111:user/U", "111111111111"),
            action: &action,
            resource: &resource,
            resource_account: None,
            context: &ctx,
        };
        let allowed = evaluate(&request, &PolicySet { identity: &[&policy], ..PolicySet::default() }).is_allowed();
        let expected = reference(&chars(&name_pat.to_ascii_lowercase()), &chars(&name.to_ascii_lowercase()))
            && reference(&chars(&res_pat), &chars(&res));
        prop_assert_eq!(allowed, expected);
    }
}

const ACCOUNT: &str = "111111111111";
const USER: &str = "arn:aws:iam::111111111111:user/U";

/// A random statement about S3 for identity-like policies.
fn s3_statement() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("Allow"), Just("Deny")],
        prop_oneof![
            Just("s3:GetObject"),
            Just("s3:Get*"),
            Just("s3:*"),
            Just("*"),
            Just("s3:PutObject")
        ],
        prop::bool::ANY,
        prop_oneof![Just("*"), Just("arn:aws:s3:::b/*"), Just("arn:aws:s3:::other/*")],
    )
        .prop_map(|(effect, action, not_action, resource)| {
            let a = if not_action { "NotAction" } else { "Action" };
            format!(r#"{{"Effect":"{effect}","{a}":"{action}","Resource":"{resource}"}}"#)
        })
}

fn with_principal(stmt: &str, principal: &str) -> String {
    stmt.replacen('{', &format!(r#"{{"Principal":{principal},"#), 1)
}

fn principal_json() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#""*""#.to_owned()),
        Just(format!(r#"{{"AWS":"{ACCOUNT}"}}"#)),
        Just(format!(r#"{{"AWS":"{USER}"}}"#)),
        Just(r#"{"AWS":"222222222222"}"#.to_owned()),
    ]
}

/// A statement for another service only (never an S3 or wildcard action).
fn unrelated_statement() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("Allow"), Just("Deny")],
        prop_oneof![
            Just("ec2:RunInstances"),
            Just("ec2:*"),
            Just("iam:Pass*"),
            Just("sqs:?endMessage")
        ],
        prop_oneof![Just("Resource"), Just("NotResource")],
        prop_oneof![Just("*"), Just("arn:aws:s3:::b/*")],
    )
        .prop_map(|(effect, action, r, resource)| {
            format!(r#"{{"Effect":"{effect}","Action":"{action}","{r}":"{resource}"}}"#)
        })
}

fn doc(statements: &[String]) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

#[derive(Debug, Clone)]
struct World {
    identity: Vec<String>,
    boundary: Option<Vec<String>>,
    scp: Vec<String>,
    resource: Option<Vec<String>>,
    cross_account: bool,
    required: bool,
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(s3_statement(), 1..4),
        prop::option::of(prop::collection::vec(s3_statement(), 1..3)),
        prop::collection::vec(s3_statement(), 1..3),
        prop::option::of(prop::collection::vec((s3_statement(), principal_json()), 1..3)),
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(|(identity, boundary, scp, resource, cross_account, required)| World {
            identity,
            boundary,
            scp,
            resource: resource
                .map(|r| r.into_iter().map(|(s, p)| with_principal(&s, &p)).collect()),
            cross_account,
            required,
        })
}

fn decide(w: &World) -> Effect {
    let identity = Policy::parse(&doc(&w.identity), PolicyKind::Identity).unwrap();
    let boundary = w
        .boundary
        .as_ref()
        .map(|b| Policy::parse(&doc(b), PolicyKind::PermissionsBoundary).unwrap());
    let scp = Policy::parse(&doc(&w.scp), PolicyKind::Scp).unwrap();
    let resource =
        w.resource.as_ref().map(|r| Policy::parse(&doc(r), PolicyKind::Resource).unwrap());
    let levels: [&[&Policy]; 1] = [&[&scp]];
    let set = PolicySet {
        identity: &[&identity],
        permissions_boundary: boundary.as_ref(),
        scps: &levels,
        resource: resource.as_ref(),
        resource_policy_required: w.required,
        ..PolicySet::default()
    };
    let ctx = Context::new();
    let request = Request {
        principal: Principal::user(USER, ACCOUNT),
        action: "s3:GetObject",
        resource: "arn:aws:s3:::b/key",
        resource_account: Some(if w.cross_account { "999999999999" } else { ACCOUNT }),
        context: &ctx,
    };
    evaluate(&request, &set).effect
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn unrelated_statements_change_nothing(w in world(), extra in prop::collection::vec(unrelated_statement(), 1..4), slot in 0usize..4, p in principal_json()) {
        let before = decide(&w);
        let mut w2 = w.clone();
        match slot {
            0 => w2.identity.extend(extra),
            1 => w2.scp.extend(extra),
            2 => if let Some(b) = w2.boundary.as_mut() { b.extend(extra) } else { w2.identity.extend(extra) },
            _ => {
                let extra: Vec<String> = extra.iter().map(|s| with_principal(s, &p)).collect();
                match w2.resource.as_mut() {
                    Some(r) => r.extend(extra),
                    None => w2.resource = Some(extra),
                }
            }
        }
        prop_assert_eq!(before, decide(&w2));
    }

    #[test]
    fn explicit_deny_is_final(w in world(), allows in prop::collection::vec(s3_statement(), 1..4), slot in 0usize..4, p in principal_json()) {
        let mut w = w;
        w.identity.push(r#"{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#.to_owned());
        prop_assert_eq!(decide(&w), Effect::ExplicitDeny);
        let allows: Vec<String> = allows.into_iter().map(|s| s.replacen("Deny", "Allow", 1)).collect();
        match slot {
            0 => w.identity.extend(allows),
            1 => w.scp.extend(allows),
            2 => w.boundary.get_or_insert_with(Vec::new).extend(allows),
            _ => {
                let allows: Vec<String> = allows.iter().map(|s| with_principal(s, &p)).collect();
                w.resource.get_or_insert_with(Vec::new).extend(allows);
            }
        }
        prop_assert_eq!(decide(&w), Effect::ExplicitDeny);
    }
}
