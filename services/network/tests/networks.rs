//! Networks over HTTP: segments and their admin-only attributes, visibility
//! between projects, updates with revisions, deletes, lists, tags, and the
//! discovery documents.

mod common;

use common::{error, Cloud};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn discovery_and_extensions() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let root =
        ferrostack_testkit::send(&cloud.http, Method::GET, &cloud.served.url("/"), &[], None)
            .await
            .expect(200);
    assert_eq!(root.body["versions"][0]["id"], "v2.0");
    assert!(root.body["versions"][0]["links"][0]["href"]
        .as_str()
        .unwrap()
        .ends_with("/v2.0/"));
    let v2 = cloud.get("/v2.0/", &alice).await.expect(200);
    let collections: Vec<&str> = v2.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["collection"].as_str().unwrap())
        .collect();
    assert_eq!(collections, ["networks", "subnets", "ports"]);
    let extensions = cloud.get("/v2.0/extensions", &alice).await.expect(200);
    let aliases: Vec<&str> = extensions.body["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["alias"].as_str().unwrap())
        .collect();
    for alias in [
        "security-group",
        "binding",
        "provider",
        "external-net",
        "port-security",
        "standard-attr-tag",
    ] {
        assert!(aliases.contains(&alias), "{alias} missing from {aliases:?}");
    }
    assert!(
        aliases.contains(&"router") && !aliases.contains(&"l3-ha"),
        "{aliases:?}"
    );
    let one = cloud
        .get("/v2.0/extensions/provider", &alice)
        .await
        .expect(200);
    assert_eq!(one.body["extension"]["name"], "Provider Network");
    let missing = cloud
        .get("/v2.0/extensions/l3-ha", &alice)
        .await
        .expect(404);
    assert_eq!(
        error(&missing).1,
        "Extension with alias l3-ha does not exist"
    );
}

#[tokio::test]
async fn project_networks_get_vxlan_ids_and_admins_see_them() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let net = cloud
        .create(
            "networks",
            "network",
            &alice,
            json!({"name": "n1", "description": "d"}),
        )
        .await;
    assert_eq!(net["status"], "ACTIVE");
    assert_eq!(net["mtu"], 1450);
    assert_eq!(net["admin_state_up"], true);
    assert_eq!(net["shared"], false);
    assert_eq!(net["router:external"], false);
    assert_eq!(net["port_security_enabled"], true);
    assert_eq!(net["subnets"], json!([]));
    assert_eq!(net["revision_number"], 1);
    assert_eq!(net["project_id"], json!(alice.project_id));
    assert_eq!(net["tenant_id"], json!(alice.project_id));
    assert!(net["created_at"].as_str().unwrap().ends_with('Z'));
    // Members do not see the segment; admins do.
    assert!(net.get("provider:network_type").is_none(), "{net}");
    let id = net["id"].as_str().unwrap();
    let seen = cloud
        .get(&format!("/v2.0/networks/{id}"), &admin)
        .await
        .expect(200)
        .body["network"]
        .clone();
    assert_eq!(seen["provider:network_type"], "vxlan");
    assert_eq!(seen["provider:segmentation_id"], 100);
    assert_eq!(seen["provider:physical_network"], json!(null));
    let second = cloud
        .create("networks", "network", &alice, json!({"name": "n2"}))
        .await;
    let second = cloud
        .get(
            &format!("/v2.0/networks/{}", second["id"].as_str().unwrap()),
            &admin,
        )
        .await
        .body["network"]
        .clone();
    assert_eq!(second["provider:segmentation_id"], 101);

    // Admin-only attributes, as Neutron names the refused checks.
    let refused = cloud
        .send(
            Method::POST,
            "/v2.0/networks",
            &alice,
            Some(json!({"network": {"shared": true}})),
        )
        .await
        .expect(403);
    assert_eq!(
        error(&refused),
        (
            "PolicyNotAuthorized".into(),
            "(rule:create_network and rule:create_network:shared) is disallowed by policy".into()
        )
    );
    let refused = cloud
        .send(Method::POST, "/v2.0/networks", &alice, Some(json!({"network": {"provider:network_type": "flat", "provider:physical_network": "public"}})))
        .await
        .expect(403);
    assert_eq!(
        error(&refused).1,
        "((rule:create_network and rule:create_network:provider:network_type) and rule:create_network:provider:physical_network) is disallowed by policy"
    );

    // An admin's flat network holds its physical network alone.
    let flat = cloud
        .create("networks", "network", &admin, json!({"name": "public", "router:external": true, "provider:network_type": "flat", "provider:physical_network": "public"}))
        .await;
    assert_eq!(flat["provider:network_type"], "flat");
    assert_eq!(flat["mtu"], 1500);
    let taken = cloud
        .send(Method::POST, "/v2.0/networks", &admin, Some(json!({"network": {"provider:network_type": "flat", "provider:physical_network": "public"}})))
        .await
        .expect(409);
    assert_eq!(error(&taken).0, "FlatNetworkInUse");
    let vni = cloud
        .send(Method::POST, "/v2.0/networks", &admin, Some(json!({"network": {"provider:network_type": "vxlan", "provider:segmentation_id": 100}})))
        .await
        .expect(409);
    assert_eq!(
        error(&vni),
        (
            "TunnelIdInUse".into(),
            "Unable to create the network. The tunnel ID 100 is in use.".into()
        )
    );
    let vlan = cloud
        .send(
            Method::POST,
            "/v2.0/networks",
            &admin,
            Some(json!({"network": {"provider:network_type": "vlan"}})),
        )
        .await
        .expect(400);
    assert_eq!(
        error(&vlan).1,
        "Invalid input for operation: network_type value 'vlan' not supported."
    );

    // External networks are seen by every project; private ones by theirs.
    let bob = cloud.identity.persona(&["member"]).await;
    let listed = cloud.get("/v2.0/networks", &bob).await.expect(200);
    let names: Vec<&str> = listed.body["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["public"]);
    let hidden = cloud
        .get(&format!("/v2.0/networks/{id}"), &bob)
        .await
        .expect(404);
    assert_eq!(error(&hidden).0, "HTTPNotFound");
    let missing = cloud
        .get("/v2.0/networks/00000000-0000-0000-0000-000000000000", &bob)
        .await
        .expect(404);
    assert_eq!(
        error(&missing),
        (
            "NetworkNotFound".into(),
            "Network 00000000-0000-0000-0000-000000000000 could not be found.".into()
        )
    );
}

#[tokio::test]
async fn updates_check_revisions_and_deletes_free_the_segment() {
    let cloud = Cloud::with_config(|c| c.set("ml2_type_vxlan", "vni_ranges", "7:7")).await;
    let alice = cloud.identity.persona(&["member"]).await;
    let net = cloud
        .create("networks", "network", &alice, json!({"name": "a"}))
        .await;
    let id = net["id"].as_str().unwrap();
    let path = format!("/v2.0/networks/{id}");
    // The only VXLAN id is taken: no further project network.
    let none = cloud
        .send(
            Method::POST,
            "/v2.0/networks",
            &alice,
            Some(json!({"network": {}})),
        )
        .await
        .expect(503);
    assert_eq!(error(&none).0, "NoNetworkAvailable");

    let updated = cloud
        .send_with(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"network": {"name": "b", "mtu": 1400}})),
            &[("If-Match", "revision_number=1")],
        )
        .await
        .expect(200);
    assert_eq!(updated.body["network"]["name"], "b");
    assert_eq!(updated.body["network"]["mtu"], 1400);
    assert_eq!(updated.body["network"]["revision_number"], 2);
    let stale = cloud
        .send_with(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"network": {"name": "c"}})),
            &[("If-Match", "revision_number=1")],
        )
        .await
        .expect(412);
    assert_eq!(
        error(&stale),
        (
            "RevisionNumberConstraintFailed".into(),
            "Constrained to 1, but current revision is 2".into()
        )
    );
    let big = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"network": {"mtu": 9000}})),
        )
        .await
        .expect(400);
    assert_eq!(
        error(&big).1,
        "Invalid input for operation: Requested MTU is too big, maximum is 1450."
    );
    let read_only = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"network": {"status": "DOWN"}})),
        )
        .await
        .expect(400);
    assert_eq!(
        error(&read_only).1,
        "Cannot update read-only attribute status"
    );
    let unknown = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"network": {"colour": "red"}})),
        )
        .await
        .expect(400);
    assert_eq!(
        error(&unknown),
        (
            "HTTPBadRequest".into(),
            "Unrecognized attribute(s) 'colour'".into()
        )
    );
    let bad_bool = cloud
        .send(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"network": {"admin_state_up": "maybe"}})),
        )
        .await
        .expect(400);
    assert_eq!(error(&bad_bool).0, "InvalidInput");

    // A port keeps the network; deleting it lets the network go and its id back.
    let port = cloud
        .create("ports", "port", &alice, json!({"network_id": id}))
        .await;
    let busy = cloud
        .send(Method::DELETE, &path, &alice, None)
        .await
        .expect(409);
    assert_eq!(error(&busy).0, "NetworkInUse");
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/ports/{}", port["id"].as_str().unwrap()),
            &alice,
            None,
        )
        .await
        .expect(204);
    cloud
        .send(Method::DELETE, &path, &alice, None)
        .await
        .expect(204);
    cloud.get(&path, &alice).await.expect(404);
    cloud
        .create("networks", "network", &alice, json!({"name": "again"}))
        .await;
}

#[tokio::test]
async fn lists_filter_sort_page_and_tag() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let made = cloud
        .send(Method::POST, "/v2.0/networks", &alice, Some(json!({"networks": [{"name": "x"}, {"name": "y", "admin_state_up": false}, {"name": "z"}]})))
        .await
        .expect(201);
    let ids: Vec<String> = made.body["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3);
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["networks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    };
    let down = cloud
        .get("/v2.0/networks?admin_state_up=False", &alice)
        .await
        .expect(200);
    assert_eq!(names(&down.body), ["y"]);
    let sorted = cloud
        .get("/v2.0/networks?sort_key=name&sort_dir=desc", &alice)
        .await
        .expect(200);
    assert_eq!(names(&sorted.body), ["z", "y", "x"]);
    let fields = cloud
        .get("/v2.0/networks?fields=name&name=x", &alice)
        .await
        .expect(200);
    assert_eq!(fields.body["networks"], json!([{"name": "x"}]));
    let bad = cloud
        .get("/v2.0/networks?colour=red", &alice)
        .await
        .expect(400);
    assert_eq!(
        error(&bad).1,
        "['colour'] is invalid attribute for filtering"
    );
    let page = cloud
        .get("/v2.0/networks?limit=2&sort_key=name&sort_dir=asc", &alice)
        .await
        .expect(200);
    assert_eq!(names(&page.body), ["x", "y"]);
    let next = page.body["networks_links"][0]["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(next.contains("marker="), "{next}");
    let path = &next[next.find("/v2.0").unwrap()..];
    assert_eq!(
        names(&cloud.get(path, &alice).await.expect(200).body),
        ["z"]
    );

    // Tags: one by one, all at once, and as filters.
    let tags = format!("/v2.0/networks/{}/tags", ids[0]);
    cloud
        .send(Method::PUT, &format!("{tags}/red"), &alice, None)
        .await
        .expect(201);
    cloud
        .send(Method::PUT, &format!("{tags}/blue"), &alice, None)
        .await
        .expect(201);
    cloud
        .send(Method::GET, &format!("{tags}/red"), &alice, None)
        .await
        .expect(204);
    let gone = cloud
        .send(Method::GET, &format!("{tags}/green"), &alice, None)
        .await
        .expect(404);
    assert_eq!(error(&gone).0, "TagNotFound");
    assert_eq!(
        cloud.get(&tags, &alice).await.expect(200).body["tags"],
        json!(["blue", "red"])
    );
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/networks/{}/tags", ids[1]),
            &alice,
            Some(json!({"tags": ["red"]})),
        )
        .await
        .expect(200);
    assert_eq!(
        names(&cloud.get("/v2.0/networks?tags=red,blue", &alice).await.body),
        ["x"]
    );
    assert_eq!(
        names(
            &cloud
                .get(
                    "/v2.0/networks?tags-any=red&sort_key=name&sort_dir=asc",
                    &alice
                )
                .await
                .body
        ),
        ["x", "y"]
    );
    assert_eq!(
        names(
            &cloud
                .get("/v2.0/networks?not-tags-any=red", &alice)
                .await
                .body
        ),
        ["z"]
    );
    let shown = cloud
        .get(&format!("/v2.0/networks/{}", ids[0]), &alice)
        .await
        .body["network"]
        .clone();
    assert_eq!(shown["tags"], json!(["blue", "red"]));
    assert_eq!(shown["revision_number"], 3);
    cloud
        .send(Method::DELETE, &format!("{tags}/red"), &alice, None)
        .await
        .expect(204);
    cloud
        .send(Method::DELETE, &format!("{tags}/red"), &alice, None)
        .await
        .expect(404);
    cloud
        .send(Method::DELETE, &tags, &alice, None)
        .await
        .expect(204);
    assert_eq!(cloud.get(&tags, &alice).await.body["tags"], json!([]));
    let duplicate = cloud
        .send(
            Method::PUT,
            &tags,
            &alice,
            Some(json!({"tags": ["a", "a"]})),
        )
        .await
        .expect(400);
    assert_eq!(
        error(&duplicate).1,
        "Invalid input for operation: Duplicate items in the list: 'a'."
    );
}
