//! Volume types: admin CRUD, extra specs steering the scheduler, the default type,
//! private types with project access.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn types_steer_volumes_to_their_backend() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let types = format!("/v3/{}/types", admin.project_id);
    let default = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/types/default", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(default["volume_type"]["name"], "__DEFAULT__");
    // Only admins manage types.
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/types", alice.project_id),
            &alice,
            Some(json!({"volume_type": {"name": "x"}})),
            None,
        )
        .await
        .expect(403);
    for backend in ["gold", "silver"] {
        let created = cloud
            .send(
                Method::POST,
                &types,
                &admin,
                Some(json!({"volume_type": {"name": backend, "extra_specs": {"volume_backend_name": backend}}})),
                None,
            )
            .await
            .expect(200)
            .body;
        assert_eq!(
            created["volume_type"]["extra_specs"]["volume_backend_name"],
            backend
        );
    }
    cloud
        .send(
            Method::POST,
            &types,
            &admin,
            Some(json!({"volume_type": {"name": "gold"}})),
            None,
        )
        .await
        .expect(409);
    let listed = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/types", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = listed["volume_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["__DEFAULT__", "gold", "silver"]);
    assert_eq!(
        listed["volume_types"][1]["extra_specs"],
        json!({}),
        "specs hidden from users"
    );

    // Each volume lands on the backend its type names.
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    for backend in ["gold", "silver", "gold"] {
        let created = cloud
            .send(
                Method::POST,
                &volumes,
                &alice,
                Some(json!({"volume": {"size": 1, "volume_type": backend}})),
                None,
            )
            .await
            .expect(202)
            .body;
        assert_eq!(created["volume"]["volume_type"], backend);
        let id = created["volume"]["id"].as_str().unwrap();
        cloud.wait_status(&alice, id, "available").await;
        let path = cloud
            .env
            .dir
            .join("volumes")
            .join(backend)
            .join(format!("volume-{id}"));
        assert!(path.exists(), "{backend}: {path:?}");
    }
    // A type naming no backend leaves the volume in error.
    let nowhere = cloud
        .send(Method::POST, &types, &admin, Some(json!({"volume_type": {"name": "nowhere", "extra_specs": {"volume_backend_name": "bronze"}}})), None)
        .await
        .expect(200)
        .body["volume_type"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let created = cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1, "volume_type": nowhere}})),
            None,
        )
        .await
        .expect(202)
        .body;
    cloud
        .wait_status(&alice, created["volume"]["id"].as_str().unwrap(), "error")
        .await;
    // A type in use cannot be deleted; an unused one can.
    let gold_id = listed["volume_types"][1]["id"].as_str().unwrap();
    cloud
        .send(
            Method::DELETE,
            &format!("{types}/{gold_id}"),
            &admin,
            None,
            None,
        )
        .await
        .expect(400);
    let spare = cloud
        .send(
            Method::POST,
            &types,
            &admin,
            Some(json!({"volume_type": {"name": "spare"}})),
            None,
        )
        .await
        .expect(200)
        .body["volume_type"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud
        .send(
            Method::DELETE,
            &format!("{types}/{spare}"),
            &admin,
            None,
            None,
        )
        .await
        .expect(202);
    cloud
        .send(Method::GET, &format!("{types}/{spare}"), &admin, None, None)
        .await
        .expect(404);
    let resp = cloud
        .send(Method::GET, &format!("{types}/nope"), &admin, None, None)
        .await
        .expect(404);
    assert_eq!(
        resp.body["itemNotFound"]["message"],
        "Volume type with name nope could not be found."
    );
}

#[tokio::test]
async fn extra_specs_and_private_types() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let types = format!("/v3/{}/types", admin.project_id);
    let created = cloud
        .send(Method::POST, &types, &admin, Some(json!({"volume_type": {"name": "secret", "os-volume-type-access:is_public": false}})), None)
        .await
        .expect(200)
        .body["volume_type"]
        .clone();
    let id = created["id"].as_str().unwrap().to_string();
    // As Cinder answers: qos_specs_id on shows only; updates carry neither it
    // nor the access extension's flag (tempest's schemas pin both).
    assert!(created.get("qos_specs_id").is_none());
    assert_eq!(created["os-volume-type-access:is_public"], false);
    let shown = cloud
        .send(Method::GET, &format!("{types}/{id}"), &admin, None, None)
        .await
        .expect(200);
    assert!(shown.body["volume_type"].get("qos_specs_id").is_some());
    let updated = cloud
        .send(
            Method::PUT,
            &format!("{types}/{id}"),
            &admin,
            Some(json!({"volume_type": {"description": "hidden"}})),
            None,
        )
        .await
        .expect(200);
    assert!(updated.body["volume_type"].get("qos_specs_id").is_none());
    assert!(updated.body["volume_type"]
        .get("os-volume-type-access:is_public")
        .is_none());
    // An update names publicity `is_public`, as Cinder's schema and the CLI do.
    for public in [true, false] {
        let updated = cloud
            .send(
                Method::PUT,
                &format!("{types}/{id}"),
                &admin,
                Some(json!({"volume_type": {"is_public": public}})),
                None,
            )
            .await
            .expect(200);
        assert_eq!(updated.body["volume_type"]["is_public"], public);
    }
    let specs = format!("{types}/{id}/extra_specs");
    cloud
        .send(
            Method::POST,
            &specs,
            &admin,
            Some(json!({"extra_specs": {"a": "1", "b": "2"}})),
            None,
        )
        .await
        .expect(200);
    cloud
        .send(
            Method::PUT,
            &format!("{specs}/a"),
            &admin,
            Some(json!({"a": "3"})),
            None,
        )
        .await
        .expect(200);
    cloud
        .send(
            Method::PUT,
            &format!("{specs}/a"),
            &admin,
            Some(json!({"b": "3"})),
            None,
        )
        .await
        .expect(400);
    cloud
        .send(Method::DELETE, &format!("{specs}/b"), &admin, None, None)
        .await
        .expect(202);
    cloud
        .send(Method::DELETE, &format!("{specs}/b"), &admin, None, None)
        .await
        .expect(404);
    let shown = cloud
        .send(Method::GET, &specs, &admin, None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["extra_specs"], json!({"a": "3"}));

    // Private: invisible to alice until shared with her project.
    let alice_types = format!("/v3/{}/types", alice.project_id);
    cloud
        .send(
            Method::GET,
            &format!("{alice_types}/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(404);
    let volumes = format!("/v3/{}/volumes", alice.project_id);
    cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1, "volume_type": "secret"}})),
            None,
        )
        .await
        .expect(404);
    let action = format!("{types}/{id}/action");
    cloud
        .send(
            Method::POST,
            &action,
            &admin,
            Some(json!({"addProjectAccess": {"project": alice.project_id}})),
            None,
        )
        .await
        .expect(202);
    cloud
        .send(
            Method::POST,
            &action,
            &admin,
            Some(json!({"addProjectAccess": {"project": alice.project_id}})),
            None,
        )
        .await
        .expect(409);
    let access = cloud
        .send(
            Method::GET,
            &format!("{types}/{id}/os-volume-type-access"),
            &admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        access["volume_type_access"][0]["project_id"],
        alice.project_id.as_str()
    );
    cloud
        .send(
            Method::GET,
            &format!("{alice_types}/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(200);
    cloud
        .send(
            Method::POST,
            &volumes,
            &alice,
            Some(json!({"volume": {"size": 1, "volume_type": "secret"}})),
            None,
        )
        .await
        .expect(202);
    cloud
        .send(
            Method::POST,
            &action,
            &admin,
            Some(json!({"removeProjectAccess": {"project": alice.project_id}})),
            None,
        )
        .await
        .expect(202);
    cloud
        .send(
            Method::GET,
            &format!("{alice_types}/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(404);
}

/// Creates a type with `specs` and a volume of it; returns the volume once it
/// settled (available or error), as an admin sees it.
async fn volume_of_type(cloud: &Cloud, specs: serde_json::Value) -> serde_json::Value {
    let admin = cloud.identity.admin_persona().await;
    let name = format!("t-{}", uuid::Uuid::new_v4().simple());
    cloud
        .send(
            Method::POST,
            &format!("/v3/{}/types", admin.project_id),
            &admin,
            Some(json!({"volume_type": {"name": name, "extra_specs": specs}})),
            None,
        )
        .await
        .expect(200);
    let made = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", admin.project_id),
            &admin,
            Some(json!({"volume": {"size": 1, "volume_type": name}})),
            None,
        )
        .await
        .expect(202);
    let id = made.body["volume"]["id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let volume = cloud
            .send(
                Method::GET,
                &format!("/v3/{}/volumes/{id}", admin.project_id),
                &admin,
                None,
                None,
            )
            .await
            .expect(200)
            .body["volume"]
            .clone();
        if volume["status"] == "available" || volume["status"] == "error" {
            return volume;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the volume never settled");
}

#[tokio::test]
async fn extra_specs_must_match_the_backends_capabilities() {
    let cloud = Cloud::start().await;
    let placed = |v: &serde_json::Value| (v["status"].clone(), v["os-vol-host-attr:host"].clone());
    // Shown as Cinder shows it: `host@backend#pool`, one pool per backend.
    let on = |host: &str| {
        let backend = host.split('@').nth(1).unwrap();
        (json!("available"), json!(format!("{host}#{backend}")))
    };
    let nowhere = (json!("error"), serde_json::Value::Null);
    let cases = [
        (
            json!({"capabilities:volume_backend_name": "silver"}),
            on("node1@silver"),
        ),
        (
            json!({"volume_backend_name": "<or> nope <or> gold"}),
            on("node1@gold"),
        ),
        (
            json!({"volume_backend_name": "gold", "multiattach": "<is> True",
                   "capabilities:vendor_name": "Open Source", "driver_version": "<in> .", "thin_provisioning_support": "<is> yes",
                   "free_capacity_gb": ">= 1", "RESKEY:availability_zones": "elsewhere",
                   "acme:turbo": "on"}),
            on("node1@gold"),
        ),
        (json!({"multiattach": "<is> False"}), nowhere.clone()),
        (json!({"storage_protocol": "iSCSI"}), nowhere.clone()),
        (json!({"tier": "gold"}), nowhere.clone()),
        (json!({"multiattach": "True"}), nowhere),
    ];
    for (specs, want) in cases {
        let volume = volume_of_type(&cloud, specs.clone()).await;
        assert_eq!(placed(&volume), want, "{specs}");
    }
}

#[tokio::test]
async fn qos_specs_and_their_associations() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let at = |path: &str| format!("/v3/{}/{path}", admin.project_id);
    let send = |method: Method, path: String, body: Option<serde_json::Value>| {
        let (cloud, admin) = (&cloud, &admin);
        async move { cloud.send(method, &path, admin, body, None).await }
    };
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/qos-specs", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(403);

    let made = send(Method::POST, at("qos-specs"),
        Some(json!({"qos_specs": {"name": " fast ", "consumer": "front-end", "total_iops_sec": "500"}})))
        .await
        .expect(200)
        .body;
    let qos = made["qos_specs"]["id"].as_str().unwrap().to_string();
    assert_eq!(made["qos_specs"]["name"], "fast");
    assert_eq!(made["qos_specs"]["consumer"], "front-end");
    assert_eq!(made["qos_specs"]["specs"], json!({"total_iops_sec": "500"}));
    assert_eq!(made["links"][0]["rel"], "self");
    let resp = send(
        Method::POST,
        at("qos-specs"),
        Some(json!({"qos_specs": {"name": "fast"}})),
    )
    .await
    .expect(409);
    assert_eq!(resp.message(), "QoS Specs fast already exists.");
    let resp = send(
        Method::POST,
        at("qos-specs"),
        Some(json!({"qos_specs": {"name": "  "}})),
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "An invalid 'name' value was provided. The 'name' can not be empty."
    );
    let resp = send(
        Method::POST,
        at("qos-specs"),
        Some(json!({"qos_specs": {"consumer": "both"}})),
    )
    .await
    .expect(400);
    assert!(resp.message().ends_with("'name' is a required property"));
    let resp = send(
        Method::POST,
        at("qos-specs"),
        Some(json!({"qos_specs": {"name": "x", "consumer": "sideways"}})),
    )
    .await
    .expect(400);
    assert!(resp
        .message()
        .starts_with("Invalid qos specs: Valid consumer of QoS specs are: QoSConsumerValues("));
    let plain = send(
        Method::POST,
        at("qos-specs"),
        Some(json!({"qos_specs": {"name": "plain"}})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(plain["qos_specs"]["consumer"], "back-end");
    let plain = plain["qos_specs"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        send(Method::GET, at("qos-specs"), None)
            .await
            .expect(200)
            .body["qos_specs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Set and unset keys.
    let set = send(
        Method::PUT,
        at(&format!("qos-specs/{qos}")),
        Some(json!({"qos_specs": {"read_iops_sec": "100", "consumer": "both"}})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        set,
        json!({"qos_specs": {"read_iops_sec": "100", "consumer": "both"}})
    );
    let shown = send(Method::GET, at(&format!("qos-specs/{qos}")), None)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["qos_specs"]["consumer"], "both");
    assert_eq!(
        shown["qos_specs"]["specs"],
        json!({"total_iops_sec": "500", "read_iops_sec": "100"})
    );
    send(
        Method::PUT,
        at(&format!("qos-specs/{qos}/delete_keys")),
        Some(json!({"keys": ["read_iops_sec"]})),
    )
    .await
    .expect(202);
    let resp = send(
        Method::PUT,
        at(&format!("qos-specs/{qos}/delete_keys")),
        Some(json!({"keys": ["nope"]})),
    )
    .await
    .expect(404);
    assert_eq!(
        resp.message(),
        format!("QoS spec {qos} has no spec with key nope.")
    );

    // Associations.
    let kind = send(
        Method::POST,
        at("types"),
        Some(json!({"volume_type": {"name": "limited"}})),
    )
    .await
    .expect(200)
    .body["volume_type"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = send(Method::GET, at(&format!("qos-specs/{qos}/associate")), None)
        .await
        .expect(400);
    assert_eq!(resp.message(), "Volume Type id must not be None.");
    send(
        Method::GET,
        at(&format!("qos-specs/{qos}/associate?vol_type_id=nope")),
        None,
    )
    .await
    .expect(404);
    send(
        Method::GET,
        at(&format!("qos-specs/{qos}/associate?vol_type_id={kind}")),
        None,
    )
    .await
    .expect(202);
    let shown = send(Method::GET, at(&format!("types/{kind}")), None)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["volume_type"]["qos_specs_id"], qos.as_str());
    // Only admins see which QoS specs a type has.
    let seen = cloud
        .send(
            Method::GET,
            &format!("/v3/{}/types/{kind}", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert!(seen["volume_type"].get("qos_specs_id").is_none());
    let listed = send(
        Method::GET,
        at(&format!("qos-specs/{qos}/associations")),
        None,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        listed,
        json!({"qos_associations": [{"association_type": "volume_type", "name": "limited", "id": kind}]})
    );
    let resp = send(
        Method::GET,
        at(&format!("qos-specs/{plain}/associate?vol_type_id={kind}")),
        None,
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        format!(
            "Invalid volume type: Type {kind} is already associated with another qos specs: {qos}"
        )
    );
    send(
        Method::GET,
        at(&format!(
            "qos-specs/{plain}/disassociate?vol_type_id={kind}"
        )),
        None,
    )
    .await
    .expect(202);
    assert_eq!(
        send(Method::GET, at(&format!("types/{kind}")), None)
            .await
            .body["volume_type"]["qos_specs_id"],
        qos.as_str()
    );

    // Deleting associated specs needs force.
    let resp = send(Method::DELETE, at(&format!("qos-specs/{qos}")), None)
        .await
        .expect(400);
    assert_eq!(resp.message(), "Qos specs still in use.");
    let resp = send(
        Method::DELETE,
        at(&format!("qos-specs/{qos}?force=maybe")),
        None,
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Value 'maybe' for 'force' is not a boolean."
    );
    send(
        Method::DELETE,
        at(&format!("qos-specs/{qos}?force=True")),
        None,
    )
    .await
    .expect(202);
    assert!(send(Method::GET, at(&format!("types/{kind}")), None)
        .await
        .body["volume_type"]["qos_specs_id"]
        .is_null());
    let resp = send(Method::GET, at(&format!("qos-specs/{qos}")), None)
        .await
        .expect(404);
    assert_eq!(resp.message(), format!("No such QoS spec {qos}."));

    send(
        Method::GET,
        at(&format!("qos-specs/{plain}/associate?vol_type_id={kind}")),
        None,
    )
    .await
    .expect(202);
    send(
        Method::GET,
        at(&format!("qos-specs/{plain}/disassociate_all")),
        None,
    )
    .await
    .expect(202);
    assert!(send(Method::GET, at(&format!("types/{kind}")), None)
        .await
        .body["volume_type"]["qos_specs_id"]
        .is_null());
    send(Method::DELETE, at(&format!("qos-specs/{plain}")), None)
        .await
        .expect(202);
}

/// Volume type encryption: `{}` until set, Cinder's create/show/item/update/
/// delete answers, admin only, frozen while volumes use the type, and no
/// volume of an encrypted type (this cloud has no key manager).
#[tokio::test]
async fn encryption_types() {
    let cloud = Cloud::start().await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let at = |path: &str| format!("/v3/{}/{path}", admin.project_id);
    let send = |method: Method, path: String, body: Option<serde_json::Value>| {
        let (cloud, admin) = (&cloud, &admin);
        async move { cloud.send(method, &path, admin, body, None).await }
    };
    let kind = send(
        Method::POST,
        at("types"),
        Some(json!({"volume_type": {"name": "secret"}})),
    )
    .await
    .expect(200)
    .body["volume_type"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let encryption = at(&format!("types/{kind}/encryption"));
    assert_eq!(
        send(Method::GET, encryption.clone(), None)
            .await
            .expect(200)
            .body,
        json!({})
    );
    cloud
        .send(
            Method::GET,
            &format!("/v3/{}/types/{kind}/encryption", alice.project_id),
            &alice,
            None,
            None,
        )
        .await
        .expect(403);
    let missing = at(&format!("types/{}/encryption", uuid::Uuid::new_v4()));
    let resp = send(Method::GET, missing, None).await.expect(404);
    assert!(resp.message().ends_with("could not be found."));

    let resp = send(
        Method::POST,
        encryption.clone(),
        Some(json!({"encryption": {"provider": "luks"}})),
    )
    .await
    .expect(400);
    assert!(resp
        .message()
        .ends_with("'control_location' is a required property"));
    let made = send(
        Method::POST,
        encryption.clone(),
        Some(json!({"encryption": {"provider": "luks", "control_location": "front-end", "key_size": "256", "cipher": "aes-xts-plain64"}})),
    )
    .await
    .expect(200)
    .body["encryption"]
    .clone();
    assert_eq!(made["volume_type_id"], kind.as_str());
    assert_eq!(made["key_size"], 256);
    let encryption_id = made["encryption_id"].as_str().unwrap().to_string();
    let resp = send(
        Method::POST,
        encryption.clone(),
        Some(json!({"encryption": {"provider": "luks", "control_location": "front-end"}})),
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        format!("Volume type encryption for type {kind} already exists.")
    );
    let shown = send(Method::GET, encryption.clone(), None)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["encryption_id"], encryption_id.as_str());
    assert_eq!(shown["provider"], "luks");
    assert_eq!(shown["deleted"], false);

    let item = format!("{encryption}/{encryption_id}");
    let updated = send(
        Method::PUT,
        item.clone(),
        Some(json!({"encryption": {"key_size": 128, "control_location": "back-end"}})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        updated,
        json!({"encryption": {"key_size": 128, "control_location": "back-end"}})
    );
    let cipher = send(Method::GET, format!("{encryption}/cipher"), None)
        .await
        .expect(200)
        .body;
    assert_eq!(cipher, json!({"cipher": "aes-xts-plain64"}));
    send(Method::GET, format!("{encryption}/nonsense"), None)
        .await
        .expect(404);

    // No volume of an encrypted type: it would not be encrypted.
    let resp = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1, "volume_type": "secret"}})),
            None,
        )
        .await
        .expect(400);
    let message = resp.message();
    assert!(message.contains("is encrypted"), "{message}");

    send(Method::DELETE, item.clone(), None).await.expect(202);
    assert_eq!(
        send(Method::GET, encryption.clone(), None)
            .await
            .expect(200)
            .body,
        json!({})
    );
    let resp = send(Method::DELETE, item, None).await.expect(404);
    assert_eq!(
        resp.message(),
        format!("Volume type encryption for type {kind} does not exist.")
    );

    // A type in use keeps its specs as they are.
    let volume = cloud
        .send(
            Method::POST,
            &format!("/v3/{}/volumes", alice.project_id),
            &alice,
            Some(json!({"volume": {"size": 1, "volume_type": "secret"}})),
            None,
        )
        .await
        .expect(202)
        .body["volume"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cloud.wait_status(&alice, &volume, "available").await;
    let resp = send(
        Method::POST,
        encryption,
        Some(json!({"encryption": {"provider": "luks", "control_location": "front-end"}})),
    )
    .await
    .expect(400);
    assert_eq!(
        resp.message(),
        "Cannot create encryption specs. Volume type in use."
    );
}
