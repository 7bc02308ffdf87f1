//! Virtual MFA devices with real TOTP codes.

use serde_json::json;

use super::{World, DEV};
use crate::iam::ops::mfa::totp_code;

fn decode_seed(b64_of_base32: &str) -> Vec<u8> {
    use base64::Engine as _;
    let base32 = base64::engine::general_purpose::STANDARD.decode(b64_of_base32).unwrap();
    let text = String::from_utf8(base32).unwrap();
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap() as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            out.push((bits >> (n - 8)) as u8);
            n -= 8;
        }
    }
    out
}

#[test]
fn enable_with_two_consecutive_codes_then_deactivate_and_delete() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "david"}));
    let out = w.ok("CreateVirtualMFADevice", json!({"VirtualMFADeviceName": "david-phone"}));
    let serial = out["VirtualMFADevice"]["SerialNumber"].as_str().unwrap().to_owned();
    assert_eq!(serial, format!("arn:aws:iam::{DEV}:mfa/david-phone"));
    let seed = decode_seed(out["VirtualMFADevice"]["Base32StringSeed"].as_str().unwrap());
    assert_eq!(seed.len(), 20);
    w.err(
        "CreateVirtualMFADevice",
        json!({"VirtualMFADeviceName": "david-phone"}),
        "EntityAlreadyExists",
        409,
    );
    let now = w.services.clock().now_unix();
    let t = now / 30;
    let (c1, c2) = (totp_code(&seed, t - 1).unwrap(), totp_code(&seed, t).unwrap());
    // Wrong order or wrong codes are refused.
    w.err("EnableMFADevice", json!({"UserName": "david", "SerialNumber": serial, "AuthenticationCode1": c2, "AuthenticationCode2": c1}), "InvalidAuthenticationCode", 403);
    w.err("EnableMFADevice", json!({"UserName": "david", "SerialNumber": serial, "AuthenticationCode1": "000000", "AuthenticationCode2": "000001"}), "InvalidAuthenticationCode", 403);
    w.ok("EnableMFADevice", json!({"UserName": "david", "SerialNumber": serial, "AuthenticationCode1": c1, "AuthenticationCode2": c2}));
    let listed = w.ok("ListMFADevices", json!({"UserName": "david"}));
    assert_eq!(listed["MFADevices"][0]["SerialNumber"], serial);
    // STS's seam sees the seed for the enabled user.
    let tx = w.services.store().read().unwrap();
    let (user, got_seed) = crate::iam::lookup::mfa_seed(&*tx, DEV, &serial).unwrap().unwrap();
    drop(tx);
    assert_eq!((user.as_str(), got_seed), ("david", seed.clone()));
    assert!(crate::iam::verify_totp(&seed, &totp_code(&seed, t).unwrap(), now));
    let assigned = w.ok("ListVirtualMFADevices", json!({"AssignmentStatus": "Assigned"}));
    assert_eq!(assigned["VirtualMFADevices"][0]["User"]["UserName"], "david");
    w.err("DeleteUser", json!({"UserName": "david"}), "DeleteConflict", 409);
    w.err("DeleteVirtualMFADevice", json!({"SerialNumber": serial}), "DeleteConflict", 409);
    w.ok("DeactivateMFADevice", json!({"UserName": "david", "SerialNumber": serial}));
    assert!(w.ok("ListMFADevices", json!({"UserName": "david"}))["MFADevices"]
        .as_array()
        .unwrap()
        .is_empty());
    let unassigned = w.ok("ListVirtualMFADevices", json!({"AssignmentStatus": "Unassigned"}));
    assert_eq!(unassigned["VirtualMFADevices"].as_array().unwrap().len(), 1);
    w.ok("DeleteVirtualMFADevice", json!({"SerialNumber": serial}));
    w.err("DeleteVirtualMFADevice", json!({"SerialNumber": serial}), "NoSuchEntity", 404);
    w.ok("DeleteUser", json!({"UserName": "david"}));
}

#[test]
fn seeds_differ_per_device() {
    let w = World::new();
    let a = w.ok("CreateVirtualMFADevice", json!({"VirtualMFADeviceName": "a"}));
    let b = w.ok("CreateVirtualMFADevice", json!({"VirtualMFADeviceName": "b", "Path": "/x/"}));
    assert_ne!(
        a["VirtualMFADevice"]["Base32StringSeed"],
        b["VirtualMFADevice"]["Base32StringSeed"]
    );
    assert_eq!(b["VirtualMFADevice"]["SerialNumber"], format!("arn:aws:iam::{DEV}:mfa/x/b"));
}
