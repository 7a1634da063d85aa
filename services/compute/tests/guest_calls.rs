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
