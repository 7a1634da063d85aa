//! RBAC policies over HTTP: a network shared with one project, then with
//! another, kept while the target has ports on it; external access for one
//! project, kept while its routers use it; wildcards only for admins; the
//! refusals as Neutron words them.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::{json, Value};

fn policy(network: &Value, action: &str, target: &str) -> Value {
    json!({"rbac_policy": {"object_type": "network", "object_id": network["id"], "action": action, "target_tenant": target}})
}

#[tokio::test]
async fn a_network_shared_with_one_project_then_another() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bob = cloud.identity.persona(&["member"]).await;
    let carol = cloud.identity.persona(&["member"]).await;
    let (net_id, subnet_id) = cloud.network_with_subnet(&alice, "n", "10.9.0.0/24").await;
    let net_path = format!("/v2.0/networks/{net_id}");
    let net = cloud.get(&net_path, &alice).await.expect(200).body["network"].clone();
    cloud.get(&net_path, &bob).await.expect(404);
    let port = json!({"port": {"network_id": net_id}});
    let (kind, _) = cloud
        .refused(Method::POST, "/v2.0/ports", &bob, Some(port.clone()), 404)
        .await;
    assert_eq!(kind, "NetworkNotFound");

    let created = cloud
        .send(
            Method::POST,
            "/v2.0/rbac-policies",
            &alice,
            Some(policy(&net, "access_as_shared", &bob.project_id)),
        )
        .await
        .expect(201)
        .body["rbac_policy"]
        .clone();
    assert_eq!(created["object_type"], "network");
    assert_eq!(created["object_id"], json!(net_id));
    assert_eq!(created["action"], "access_as_shared");
    assert_eq!(created["target_tenant"], json!(bob.project_id));
    assert_eq!(created["project_id"], json!(alice.project_id));
    assert_eq!(created["tenant_id"], json!(alice.project_id));
    let rbac_path = format!("/v2.0/rbac-policies/{}", created["id"].as_str().unwrap());
    let after = cloud.get(&net_path, &alice).await.expect(200).body["network"].clone();
    assert_eq!(
        after["revision_number"],
        net["revision_number"].as_i64().unwrap() + 1
    );
    assert_eq!(after["shared"], false, "shared is what the caller sees");
    let seen = cloud.get(&net_path, &bob).await.expect(200).body["network"].clone();
    assert_eq!(seen["shared"], true);
    let listed = cloud.get("/v2.0/networks", &bob).await.expect(200).body;
    assert!(listed["networks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["id"] == json!(net_id)));
    cloud
        .get(&format!("/v2.0/subnets/{subnet_id}"), &bob)
        .await
        .expect(200);
    cloud.get(&net_path, &carol).await.expect(404);
    let bobs_port = cloud
        .send(Method::POST, "/v2.0/ports", &bob, Some(port.clone()))
        .await
        .expect(201)
        .body["port"]
        .clone();
    cloud
        .refused(Method::POST, "/v2.0/ports", &carol, Some(port.clone()), 404)
        .await;

    // The target sees nothing of the policy; the owner lists and shows it.
    cloud.get(&rbac_path, &bob).await.expect(404);
    let mine = cloud
        .get("/v2.0/rbac-policies", &bob)
        .await
        .expect(200)
        .body;
    assert_eq!(mine["rbac_policies"], json!([]));
    let alices = cloud
        .get(
            &format!("/v2.0/rbac-policies?object_id={net_id}&fields=target_tenant"),
            &alice,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        alices["rbac_policies"],
        json!([{"target_tenant": bob.project_id}])
    );

    // Refusals.
    let (kind, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/rbac-policies",
            &alice,
            Some(policy(&net, "access_as_shared", &bob.project_id)),
            409,
        )
        .await;
    assert_eq!(kind, "DuplicateRbacPolicy");
    assert_eq!(message, "An RBAC policy already exists with those values.");
    let (kind, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/rbac-policies",
            &alice,
            Some(policy(&net, "access_as_shared", "*")),
            403,
        )
        .await;
    assert_eq!(kind, "PolicyNotAuthorized");
    assert_eq!(message, "(rule:create_rbac_policy and rule:create_rbac_policy:target_tenant) is disallowed by policy");
    let (_, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/rbac-policies",
            &bob,
            Some(policy(&net, "access_as_shared", &carol.project_id)),
            400,
        )
        .await;
    assert_eq!(message, "Invalid input for operation: Only admins can manipulate policies on networks they do not own.");
    let (_, message) = cloud
        .refused(Method::POST, "/v2.0/rbac-policies", &alice, Some(json!({"rbac_policy": {"object_type": "qos_policy", "object_id": net_id, "action": "access_as_shared", "target_tenant": bob.project_id}})), 400)
        .await;
    assert_eq!(
        message,
        "Invalid input for operation: 'qos_policy' is not a valid RBAC object type."
    );
    let (_, message) = cloud
        .refused(
            Method::POST,
            "/v2.0/rbac-policies",
            &alice,
            Some(policy(&net, "access_as_owner", &bob.project_id)),
            400,
        )
        .await;
    assert!(message.starts_with("Invalid input for operation: Invalid action 'access_as_owner' for object type 'network'."), "{message}");
    let (_, message) = cloud
        .refused(Method::POST, "/v2.0/rbac-policies", &alice, Some(json!({"rbac_policy": {"object_type": "network", "object_id": net_id, "action": "access_as_shared"}})), 400)
        .await;
    assert_eq!(
        message,
        "Failed to parse request. Required attribute 'target_tenant' not specified"
    );
    cloud
        .refused(Method::POST, "/v2.0/rbac-policies", &alice, Some(json!({"rbac_policy": {"object_type": "network", "object_id": net_id, "action": "access_as_shared", "target_tenant": null}})), 400)
        .await;
    cloud
        .refused(
            Method::POST,
            "/v2.0/rbac-policies",
            &alice,
            Some(policy(&net, "access_as_shared", &"x".repeat(256))),
            400,
        )
        .await;
    cloud
        .refused(
            Method::POST,
            "/v2.0/rbac-policies",
            &alice,
            Some(policy(
                &json!({"id": "f4a8e5b8-4c1e-4b8a-9d1c-000000000000"}),
                "access_as_shared",
                &bob.project_id,
            )),
            400,
        )
        .await;
    cloud
        .refused(
            Method::PUT,
            &rbac_path,
            &alice,
            Some(json!({"rbac_policy": {"action": "access_as_external"}})),
            400,
        )
        .await;
    cloud
        .refused(
            Method::PUT,
            &rbac_path,
            &alice,
            Some(json!({"rbac_policy": {"target_tenant": "*"}})),
            403,
        )
        .await;

    // Bob's port keeps his access; without it the policy moves to Carol.
    let (kind, message) = cloud
        .refused(Method::DELETE, &rbac_path, &alice, None, 409)
        .await;
    assert_eq!(kind, "RbacPolicyInUse");
    assert!(
        message.starts_with(&format!(
            "RBAC policy on object {net_id} cannot be removed because other objects depend on it."
        )),
        "{message}"
    );
    cloud
        .refused(
            Method::PUT,
            &rbac_path,
            &alice,
            Some(json!({"rbac_policy": {"target_tenant": carol.project_id}})),
            409,
        )
        .await;
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/ports/{}", bobs_port["id"].as_str().unwrap()),
            &bob,
            None,
        )
        .await
        .expect(204);
    let moved = cloud
        .send(
            Method::PUT,
            &rbac_path,
            &alice,
            Some(json!({"rbac_policy": {"target_tenant": carol.project_id}})),
        )
        .await
        .expect(200)
        .body["rbac_policy"]
        .clone();
    assert_eq!(moved["target_tenant"], json!(carol.project_id));
    cloud.get(&net_path, &bob).await.expect(404);
    cloud.get(&net_path, &carol).await.expect(200);
    cloud
        .send(Method::DELETE, &rbac_path, &alice, None)
        .await
        .expect(204);
    cloud.get(&net_path, &carol).await.expect(404);
    cloud.get(&rbac_path, &alice).await.expect(404);

    // Ten policies per project by default.
    let quota = cloud
        .get(
            &format!("/v2.0/quotas/{}/details", alice.project_id),
            &alice,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(quota["quota"]["rbac_policy"]["limit"], 10);
}

#[tokio::test]
async fn external_access_wildcards_and_the_shared_flag() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let bob = cloud.identity.persona(&["member"]).await;

    // `shared` is the wildcard entry, both ways.
    let shared = cloud
        .create(
            "networks",
            "network",
            &admin,
            json!({"name": "s", "shared": true}),
        )
        .await;
    let sid = shared["id"].as_str().unwrap();
    let entries = cloud
        .get(&format!("/v2.0/rbac-policies?object_id={sid}"), &admin)
        .await
        .expect(200)
        .body["rbac_policies"]
        .clone();
    assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
    assert_eq!(entries[0]["action"], "access_as_shared");
    assert_eq!(entries[0]["target_tenant"], "*");
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/networks/{sid}"),
            &admin,
            Some(json!({"network": {"shared": false}})),
        )
        .await
        .expect(200);
    let entries = cloud
        .get(&format!("/v2.0/rbac-policies?object_id={sid}"), &admin)
        .await
        .expect(200)
        .body;
    assert_eq!(entries["rbac_policies"], json!([]));
    cloud
        .get(&format!("/v2.0/networks/{sid}"), &alice)
        .await
        .expect(404);
    let wildcard = cloud
        .send(
            Method::POST,
            "/v2.0/rbac-policies",
            &admin,
            Some(policy(&shared, "access_as_shared", "*")),
        )
        .await
        .expect(201);
    assert_eq!(wildcard.body["rbac_policy"]["target_tenant"], "*");
    let seen = cloud
        .get(&format!("/v2.0/networks/{sid}"), &alice)
        .await
        .expect(200)
        .body;
    assert_eq!(seen["network"]["shared"], true);

    // External for Alice only: she sees it and puts her router's gateway
    // on it; Bob neither sees it nor puts a port on it.
    let (public_id, _) = cloud
        .network_with_subnet(&admin, "public", "203.0.113.0/24")
        .await;
    let public = json!({"id": public_id});
    let grant = cloud
        .send(
            Method::POST,
            "/v2.0/rbac-policies",
            &admin,
            Some(policy(&public, "access_as_external", &alice.project_id)),
        )
        .await
        .expect(201)
        .body["rbac_policy"]
        .clone();
    let public_path = format!("/v2.0/networks/{public_id}");
    let seen = cloud.get(&public_path, &alice).await.expect(200).body;
    assert_eq!(seen["network"]["router:external"], true);
    assert_eq!(seen["network"]["shared"], false);
    cloud.get(&public_path, &bob).await.expect(404);
    cloud
        .refused(
            Method::POST,
            "/v2.0/ports",
            &alice,
            Some(json!({"port": {"network_id": public_id}})),
            404,
        )
        .await;
    let router = cloud
        .create(
            "routers",
            "router",
            &alice,
            json!({"external_gateway_info": {"network_id": public_id}}),
        )
        .await;
    cloud
        .refused(
            Method::POST,
            "/v2.0/routers",
            &bob,
            Some(json!({"router": {"external_gateway_info": {"network_id": public_id}}})),
            404,
        )
        .await;
    let grant_path = format!("/v2.0/rbac-policies/{}", grant["id"].as_str().unwrap());
    let (kind, message) = cloud
        .refused(Method::DELETE, &grant_path, &admin, None, 409)
        .await;
    assert_eq!(kind, "RbacPolicyInUse");
    assert!(message.ends_with("Details: There are routers attached to this network that depend on this policy for access."), "{message}");
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/routers/{}", router["id"].as_str().unwrap()),
            &alice,
            Some(json!({"router": {"external_gateway_info": {}}})),
        )
        .await
        .expect(200);
    cloud
        .send(Method::DELETE, &grant_path, &admin, None)
        .await
        .expect(204);
    let after = cloud.get(&public_path, &admin).await.expect(200).body;
    assert_eq!(
        after["network"]["router:external"], false,
        "the last external entry went"
    );
    cloud.get(&public_path, &alice).await.expect(404);

    // router:external=false is refused while a gateway uses the network.
    let (ext_id, _) = cloud
        .network_with_subnet(&admin, "ext", "198.51.100.0/24")
        .await;
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/networks/{ext_id}"),
            &admin,
            Some(json!({"network": {"router:external": true}})),
        )
        .await
        .expect(200);
    cloud
        .create(
            "routers",
            "router",
            &bob,
            json!({"external_gateway_info": {"network_id": ext_id}}),
        )
        .await;
    let (kind, _) = cloud
        .refused(
            Method::PUT,
            &format!("/v2.0/networks/{ext_id}"),
            &admin,
            Some(json!({"network": {"router:external": false}})),
            409,
        )
        .await;
    assert_eq!(kind, "ExternalNetworkInUse");
    let listed = cloud
        .get("/v2.0/rbac-policies", &admin)
        .await
        .expect(200)
        .body;
    assert!(listed["rbac_policies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["object_id"] == json!(ext_id)
            && p["action"] == "access_as_external"
            && p["target_tenant"] == "*"));
}
