//! OAuth1 delegation end to end: a consumer signs for a request token, a user
//! authorizes it, the consumer gets an access token and then Keystone tokens.

use ferrostack_identity::domain::oauth_signature::{base_string, encode, sign, OauthParams};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{Keystone, Resp};

/// An `Authorization: OAuth ...` header for a POST to `url`, signed as a client does.
fn signed_header(
    url: &str,
    params: &[(&str, &str)],
    consumer_secret: &str,
    token_secret: &str,
) -> String {
    let mut all: Vec<(String, String)> = vec![
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        (
            "oauth_timestamp".into(),
            chrono::Utc::now().timestamp().to_string(),
        ),
        ("oauth_nonce".into(), rand_nonce()),
        ("oauth_version".into(), "1.0".into()),
    ];
    all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let header = |pairs: &[(String, String)]| {
        let inner: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v)))
            .collect();
        format!("OAuth {}", inner.join(", "))
    };
    let unsigned = OauthParams::parse(&header(&all)).unwrap();
    let signature = sign(
        &base_string("POST", url, &unsigned, &[]),
        consumer_secret,
        token_secret,
    );
    all.push(("oauth_signature".into(), signature));
    header(&all)
}

fn rand_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

async fn post(
    ks: &Keystone,
    path: &str,
    authorization: &str,
    project: Option<&str>,
    body: Option<Value>,
) -> (u16, String, Option<String>) {
    let mut req = ks
        .client
        .post(ks.served.url(path))
        .header("Authorization", authorization);
    if let Some(project) = project {
        req = req.header("Requested-Project-Id", project);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let subject = resp
        .headers()
        .get("x-subject-token")
        .map(|v| v.to_str().unwrap().to_string());
    (status, resp.text().await.unwrap(), subject)
}

fn form(body: &str) -> std::collections::HashMap<String, String> {
    serde_urlencoded::from_str(body).unwrap()
}

#[tokio::test]
async fn oauth1_delegation_flow() {
    let ks = Keystone::start().await;
    let owner = ks.user_with_role("member").await;
    let consumer = ks
        .admin(
            Method::POST,
            "/v3/OS-OAUTH1/consumers",
            Some(json!({"consumer": {"description": "app"}})),
        )
        .await
        .expect(201)
        .body["consumer"]
        .clone();
    let (key, secret) = (
        consumer["id"].as_str().unwrap().to_string(),
        consumer["secret"].as_str().unwrap().to_string(),
    );
    let url = |path: &str| ks.served.url(&format!("/v3{path}"));

    // Request token: a bad signature is 401, no project header 400.
    let request_url = url("/OS-OAUTH1/request_token");
    let params = [
        ("oauth_consumer_key", key.as_str()),
        ("oauth_callback", "oob"),
    ];
    let forged = signed_header(&request_url, &params, "not-the-secret", "");
    let (status, _, _) = post(
        &ks,
        "/v3/OS-OAUTH1/request_token",
        &forged,
        Some(&owner.project_id),
        None,
    )
    .await;
    assert_eq!(status, 401);
    let good = signed_header(&request_url, &params, &secret, "");
    let (status, _, _) = post(&ks, "/v3/OS-OAUTH1/request_token", &good, None, None).await;
    assert_eq!(status, 400);
    let good = signed_header(&request_url, &params, &secret, "");
    let (status, body, _) = post(
        &ks,
        "/v3/OS-OAUTH1/request_token",
        &good,
        Some(&owner.project_id),
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let request = form(&body);
    assert!(request["oauth_expires_at"].ends_with(".000000Z"));

    // The project's member authorizes it with the member role (policy: admins
    // only by default, so the admin authorizes on the member's behalf here).
    let member_role = ks.role_id("member").await;
    ks.send(
        Method::PUT,
        &format!("/v3/OS-OAUTH1/authorize/{}", request["oauth_token"]),
        Some(&owner.token),
        Some(json!({"roles": [{"id": member_role}]})),
    )
    .await
    .expect(403);
    let admin_id = ks
        .admin(Method::GET, "/v3/users?name=admin", None)
        .await
        .expect(200)
        .body["users"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ks.admin(
        Method::PUT,
        &format!(
            "/v3/projects/{}/users/{admin_id}/roles/{member_role}",
            owner.project_id
        ),
        None,
    )
    .await
    .expect(204);
    let verifier = ks
        .admin(
            Method::PUT,
            &format!("/v3/OS-OAUTH1/authorize/{}", request["oauth_token"]),
            Some(json!({"roles": [{"name": "member"}]})),
        )
        .await
        .expect(200)
        .body["token"]["oauth_verifier"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(verifier.len(), 8);

    // Access token: the wrong verifier is 401; the right one trades the request token.
    let access_url = url("/OS-OAUTH1/access_token");
    let with = |v: &str| {
        signed_header(
            &access_url,
            &[
                ("oauth_consumer_key", key.as_str()),
                ("oauth_token", request["oauth_token"].as_str()),
                ("oauth_verifier", v),
            ],
            &secret,
            &request["oauth_token_secret"],
        )
    };
    let (status, _, _) = post(
        &ks,
        "/v3/OS-OAUTH1/access_token",
        &with("AAAAAAAA"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, body, _) = post(
        &ks,
        "/v3/OS-OAUTH1/access_token",
        &with(&verifier),
        None,
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let access = form(&body);
    let (status, _, _) = post(
        &ks,
        "/v3/OS-OAUTH1/access_token",
        &with(&verifier),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404, "a request token is traded once");

    // A Keystone token from the access token: the admin on the project, member only.
    let tokens_url = url("/auth/tokens");
    let oauth_header = || {
        signed_header(
            &tokens_url,
            &[
                ("oauth_consumer_key", key.as_str()),
                ("oauth_token", access["oauth_token"].as_str()),
            ],
            &secret,
            &access["oauth_token_secret"],
        )
    };
    let auth = json!({"auth": {"identity": {"methods": ["oauth1"], "oauth1": {}}}});
    let (status, body, subject) = post(
        &ks,
        "/v3/auth/tokens",
        &oauth_header(),
        None,
        Some(auth.clone()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let token: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        token["token"]["OS-OAUTH1"]["access_token_id"],
        access["oauth_token"].as_str()
    );
    assert_eq!(token["token"]["OS-OAUTH1"]["consumer_id"], key.as_str());
    assert_eq!(token["token"]["project"]["id"], owner.project_id.as_str());
    assert_eq!(token["token"]["user"]["id"], admin_id.as_str());
    let roles: Vec<&str> = token["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"member") && !roles.contains(&"admin"),
        "{roles:?}"
    );
    let subject = subject.unwrap();
    ks.admin_validate(&subject).await.expect(200);
    // An OAuth token cannot make another token nor manage access tokens.
    ks.send(
        Method::POST,
        "/v3/auth/tokens",
        None,
        Some(json!({"auth": {"identity": {"methods": ["token"], "token": {"id": subject}}}})),
    )
    .await
    .expect(403);
    let forged_access = signed_header(
        &tokens_url,
        &[
            ("oauth_consumer_key", key.as_str()),
            ("oauth_token", access["oauth_token"].as_str()),
        ],
        &secret,
        "wrong",
    );
    let (status, _, _) = post(&ks, "/v3/auth/tokens", &forged_access, None, Some(auth)).await;
    assert_eq!(status, 401);

    // The user's access tokens; revoking one ends its Keystone tokens.
    let listed: Resp = ks
        .admin(
            Method::GET,
            &format!("/v3/users/{admin_id}/OS-OAUTH1/access_tokens"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        listed.body["access_tokens"][0]["id"],
        access["oauth_token"].as_str()
    );
    let path = format!(
        "/v3/users/{admin_id}/OS-OAUTH1/access_tokens/{}",
        access["oauth_token"]
    );
    let roles = ks
        .admin(Method::GET, &format!("{path}/roles"), None)
        .await
        .expect(200);
    assert_eq!(roles.body["roles"][0]["name"], "member");
    ks.admin(Method::DELETE, &path, None).await.expect(204);
    ks.admin_validate(&subject).await.expect(404);
    ks.admin(Method::GET, &path, None).await.expect(404);
}
