//! OS-TRUST: trusts a trustor makes for roles they hold, who may see and delete
//! them, and what makes them unusable.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::Keystone;

#[tokio::test]
async fn trusts_lifecycle_and_refusals() {
    let ks = Keystone::start().await;
    let trustor = ks.user_with_role("member").await;
    let trustee = ks.user_with_role("reader").await;
    let member = ks.role_id("member").await;
    let admin_role = ks.role_id("admin").await;
    let as_trustor = |method: Method, path: String, body: Option<Value>| {
        let token = trustor.token.clone();
        let ks = &ks;
        async move { ks.send(method, &path, Some(&token), body).await }
    };
    let trust = |extra: Value| {
        let mut body = json!({"trustor_user_id": trustor.user_id, "trustee_user_id": trustee.user_id,
            "project_id": trustor.project_id, "impersonation": false, "roles": [{"name": "member"}],
            "expires_at": null});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        json!({ "trust": body })
    };

    let made = as_trustor(
        Method::POST,
        "/v3/OS-TRUST/trusts".into(),
        Some(trust(
            json!({"expires_at": "2999-01-02T03:04:05Z", "impersonation": true}),
        )),
    )
    .await
    .expect(201)
    .body["trust"]
        .clone();
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(made["expires_at"], "2999-01-02T03:04:05.000000Z");
    assert_eq!(made["impersonation"], true);
    assert_eq!(made["roles"][0]["id"], member.as_str());
    assert_eq!(made["roles"].as_array().unwrap().len(), 1);
    assert!(made["links"]["self"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/v3/OS-TRUST/trusts/{id}")));

    // Refusals: another trustor, a role not held, bad expiry, bad uses, no roles.
    let someone_else = json!({"trustor_user_id": trustee.user_id});
    as_trustor(
        Method::POST,
        "/v3/OS-TRUST/trusts".into(),
        Some(trust(someone_else)),
    )
    .await
    .expect(403);
    as_trustor(
        Method::POST,
        "/v3/OS-TRUST/trusts".into(),
        Some(trust(json!({"roles": [{"id": admin_role}]}))),
    )
    .await
    .expect(404);
    for bad in [
        json!({"expires_at": "bad.123Z"}),
        json!({"expires_at": "2001-01-01T00:00:00Z"}),
        json!({"remaining_uses": 0}),
        json!({"impersonation": "no"}),
    ] {
        as_trustor(Method::POST, "/v3/OS-TRUST/trusts".into(), Some(trust(bad)))
            .await
            .expect(400);
    }
    as_trustor(
        Method::POST,
        "/v3/OS-TRUST/trusts".into(),
        Some(trust(json!({"roles": []}))),
    )
    .await
    .expect(403);
    as_trustor(
        Method::POST,
        "/v3/OS-TRUST/trusts".into(),
        Some(trust(json!({"trustee_user_id": "nobody"}))),
    )
    .await
    .expect(404);

    // Reading: trustor, trustee and admin; roles one by one.
    let path = format!("/v3/OS-TRUST/trusts/{id}");
    as_trustor(Method::GET, path.clone(), None)
        .await
        .expect(200);
    ks.send(Method::GET, &path, Some(&trustee.token), None)
        .await
        .expect(200);
    let roles = as_trustor(Method::GET, format!("{path}/roles"), None)
        .await
        .expect(200);
    assert_eq!(roles.body["roles"][0]["name"], "member");
    as_trustor(Method::HEAD, format!("{path}/roles/{member}"), None)
        .await
        .expect(200);
    as_trustor(Method::GET, format!("{path}/roles/{admin_role}"), None)
        .await
        .expect(404);
    let mine = as_trustor(
        Method::GET,
        format!("/v3/OS-TRUST/trusts/?trustor_user_id={}", trustor.user_id),
        None,
    )
    .await
    .expect(200);
    assert_eq!(mine.body["trusts"].as_array().unwrap().len(), 1);
    assert!(mine.body["trusts"][0].get("roles").is_none());
    // The trustee may not list the trustor's trusts, nor all of them.
    ks.send(
        Method::GET,
        &format!("/v3/OS-TRUST/trusts?trustor_user_id={}", trustor.user_id),
        Some(&trustee.token),
        None,
    )
    .await
    .expect(403);
    ks.send(
        Method::GET,
        "/v3/OS-TRUST/trusts",
        Some(&trustee.token),
        None,
    )
    .await
    .expect(403);
    let all = ks
        .admin(Method::GET, "/v3/OS-TRUST/trusts", None)
        .await
        .expect(200);
    assert!(all.body["trusts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id.as_str()));
    ks.admin(Method::PATCH, &path, Some(json!({"trust": {}})))
        .await
        .expect(405);

    // Only the trustor (or an admin) deletes; then it is gone.
    ks.send(Method::DELETE, &path, Some(&trustee.token), None)
        .await
        .expect(403);
    as_trustor(Method::DELETE, path.clone(), None)
        .await
        .expect(204);
    as_trustor(Method::GET, path.clone(), None)
        .await
        .expect(404);
    as_trustor(Method::DELETE, path, None).await.expect(404);
}

#[tokio::test]
async fn a_deleted_trustee_takes_their_trusts() {
    let ks = Keystone::start().await;
    let trustor = ks.user_with_role("member").await;
    let trustee = ks.user_with_role("reader").await;
    let made = ks
        .send(
            Method::POST,
            "/v3/OS-TRUST/trusts",
            Some(&trustor.token),
            Some(json!({"trust": {"trustor_user_id": trustor.user_id,
                "trustee_user_id": trustee.user_id, "impersonation": false}})),
        )
        .await
        .expect(201);
    // A trust without project or roles is allowed (an unscoped trust).
    assert_eq!(made.body["trust"]["project_id"], Value::Null);
    let id = made.body["trust"]["id"].as_str().unwrap().to_string();
    ks.admin(
        Method::DELETE,
        &format!("/v3/users/{}", trustee.user_id),
        None,
    )
    .await
    .expect(204);
    ks.admin(Method::GET, &format!("/v3/OS-TRUST/trusts/{id}"), None)
        .await
        .expect(404);
}

/// `POST /v3/auth/tokens` as `user` with the password method, scoped to a trust.
async fn trust_token(ks: &Keystone, user: &str, trust_id: &str) -> crate::common::Resp {
    ks.password_token(user, "pw", json!({"OS-TRUST:trust": {"id": trust_id}}))
        .await
}

#[tokio::test]
async fn trust_scoped_tokens() {
    let ks = Keystone::start().await;
    let trustor = ks.user_with_role("member").await;
    let trustee = ks.user_with_role("reader").await;
    let made = ks
        .send(
            Method::POST,
            "/v3/OS-TRUST/trusts",
            Some(&trustor.token),
            Some(json!({"trust": {"trustor_user_id": trustor.user_id,
                "trustee_user_id": trustee.user_id, "project_id": trustor.project_id,
                "impersonation": true, "roles": [{"name": "member"}], "remaining_uses": 2}})),
        )
        .await
        .expect(201);
    let id = made.body["trust"]["id"].as_str().unwrap().to_string();

    // Only the trustee may use it.
    trust_token(&ks, &trustor.user_name, &id).await.expect(403);
    let issued = trust_token(&ks, &trustee.user_name, &id).await.expect(201);
    let token = issued.header("x-subject-token").unwrap().to_string();
    let body = &issued.body["token"];
    assert_eq!(body["OS-TRUST:trust"]["id"], id.as_str());
    assert_eq!(
        body["OS-TRUST:trust"]["trustee_user"]["id"],
        trustee.user_id.as_str()
    );
    assert_eq!(body["OS-TRUST:trust"]["impersonation"], true);
    // Impersonation: the token speaks as the trustor, on the trust's project.
    assert_eq!(body["user"]["id"], trustor.user_id.as_str());
    assert_eq!(body["project"]["id"], trustor.project_id.as_str());
    let mut roles: Vec<&str> = body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    roles.sort();
    assert_eq!(roles, ["member", "reader"]);
    assert!(body.get("is_domain").is_none());
    let validated = ks.admin_validate(&token).await.expect(200);
    assert_eq!(validated.body["token"]["OS-TRUST:trust"]["id"], id.as_str());

    // A trust token cannot make another token.
    ks.send(
        Method::POST,
        "/v3/auth/tokens",
        None,
        Some(json!({"auth": {"identity": {"methods": ["token"], "token": {"id": token}}}})),
    )
    .await
    .expect(403);

    // Two uses: the second works, a third is refused and the trust is then gone.
    trust_token(&ks, &trustee.user_name, &id).await.expect(201);
    trust_token(&ks, &trustee.user_name, &id).await.expect(401);
    ks.admin(Method::GET, &format!("/v3/OS-TRUST/trusts/{id}"), None)
        .await
        .expect(404);
}

#[tokio::test]
async fn trust_tokens_end_with_their_trust_or_the_trustors_roles() {
    let ks = Keystone::start().await;
    let trustor = ks.user_with_role("member").await;
    let trustee = ks.user_with_role("reader").await;
    let create = || {
        ks.send(
            Method::POST,
            "/v3/OS-TRUST/trusts",
            Some(&trustor.token),
            Some(json!({"trust": {"trustor_user_id": trustor.user_id,
                "trustee_user_id": trustee.user_id, "project_id": trustor.project_id,
                "impersonation": false, "roles": [{"name": "member"}]}})),
        )
    };
    let first = create().await.expect(201).body["trust"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let issued = trust_token(&ks, &trustee.user_name, &first)
        .await
        .expect(201);
    assert_eq!(issued.body["token"]["user"]["id"], trustee.user_id.as_str());
    let token = issued.header("x-subject-token").unwrap().to_string();
    ks.admin(
        Method::DELETE,
        &format!("/v3/OS-TRUST/trusts/{first}"),
        None,
    )
    .await
    .expect(204);
    ks.admin_validate(&token).await.expect(404);

    let second = create().await.expect(201).body["trust"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = trust_token(&ks, &trustee.user_name, &second)
        .await
        .expect(201)
        .header("x-subject-token")
        .unwrap()
        .to_string();
    ks.admin_validate(&token).await.expect(200);
    // The trustor loses the delegated role: the trust's tokens stop working.
    let member = ks.role_id("member").await;
    ks.admin(
        Method::DELETE,
        &format!(
            "/v3/projects/{}/users/{}/roles/{member}",
            trustor.project_id, trustor.user_id
        ),
        None,
    )
    .await
    .expect(204);
    ks.admin_validate(&token).await.expect(404);
    trust_token(&ks, &trustee.user_name, &second)
        .await
        .expect(403);
}
