//! `[security_compliance]`: lockout after failed logins, password history and
//! minimum age for self-service changes (not admin resets), expiry, the password
//! pattern, and a change required at first use.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::common::Keystone;

async fn change(ks: &Keystone, user_id: &str, from: &str, to: &str) -> u16 {
    ks.send(
        Method::POST,
        &format!("/v3/users/{user_id}/password"),
        None,
        Some(json!({"user": {"original_password": from, "password": to}})),
    )
    .await
    .status
    .as_u16()
}

#[tokio::test]
async fn lockout_history_and_admin_resets() {
    let ks = Keystone::start_with(|c| {
        c.set("security_compliance", "lockout_failure_attempts", "2");
        c.set("security_compliance", "lockout_duration", "2");
        c.set("security_compliance", "unique_last_password_count", "2");
    })
    .await;
    let user = ks.user_with_role("member").await;
    let login = |password: &'static str| {
        ks.password_token(&user.user_name, password, serde_json::Value::Null)
    };

    // Two failures lock the account: the right password is refused until it lapses.
    login("wrong").await.expect(401);
    login("wrong").await.expect(401);
    let locked = login("pw").await.expect(401);
    assert!(locked.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("locked"));
    // Past the lockout, with room for a database that rounds times to the second.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    login("pw").await.expect(201);

    // History: the last two passwords (the current one included) cannot come back.
    assert_eq!(change(&ks, &user.user_id, "pw", "pw-one").await, 204);
    assert_eq!(change(&ks, &user.user_id, "pw-one", "pw-one").await, 400);
    assert_eq!(change(&ks, &user.user_id, "pw-one", "pw").await, 400);
    assert_eq!(change(&ks, &user.user_id, "pw-one", "pw-two").await, 204);
    assert_eq!(change(&ks, &user.user_id, "pw-two", "pw").await, 204);
    // An admin reset is not held to the history.
    for _ in 0..2 {
        ks.admin(
            Method::PATCH,
            &format!("/v3/users/{}", user.user_id),
            Some(json!({"user": {"password": "same"}})),
        )
        .await
        .expect(200);
    }
    ks.password_token(&user.user_name, "same", serde_json::Value::Null)
        .await
        .expect(201);

    // User options: no lockout for a service account, no self-service change for a
    // locked password, unknown options refused.
    let path = format!("/v3/users/{}", user.user_id);
    let set = |options: serde_json::Value| {
        ks.admin(
            Method::PATCH,
            &path,
            Some(json!({"user": {"options": options}})),
        )
    };
    let shown = set(json!({"ignore_lockout_failure_attempts": true, "lock_password": true}))
        .await
        .expect(200);
    assert_eq!(shown.body["user"]["options"]["lock_password"], true);
    for _ in 0..3 {
        ks.password_token(&user.user_name, "wrong", serde_json::Value::Null)
            .await
            .expect(401);
    }
    ks.password_token(&user.user_name, "same", serde_json::Value::Null)
        .await
        .expect(201);
    assert_eq!(change(&ks, &user.user_id, "same", "another").await, 403);
    set(json!({"lock_password": null})).await.expect(200);
    assert_eq!(change(&ks, &user.user_id, "same", "another").await, 204);
    set(json!({"bogus_option": true})).await.expect(400);
    set(json!({"lock_password": "yes"})).await.expect(400);
}

#[tokio::test]
async fn age_expiry_pattern_and_first_use() {
    let ks = Keystone::start_with(|c| {
        c.set("security_compliance", "minimum_password_age", "1");
        c.set("security_compliance", "password_expires_days", "90");
        c.set("security_compliance", "password_regex", "^.{6,}$");
        c.set(
            "security_compliance",
            "password_regex_description",
            "six characters or more",
        );
        c.set(
            "security_compliance",
            "change_password_upon_first_use",
            "true",
        );
    })
    .await;
    // Created by an admin: the password must be changed before it logs in.
    let made = ks
        .admin(
            Method::POST,
            "/v3/users",
            Some(json!({"user": {"name": "pci", "password": "first-pw"}})),
        )
        .await
        .expect(201);
    let id = made.body["user"]["id"].as_str().unwrap().to_string();
    assert!(made.body["user"]["password_expires_at"].is_string());
    let expired = ks
        .password_token("pci", "first-pw", serde_json::Value::Null)
        .await
        .expect(401);
    assert!(expired.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    // The pattern holds for every new password.
    assert_eq!(change(&ks, &id, "first-pw", "short").await, 400);
    ks.admin(
        Method::PATCH,
        &format!("/v3/users/{id}"),
        Some(json!({"user": {"password": "tiny"}})),
    )
    .await
    .expect(400);
    assert_eq!(change(&ks, &id, "first-pw", "second-pw").await, 204);
    let token = ks
        .password_token("pci", "second-pw", serde_json::Value::Null)
        .await
        .expect(201);
    // 90 days ahead, shown in the token and on the user.
    let expires = token.body["token"]["user"]["password_expires_at"]
        .as_str()
        .unwrap()
        .to_string();
    let at = chrono::NaiveDateTime::parse_from_str(&expires, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
    let days = (at - chrono::Utc::now().naive_utc()).num_days();
    assert!((89..=90).contains(&days), "{expires}");
    // The minimum age: no second change the same day.
    assert_eq!(change(&ks, &id, "second-pw", "third-pw").await, 400);
    // The security_compliance group shows the pattern to any user.
    let shown = ks
        .get(
            "/v3/domains/default/config/security_compliance",
            token.header("x-subject-token").unwrap(),
        )
        .await
        .expect(200);
    assert_eq!(
        shown.body["config"]["security_compliance"]["password_regex_description"],
        "six characters or more"
    );
}
