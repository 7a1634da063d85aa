//! Resource CRUD over HTTP: happy paths and the bad ones (400, 401, 404, 409).

mod common;

use common::Keystone;
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn projects_crud_filters_and_errors() {
    let ks = Keystone::start().await;
    let parent = ks
        .create(
            "projects",
            "project",
            json!({"name": "parent", "tags": ["blue", "big"], "description": "d"}),
        )
        .await;
    let child = ks
        .create(
            "projects",
            "project",
            json!({"name": "child", "parent_id": parent, "enabled": false}),
        )
        .await;
    let got = ks
        .admin(Method::GET, &format!("/v3/projects/{parent}"), None)
        .await
        .expect(200);
    assert_eq!(
        got.body["project"]["tags"],
        json!(["big", "blue"])
            .as_array()
            .map(|_| got.body["project"]["tags"].clone())
            .unwrap()
    );
    assert_eq!(got.body["project"]["domain_id"], "default");
    assert!(got.body["project"]["links"]["self"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/v3/projects/{parent}")));
    // Lookup by name is not by id: 404, so the CLI falls back to ?name=.
    ks.admin(Method::GET, "/v3/projects/parent", None)
        .await
        .expect(404);

    let list = |query: &'static str| ks.admin(Method::GET, query, None);
    assert_eq!(
        names(&list("/v3/projects?name=child").await.expect(200).body["projects"]),
        ["child"]
    );
    assert_eq!(
        names(&list("/v3/projects?tags=blue").await.expect(200).body["projects"]),
        ["parent"]
    );
    assert_eq!(
        names(&list("/v3/projects?enabled=false").await.expect(200).body["projects"]),
        ["child"]
    );
    let by_parent = ks
        .admin(
            Method::GET,
            &format!("/v3/projects?parent_id={parent}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(names(&by_parent.body["projects"]), ["child"]);

    let updated = ks
        .admin(
            Method::PATCH,
            &format!("/v3/projects/{child}"),
            Some(json!({"project": {"description": "changed", "enabled": true}})),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["project"]["description"], "changed");
    assert_eq!(updated.body["project"]["enabled"], true);

    ks.admin(
        Method::POST,
        "/v3/projects",
        Some(json!({"project": {"name": "parent"}})),
    )
    .await
    .expect(409);
    let missing = ks
        .admin(Method::POST, "/v3/projects", Some(json!({"project": {}})))
        .await
        .expect(400);
    assert!(missing.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("name"));
    let wrong_type = ks
        .admin(
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": "x", "enabled": "yes"}})),
        )
        .await
        .expect(400);
    assert!(wrong_type.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("enabled"));
    ks.send_raw(
        Method::POST,
        "/v3/projects",
        Some(&ks.admin_token),
        "{\"project\":",
    )
    .await
    .expect(400);
    ks.admin(
        Method::POST,
        "/v3/projects",
        Some(json!({"project": {"name": "orphan", "parent_id": "nope"}})),
    )
    .await
    .expect(404);

    // A parent with children cannot go first.
    ks.admin(Method::DELETE, &format!("/v3/projects/{parent}"), None)
        .await
        .expect(403);
    ks.admin(Method::DELETE, &format!("/v3/projects/{child}"), None)
        .await
        .expect(204);
    ks.admin(Method::DELETE, &format!("/v3/projects/{child}"), None)
        .await
        .expect(404);
    ks.admin(
        Method::PATCH,
        "/v3/projects/nope",
        Some(json!({"project": {}})),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn missing_or_bad_tokens_are_401() {
    let ks = Keystone::start().await;
    let none = ks
        .send(Method::GET, "/v3/projects", None, None)
        .await
        .expect(401);
    assert_eq!(none.body["error"]["title"], "Unauthorized");
    assert!(none.header("www-authenticate").is_some());
    ks.send(Method::GET, "/v3/users", Some("not-a-token"), None)
        .await
        .expect(401);
    ks.send(Method::GET, "/v3/nothing-here", Some(&ks.admin_token), None)
        .await
        .expect(404);
}

#[tokio::test]
async fn users_groups_and_membership() {
    let ks = Keystone::start().await;
    let project = ks
        .create("projects", "project", json!({"name": "home"}))
        .await;
    let user = ks
        .create(
            "users",
            "user",
            json!({"name": "alice", "password": "pw", "default_project_id": project,
                   "email": "alice@example.com"}),
        )
        .await;
    let got = ks
        .admin(Method::GET, &format!("/v3/users/{user}"), None)
        .await
        .expect(200);
    assert!(got.body["user"].get("password").is_none());
    assert_eq!(got.body["user"]["default_project_id"], project.as_str());
    assert_eq!(got.body["user"]["email"], "alice@example.com");
    ks.admin(
        Method::POST,
        "/v3/users",
        Some(json!({"user": {"name": "alice"}})),
    )
    .await
    .expect(409);
    // A domain that does not exist: Keystone's DomainNotFound.
    let missing = ks
        .admin(
            Method::POST,
            "/v3/users",
            Some(json!({"user": {"name": "bob", "domain_id": "no-such-domain"}})),
        )
        .await
        .expect(404);
    assert_eq!(
        missing.body["error"]["message"],
        "Could not find domain: no-such-domain."
    );

    let group = ks.create("groups", "group", json!({"name": "devs"})).await;
    let member_path = format!("/v3/groups/{group}/users/{user}");
    ks.admin(Method::HEAD, &member_path, None).await.expect(404);
    ks.admin(Method::PUT, &member_path, None).await.expect(204);
    ks.admin(Method::HEAD, &member_path, None).await.expect(204);
    let members = ks
        .admin(Method::GET, &format!("/v3/groups/{group}/users"), None)
        .await
        .expect(200);
    assert_eq!(names(&members.body["users"]), ["alice"]);
    let groups = ks
        .admin(Method::GET, &format!("/v3/users/{user}/groups"), None)
        .await
        .expect(200);
    assert_eq!(names(&groups.body["groups"]), ["devs"]);
    ks.admin(Method::PUT, &format!("/v3/groups/{group}/users/nope"), None)
        .await
        .expect(404);

    let member = ks.role_id("member").await;
    ks.admin(
        Method::PUT,
        &format!("/v3/projects/{project}/groups/{group}/roles/{member}"),
        None,
    )
    .await
    .expect(204);
    let projects = ks
        .admin(Method::GET, &format!("/v3/users/{user}/projects"), None)
        .await
        .expect(200);
    assert_eq!(names(&projects.body["projects"]), ["home"]);

    ks.admin(Method::DELETE, &member_path, None)
        .await
        .expect(204);
    ks.admin(Method::DELETE, &format!("/v3/groups/{group}"), None)
        .await
        .expect(204);
    ks.admin(Method::DELETE, &format!("/v3/users/{user}"), None)
        .await
        .expect(204);
    ks.admin(Method::GET, &format!("/v3/users/{user}"), None)
        .await
        .expect(404);
}

#[tokio::test]
async fn roles_implications_and_effective_assignments() {
    let ks = Keystone::start().await;
    let inferences = ks
        .admin(Method::GET, "/v3/role_inferences", None)
        .await
        .expect(200);
    assert_eq!(
        inferences.body["role_inferences"].as_array().unwrap().len(),
        3 // admin ⊃ manager ⊃ member ⊃ reader
    );
    let custom = ks.create("roles", "role", json!({"name": "auditor"})).await;
    ks.admin(
        Method::POST,
        "/v3/roles",
        Some(json!({"role": {"name": "auditor"}})),
    )
    .await
    .expect(409);

    let project = ks
        .create("projects", "project", json!({"name": "proj"}))
        .await;
    let user = ks
        .create("users", "user", json!({"name": "bob", "password": "pw"}))
        .await;
    let group = ks.create("groups", "group", json!({"name": "ops"})).await;
    ks.admin(
        Method::PUT,
        &format!("/v3/groups/{group}/users/{user}"),
        None,
    )
    .await
    .expect(204);
    let member = ks.role_id("member").await;
    ks.admin(
        Method::PUT,
        &format!("/v3/projects/{project}/groups/{group}/roles/{member}"),
        None,
    )
    .await
    .expect(204);
    ks.admin(
        Method::PUT,
        &format!("/v3/projects/{project}/users/{user}/roles/{custom}"),
        None,
    )
    .await
    .expect(204);
    ks.admin(
        Method::HEAD,
        &format!("/v3/projects/{project}/users/{user}/roles/{custom}"),
        None,
    )
    .await
    .expect(204);
    ks.admin(
        Method::PUT,
        &format!("/v3/projects/{project}/users/{user}/roles/nope"),
        None,
    )
    .await
    .expect(404);

    let direct = ks
        .admin(
            Method::GET,
            &format!("/v3/role_assignments?user.id={user}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(direct.body["role_assignments"].as_array().unwrap().len(), 1);

    let effective = ks
        .admin(
            Method::GET,
            &format!("/v3/role_assignments?user.id={user}&effective&include_names"),
            None,
        )
        .await
        .expect(200);
    let mut roles: Vec<_> = effective.body["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["user"]["name"], "bob");
            assert_eq!(a["scope"]["project"]["name"], "proj");
            a["role"]["name"].as_str().unwrap().to_owned()
        })
        .collect();
    roles.sort();
    assert_eq!(roles, ["auditor", "member", "reader"]);
    let via_group = effective.body["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"]["name"] == "member")
        .unwrap();
    assert!(via_group["links"]["membership"]
        .as_str()
        .unwrap()
        .contains(&group));

    ks.admin(
        Method::GET,
        "/v3/role_assignments?effective&group.id=x",
        None,
    )
    .await
    .expect(400);
}

#[tokio::test]
async fn catalog_crud_and_validation() {
    let ks = Keystone::start().await;
    let region = ks
        .admin(
            Method::POST,
            "/v3/regions",
            Some(json!({"region": {"id": "RegionTwo", "description": "second"}})),
        )
        .await
        .expect(201);
    assert_eq!(region.body["region"]["id"], "RegionTwo");
    ks.admin(
        Method::POST,
        "/v3/regions",
        Some(json!({"region": {"id": "RegionTwo"}})),
    )
    .await
    .expect(409);
    let service = ks
        .create(
            "services",
            "service",
            json!({"name": "glance", "type": "image"}),
        )
        .await;
    let endpoint = ks
        .create(
            "endpoints",
            "endpoint",
            json!({"service_id": service, "interface": "public", "region_id": "RegionTwo",
                   "url": "http://127.0.0.1:9292"}),
        )
        .await;
    ks.admin(
        Method::POST,
        "/v3/endpoints",
        Some(
            json!({"endpoint": {"service_id": service, "interface": "sideways",
                                  "url": "http://x"}}),
        ),
    )
    .await
    .expect(400);
    ks.admin(
        Method::POST,
        "/v3/endpoints",
        Some(json!({"endpoint": {"service_id": "nope", "interface": "public", "url": "http://x"}})),
    )
    .await
    .expect(400);
    // region_id must exist; the legacy `region` is created when it does not.
    ks.admin(
        Method::POST,
        "/v3/endpoints",
        Some(
            json!({"endpoint": {"service_id": service, "interface": "internal",
                                 "url": "http://x", "region_id": "Nowhere"}}),
        ),
    )
    .await
    .expect(400);
    let legacy = ks
        .create(
            "endpoints",
            "endpoint",
            json!({"service_id": service, "interface": "internal", "region": "RegionThree",
                   "url": "http://127.0.0.1:9292"}),
        )
        .await;
    ks.admin(Method::GET, "/v3/regions/RegionThree", None)
        .await
        .expect(200);
    ks.admin(Method::DELETE, &format!("/v3/endpoints/{legacy}"), None)
        .await
        .expect(204);
    let listed = ks
        .admin(
            Method::GET,
            &format!("/v3/endpoints?service_id={service}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(listed.body["endpoints"].as_array().unwrap().len(), 1);
    ks.admin(
        Method::PATCH,
        &format!("/v3/endpoints/{endpoint}"),
        Some(json!({"endpoint": {"url": "http://127.0.0.1:9393"}})),
    )
    .await
    .expect(200);
    let catalog = ks
        .get("/v3/auth/catalog", &ks.admin_token)
        .await
        .expect(200);
    let image = catalog.body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "image")
        .expect("image in the catalog")
        .clone();
    assert_eq!(image["endpoints"][0]["url"], "http://127.0.0.1:9393");
    ks.admin(Method::DELETE, &format!("/v3/endpoints/{endpoint}"), None)
        .await
        .expect(204);
    ks.admin(Method::DELETE, &format!("/v3/services/{service}"), None)
        .await
        .expect(204);
    ks.admin(Method::DELETE, "/v3/regions/RegionTwo", None)
        .await
        .expect(204);
    ks.admin(Method::GET, "/v3/regions/RegionTwo", None)
        .await
        .expect(404);
}

#[tokio::test]
async fn domains_and_credentials() {
    let ks = Keystone::start().await;
    let domain = ks
        .create("domains", "domain", json!({"name": "acme"}))
        .await;
    ks.admin(
        Method::POST,
        "/v3/domains",
        Some(json!({"domain": {"name": "acme"}})),
    )
    .await
    .expect(409);
    // An enabled domain cannot be deleted.
    ks.admin(Method::DELETE, &format!("/v3/domains/{domain}"), None)
        .await
        .expect(403);
    ks.admin(
        Method::PATCH,
        &format!("/v3/domains/{domain}"),
        Some(json!({"domain": {"enabled": false}})),
    )
    .await
    .expect(200);
    ks.admin(Method::DELETE, &format!("/v3/domains/{domain}"), None)
        .await
        .expect(204);

    let persona = ks.user_with_role("member").await;
    let created = ks
        .send(
            Method::POST,
            "/v3/credentials",
            Some(&persona.token),
            Some(
                json!({"credential": {"type": "ec2", "user_id": persona.user_id,
                "project_id": persona.project_id,
                "blob": "{\"access\": \"a\", \"secret\": \"s\"}"}}),
            ),
        )
        .await
        .expect(201);
    let id = created.body["credential"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mine = ks.get("/v3/credentials", &persona.token).await.expect(200);
    assert_eq!(mine.body["credentials"].as_array().unwrap().len(), 1);
    ks.send(
        Method::PATCH,
        &format!("/v3/credentials/{id}"),
        Some(&persona.token),
        Some(json!({"credential": {"blob": "{\"access\": \"b\", \"secret\": \"s\"}"}})),
    )
    .await
    .expect(200);
    let other = ks.user_with_role("member").await;
    // The owner may not hand the credential to another user (CVE-2020-12691),
    // nor change the scope an EC2 blob pins.
    ks.send(
        Method::PATCH,
        &format!("/v3/credentials/{id}"),
        Some(&persona.token),
        Some(json!({"credential": {"user_id": other.user_id}})),
    )
    .await
    .expect(403);
    ks.send(
        Method::PATCH,
        &format!("/v3/credentials/{id}"),
        Some(&persona.token),
        Some(json!({"credential": {"blob": "{\"access\": \"b\", \"secret\": \"s\", \"trust_id\": \"t\"}"}})),
    )
    .await
    .expect(400);
    let shown = ks
        .get(&format!("/v3/credentials/{id}"), &persona.token)
        .await
        .expect(200);
    assert_eq!(
        shown.body["credential"]["user_id"],
        persona.user_id.as_str()
    );
    assert_eq!(
        shown.body["credential"]["blob"],
        "{\"access\": \"b\", \"secret\": \"s\"}"
    );
    // At rest the blob is encrypted with the credential key.
    let stored = ferrostack_identity::db::entity::credential::Entity::find_by_id(id.as_str())
        .one(&ks.identity.store.db)
        .await
        .unwrap()
        .unwrap();
    let at_rest = stored.blob.clone().unwrap();
    assert!(!at_rest.contains("secret"), "{at_rest}");
    assert!(stored.key_hash.is_some());
    // A blob stored in plain text before blobs were encrypted is encrypted by the
    // migration every start runs, and still reads the same.
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let mut legacy = stored.clone().into_active_model();
    legacy.blob = Set(Some("{\"access\": \"old\"}".into()));
    legacy.key_hash = Set(None);
    legacy.update(&ks.identity.store.db).await.unwrap();
    assert_eq!(ks.identity.migrate_credentials().await.unwrap(), 1);
    let migrated = ferrostack_identity::db::entity::credential::Entity::find_by_id(id.as_str())
        .one(&ks.identity.store.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!migrated.blob.unwrap().contains("old"));
    assert_eq!(
        ks.identity
            .get_credential(&id)
            .await
            .unwrap()
            .blob
            .as_deref(),
        Some("{\"access\": \"old\"}")
    );
    ks.get(&format!("/v3/credentials/{id}"), &other.token)
        .await
        .expect(403);
    assert!(ks
        .get("/v3/credentials", &other.token)
        .await
        .expect(200)
        .body["credentials"]
        .as_array()
        .unwrap()
        .is_empty());
    ks.send(
        Method::DELETE,
        &format!("/v3/credentials/{id}"),
        Some(&persona.token),
        None,
    )
    .await
    .expect(204);
}

/// Role inference rules: created 201, checked 204 (as Keystone's api-ref says),
/// shown 200, deleted 204, then gone.
#[tokio::test]
async fn role_inference_rules() {
    let ks = Keystone::start().await;
    let prior = ks.create("roles", "role", json!({"name": "prior"})).await;
    let implied = ks.create("roles", "role", json!({"name": "implied"})).await;
    let rule = format!("/v3/roles/{prior}/implies/{implied}");
    ks.admin(Method::PUT, &rule, None).await.expect(201);
    ks.admin(Method::HEAD, &rule, None).await.expect(204);
    let shown = ks.admin(Method::GET, &rule, None).await.expect(200);
    assert_eq!(
        shown.body["role_inference"]["implies"]["id"],
        implied.as_str()
    );
    ks.admin(Method::DELETE, &rule, None).await.expect(204);
    ks.admin(Method::HEAD, &rule, None).await.expect(404);
    // Keystone's InvalidImpliedRole (403): nothing implies admin
    // (prohibited_implied_role), and a global role implies no domain role;
    // a domain role may imply a global one.
    let admin = ks.role_id("admin").await;
    ks.admin(
        Method::PUT,
        &format!("/v3/roles/{prior}/implies/{admin}"),
        None,
    )
    .await
    .expect(403);
    let domain = ks
        .create("domains", "domain", json!({"name": "roles-dom"}))
        .await;
    let local = ks
        .create(
            "roles",
            "role",
            json!({"name": "local", "domain_id": domain}),
        )
        .await;
    ks.admin(
        Method::PUT,
        &format!("/v3/roles/{prior}/implies/{local}"),
        None,
    )
    .await
    .expect(403);
    ks.admin(
        Method::PUT,
        &format!("/v3/roles/{local}/implies/{prior}"),
        None,
    )
    .await
    .expect(201);
}

/// A domain-specific role granted on a project counts only through the global
/// roles it implies: effective assignments and tokens leave it out.
#[tokio::test]
async fn domain_roles_count_only_through_what_they_imply() {
    let ks = Keystone::start().await;
    let persona = ks.user_with_role("reader").await;
    let domain = ks
        .create("domains", "domain", json!({"name": "local-roles"}))
        .await;
    let local = ks
        .create(
            "roles",
            "role",
            json!({"name": "local", "domain_id": domain}),
        )
        .await;
    let global = ks
        .create("roles", "role", json!({"name": "global-by-local"}))
        .await;
    ks.admin(
        Method::PUT,
        &format!("/v3/roles/{local}/implies/{global}"),
        None,
    )
    .await
    .expect(201);
    ks.admin(
        Method::PUT,
        &format!(
            "/v3/projects/{}/users/{}/roles/{local}",
            persona.project_id, persona.user_id
        ),
        None,
    )
    .await
    .expect(204);
    let listed = ks
        .admin(
            Method::GET,
            &format!(
                "/v3/role_assignments?effective&scope.project.id={}&user.id={}",
                persona.project_id, persona.user_id
            ),
            None,
        )
        .await
        .expect(200);
    let roles: Vec<&str> = listed.body["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["role"]["id"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&global.as_str()), "{roles:?}");
    assert!(!roles.contains(&local.as_str()), "{roles:?}");
    // Not effective: the grant itself is listed.
    let direct = ks
        .admin(
            Method::GET,
            &format!("/v3/role_assignments?user.id={}", persona.user_id),
            None,
        )
        .await
        .expect(200);
    assert!(direct.body["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["role"]["id"] == local.as_str()));
    let token = ks
        .password_token(
            &persona.user_name,
            "pw",
            json!({"project": {"id": persona.project_id}}),
        )
        .await
        .expect(201);
    let names: Vec<&str> = token.body["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"global-by-local") && !names.contains(&"local"),
        "{names:?}"
    );
}

/// EC2 credentials (OS-EC2): made for a project with a secret, found by
/// access key, listed per user, owner-only, deleted; a v3 credential of type
/// ec2 is found by its access key too.
#[tokio::test]
async fn ec2_credentials() {
    let ks = Keystone::start().await;
    let persona = ks.user_with_role("member").await;
    let other = ks.user_with_role("member").await;
    let base = format!("/v3/users/{}/credentials/OS-EC2", persona.user_id);
    let made = ks
        .send(
            Method::POST,
            &base,
            Some(&persona.token),
            Some(json!({"tenant_id": persona.project_id})),
        )
        .await
        .expect(201)
        .body["credential"]
        .clone();
    assert_eq!(made["user_id"], persona.user_id.as_str());
    assert_eq!(made["tenant_id"], persona.project_id.as_str());
    assert_eq!(made["trust_id"], Value::Null);
    let access = made["access"].as_str().unwrap().to_string();
    assert_eq!(access.len(), 32);
    assert_eq!(made["secret"].as_str().unwrap().len(), 32);
    assert!(made["links"]["self"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/OS-EC2/{access}")));

    let shown = ks
        .get(&format!("{base}/{access}"), &persona.token)
        .await
        .expect(200);
    assert_eq!(shown.body["credential"]["secret"], made["secret"]);
    let listed = ks.get(&base, &persona.token).await.expect(200);
    assert_eq!(listed.body["credentials"][0]["access"], access.as_str());
    // Someone else's: not theirs to see, list or make.
    ks.get(&format!("{base}/{access}"), &other.token)
        .await
        .expect(403);
    ks.get(&base, &other.token).await.expect(403);
    ks.send(
        Method::POST,
        &base,
        Some(&other.token),
        Some(json!({"tenant_id": other.project_id})),
    )
    .await
    .expect(403);
    // A project that does not exist.
    ks.send(
        Method::POST,
        &base,
        Some(&persona.token),
        Some(json!({"tenant_id": "nowhere"})),
    )
    .await
    .expect(404);
    // The v3 credential behind it carries the access key's hash as its id.
    let v3 = ks
        .get("/v3/credentials?type=ec2", &persona.token)
        .await
        .expect(200);
    let ids: Vec<&str> = v3.body["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].len(), 64);

    ks.send(
        Method::DELETE,
        &format!("{base}/{access}"),
        Some(&persona.token),
        None,
    )
    .await
    .expect(204);
    ks.get(&format!("{base}/{access}"), &persona.token)
        .await
        .expect(404);

    // Made through /v3/credentials: found by the access key.
    let blob = json!({"access": "a1b2", "secret": "s3"}).to_string();
    ks.send(
        Method::POST,
        "/v3/credentials",
        Some(&persona.token),
        Some(json!({"credential": {"user_id": persona.user_id, "project_id": persona.project_id, "type": "ec2", "blob": blob}})),
    )
    .await
    .expect(201);
    let found = ks
        .get(&format!("{base}/a1b2"), &persona.token)
        .await
        .expect(200);
    assert_eq!(found.body["credential"]["secret"], "s3");
}

/// Projects acting as domains: creating one makes a domain; it lists with
/// `is_domain=true` (as every domain does), shows, updates and (disabled)
/// deletes through /v3/projects.
#[tokio::test]
async fn projects_acting_as_domains() {
    let ks = Keystone::start().await;
    let made = ks
        .admin(
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": "as-domain", "is_domain": true, "description": "d"}})),
        )
        .await
        .expect(201)
        .body["project"]
        .clone();
    assert_eq!(made["is_domain"], true);
    assert_eq!(made["domain_id"], Value::Null);
    assert_eq!(made["parent_id"], Value::Null);
    let id = made["id"].as_str().unwrap().to_string();
    let domains = ks.admin(Method::GET, "/v3/domains", None).await.expect(200);
    assert!(domains.body["domains"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == id.as_str()));
    let as_projects = ks
        .admin(Method::GET, "/v3/projects?is_domain=true", None)
        .await
        .expect(200);
    let ids: Vec<&str> = as_projects.body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&id.as_str()) && ids.contains(&"default"),
        "{ids:?}"
    );
    let plain = ks
        .admin(Method::GET, "/v3/projects", None)
        .await
        .expect(200);
    assert!(!plain.body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == id.as_str()));
    let shown = ks
        .admin(Method::GET, &format!("/v3/projects/{id}"), None)
        .await
        .expect(200);
    assert_eq!(shown.body["project"]["is_domain"], true);
    let resp = ks
        .admin(
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": "child-domain", "is_domain": true, "parent_id": id}})),
        )
        .await
        .expect(400);
    assert!(resp.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("only root projects are allowed to act as domains."));
    let resp = ks
        .admin(Method::DELETE, &format!("/v3/projects/{id}"), None)
        .await
        .expect(400);
    assert!(resp.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Please disable the project"));
    let updated = ks
        .admin(
            Method::PATCH,
            &format!("/v3/projects/{id}"),
            Some(json!({"project": {"enabled": false}})),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["project"]["enabled"], false);
    ks.admin(Method::DELETE, &format!("/v3/projects/{id}"), None)
        .await
        .expect(204);
    ks.admin(Method::GET, &format!("/v3/domains/{id}"), None)
        .await
        .expect(404);
}

/// The legacy policy documents: create, show, list by type, update, delete;
/// admins only to write.
#[tokio::test]
async fn policy_documents() {
    let ks = Keystone::start().await;
    let member = ks.user_with_role("member").await;
    let made = ks
        .admin(Method::POST, "/v3/policies", Some(json!({"policy": {"blob": "{\"a\": 1}", "type": "application/json", "owner": "nova"}})))
        .await
        .expect(201)
        .body["policy"]
        .clone();
    assert_eq!(made["blob"], "{\"a\": 1}");
    assert_eq!(made["owner"], "nova");
    let id = made["id"].as_str().unwrap().to_string();
    let resp = ks
        .admin(
            Method::POST,
            "/v3/policies",
            Some(json!({"policy": {"type": "application/json"}})),
        )
        .await
        .expect(400);
    assert!(resp.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'blob' is a required property"));
    ks.send(
        Method::POST,
        "/v3/policies",
        Some(&member.token),
        Some(json!({"policy": {"blob": "x", "type": "t"}})),
    )
    .await
    .expect(403);
    let listed = ks
        .admin(Method::GET, "/v3/policies?type=application/json", None)
        .await
        .expect(200);
    assert_eq!(listed.body["policies"][0]["id"], id.as_str());
    let none = ks
        .admin(Method::GET, "/v3/policies?type=text/plain", None)
        .await
        .expect(200);
    assert!(none.body["policies"].as_array().unwrap().is_empty());
    let updated = ks
        .admin(
            Method::PATCH,
            &format!("/v3/policies/{id}"),
            Some(json!({"policy": {"blob": "{}"}})),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["policy"]["blob"], "{}");
    assert_eq!(updated.body["policy"]["type"], "application/json");
    ks.admin(Method::DELETE, &format!("/v3/policies/{id}"), None)
        .await
        .expect(204);
    ks.admin(Method::GET, &format!("/v3/policies/{id}"), None)
        .await
        .expect(404);
}
