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

#[tokio::test]
async fn trusts_redelegate_no_more_than_they_hold() {
    let ks = Keystone::start().await;
    let trustor = ks.user_with_role("member").await;
    let trustee = ks.user_with_role("reader").await;
    let third = ks.user_with_role("reader").await;
    let reader = ks.role_id("reader").await;
    ks.admin(
        Method::PUT,
        &format!(
            "/v3/projects/{}/users/{}/roles/{reader}",
            trustor.project_id, trustor.user_id
        ),
        None,
    )
    .await
    .expect(204);
    let trust = |trustee_id: &str, extra: Value| {
        let mut body = json!({"trustor_user_id": trustor.user_id, "trustee_user_id": trustee_id,
            "project_id": trustor.project_id, "impersonation": true, "roles": [{"name": "member"}]});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        json!({ "trust": body })
    };
    let create = |token: String, body: Value| {
        let ks = &ks;
        async move {
            ks.send(
                Method::POST,
                "/v3/OS-TRUST/trusts",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let first = create(
        trustor.token.clone(),
        trust(
            &trustee.user_id,
            json!({"allow_redelegation": true, "expires_at": "2999-01-02T03:04:05Z"}),
        ),
    )
    .await
    .expect(201);
    let first_id = first.body["trust"]["id"].as_str().unwrap().to_string();
    assert_eq!(first.body["trust"]["redelegation_count"], 3);
    let token = trust_token(&ks, &trustee.user_name, &first_id)
        .await
        .expect(201)
        .header("x-subject-token")
        .unwrap()
        .to_string();

    // Redelegated to a third user: one redelegation fewer, the parent's expiry.
    let second = create(
        token.clone(),
        trust(&third.user_id, json!({"allow_redelegation": true})),
    )
    .await
    .expect(201);
    let second = &second.body["trust"];
    assert_eq!(second["redelegated_trust_id"], first_id.as_str());
    assert_eq!(second["redelegation_count"], 2);
    assert_eq!(second["expires_at"], "2999-01-02T03:04:05.000000Z");
    let second_id = second["id"].as_str().unwrap().to_string();
    let issued = trust_token(&ks, &third.user_name, &second_id)
        .await
        .expect(201);
    assert_eq!(issued.body["token"]["user"]["id"], trustor.user_id.as_str());
    // The delegated role and what it implies, as the first trustor holds them.
    let mut roles: Vec<&str> = issued.body["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    roles.sort();
    assert_eq!(roles, ["member", "reader"]);
    let third_token = issued.header("x-subject-token").unwrap().to_string();

    // What a redelegation may not do.
    for (extra, message) in [
        (
            json!({"allow_redelegation": true, "redelegation_count": 1}),
            "Modifying \"redelegation_count\" upon redelegation is forbidden",
        ),
        (
            json!({"remaining_uses": 3}),
            "Field \"remaining_uses\" is set to 3",
        ),
        (
            json!({"roles": [{"name": "reader"}]}),
            "Some of requested roles are not in redelegated trust",
        ),
        (
            json!({"expires_at": "2999-06-01T00:00:00Z"}),
            "Requested expiration time is more than redelegated trust can provide",
        ),
    ] {
        let refused = create(token.clone(), trust(&third.user_id, extra))
            .await
            .expect(403);
        assert!(
            refused.body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(message),
            "{}",
            refused.body
        );
    }

    // A trust that is not to be redelegated further: the chain ends there.
    let last = create(
        token.clone(),
        trust(&third.user_id, json!({"allow_redelegation": false})),
    )
    .await
    .expect(201);
    assert_eq!(last.body["trust"]["redelegation_count"], 0);
    let last_id = last.body["trust"]["id"].as_str().unwrap().to_string();
    let end_token = trust_token(&ks, &third.user_name, &last_id)
        .await
        .expect(201)
        .header("x-subject-token")
        .unwrap()
        .to_string();
    let refused = create(end_token, trust(&trustee.user_id, json!({})))
        .await
        .expect(403);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Remaining redelegation depth of 0"),
        "{}",
        refused.body
    );

    // Without impersonation the trustee redelegates as themself, and holds no role.
    let plain = create(
        trustor.token.clone(),
        trust(
            &trustee.user_id,
            json!({"impersonation": false, "allow_redelegation": true}),
        ),
    )
    .await
    .expect(201);
    let plain_id = plain.body["trust"]["id"].as_str().unwrap().to_string();
    let plain_token = trust_token(&ks, &trustee.user_name, &plain_id)
        .await
        .expect(201)
        .header("x-subject-token")
        .unwrap()
        .to_string();
    let mut body = trust(&third.user_id, json!({"impersonation": false}));
    body["trust"]["trustor_user_id"] = json!(trustee.user_id);
    create(plain_token, body).await.expect(404);

    // Deleting the first trust takes the chain with it.
    ks.admin(
        Method::DELETE,
        &format!("/v3/OS-TRUST/trusts/{first_id}"),
        None,
    )
    .await
    .expect(204);
    ks.admin(
        Method::GET,
        &format!("/v3/OS-TRUST/trusts/{second_id}"),
        None,
    )
    .await
    .expect(404);
    ks.admin_validate(&third_token).await.expect(404);
}
