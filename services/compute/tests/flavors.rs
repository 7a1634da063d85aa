//! Version discovery and microversions; flavors with extra specs and access.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn versions_and_microversions() {
    let cloud = Cloud::start().await;
    let root = cloud.open("/", &[]).await.expect(200);
    assert_eq!(root.body["versions"][1]["id"], "v2.1");
    assert_eq!(root.body["versions"][1]["version"], "2.104");
    assert_eq!(root.body["versions"][1]["min_version"], "2.1");
    let v21 = cloud.open("/v2.1", &[]).await.expect(200);
    assert_eq!(
        v21.body["version"]["media-types"][0]["type"],
        "application/vnd.openstack.compute+json;version=2.1"
    );
    let admin = cloud.identity.admin_persona().await;
    // Negotiated as Nova: default 2.1, latest, the legacy header, 406 outside, 400 malformed.
    let list = cloud
        .send(Method::GET, "/v2.1/flavors", &admin, None, None)
        .await
        .expect(200);
    assert_eq!(list.header("openstack-api-version"), Some("compute 2.1"));
    let latest = cloud
        .send(Method::GET, "/v2.1/flavors", &admin, None, Some("latest"))
        .await
        .expect(200);
    assert_eq!(
        latest.header("openstack-api-version"),
        Some("compute 2.104")
    );
    let resp = cloud
        .send(Method::GET, "/v2.1/flavors", &admin, None, Some("3.0"))
        .await
        .expect(406);
    assert_eq!(
        resp.message(),
        "Version 3.0 is not supported by the API. Minimum is 2.1 and maximum is 2.104."
    );
    cloud
        .send(Method::GET, "/v2.1/flavors", &admin, None, Some("2.x"))
        .await
        .expect(400);
    let legacy = cloud
        .http
        .get(cloud.served.url("/v2.1/flavors"))
        .header("X-Auth-Token", &admin.token)
        .header("X-OpenStack-Nova-API-Version", "2.55")
        .send()
        .await
        .unwrap();
    assert_eq!(legacy.headers()["x-openstack-nova-api-version"], "2.55");
    cloud.open("/v2.1/flavors", &[]).await.expect(401);
}

#[tokio::test]
async fn legacy_v2_and_project_id_urls() {
    let cloud = Cloud::start().await;
    // The legacy v2 API is listed first, as upstream, and documents itself.
    let root = cloud.open("/", &[]).await.expect(200);
    let v20 = &root.body["versions"][0];
    assert_eq!(
        (&v20["id"], &v20["status"]),
        (&json!("v2.0"), &json!("SUPPORTED"))
    );
    let href = v20["links"][0]["href"].as_str().unwrap();
    assert!(href.ends_with("/v2/"), "{href}");
    for path in ["/v2", "/v2/"] {
        let doc = cloud.open(path, &[]).await.expect(200);
        assert_eq!(doc.body["version"]["id"], "v2.0");
        assert_eq!(
            doc.body["version"]["media-types"][0]["type"],
            "application/vnd.openstack.compute+json;version=2"
        );
    }
    let admin = cloud.identity.admin_persona().await;
    let project = admin.project_id.clone();
    common::flavor(&cloud, &admin, "1", 64, 1, 1).await;
    // v2 is the v2.1 API at 2.1 whatever the client asks, without version headers.
    let legacy = cloud
        .send(
            Method::GET,
            &format!("/v2/{project}/flavors/detail"),
            &admin,
            None,
            Some("2.55"),
        )
        .await
        .expect(200);
    assert_eq!(legacy.header("openstack-api-version"), None);
    let flavor = &legacy.body["flavors"][0];
    assert!(
        flavor["name"].is_string() && flavor.get("description").is_none(),
        "{flavor}"
    );
    // The project may follow the version in v2.1 too, with query strings kept.
    let v21 = cloud
        .send(
            Method::GET,
            &format!("/v2.1/{project}/flavors?limit=1"),
            &admin,
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(v21.header("openstack-api-version"), Some("compute 2.1"));
    assert_eq!(v21.body["flavors"].as_array().unwrap().len(), 1);
    // Another project than the token's is refused; without a token, 401 first.
    let other = "0c2a6e3b1f9d4b5c8e7a6d5c4b3a2f10";
    let refused = cloud
        .send(
            Method::GET,
            &format!("/v2.1/{other}/servers"),
            &admin,
            None,
            None,
        )
        .await
        .expect(400);
    assert_eq!(
        refused.message(),
        format!("Malformed request URL: URL's project_id '{other}' doesn't match Context's project_id '{project}'")
    );
    cloud
        .open(&format!("/v2/{project}/flavors"), &[])
        .await
        .expect(401);
}

fn ids(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn flavors_across_microversions() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let create = |body: Value, version: &'static str| {
        let (cloud, admin) = (&cloud, &admin);
        async move {
            cloud
                .send(
                    Method::POST,
                    "/v2.1/flavors",
                    admin,
                    Some(body),
                    Some(version),
                )
                .await
        }
    };
    // 2.1: swap "" for none, rxtx_factor and disabled shown, no description.
    let tiny = create(
        json!({"flavor": {"name": "tiny", "ram": 512, "vcpus": 1, "disk": 1, "id": "1"}}),
        "2.1",
    )
    .await
    .expect(200)
    .body["flavor"]
        .clone();
    assert_eq!(tiny["swap"], "");
    assert_eq!(tiny["rxtx_factor"], 1.0);
    assert_eq!(tiny["OS-FLV-DISABLED:disabled"], false);
    assert_eq!(tiny["os-flavor-access:is_public"], true);
    assert!(tiny.get("description").is_none());
    assert!(tiny["links"][0]["href"]
        .as_str()
        .unwrap()
        .ends_with("/v2.1/flavors/1"));
    assert!(tiny["links"][1]["href"]
        .as_str()
        .unwrap()
        .ends_with("/flavors/1"));
    // 2.55 description; 2.61 extra specs; 2.75 swap 0; 2.102 without rxtx/disabled.
    let big = create(
        json!({"flavor": {"name": "big", "ram": "4096", "vcpus": 4, "disk": 40, "swap": 512, "description": "roomy", "os-flavor-access:is_public": false}}),
        "2.61",
    )
    .await
    .expect(200)
    .body["flavor"]
    .clone();
    let big_id = big["id"].as_str().unwrap().to_string();
    assert_eq!(big_id.len(), 36, "a UUID when no id is given");
    assert_eq!(big["description"], "roomy");
    assert_eq!(big["extra_specs"], json!({}));
    let shown = cloud
        .send(Method::GET, "/v2.1/flavors/1", &admin, None, Some("2.75"))
        .await
        .expect(200)
        .body;
    assert_eq!(shown["flavor"]["swap"], 0);
    let shown = cloud
        .send(Method::GET, "/v2.1/flavors/1", &admin, None, Some("2.102"))
        .await
        .expect(200)
        .body;
    assert!(
        shown["flavor"].get("rxtx_factor").is_none()
            && shown["flavor"].get("OS-FLV-DISABLED:disabled").is_none()
    );
    // Bad input, duplicates, and the 2.102 rxtx refusal.
    let resp = create(
        json!({"flavor": {"name": "tiny", "ram": 1, "vcpus": 1, "disk": 1}}),
        "2.1",
    )
    .await
    .expect(409);
    assert_eq!(resp.message(), "Flavor with name tiny already exists.");
    let resp = create(
        json!({"flavor": {"name": "other", "ram": 1, "vcpus": 1, "disk": 1, "id": "1"}}),
        "2.1",
    )
    .await
    .expect(409);
    assert_eq!(resp.message(), "Flavor with ID 1 already exists.");
    let resp = create(
        json!({"flavor": {"name": "x", "ram": 0, "vcpus": 1, "disk": 1}}),
        "2.1",
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1"
    );
    let resp = create(
        json!({"flavor": {"name": "x", "vcpus": 1, "disk": 1}}),
        "2.1",
    )
    .await
    .expect(400);
    assert!(
        resp.message().ends_with("'ram' is a required property"),
        "{}",
        resp.message()
    );
    let resp = create(
        json!({"flavor": {"name": " x", "ram": 1, "vcpus": 1, "disk": 1}}),
        "2.1",
    )
    .await
    .expect(400);
    assert!(resp
        .message()
        .starts_with("An invalid 'name' value was provided."));
    let resp = create(
        json!({"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 1, "rxtx_factor": 2.0}}),
        "2.102",
    )
    .await
    .expect(400);
    assert!(resp
        .message()
        .ends_with("Additional properties are not allowed ('rxtx_factor' was unexpected)"));
    let resp = create(
        json!({"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 1, "description": "d"}}),
        "2.54",
    )
    .await
    .expect(400);
    assert!(resp.message().contains("'description' was unexpected"));
    // Only admins manage flavors.
    let resp = cloud
        .send(
            Method::POST,
            "/v2.1/flavors",
            &alice,
            Some(json!({"flavor": {"name": "mine", "ram": 1, "vcpus": 1, "disk": 1}})),
            None,
        )
        .await
        .expect(403);
    assert_eq!(
        resp.message(),
        "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed."
    );

    // Non-admins see public flavors, and private ones shared with their project.
    let seen = cloud
        .send(Method::GET, "/v2.1/flavors", &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&seen, "flavors"), ["1"]);
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/flavors/{big_id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(404);
    let access = cloud
        .send(
            Method::POST,
            &format!("/v2.1/flavors/{big_id}/action"),
            &admin,
            Some(json!({"addTenantAccess": {"tenant": alice.project_id}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        access,
        json!({"flavor_access": [{"flavor_id": big_id, "tenant_id": alice.project_id}]})
    );
    let seen = cloud
        .send(Method::GET, "/v2.1/flavors/detail", &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&seen, "flavors").len(), 2);
    let resp = cloud
        .send(
            Method::POST,
            "/v2.1/flavors/1/action",
            &admin,
            Some(json!({"addTenantAccess": {"tenant": alice.project_id}})),
            Some("2.7"),
        )
        .await
        .expect(409);
    assert_eq!(resp.message(), "Can not add access to a public flavor.");
    let resp = cloud
        .send(
            Method::GET,
            "/v2.1/flavors/1/os-flavor-access",
            &admin,
            None,
            None,
        )
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        "Access list not available for public flavors."
    );
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/flavors/{big_id}/action"),
            &admin,
            Some(json!({"removeTenantAccess": {"tenant": alice.project_id}})),
            None,
        )
        .await
        .expect(200);
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/flavors/{big_id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(404);

    // Admin lists: is_public none = all; filters; sort and pages with flavors_links.
    let all = cloud
        .send(
            Method::GET,
            "/v2.1/flavors?is_public=none",
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&all, "flavors").len(), 2);
    let roomy = cloud
        .send(
            Method::GET,
            "/v2.1/flavors?is_public=none&minRam=1024",
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&roomy, "flavors"), [big_id.as_str()]);
    let page = cloud
        .send(
            Method::GET,
            "/v2.1/flavors?is_public=none&sort_key=name&limit=1",
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&page, "flavors"), [big_id.as_str()]);
    let next = page["flavors_links"][0]["href"].as_str().unwrap();
    assert!(next.contains(&format!("marker={big_id}")), "{next}");
    let rest = cloud
        .send(
            Method::GET,
            &format!("/v2.1/flavors?is_public=none&sort_key=name&limit=1&marker={big_id}"),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&rest, "flavors"), ["1"]);
    let resp = cloud
        .send(
            Method::GET,
            "/v2.1/flavors?sort_key=colour",
            &admin,
            None,
            None,
        )
        .await
        .expect(400);
    assert!(resp
        .message()
        .starts_with("Invalid input for query parameters sort_key. Value: colour."));
    cloud
        .send(Method::GET, "/v2.1/flavors?marker=nope", &admin, None, None)
        .await
        .expect(400);
    cloud
        .send(
            Method::GET,
            "/v2.1/flavors?colour=red",
            &admin,
            None,
            Some("2.75"),
        )
        .await
        .expect(400);
    cloud
        .send(
            Method::GET,
            "/v2.1/flavors?colour=red",
            &admin,
            None,
            Some("2.74"),
        )
        .await
        .expect(200);
    let named = cloud
        .send(
            Method::GET,
            "/v2.1/flavors?name=^ti",
            &admin,
            None,
            Some("2.102"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&named, "flavors"), ["1"]);

    // Description updates from 2.55.
    cloud
        .send(
            Method::PUT,
            "/v2.1/flavors/1",
            &admin,
            Some(json!({"flavor": {"description": "small"}})),
            Some("2.54"),
        )
        .await
        .expect(404);
    let updated = cloud
        .send(
            Method::PUT,
            "/v2.1/flavors/1",
            &admin,
            Some(json!({"flavor": {"description": "small"}})),
            Some("2.55"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(updated["flavor"]["description"], "small");

    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/flavors/{big_id}"),
            &admin,
            None,
            None,
        )
        .await
        .expect(202);
    let resp = cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/flavors/{big_id}"),
            &admin,
            None,
            None,
        )
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        format!("Flavor {big_id} could not be found.")
    );
    assert!(resp.body.get("itemNotFound").is_some());
}

#[tokio::test]
async fn extra_specs() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    cloud
        .send(
            Method::POST,
            "/v2.1/flavors",
            &admin,
            Some(json!({"flavor": {"name": "m1", "ram": 1, "vcpus": 1, "disk": 1, "id": "m1"}})),
            None,
        )
        .await
        .expect(200);
    let specs = "/v2.1/flavors/m1/os-extra_specs";
    let made = cloud
        .send(
            Method::POST,
            specs,
            &admin,
            Some(json!({"extra_specs": {"hw:numa_nodes": 1, "acme:turbo": "on"}})),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        made,
        json!({"extra_specs": {"hw:numa_nodes": 1, "acme:turbo": "on"}}),
        "the body comes back as sent"
    );
    let listed = cloud
        .send(Method::GET, specs, &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        listed,
        json!({"extra_specs": {"hw:numa_nodes": "1", "acme:turbo": "on"}})
    );
    let shown = cloud
        .send(
            Method::GET,
            &format!("{specs}/hw:numa_nodes"),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(shown, json!({"hw:numa_nodes": "1"}));
    // In the flavor from 2.61.
    let flavor = cloud
        .send(Method::GET, "/v2.1/flavors/m1", &alice, None, Some("2.61"))
        .await
        .expect(200)
        .body;
    assert_eq!(flavor["flavor"]["extra_specs"]["acme:turbo"], "on");
    // Validated from 2.86 only.
    let resp = cloud
        .send(
            Method::POST,
            specs,
            &admin,
            Some(json!({"extra_specs": {"hw:cpu_policy": "lazy"}})),
            Some("2.86"),
        )
        .await
        .expect(400);
    assert_eq!(
        resp.message(),
        "Validation failed; 'lazy' is not one of: dedicated, shared, mixed."
    );
    cloud
        .send(
            Method::POST,
            specs,
            &admin,
            Some(json!({"extra_specs": {"hw:cpu_policy": "lazy"}})),
            Some("2.85"),
        )
        .await
        .expect(200);
    let resp = cloud
        .send(
            Method::POST,
            specs,
            &admin,
            Some(json!({"extra_specs": {"bad/key": "x"}})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(resp.message(), "Invalid input for field/attribute extra_specs. Value: {'bad/key': 'x'}. 'bad/key' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'");
    let resp = cloud
        .send(
            Method::PUT,
            &format!("{specs}/acme:turbo"),
            &admin,
            Some(json!({"acme:other": "x"})),
            None,
        )
        .await
        .expect(400);
    assert_eq!(resp.message(), "Request body and URI mismatch");
    cloud
        .send(
            Method::PUT,
            &format!("{specs}/acme:turbo"),
            &admin,
            Some(json!({"acme:turbo": "off"})),
            None,
        )
        .await
        .expect(200);
    cloud
        .send(
            Method::PUT,
            &format!("{specs}/acme:turbo"),
            &alice,
            Some(json!({"acme:turbo": "x"})),
            None,
        )
        .await
        .expect(403);
    cloud
        .send(
            Method::DELETE,
            &format!("{specs}/acme:turbo"),
            &admin,
            None,
            None,
        )
        .await
        .expect(200);
    let resp = cloud
        .send(
            Method::DELETE,
            &format!("{specs}/acme:turbo"),
            &admin,
            None,
            None,
        )
        .await
        .expect(404);
    assert_eq!(
        resp.message(),
        "Flavor m1 has no extra specs with key acme:turbo."
    );
    cloud
        .send(
            Method::GET,
            "/v2.1/flavors/nope/os-extra_specs",
            &admin,
            None,
            None,
        )
        .await
        .expect(404);
}

/// The legacy extension list names what this cloud serves.
#[tokio::test]
async fn extensions_list_what_is_served() {
    let cloud = Cloud::start().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let listed = cloud
        .send(Method::GET, "/v2.1/extensions", &alice, None, None)
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = listed["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Hosts") && names.contains(&"Keypairs"),
        "{names:?}"
    );
    let one = cloud
        .send(Method::GET, "/v2.1/extensions/os-hosts", &alice, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(one["extension"]["name"], "Hosts");
    // Networks are not served (nova-network is gone), so not listed.
    let resp = cloud
        .send(
            Method::GET,
            "/v2.1/extensions/os-networks",
            &alice,
            None,
            None,
        )
        .await
        .expect(404);
    assert_eq!(resp.message(), "Extension os-networks could not be found.");
}
