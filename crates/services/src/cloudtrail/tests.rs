//! CloudTrail through `Services::call`, on the 004 tutorial's world (see `sts::tests`).

use serde_json::{json, Value};

use crate::sts::tests::{World, DEV, PROD, UPDATE_APP};
use crate::Caller;

fn events(w: &World, account: &str) -> Vec<Value> {
    w.services.audit().flush();
    let r = w.services.store().read().unwrap();
    r.events(account, None, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_str(&e.body).unwrap())
        .collect()
}

fn named<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["eventName"] == name).collect()
}

fn lookup(w: &World, caller: &Caller, input: Value) -> Value {
    w.call(caller, "cloudtrail", "LookupEvents", input).unwrap()
}

#[test]
fn a_change_and_its_event_commit_together_and_the_event_is_completed_later() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIADEVROOT");
    w.call(&root, "iam", "CreateUser", json!({"UserName": "carol"})).unwrap();
    // Without waiting for the appender, the event is already in the log: it was written in the
    // CreateUser transaction.
    let raw = w.services.store().read().unwrap().events(DEV, None, 100).unwrap();
    let created: Vec<Value> = raw
        .iter()
        .map(|e| serde_json::from_str::<Value>(&e.body).unwrap())
        .filter(|e| e["eventName"] == "CreateUser")
        .collect();
    assert_eq!(created.len(), 1, "exactly one CreateUser event, written with the user");
    let all = events(&w, DEV);
    let done = named(&all, "CreateUser");
    assert_eq!(done.len(), 1, "completion replaces, never duplicates");
    assert_eq!(done[0]["eventID"], created[0]["eventID"]);
    assert_eq!(done[0]["responseElements"]["user"]["userName"], "carol");
    assert_eq!(done[0]["requestParameters"]["userName"], "carol");
    assert_eq!(done[0]["userIdentity"]["type"], "Root");
    assert_eq!(done[0]["readOnly"], false);
}

#[test]
fn a_failed_change_records_its_error_and_nothing_else() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIADEVROOT");
    let err = w.call(&root, "iam", "CreateUser", json!({"UserName": "David"})).unwrap_err();
    assert_eq!(err.code, "EntityAlreadyExists");
    let all = events(&w, DEV);
    let failed = named(&all, "CreateUser");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["errorCode"], "EntityAlreadyExists");
    assert!(failed[0]["errorMessage"].as_str().unwrap().contains("David"));
    assert_eq!(failed[0]["responseElements"], Value::Null);
}

#[test]
fn the_tutorial_story_is_in_both_accounts_logs() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let session = w.david_session();
    w.call(&session, "iam", "GetRole", json!({"RoleName": "UpdateApp"})).ok();
    w.call(&session, "sts", "GetCallerIdentity", json!({})).unwrap();
    let jane = w.user_caller(DEV, "Jane");
    let denied = w
        .sts(&jane, "AssumeRole", json!({"RoleArn": UPDATE_APP, "RoleSessionName": "jane"}))
        .unwrap_err();
    assert_eq!(denied.code, "AccessDenied");

    let dev = events(&w, DEV);
    let prod = events(&w, PROD);
    let dev_assume = named(&dev, "AssumeRole");
    let prod_assume = named(&prod, "AssumeRole");
    assert_eq!((dev_assume.len(), prod_assume.len()), (2, 2), "David's and Jane's, in both");
    let mine = dev_assume.iter().find(|e| e["userIdentity"]["userName"] == "David").unwrap();
    assert_eq!(mine["userIdentity"]["type"], "IAMUser");
    assert_eq!(mine["userIdentity"]["arn"], david.arn);
    assert_eq!(mine["recipientAccountId"], DEV);
    assert_eq!(mine["eventSource"], "sts.amazonaws.com");
    assert_eq!(mine["requestParameters"]["roleArn"], UPDATE_APP);
    let creds = &mine["responseElements"]["credentials"];
    assert!(creds["accessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(creds.get("secretAccessKey").is_none() && creds.get("sessionToken").is_none());
    let theirs = prod_assume
        .iter()
        .find(|e| e["sharedEventID"] == mine["sharedEventID"])
        .expect("the same event in Production");
    assert_eq!(theirs["recipientAccountId"], PROD);
    assert_eq!(theirs["userIdentity"]["accountId"], DEV);
    assert_ne!(theirs["eventID"], mine["eventID"]);

    let janes = dev_assume.iter().find(|e| e["userIdentity"]["userName"] == "Jane").unwrap();
    assert_eq!(janes["errorCode"], "AccessDenied");
    assert!(janes.get("sharedEventID").is_some());

    // David's session acts in Production: its calls are Production's events.
    let who = named(&prod, "GetCallerIdentity");
    assert_eq!(who.len(), 1);
    let id = &who[0]["userIdentity"];
    assert_eq!(id["type"], "AssumedRole");
    assert_eq!(id["arn"], "arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate");
    assert_eq!(id["sessionContext"]["sessionIssuer"]["userName"], "UpdateApp");
    assert!(named(&dev, "GetCallerIdentity").is_empty());
}

#[test]
fn secrets_never_reach_the_log() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIADEVROOT");
    let key = w.call(&root, "iam", "CreateAccessKey", json!({"UserName": "David"})).unwrap();
    let secret = key["AccessKey"]["SecretAccessKey"].as_str().unwrap().to_owned();
    w.call(
        &root,
        "iam",
        "CreateLoginProfile",
        json!({"UserName": "David", "Password": "Tr0ub4dor&3xyz!"}),
    )
    .unwrap();
    let session = w.david_session();
    let _ = session;
    let log: Vec<String> = {
        w.services.audit().flush();
        let r = w.services.store().read().unwrap();
        [DEV, PROD]
            .iter()
            .flat_map(|a| r.events(a, None, 10_000).unwrap())
            .map(|e| e.body)
            .collect()
    };
    for body in &log {
        assert!(!body.contains(&secret), "secret access key in {body}");
        assert!(!body.contains("Tr0ub4dor"), "password in {body}");
    }
    let dev = events(&w, DEV);
    let login = named(&dev, "CreateLoginProfile");
    assert_eq!(login[0]["requestParameters"]["password"], "HIDDEN_DUE_TO_SECURITY_REASONS");
    let created = named(&dev, "CreateAccessKey");
    assert_eq!(
        created[0]["responseElements"]["accessKey"]["accessKeyId"],
        key["AccessKey"]["AccessKeyId"]
    );
}

#[test]
fn lookup_events_filters_pages_and_is_newest_first() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIADEVROOT");
    for i in 0..5 {
        w.call(&root, "iam", "CreateUser", json!({"UserName": format!("u{i}")})).unwrap();
    }
    w.call(&root, "iam", "ListUsers", json!({})).unwrap();
    let by_name = lookup(
        &w,
        &root,
        json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}]}),
    );
    let names: Vec<String> = by_name["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let ct: Value = serde_json::from_str(e["CloudTrailEvent"].as_str().unwrap()).unwrap();
            ct["requestParameters"]["userName"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(names, ["u4", "u3", "u2", "u1", "u0"]);
    let first = &by_name["Events"][0];
    assert_eq!(first["Username"], "root");
    assert_eq!(first["ReadOnly"], "false");
    assert_eq!(
        first["Resources"][0],
        json!({"ResourceType": "AWS::IAM::User", "ResourceName": "u4"})
    );

    // Paging.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({"MaxResults": 2, "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}]});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let page = lookup(&w, &root, input);
        seen.extend(page["Events"].as_array().unwrap().iter().map(|e| e["EventId"].clone()));
        match page.get("NextToken") {
            Some(t) => token = Some(t.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    // A token belongs to its query.
    let page = lookup(&w, &root, json!({"MaxResults": 1}));
    let t = page["NextToken"].as_str().unwrap();
    let err = w
        .call(&root, "cloudtrail", "LookupEvents", json!({"NextToken": t, "LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "true"}]}))
        .unwrap_err();
    assert_eq!(err.code, "InvalidNextTokenException");

    let two = w
        .call(
            &root,
            "cloudtrail",
            "LookupEvents",
            json!({"LookupAttributes": [
            {"AttributeKey": "ReadOnly", "AttributeValue": "true"},
            {"AttributeKey": "EventName", "AttributeValue": "ListUsers"}]}),
        )
        .unwrap_err();
    assert_eq!(two.code, "InvalidLookupAttributesException");
    let range = w
        .call(&root, "cloudtrail", "LookupEvents", json!({"StartTime": 2000.0, "EndTime": 1000.0}))
        .unwrap_err();
    assert_eq!(range.code, "InvalidTimeRangeException");
    let future = lookup(&w, &root, json!({"StartTime": 4_000_000_000.0_f64}));
    assert!(future["Events"].as_array().unwrap().is_empty());

    // IAM events are us-east-1 events: a lookup in another region does not show them.
    let call = crate::Call {
        service: "cloudtrail",
        operation: "LookupEvents",
        region: "eu-west-1",
        caller: &root,
        input: &json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}]}),
        request_id: "r",
        source_ip: "",
        user_agent: "",
        streams: None,
    };
    assert!(w.services.call(&call).unwrap()["Events"].as_array().unwrap().is_empty());
    // Another account sees none of them.
    let prod_root = Caller::root(PROD, "AKIAPRODROOT");
    let other = lookup(
        &w,
        &prod_root,
        json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}]}),
    );
    assert!(other["Events"].as_array().unwrap().is_empty());
}

#[test]
fn lookup_events_needs_permission() {
    let w = World::new();
    let bob = w.user_caller(DEV, "Bob");
    let err = w.call(&bob, "cloudtrail", "LookupEvents", json!({})).unwrap_err();
    assert_eq!(err.code, "AccessDeniedException");
    // The denial itself is recorded.
    let dev = events(&w, DEV);
    let denied = named(&dev, "LookupEvents");
    assert_eq!(denied[0]["errorCode"], "AccessDeniedException");
}

#[test]
fn trails_lifecycle() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIADEVROOT");
    let ct = |op: &str, input: Value| w.call(&root, "cloudtrail", op, input);
    assert_eq!(
        ct("CreateTrail", json!({"Name": "audit", "S3BucketName": "logs"})).unwrap_err().code,
        "S3BucketDoesNotExistException"
    );
    w.call(&root, "s3", "CreateBucket", json!({"Bucket": "logs"})).unwrap();
    let created = ct(
        "CreateTrail",
        json!({"Name": "audit", "S3BucketName": "logs", "IsMultiRegionTrail": true}),
    )
    .unwrap();
    assert_eq!(created["TrailARN"], "arn:aws:cloudtrail:us-east-1:111111111111:trail/audit");
    assert_eq!(
        ct("CreateTrail", json!({"Name": "audit", "S3BucketName": "logs"})).unwrap_err().code,
        "TrailAlreadyExistsException"
    );
    assert_eq!(ct("GetTrail", json!({"Name": "nope"})).unwrap_err().code, "TrailNotFoundException");
    assert_eq!(ct("GetTrailStatus", json!({"Name": "audit"})).unwrap()["IsLogging"], false);
    ct("StartLogging", json!({"Name": "audit"})).unwrap();
    let status = ct("GetTrailStatus", json!({"Name": "audit"})).unwrap();
    assert_eq!(status["IsLogging"], true);
    assert!(status["StartLoggingTime"].is_number());
    let selectors = ct("GetEventSelectors", json!({"TrailName": "audit"})).unwrap();
    assert_eq!(selectors["EventSelectors"][0]["ReadWriteType"], "All");
    ct(
        "AddTags",
        json!({"ResourceId": created["TrailARN"], "TagsList": [{"Key": "team", "Value": "sec"}]}),
    )
    .unwrap();
    let tags = ct("ListTags", json!({"ResourceIdList": [created["TrailARN"]]})).unwrap();
    assert_eq!(tags["ResourceTagList"][0]["TagsList"][0]["Key"], "team");
    assert_eq!(ct("ListTrails", json!({})).unwrap()["Trails"].as_array().unwrap().len(), 1);
    ct("DeleteTrail", json!({"Name": "audit"})).unwrap();
    assert!(ct("DescribeTrails", json!({})).unwrap()["trailList"].as_array().unwrap().is_empty());
    let dev = events(&w, DEV);
    let create = named(&dev, "CreateTrail");
    // The refusal for the missing bucket, the trail, and the duplicate.
    assert_eq!(create.len(), 3);
    assert!(create.iter().any(|e| e["errorCode"] == "S3BucketDoesNotExistException"));
    assert!(create.iter().any(|e| e["responseElements"]["trailARN"] == created["TrailARN"]));
}

#[test]
fn reset_empties_the_log() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIADEVROOT");
    w.call(&root, "sts", "GetCallerIdentity", json!({})).unwrap();
    assert!(!events(&w, DEV).is_empty());
    w.services.reset(None).unwrap();
    assert!(events(&w, DEV).is_empty());
}

#[test]
fn an_unknown_operation_is_not_an_event() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIADEVROOT");
    let err = w.call(&root, "cloudtrail", "CreateEventDataStore", json!({})).unwrap_err();
    assert_eq!(err.code, crate::UNKNOWN_OPERATION);
    w.call(&root, "sts", "GetCallerIdentity", json!({})).unwrap();
    let names: Vec<Value> = events(&w, DEV).iter().map(|e| e["eventName"].clone()).collect();
    assert_eq!(names, [json!("GetCallerIdentity")]);
}
