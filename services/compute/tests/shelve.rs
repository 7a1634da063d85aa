//! Shelving: the disk saved to `<name>-shelved` through the image API, the
//! server offloaded from its host (at once, or by an admin's shelveOffload
//! when `shelved_offload_time` is -1), unshelved onto a host again from that
//! image, which is then deleted; and the refusals.

mod common;

use common::{create, server_body, setup, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

async fn image_status(cloud: &Cloud, who: &Persona, name: &str) -> Option<String> {
    let (image, _) = cloud.image.as_ref().unwrap();
    let found: Value = cloud
        .http
        .get(image.url(&format!("/v2/images?name={name}")))
        .header("X-Auth-Token", &who.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    found["images"][0]["status"].as_str().map(str::to_string)
}

#[tokio::test]
async fn shelved_servers_leave_their_host_and_come_back() {
    let (cloud, admin, alice, image) = setup(1, |_| {}).await;
    let id = create(&cloud, &alice, server_body("box", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;

    let early = cloud
        .server_action(&alice, &id, json!({"unshelve": null}), None)
        .await;
    assert_eq!(early.status, 409);
    assert_eq!(
        early.message(),
        format!("Cannot 'unshelve' instance {id} while it is in vm_state active")
    );

    cloud
        .server_action(&alice, &id, json!({"shelve": null}), None)
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHELVED_OFFLOADED").await;
    let shown = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            &admin,
            None,
            None,
        )
        .await
        .body["server"]
        .clone();
    assert_eq!(shown["OS-EXT-SRV-ATTR:host"], Value::Null);
    assert_eq!(shown["OS-EXT-STS:power_state"], 4);
    assert_eq!(
        image_status(&cloud, &alice, "box-shelved").await.as_deref(),
        Some("active")
    );

    // A bad zone is refused from 2.77; below it the body is not looked at
    // (Nova's), and the server is unshelved wherever it fits.
    cloud
        .server_action(
            &alice,
            &id,
            json!({"unshelve": {"availability_zone": 7}}),
            Some("2.77"),
        )
        .await
        .expect(400);
    cloud
        .server_action(
            &alice,
            &id,
            json!({"unshelve": {"availability_zone": 7}}),
            Some("2.76"),
        )
        .await
        .expect(202);
    let back = cloud.wait_status(&alice, &id, "ACTIVE").await;
    assert_eq!(back["OS-EXT-STS:task_state"], Value::Null);
    let host = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            &admin,
            None,
            None,
        )
        .await
        .body["server"]["OS-EXT-SRV-ATTR:host"]
        .clone();
    assert_eq!(host, "node1");
    for _ in 0..100 {
        if image_status(&cloud, &alice, "box-shelved").await.is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(image_status(&cloud, &alice, "box-shelved").await, None);

    let actions: Vec<String> = cloud
        .send(
            Method::GET,
            &format!("/v2.1/servers/{id}/os-instance-actions"),
            &alice,
            None,
            None,
        )
        .await
        .body["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_string())
        .collect();
    assert!(actions.contains(&"shelve".to_string()) && actions.contains(&"unshelve".to_string()));
}

#[tokio::test]
async fn admins_offload_what_stays_shelved() {
    let (cloud, admin, alice, image) = setup(1, |c| {
        c.set("DEFAULT", "shelved_offload_time", "-1");
    })
    .await;
    let id = create(&cloud, &alice, server_body("kept", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    cloud
        .server_action(&alice, &id, json!({"shelve": null}), None)
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHELVED").await;

    // Unshelving a shelved server powers it on where it is.
    cloud
        .server_action(&alice, &id, json!({"unshelve": null}), None)
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    cloud
        .server_action(&alice, &id, json!({"shelve": null}), None)
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHELVED").await;

    cloud
        .server_action(&alice, &id, json!({"shelveOffload": null}), None)
        .await
        .expect(403);
    cloud
        .server_action(&admin, &id, json!({"shelveOffload": null}), None)
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHELVED_OFFLOADED").await;
    let again = cloud
        .server_action(&admin, &id, json!({"shelveOffload": null}), None)
        .await;
    assert_eq!(again.status, 409);
    cloud
        .server_action(&alice, &id, json!({"unshelve": null}), None)
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;
}
