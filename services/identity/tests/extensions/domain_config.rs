//! Domain-specific configuration: stored options, partial updates, defaults and
//! Keystone's refusals (403 for what a domain config cannot hold, 404 for absent).

use reqwest::Method;
use serde_json::json;

use crate::common::Keystone;

#[tokio::test]
async fn domain_config_lifecycle() {
    let ks = Keystone::start().await;
    let domain = ks.create("domains", "domain", json!({"name": "cfg"})).await;
    let base = format!("/v3/domains/{domain}/config");
    ks.admin(Method::GET, &base, None).await.expect(404);
    let custom = json!({"identity": {"driver": "ldap"},
        "ldap": {"url": "ldap://myldap.com:389/", "user_tree_dn": "ou=Users,dc=org", "password": "s3cret"}});
    let created = ks
        .admin(Method::PUT, &base, Some(json!({"config": custom})))
        .await
        .expect(201);
    // The password is stored but never shown.
    assert_eq!(
        created.body["config"],
        json!({"identity": {"driver": "ldap"},
            "ldap": {"url": "ldap://myldap.com:389/", "user_tree_dn": "ou=Users,dc=org"}})
    );
    assert!(!created.body.to_string().contains("s3cret"));
    ks.admin(Method::GET, &format!("{base}/ldap/password"), None)
        .await
        .expect(404);
    let group = ks
        .admin(Method::GET, &format!("{base}/identity"), None)
        .await
        .expect(200);
    assert_eq!(
        group.body["config"],
        json!({"identity": {"driver": "ldap"}})
    );
    let option = ks
        .admin(Method::GET, &format!("{base}/ldap/url"), None)
        .await
        .expect(200);
    assert_eq!(
        option.body["config"],
        json!({"url": "ldap://myldap.com:389/"})
    );
    ks.admin(Method::PUT, &base, Some(json!({"config": custom})))
        .await
        .expect(200);

    // Partial updates keep to their group and option; values keep their JSON type.
    let patched = ks
        .admin(
            Method::PATCH,
            &format!("{base}/identity"),
            Some(json!({"config": {"identity": {"driver": "sql", "list_limit": 5}}})),
        )
        .await
        .expect(200);
    assert_eq!(
        patched.body["config"]["identity"],
        json!({"driver": "sql", "list_limit": 5})
    );
    assert_eq!(
        patched.body["config"]["ldap"]["url"],
        "ldap://myldap.com:389/"
    );
    let patched = ks
        .admin(
            Method::PATCH,
            &format!("{base}/identity/driver"),
            Some(json!({"config": {"driver": "ldap"}})),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["config"]["identity"]["driver"], "ldap");
    for (path, body) in [
        (
            format!("{base}/identity"),
            json!({"config": {"ldap": {"url": "x"}}}),
        ),
        (
            format!("{base}/identity/driver"),
            json!({"config": {"list_limit": 3}}),
        ),
        (
            base.clone(),
            json!({"config": {"resource": {"driver": "x"}}}),
        ),
        (base.clone(), json!({"config": {"identity": {"bogus": 1}}})),
        (base.clone(), json!({"config": {}})),
    ] {
        let refused = ks.admin(Method::PATCH, &path, Some(body)).await.expect(403);
        assert!(refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid domain specific configuration: "));
    }
    ks.admin(
        Method::PUT,
        &format!("{base}/identity"),
        Some(json!({"config": custom})),
    )
    .await
    .expect(405);

    // Deletes by option, group, then everything (always 204).
    ks.admin(Method::DELETE, &format!("{base}/identity/driver"), None)
        .await
        .expect(204);
    ks.admin(Method::GET, &format!("{base}/identity/driver"), None)
        .await
        .expect(404);
    ks.admin(Method::DELETE, &format!("{base}/identity/driver"), None)
        .await
        .expect(404);
    ks.admin(Method::DELETE, &format!("{base}/identity"), None)
        .await
        .expect(204);
    ks.admin(Method::GET, &format!("{base}/identity"), None)
        .await
        .expect(404);
    ks.admin(Method::DELETE, &base, None).await.expect(204);
    ks.admin(Method::DELETE, &base, None).await.expect(204);
    ks.admin(Method::GET, &base, None).await.expect(404);
    ks.admin(Method::GET, "/v3/domains/nope/config", None)
        .await
        .expect(404);

    // A member may not read a domain's configuration.
    let member = ks.user_with_role("member").await;
    ks.send(Method::GET, &base, Some(&member.token), None)
        .await
        .expect(403);
}

#[tokio::test]
async fn domain_config_defaults() {
    let ks = Keystone::start().await;
    let all = ks
        .admin(Method::GET, "/v3/domains/config/default", None)
        .await
        .expect(200);
    assert_eq!(all.body["config"]["identity"]["driver"], "sql");
    let ldap = ks
        .admin(Method::GET, "/v3/domains/config/ldap/default", None)
        .await
        .expect(200);
    let options = ldap.body["config"]["ldap"].as_object().unwrap().clone();
    assert_eq!(options.len(), 49);
    assert!(!options.contains_key("password"));
    let user = ks
        .admin(Method::GET, "/v3/domains/config/ldap/user/default", None)
        .await
        .expect(200);
    assert_eq!(user.body["config"], json!({"user": null}));
    ks.admin(
        Method::GET,
        "/v3/domains/config/ldap/password/default",
        None,
    )
    .await
    .expect(403);
    ks.admin(Method::GET, "/v3/domains/config/resource/default", None)
        .await
        .expect(403);
    // Any user reads the default domain's security compliance options.
    let member = ks.user_with_role("member").await;
    let compliance = ks
        .send(
            Method::GET,
            "/v3/domains/default/config/security_compliance",
            Some(&member.token),
            None,
        )
        .await
        .expect(200);
    assert!(compliance.body["config"]["security_compliance"]
        .as_object()
        .unwrap()
        .contains_key("password_regex"));
}
