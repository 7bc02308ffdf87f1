//! The connection state machine and the rules around it.

use super::connections::{accept, reject};
use super::model::{ConnectionRecord, ConnectionStatus};

fn connection(status: ConnectionStatus) -> ConnectionRecord {
    ConnectionRecord {
        id: "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111".to_owned(),
        arn: "arn:aws:proton:us-east-1:222222222222:environment-account-connection/x".to_owned(),
        region: "us-east-1".to_owned(),
        environment_account_id: "222222222222".to_owned(),
        management_account_id: "111111111111".to_owned(),
        environment_name: "simple-env-connected".to_owned(),
        role_arn: "arn:aws:iam::222222222222:role/r".to_owned(),
        codebuild_role_arn: None,
        component_role_arn: None,
        status,
        requested_at: 1.0,
        last_modified_at: 1.0,
        tags: Vec::new(),
    }
}

#[test]
fn pending_becomes_connected_or_rejected() {
    assert_eq!(
        accept(&connection(ConnectionStatus::Pending)).unwrap(),
        Some(ConnectionStatus::Connected)
    );
    assert_eq!(
        reject(&connection(ConnectionStatus::Pending), None).unwrap(),
        Some(ConnectionStatus::Rejected)
    );
}

#[test]
fn accepting_or_rejecting_again_changes_nothing() {
    assert_eq!(accept(&connection(ConnectionStatus::Connected)).unwrap(), None);
    assert_eq!(reject(&connection(ConnectionStatus::Rejected), None).unwrap(), None);
}

#[test]
fn a_rejected_connection_can_never_be_accepted() {
    let e = accept(&connection(ConnectionStatus::Rejected)).unwrap_err();
    assert_eq!(e.code, "ConflictException");
    assert_eq!(e.status, 400);
}

#[test]
fn a_connection_an_environment_uses_cannot_be_rejected() {
    let e = reject(&connection(ConnectionStatus::Connected), Some("prod")).unwrap_err();
    assert_eq!(e.code, "ConflictException");
    assert!(e.message.contains("prod"));
    assert_eq!(
        reject(&connection(ConnectionStatus::Connected), None).unwrap(),
        Some(ConnectionStatus::Rejected)
    );
}
