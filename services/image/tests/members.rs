//! Sharing images: members, their statuses, and who may do what.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn share_accept_and_withdraw() {
    let cloud = Cloud::start().await;
    let (carol, bob, alice) = (
        cloud.member().await,
        cloud.member().await,
        cloud.member().await,
    );
    let image = cloud.create(&carol, json!({"name": "s"})).await;
    let id = image["id"].as_str().unwrap();
    let members = format!("/v2/images/{id}/members");
    let member = cloud
        .post(&members, &carol, json!({"member": bob.project_id}))
        .await
        .expect(200)
        .body;
    assert_eq!(member["status"], "pending");
    assert_eq!(member["image_id"], id);
    assert_eq!(member["member_id"], bob.project_id.as_str());
    assert_eq!(member["schema"], "/v2/schemas/member");
    let resp = cloud
        .post(&members, &carol, json!({"member": bob.project_id}))
        .await
        .expect(409);
    assert!(resp.text().contains("is duplicated for image"));
    let resp = cloud
        .post(&members, &carol, json!({"foo": "x"}))
        .await
        .expect(400);
    assert!(resp.text().contains("Member to be added not specified"));
    cloud
        .post(&members, &carol, json!({"member": alice.project_id}))
        .await
        .expect(200);

    // The owner sees every member, a member only itself, others nothing.
    let list = cloud.get(&members, &carol).await.expect(200).body;
    assert_eq!(list["members"].as_array().unwrap().len(), 2);
    assert_eq!(list["schema"], "/v2/schemas/members");
    let list = cloud.get(&members, &bob).await.expect(200).body;
    assert_eq!(list["members"].as_array().unwrap().len(), 1);
    let stranger = cloud.member().await;
    let resp = cloud.get(&members, &stranger).await.expect(404);
    assert!(resp.text().contains("not found"));
    let mine = format!("{members}/{}", bob.project_id);
    cloud.get(&mine, &bob).await.expect(200);
    cloud
        .get(&format!("{members}/nobody"), &carol)
        .await
        .expect(404);

    // Only the member answers; the status is validated.
    let put = |who, body| {
        let req = cloud.request(Method::PUT, &mine, Some(who)).json(&body);
        cloud.send(req)
    };
    let resp = put(&carol, json!({"status": "accepted"})).await.expect(403);
    assert!(resp.text().contains("modify_member"));
    put(&bob, json!({"status": "maybe"})).await.expect(400);
    put(&bob, json!({})).await.expect(400);
    let accepted = put(
        &bob,
        json!({"status": "accepted", "member": bob.project_id}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(accepted["status"], "accepted");
    let listed = cloud.get("/v2/images", &bob).await.expect(200).body;
    assert_eq!(listed["images"].as_array().unwrap().len(), 1);
    let listed = cloud
        .get("/v2/images?member_status=accepted&visibility=shared", &bob)
        .await
        .body;
    assert_eq!(listed["images"][0]["id"], id);
    // Members may download but not modify.
    cloud
        .patch(
            id,
            &bob,
            json!([{"op": "replace", "path": "/name", "value": "mine"}]),
        )
        .await
        .expect(403);

    // Only the owner withdraws; a member cannot add others.
    cloud
        .post(&members, &bob, json!({"member": stranger.project_id}))
        .await
        .expect(403);
    cloud.delete(&mine, &bob).await.expect(403);
    cloud.delete(&mine, &carol).await.expect(204);
    cloud.delete(&mine, &carol).await.expect(404);
    cloud
        .get(&format!("/v2/images/{id}"), &bob)
        .await
        .expect(404);
}

#[tokio::test]
async fn only_shared_images_have_members() {
    let cloud = Cloud::start().await;
    let carol = cloud.member().await;
    for visibility in ["private", "community"] {
        let image = cloud
            .create(&carol, json!({"visibility": visibility}))
            .await;
        let id = image["id"].as_str().unwrap();
        let resp = cloud
            .post(
                &format!("/v2/images/{id}/members"),
                &carol,
                json!({"member": "x"}),
            )
            .await
            .expect(403);
        assert!(resp.text().contains("Not allowed to create members"));
        let resp = cloud
            .get(&format!("/v2/images/{id}/members"), &carol)
            .await
            .expect(403);
        assert!(resp.text().contains("Only shared images have members."));
    }
}
