//! Cinder's default policies (readers read, members change, admins administer),
//! an operator's policy file, the `policy defaults` command, and the readonly
//! flag.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn readers_read_members_change() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let reader = cloud
        .identity
        .user_in(Some((&alice.project_id, &alice.project_name)), &["reader"])
        .await;
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let made = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    cloud.wait_status(&alice, &id, "available").await;

    cloud
        .send(Method::GET, &volumes, &reader, None, None)
        .await
        .expect(200);
    cloud
        .send(Method::GET, &format!("{volumes}/{id}"), &reader, None, None)
        .await
        .expect(200);
    cloud
        .send(
            Method::GET,
            &format!("{volumes}/{id}/metadata"),
            &reader,
            None,
            None,
        )
        .await
        .expect(200);
    let refused = [
        (
            Method::POST,
            volumes.clone(),
            json!({"volume": {"size": 1}}),
            "volume:create",
        ),
        (
            Method::PUT,
            format!("{volumes}/{id}"),
            json!({"volume": {"name": "x"}}),
            "volume:update",
        ),
        (
            Method::POST,
            format!("{volumes}/{id}/action"),
            json!({"os-extend": {"new_size": 2}}),
            "volume:extend",
        ),
        (
            Method::POST,
            format!("{volumes}/{id}/action"),
            json!({"os-retype": {"new_type": "__DEFAULT__"}}),
            "volume:retype",
        ),
        (
            Method::POST,
            format!("{volumes}/{id}/action"),
            json!({"os-update_readonly_flag": {"readonly": true}}),
            "volume:update_readonly_flag",
        ),
        (
            Method::POST,
            format!("{volumes}/{id}/action"),
            json!({"os-reserve": null}),
            "volume_extension:volume_actions:reserve",
        ),
        (
            Method::POST,
            format!("{volumes}/{id}/metadata"),
            json!({"metadata": {"k": "v"}}),
            "volume:update_volume_metadata",
        ),
        (
            Method::POST,
            format!("/v3/{}/snapshots", alice.project_id),
            json!({"snapshot": {"volume_id": id}}),
            "volume:create_snapshot",
        ),
        (
            Method::POST,
            format!("/v3/{}/attachments", alice.project_id),
            json!({"attachment": {"volume_uuid": id}}),
            "volume:attachment_create",
        ),
    ];
    for (method, path, body, rule) in refused {
        let resp = cloud
            .send(method, &path, &reader, Some(body), Some("volume 3.44"))
            .await
            .expect(403);
        assert_eq!(
            resp.message(),
            format!("Policy doesn't allow {rule} to be performed.")
        );
    }
    let resp = cloud
        .send(
            Method::DELETE,
            &format!("{volumes}/{id}"),
            &reader,
            None,
            None,
        )
        .await
        .expect(403);
    assert_eq!(
        resp.message(),
        "Policy doesn't allow volume:delete to be performed."
    );
    // Own quotas and limits are readable; the service list is for admins.
    cloud
        .send(
            Method::GET,
            &format!(
                "/v3/{}/os-quota-sets/{}",
                alice.project_id, alice.project_id
            ),
            &reader,
            None,
            None,
        )
        .await
        .expect(200);
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/limits", alice.project_id),
            &reader,
            None,
            None,
        )
        .await
        .expect(200);
    let resp = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/os-services", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(403);
    assert_eq!(
        resp.message(),
        "Policy doesn't allow volume_extension:services:index to be performed."
    );

    // The readonly flag: members set it on available volumes; attachments are ro.
    let action = format!("{volumes}/{id}/action");
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-update_readonly_flag": {"readonly": "maybe"}})),
            None,
        )
        .await
        .expect(400);
    assert!(resp
        .message()
        .starts_with("Invalid input for field/attribute readonly. Value: maybe."));
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-update_readonly_flag": {}})),
            None,
        )
        .await
        .expect(400);
    assert!(resp
        .message()
        .ends_with("'readonly' is a required property"));
    cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-update_readonly_flag": {"readonly": true}})),
            None,
        )
        .await
        .expect(202);
    let shown = cloud
        .send(Method::GET, &format!("{volumes}/{id}"), &alice, None, None)
        .await
        .expect(200);
    assert_eq!(shown.body["volume"]["metadata"]["readonly"], "True");
    let attached = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/attachments", alice.project_id),
            &alice,
            Some(json!({"attachment": {"volume_uuid": id, "instance_uuid": uuid::Uuid::new_v4().to_string(),
                "connector": {"host": "h", "initiator": "iqn.x"}}})),
            Some("volume 3.44"),
        )
        .await
        .expect(200);
    assert_eq!(attached.body["attachment"]["attach_mode"], "ro");
    assert_eq!(
        attached.body["attachment"]["connection_info"]["data"]["access_mode"],
        "ro"
    );
    let resp = cloud
        .send(
            Method::POST,
            &action,
            &alice,
            Some(json!({"os-update_readonly_flag": {"readonly": false}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        format!("Invalid volume: Volume {id} status must be available to update readonly flag, but current status is: attaching.")
    );
}

#[tokio::test]
async fn an_operator_policy_file_overrides_the_defaults() {
    let file = std::env::temp_dir().join(format!("ferro-bs-policy-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(&file, "\"volume:create\": \"role:admin\"\n").unwrap();
    let path = file.display().to_string();
    let cloud = Cloud::with_config(|c| c.set("oslo_policy", "policy_file", path)).await;
    let alice = cloud.identity.persona(&["member"]).await;
    let resp = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(403);
    assert_eq!(
        resp.message(),
        "Policy doesn't allow volume:create to be performed."
    );
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    std::fs::remove_file(file).unwrap();
}

/// Rules see the resource they guard, as Cinder passes the volume itself: an
/// operator can let only a volume's creator delete it.
#[tokio::test]
async fn rules_see_the_volume_they_guard() {
    let file = std::env::temp_dir().join(format!("ferro-bs-policy-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(&file, "\"volume:delete\": \"user_id:%(user_id)s\"\n").unwrap();
    let path = file.display().to_string();
    let cloud = Cloud::with_config(|c| c.set("oslo_policy", "policy_file", path)).await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bob = cloud
        .identity
        .user_in(Some((&alice.project_id, &alice.project_name)), &["member"])
        .await;
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    let id = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "available").await;
    let refused = cloud
        .send(Method::DELETE, &format!("{volumes}/{id}"), &bob, None, None)
        .await
        .expect(403);
    assert_eq!(
        refused.message(),
        "Policy doesn't allow volume:delete to be performed."
    );
    cloud
        .send(
            Method::DELETE,
            &format!("{volumes}/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(202);
    std::fs::remove_file(file).unwrap();
}

#[test]
fn policy_defaults_prints_cinders_rules() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrostack-block-storage"))
        .args(["policy", "defaults"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("#\"volume:create\": \"rule:xena_system_admin_or_project_member\""));
    assert!(text
        .contains("#\"admin_api\": \"is_admin:True or (role:admin and is_admin_project:True)\""));
}
