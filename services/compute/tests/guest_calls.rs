//! What is asked of a server's guest and answered at once: its console output
//! (tailed as asked) and a new administrator password, with their refusals.

mod common;

use common::{create, server_body, setup};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn consoles_and_passwords_reach_the_guest() {
    let (cloud, _admin, alice, image) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("c", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v2.1/servers/{id}/action");
    let act = |body: serde_json::Value| {
        let (cloud, path, alice) = (&cloud, path.clone(), &alice);
        async move {
            cloud
                .send(Method::POST, &path, alice, Some(body), None)
                .await
        }
    };
    cloud.wait_status(&alice, &id, "ACTIVE").await;

    let full = act(json!({"os-getConsoleOutput": {}}))
        .await
        .expect(200)
        .body["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(full.split('\n').count() >= 3, "{full}");
    let two = act(json!({"os-getConsoleOutput": {"length": "2"}}))
        .await
        .expect(200)
        .body;
    assert_eq!(two["output"].as_str().unwrap().split('\n').count(), 2);
    let bad = act(json!({"os-getConsoleOutput": {"length": -3}})).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.message().contains("less than the minimum of -1"),
        "{}",
        bad.message()
    );

    act(json!({"changePassword": {"adminPass": "n3w-pass"}}))
        .await
        .expect(202);
    let events = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/os-instance-actions"),
            &alice,
            None,
            None,
        )
        .await
        .body;
    assert!(events["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "changePassword"));
    act(json!({"changePassword": {}})).await.expect(400);

    // A stopped server takes no password (409) but still has a console.
    act(json!({"os-stop": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "SHUTOFF").await;
    let refused = act(json!({"changePassword": {"adminPass": "x"}})).await;
    assert_eq!(refused.status, 409);
    assert_eq!(
        refused.message(),
        format!("Cannot 'changePassword' instance {id} while it is in vm_state stopped")
    );
    let after = act(json!({"os-getConsoleOutput": {"length": 1}}))
        .await
        .expect(200)
        .body;
    assert!(
        after["output"].as_str().unwrap().contains("PowerOff"),
        "{after}"
    );

    // Another project's server is not there.
    let bob = cloud.identity.persona(&["member"]).await;
    cloud
        .send(
            Method::POST,
            &path,
            &bob,
            Some(json!({"os-getConsoleOutput": {}})),
            None,
        )
        .await
        .expect(404);
}

#[tokio::test]
async fn servers_are_rescued_and_unrescued() {
    let (cloud, _admin, alice, image) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("r", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let path = format!("/v2.1/servers/{id}/action");
    let act = |body: serde_json::Value| {
        let (cloud, path, alice) = (&cloud, path.clone(), &alice);
        async move {
            cloud
                .send(Method::POST, &path, alice, Some(body), None)
                .await
        }
    };
    let missing = uuid::Uuid::new_v4();
    act(json!({"rescue": {"rescue_image_ref": missing.to_string()}}))
        .await
        .expect(400);
    let rescued = act(json!({"rescue": {"adminPass": "r3scue"}}))
        .await
        .expect(200);
    assert_eq!(rescued.body, json!({"adminPass": "r3scue"}));
    cloud.wait_status(&alice, &id, "RESCUE").await;
    let again = act(json!({"rescue": null})).await;
    assert_eq!(again.status, 409);
    assert_eq!(
        again.message(),
        format!("Cannot 'rescue' instance {id} while it is in vm_state rescued")
    );
    act(json!({"unrescue": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let generated = act(json!({"rescue": null})).await.expect(200);
    assert_eq!(generated.body["adminPass"].as_str().unwrap().len(), 12);
    cloud.wait_status(&alice, &id, "RESCUE").await;
    act(json!({"unrescue": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let not_rescued = act(json!({"unrescue": null})).await;
    assert_eq!(not_rescued.status, 409);
}
