//! Soft delete (`reclaim_instance_interval`): a deleted server is SOFT_DELETED
//! and powered off, `restore` brings it back, `forceDelete` deletes it at
//! once, and the conductor reclaims it when the interval has passed.

mod common;

use common::{create, server_body, setup};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn deleted_servers_wait_to_be_reclaimed() {
    let (cloud, _admin, alice, image) = setup(1, |c| {
        c.set("DEFAULT", "reclaim_instance_interval", "2");
    })
    .await;
    let id = create(&cloud, &alice, server_body("soft", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &id, "ACTIVE").await;
    let path = format!("/v2.1/servers/{id}");
    let act = |body: serde_json::Value| {
        let (cloud, alice, id) = (&cloud, &alice, id.clone());
        async move {
            cloud
                .send(
                    Method::POST,
                    &format!("/v2.1/servers/{id}/action"),
                    alice,
                    Some(body),
                    None,
                )
                .await
        }
    };
    let not_deleted = act(json!({"restore": null})).await;
    assert_eq!(not_deleted.status, 409);
    assert_eq!(
        not_deleted.message(),
        format!("Cannot 'restore' instance {id} while it is in vm_state active")
    );

    cloud
        .send(Method::DELETE, &path, &alice, None, None)
        .await
        .expect(204);
    let soft = cloud.wait_status(&alice, &id, "SOFT_DELETED").await;
    assert_eq!(soft["OS-EXT-STS:power_state"], 4);
    act(json!({"restore": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "ACTIVE").await;

    // forceDelete deletes at once.
    cloud
        .send(Method::DELETE, &path, &alice, None, None)
        .await
        .expect(204);
    cloud.wait_status(&alice, &id, "SOFT_DELETED").await;
    act(json!({"forceDelete": null})).await.expect(202);
    cloud.wait_status(&alice, &id, "DELETED").await;

    // Left soft-deleted, a server is reclaimed after the interval.
    let other = create(&cloud, &alice, server_body("later", &image, "1")).await["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &other, "ACTIVE").await;
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{other}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    cloud.wait_status(&alice, &other, "SOFT_DELETED").await;
    for _ in 0..100 {
        let shown = cloud
            .send(
                Method::GET,
                &format!("/v2.1/servers/{other}"),
                &alice,
                None,
                None,
            )
            .await;
        if shown.status == 404 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the soft-deleted server was never reclaimed");
}
