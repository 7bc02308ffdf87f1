//! Identity providers, SSH keys, signing certificates, password policy, credential report.

use serde_json::json;

use super::{World, DEV};

#[test]
fn oidc_providers() {
    let w = World::new();
    let out = w.ok("CreateOpenIDConnectProvider", json!({"Url": "https://example.com/oidc?x=1", "ThumbprintList": ["b".repeat(40)], "ClientIDList": ["app"]}));
    let arn = out["OpenIDConnectProviderArn"].as_str().unwrap().to_owned();
    assert_eq!(arn, format!("arn:aws:iam::{DEV}:oidc-provider/example.com/oidc"));
    w.err(
        "CreateOpenIDConnectProvider",
        json!({"Url": "https://example.com/oidc"}),
        "EntityAlreadyExists",
        409,
    );
    w.err("CreateOpenIDConnectProvider", json!({"Url": "example.org"}), "InvalidInput", 400);
    let five: Vec<String> = (0..6).map(|i| format!("{i}").repeat(40)).collect();
    w.err(
        "CreateOpenIDConnectProvider",
        json!({"Url": "https://x.org", "ThumbprintList": five}),
        "InvalidInput",
        400,
    );
    let got = w.ok("GetOpenIDConnectProvider", json!({"OpenIDConnectProviderArn": arn}));
    assert_eq!(got["Url"], "example.com/oidc");
    assert_eq!(got["ClientIDList"], json!(["app"]));
    w.ok(
        "AddClientIDToOpenIDConnectProvider",
        json!({"OpenIDConnectProviderArn": arn, "ClientID": "two"}),
    );
    w.ok(
        "RemoveClientIDFromOpenIDConnectProvider",
        json!({"OpenIDConnectProviderArn": arn, "ClientID": "app"}),
    );
    w.ok(
        "UpdateOpenIDConnectProviderThumbprint",
        json!({"OpenIDConnectProviderArn": arn, "ThumbprintList": ["c".repeat(40)]}),
    );
    let got = w.ok("GetOpenIDConnectProvider", json!({"OpenIDConnectProviderArn": arn}));
    assert_eq!(got["ClientIDList"], json!(["two"]));
    assert_eq!(got["ThumbprintList"], json!(["c".repeat(40)]));
    assert_eq!(
        w.ok("ListOpenIDConnectProviders", json!({}))["OpenIDConnectProviderList"],
        json!([{"Arn": arn}])
    );
    w.ok("DeleteOpenIDConnectProvider", json!({"OpenIDConnectProviderArn": arn}));
    w.ok("DeleteOpenIDConnectProvider", json!({"OpenIDConnectProviderArn": arn}));
    w.err(
        "GetOpenIDConnectProvider",
        json!({"OpenIDConnectProviderArn": arn}),
        "NoSuchEntity",
        404,
    );
}

#[test]
fn saml_providers() {
    let w = World::new();
    let doc = "m".repeat(1024);
    let arn = w.ok("CreateSAMLProvider", json!({"Name": "corp", "SAMLMetadataDocument": doc}))
        ["SAMLProviderArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(arn, format!("arn:aws:iam::{DEV}:saml-provider/corp"));
    w.err(
        "CreateSAMLProvider",
        json!({"Name": "corp", "SAMLMetadataDocument": doc}),
        "EntityAlreadyExists",
        409,
    );
    w.err(
        "CreateSAMLProvider",
        json!({"Name": "short", "SAMLMetadataDocument": "x"}),
        "ValidationError",
        400,
    );
    assert_eq!(
        w.ok("GetSAMLProvider", json!({"SAMLProviderArn": arn}))["SAMLMetadataDocument"],
        doc
    );
    w.ok(
        "UpdateSAMLProvider",
        json!({"SAMLProviderArn": arn, "SAMLMetadataDocument": "n".repeat(1000)}),
    );
    assert_eq!(
        w.ok("ListSAMLProviders", json!({}))["SAMLProviderList"].as_array().unwrap().len(),
        1
    );
    w.ok("DeleteSAMLProvider", json!({"SAMLProviderArn": arn}));
    w.err("DeleteSAMLProvider", json!({"SAMLProviderArn": arn}), "NoSuchEntity", 404);
}

const SSH_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDJ4M9Lq1W0r4kGZ0mL9X6f5rT2u8yQeB1nV3cP0oH7iK2jS4dF6gA8bN1mC5xZ7vR3tU9wE0qY2pL4oK6iJ8hG0fD2sA4eW6rT8yU0iO2pA4sD6fG8hJ0kL2zX4cV6bN8mQ1wE3rT5yU7iO9pA1sD3fG5hJ7kL9zX1cV3bN5mQ7wE9rT1yU3iO5pA7s== user@host";

#[test]
fn ssh_public_keys() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "dev"}));
    let key = w.ok("UploadSSHPublicKey", json!({"UserName": "dev", "SSHPublicKeyBody": SSH_KEY}))
        ["SSHPublicKey"]
        .clone();
    let id = key["SSHPublicKeyId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("APKA") && id.len() == 20);
    assert_eq!(key["Fingerprint"].as_str().unwrap().split(':').count(), 16);
    w.err(
        "UploadSSHPublicKey",
        json!({"UserName": "dev", "SSHPublicKeyBody": SSH_KEY}),
        "DuplicateSSHPublicKey",
        400,
    );
    w.err(
        "UploadSSHPublicKey",
        json!({"UserName": "dev", "SSHPublicKeyBody": "not a key"}),
        "InvalidPublicKey",
        400,
    );
    w.ok(
        "UpdateSSHPublicKey",
        json!({"UserName": "dev", "SSHPublicKeyId": id, "Status": "Inactive"}),
    );
    let got = w
        .ok("GetSSHPublicKey", json!({"UserName": "dev", "SSHPublicKeyId": id, "Encoding": "SSH"}));
    assert_eq!(got["SSHPublicKey"]["Status"], "Inactive");
    assert_eq!(
        w.ok("ListSSHPublicKeys", json!({"UserName": "dev"}))["SSHPublicKeys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    w.ok("DeleteSSHPublicKey", json!({"UserName": "dev", "SSHPublicKeyId": id}));
    w.err(
        "GetSSHPublicKey",
        json!({"UserName": "dev", "SSHPublicKeyId": id, "Encoding": "SSH"}),
        "NoSuchEntity",
        404,
    );
}

#[test]
fn password_policy_and_credential_report() {
    let w = World::new();
    w.err("GetAccountPasswordPolicy", json!({}), "NoSuchEntity", 404);
    w.ok("UpdateAccountPasswordPolicy", json!({}));
    let p = w.ok("GetAccountPasswordPolicy", json!({}));
    assert_eq!(p["PasswordPolicy"]["MinimumPasswordLength"], 6);
    assert_eq!(p["PasswordPolicy"]["ExpirePasswords"], false);
    w.err(
        "UpdateAccountPasswordPolicy",
        json!({"MinimumPasswordLength": 129}),
        "ValidationError",
        400,
    );
    w.ok("DeleteAccountPasswordPolicy", json!({}));
    w.err("DeleteAccountPasswordPolicy", json!({}), "NoSuchEntity", 404);
    w.ok("CreateUser", json!({"UserName": "my-user"}));
    w.err("GetCredentialReport", json!({}), "ReportNotPresent", 410);
    assert_eq!(w.ok("GenerateCredentialReport", json!({}))["State"], "STARTED");
    assert_eq!(w.ok("GenerateCredentialReport", json!({}))["State"], "COMPLETE");
    let report = w.ok("GetCredentialReport", json!({}));
    use base64::Engine as _;
    let csv = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(report["Content"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("user,arn,user_creation_time,password_enabled"));
    assert_eq!(lines[0].split(',').count(), lines[1].split(',').count());
    assert!(lines[1].starts_with("<root_account>,"));
    assert!(lines[2].starts_with(&format!("my-user,arn:aws:iam::{DEV}:user/my-user,")));
    assert_eq!(lines[2].split(',').count(), lines[0].split(',').count());
}

#[test]
fn server_certificates() {
    let w = World::new();
    let body = include_str!("certs/leaf.crt");
    let key = include_str!("certs/leaf.key");
    let chain = include_str!("certs/ca.crt");
    w.err(
        "UploadServerCertificate",
        json!({"ServerCertificateName": "web", "CertificateBody": "certbody", "PrivateKey": key}),
        "MalformedCertificate",
        400,
    );
    w.err(
        "UploadServerCertificate",
        json!({"ServerCertificateName": "web", "CertificateBody": body,
               "PrivateKey": include_str!("certs/rsa.pkcs8.key")}),
        "KeyPairMismatch",
        400,
    );
    let out = w.ok(
        "UploadServerCertificate",
        json!({"ServerCertificateName": "web", "Path": "/cloudfront/", "CertificateBody": body,
               "PrivateKey": key, "CertificateChain": chain, "Tags": [{"Key": "k", "Value": "v"}]}),
    );
    let meta = &out["ServerCertificateMetadata"];
    assert_eq!(meta["Arn"], format!("arn:aws:iam::{DEV}:server-certificate/cloudfront/web"));
    assert!(meta["ServerCertificateId"].as_str().unwrap().starts_with("ASCA"));
    assert!(meta["Expiration"].as_f64().unwrap() > meta["UploadDate"].as_f64().unwrap());
    assert_eq!(out["Tags"], json!([{"Key": "k", "Value": "v"}]));
    w.err(
        "UploadServerCertificate",
        json!({"ServerCertificateName": "WEB", "CertificateBody": body, "PrivateKey": key}),
        "EntityAlreadyExists",
        409,
    );
    let got = w.ok("GetServerCertificate", json!({"ServerCertificateName": "web"}));
    assert_eq!(got["ServerCertificate"]["CertificateBody"], body);
    assert_eq!(got["ServerCertificate"]["CertificateChain"], chain);
    assert!(got.to_string().find("PRIVATE KEY").is_none(), "the key is never returned");
    w.ok(
        "UpdateServerCertificate",
        json!({"ServerCertificateName": "web", "NewServerCertificateName": "site", "NewPath": "/"}),
    );
    w.err("GetServerCertificate", json!({"ServerCertificateName": "web"}), "NoSuchEntity", 404);
    let list = w.ok("ListServerCertificates", json!({}));
    assert_eq!(
        list["ServerCertificateMetadataList"][0]["Arn"],
        format!("arn:aws:iam::{DEV}:server-certificate/site")
    );
    assert_eq!(
        w.ok("ListServerCertificates", json!({"PathPrefix": "/cloudfront/"}))
            ["ServerCertificateMetadataList"],
        json!([])
    );
    w.ok("UntagServerCertificate", json!({"ServerCertificateName": "site", "TagKeys": ["k"]}));
    assert_eq!(
        w.ok("ListServerCertificateTags", json!({"ServerCertificateName": "site"}))["Tags"],
        json!([])
    );
    let summary = w.ok("GetAccountSummary", json!({}));
    assert_eq!(summary["SummaryMap"]["ServerCertificates"], 1);
    w.ok("DeleteServerCertificate", json!({"ServerCertificateName": "site"}));
    let e =
        w.call("DeleteServerCertificate", json!({"ServerCertificateName": "site"})).unwrap_err();
    assert_eq!(e.message, "The Server Certificate with name site cannot be found.");
}
