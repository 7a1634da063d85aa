//! Remote consoles: a URL with a token for each enabled protocol (2.6, and
//! the 2.1–2.5 actions), what a token opens for admins, and every refusal.

mod common;

use common::{active_server, setup, Cloud};
use ferrostack_identity::testing::Persona;
use reqwest::Method;
use serde_json::{json, Value};

/// Asks for a console of server `id` at `version`.
async fn console(
    cloud: &Cloud,
    who: &Persona,
    id: &str,
    protocol: &str,
    kind: &str,
    version: &str,
) -> common::Resp {
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/remote-consoles"),
            who,
            Some(json!({"remote_console": {"protocol": protocol, "type": kind}})),
            Some(version),
        )
        .await
}

/// The token inside a console URL.
fn token_of(url: &str) -> String {
    let from = url.rfind("token").expect("a token in the URL") + "token".len();
    url[from..]
        .trim_start_matches("%3D")
        .trim_start_matches('=')
        .to_string()
}

async fn token_info(cloud: &Cloud, who: &Persona, token: &str, version: &str) -> common::Resp {
    cloud
        .send(
            Method::GET,
            &format!("/v2.1/os-console-auth-tokens/{token}"),
            who,
            None,
            Some(version),
        )
        .await
}

#[tokio::test]
async fn consoles_hand_out_tokens_that_open_the_guests_console() {
    let (cloud, admin, alice, image) = setup(1, |c| c.set("spice", "enabled", "true")).await;
    let id = active_server(&cloud, &alice, "c", &image).await;

    let vnc = console(&cloud, &alice, &id, "vnc", "novnc", "2.6")
        .await
        .expect(200)
        .body;
    assert_eq!(vnc["remote_console"]["protocol"], "vnc");
    assert_eq!(vnc["remote_console"]["type"], "novnc");
    let url = vnc["remote_console"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D"),
        "{url}"
    );
    let token = token_of(url);
    let shown = token_info(&cloud, &admin, &token, "2.31")
        .await
        .expect(200)
        .body;
    assert_eq!(shown["console"]["instance_uuid"], json!(id));
    assert_eq!(shown["console"]["host"], "fakevncconsole.invalid");
    assert_eq!(shown["console"]["port"], 6969);
    assert!(shown["console"]["internal_access_path"].is_string());
    assert!(shown["console"].get("tls_port").is_none());

    // Before 2.31 only RDP tokens were shown; members see none; unknown is 404.
    token_info(&cloud, &admin, &token, "2.30").await.expect(400);
    token_info(&cloud, &alice, &token, "2.31").await.expect(403);
    let unknown = token_info(&cloud, &admin, "not-a-token", "2.31")
        .await
        .expect(404);
    assert_eq!(unknown.message(), "Token not found");

    // SPICE: html5 with ?token=, direct (2.99) with the TLS port shown.
    let html5 = console(&cloud, &alice, &id, "spice", "spice-html5", "2.6")
        .await
        .expect(200)
        .body;
    let url = html5["remote_console"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:6082/spice_auto.html?token="),
        "{url}"
    );
    console(&cloud, &alice, &id, "spice", "spice-direct", "2.98")
        .await
        .expect(400);
    let direct = console(&cloud, &alice, &id, "spice", "spice-direct", "2.99")
        .await
        .expect(200)
        .body;
    let token = token_of(direct["remote_console"]["url"].as_str().unwrap());
    let shown = token_info(&cloud, &admin, &token, "2.99")
        .await
        .expect(200)
        .body;
    assert_eq!(shown["console"]["tls_port"], 6970);
    assert_eq!(shown["console"]["internal_access_path"], Value::Null);

    // The 2.1-2.5 action, gone at 2.6 (as remote-consoles is below it).
    let action = |version: &'static str, body: Value| {
        let (cloud, alice, path) = (&cloud, &alice, format!("/v2.1/servers/{id}/action"));
        async move {
            cloud
                .send(Method::POST, &path, alice, Some(body), Some(version))
                .await
        }
    };
    let legacy = action("2.1", json!({"os-getVNCConsole": {"type": "novnc"}}))
        .await
        .expect(200)
        .body;
    assert_eq!(legacy["console"]["type"], "novnc");
    assert!(legacy["console"]["url"]
        .as_str()
        .unwrap()
        .contains("path=%3Ftoken%3D"));
    action("2.6", json!({"os-getVNCConsole": {"type": "novnc"}}))
        .await
        .expect(404);
    console(&cloud, &alice, &id, "vnc", "novnc", "2.5")
        .await
        .expect(404);

    // Deleting the server drops its tokens.
    let token = token_of(url);
    token_info(&cloud, &admin, &token, "2.31").await.expect(200);
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.1/servers/{id}"),
            &alice,
            None,
            None,
        )
        .await
        .expect(204);
    cloud.wait_status(&alice, &id, "DELETED").await;
    token_info(&cloud, &admin, &token, "2.31").await.expect(404);
}

#[tokio::test]
async fn consoles_refuse_what_the_host_or_the_server_cannot_give() {
    let (cloud, _admin, alice, image) = setup(1, |_| {}).await;
    let id = active_server(&cloud, &alice, "c", &image).await;
    let refused = |protocol: &'static str, kind: &'static str, version: &'static str| {
        let (cloud, alice, id) = (&cloud, &alice, id.clone());
        async move {
            let resp = console(cloud, alice, &id, protocol, kind, version).await;
            assert_eq!(resp.status, 400, "{protocol}/{kind}: {:?}", resp.body);
            resp.message()
        }
    };
    // Off by default on the host, checked before the type.
    assert_eq!(
        refused("spice", "spice-html5", "2.6").await,
        "Unavailable console type spice-html5."
    );
    assert_eq!(
        refused("serial", "serial", "2.6").await,
        "Unavailable console type serial."
    );
    assert_eq!(
        refused("mks", "webmks", "2.8").await,
        "Unavailable console type webmks."
    );
    assert_eq!(
        refused("rdp", "rdp-html5", "2.6").await,
        "Unavailable console type rdp."
    );
    assert_eq!(
        refused("vnc", "xvpvnc", "2.6").await,
        "Invalid console type xvpvnc"
    );
    assert!(refused("mks", "webmks", "2.7")
        .await
        .contains("is not one of"));
    assert!(refused("vnc", "telnet", "2.6")
        .await
        .contains("is not one of"));

    let missing = console(
        &cloud,
        &alice,
        "00000000-0000-0000-0000-000000000000",
        "vnc",
        "novnc",
        "2.6",
    )
    .await;
    assert_eq!(missing.status, 404);

    // A shelved, offloaded server has no host, so no console.
    cloud
        .send(
            Method::POST,
            &format!("/v2.1/servers/{id}/action"),
            &alice,
            Some(json!({"shelve": null})),
            None,
        )
        .await
        .expect(202);
    cloud.wait_status(&alice, &id, "SHELVED_OFFLOADED").await;
    let resp = console(&cloud, &alice, &id, "vnc", "novnc", "2.6").await;
    assert_eq!(resp.status, 409);
    assert_eq!(resp.message(), format!("Instance {id} is not ready"));
}

#[tokio::test]
async fn tokens_expire_after_their_ttl() {
    let (cloud, admin, alice, image) = setup(1, |c| c.set("consoleauth", "token_ttl", "1")).await;
    let id = active_server(&cloud, &alice, "c", &image).await;
    let vnc = console(&cloud, &alice, &id, "vnc", "novnc", "2.6")
        .await
        .expect(200)
        .body;
    let token = token_of(vnc["remote_console"]["url"].as_str().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    token_info(&cloud, &admin, &token, "2.31").await.expect(404);
}
