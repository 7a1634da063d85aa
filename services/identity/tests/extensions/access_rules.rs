//! Application credential access rules: stored per user, shown on credentials and
//! in tokens, kept while in use, and enforced.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{Keystone, Persona};

async fn credential(ks: &Keystone, who: &Persona, rules: Value) -> Value {
    let name = uuid::Uuid::new_v4().simple().to_string();
    ks.send(
        Method::POST,
        &format!("/v3/users/{}/application_credentials", who.user_id),
        Some(&who.token),
        Some(json!({"application_credential": {"name": name, "access_rules": rules}})),
    )
    .await
    .expect(201)
    .body["application_credential"]
        .clone()
}

async fn credential_token(ks: &Keystone, cred: &Value) -> String {
    ks.send(
        Method::POST,
        "/v3/auth/tokens",
        None,
        Some(
            json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": cred["id"], "secret": cred["secret"]}}}}),
        ),
    )
    .await
    .expect(201)
    .header("x-subject-token")
    .unwrap()
    .to_string()
}

#[tokio::test]
async fn access_rules_are_kept_shown_and_enforced() {
    let ks = Keystone::start().await;
    let member = ks.user_with_role("member").await;
    let rule = json!({"service": "compute", "method": "GET", "path": "/v2.1/servers/*/ips"});
    let cred = credential(&ks, &member, json!([rule])).await;
    let shown = cred["access_rules"][0].clone();
    let rule_id = shown["id"].as_str().unwrap().to_string();
    let mut without_id = shown.clone();
    without_id.as_object_mut().unwrap().remove("id");
    assert_eq!(without_id, rule);
    // The same rule again is the same stored rule; by id it is reused too.
    let again = credential(&ks, &member, json!([rule])).await;
    assert_eq!(again["access_rules"][0]["id"], rule_id.as_str());
    let by_id = credential(&ks, &member, json!([{"id": rule_id}])).await;
    assert_eq!(by_id["access_rules"][0]["path"], "/v2.1/servers/*/ips");
    for bad in [
        json!([{"service": "compute", "method": "FETCH", "path": "/"}]),
        json!([{"service": "compute", "path": "/"}]),
        json!([{"service": "compute", "method": "GET", "path": "/", "x": 1}]),
    ] {
        ks.send(
            Method::POST,
            &format!("/v3/users/{}/application_credentials", member.user_id),
            Some(&member.token),
            Some(json!({"application_credential": {"name": "bad", "access_rules": bad}})),
        )
        .await
        .expect(400);
    }

    let base = format!("/v3/users/{}/access_rules", member.user_id);
    let listed = ks.get(&base, &member.token).await.expect(200);
    assert_eq!(listed.body["access_rules"].as_array().unwrap().len(), 1);
    let one = ks
        .get(&format!("{base}/{rule_id}"), &member.token)
        .await
        .expect(200);
    assert_eq!(one.body["access_rule"]["service"], "compute");
    let other = ks.user_with_role("member").await;
    ks.get(&base, &other.token).await.expect(403);

    // The token carries the rules; only a validator that enforces them sees it.
    let token = credential_token(&ks, &cred).await;
    let headers = |with_rules: bool| {
        let mut req = ks
            .client
            .get(ks.served.url("/v3/auth/tokens"))
            .header("X-Auth-Token", &ks.admin_token)
            .header("X-Subject-Token", &token);
        if with_rules {
            req = req.header("OpenStack-Identity-Access-Rules", "1.0");
        }
        req
    };
    assert_eq!(headers(false).send().await.unwrap().status(), 404);
    let validated: Value = headers(true).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        validated["token"]["application_credential"]["access_rules"][0]["id"],
        rule_id.as_str()
    );
    // Identity's own API follows the rules too: none names the identity service.
    ks.get(&base, &token).await.expect(401);
    let identity_rule =
        json!([{"service": "identity", "method": "GET", "path": "/v3/users/*/access_rules"}]);
    let reader = credential(&ks, &member, identity_rule).await;
    let reader_token = credential_token(&ks, &reader).await;
    ks.get(&base, &reader_token).await.expect(200);

    // In use: 403; once every credential using it is gone, it can go.
    let delete = format!("{base}/{rule_id}");
    ks.send(Method::DELETE, &delete, Some(&member.token), None)
        .await
        .expect(403);
    for c in [&cred, &again, &by_id] {
        ks.send(
            Method::DELETE,
            &format!(
                "/v3/users/{}/application_credentials/{}",
                member.user_id,
                c["id"].as_str().unwrap()
            ),
            Some(&member.token),
            None,
        )
        .await
        .expect(204);
    }
    let still = ks.get(&base, &member.token).await.expect(200);
    assert!(still.body["access_rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == rule_id.as_str()));
    ks.send(Method::DELETE, &delete, Some(&member.token), None)
        .await
        .expect(204);
    ks.get(&delete, &member.token).await.expect(404);
}
