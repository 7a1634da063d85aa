//! `/v3/ec2tokens`: project tokens for requests signed with an EC2 credential's
//! secret (AWS signature versions 2 and 4), and the refusals.

use ferrostack_identity::domain::ec2_signature::Ec2Request;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::Keystone;

fn v4_request(access: &str, when: chrono::DateTime<chrono::Utc>) -> Ec2Request {
    let stamp = when.format("%Y%m%dT%H%M%SZ").to_string();
    let date = when.format("%Y%m%d").to_string();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={access}/{date}/RegionOne/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=unused"
    );
    Ec2Request {
        access: Some(access.into()),
        verb: "GET".into(),
        host: "127.0.0.1:8080".into(),
        path: "/bucket/key".into(),
        headers: [
            ("Host", "127.0.0.1:8080"),
            ("X-Amz-Date", stamp.as_str()),
            ("Authorization", auth.as_str()),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into(),
        body_hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
        ..Ec2Request::default()
    }
}

fn body(request: &Ec2Request, signature: &str) -> Value {
    json!({"credentials": {"access": request.access, "signature": signature, "host": request.host,
        "verb": request.verb, "path": request.path, "params": request.params,
        "headers": request.headers, "body_hash": request.body_hash}})
}

#[tokio::test]
async fn ec2_signed_requests_get_project_tokens() {
    let ks = Keystone::start().await;
    let member = ks.user_with_role("member").await;
    let cred = ks
        .send(
            Method::POST,
            &format!("/v3/users/{}/credentials/OS-EC2", member.user_id),
            Some(&member.token),
            Some(json!({"tenant_id": member.project_id})),
        )
        .await
        .expect(201)
        .body["credential"]
        .clone();
    let (access, secret) = (
        cred["access"].as_str().unwrap().to_string(),
        cred["secret"].as_str().unwrap().to_string(),
    );
    let post = |b: Value| ks.send(Method::POST, "/v3/ec2tokens", None, Some(b));

    let now = v4_request(&access, chrono::Utc::now());
    let signature = now.expected_signature(&secret).unwrap();
    let issued = post(body(&now, &signature)).await.expect(200);
    assert!(issued.header("x-subject-token").is_some());
    assert_eq!(
        issued.body["token"]["project"]["id"],
        member.project_id.as_str()
    );
    assert_eq!(issued.body["token"]["user"]["id"], member.user_id.as_str());
    assert_eq!(issued.body["token"]["methods"], json!(["ec2credential"]));

    // Wrong secret, unknown key, no signature, a stale request: 401.
    let forged = now.expected_signature("not-the-secret").unwrap();
    post(body(&now, &forged)).await.expect(401);
    let stranger = v4_request("unknown-access", chrono::Utc::now());
    post(body(&stranger, &signature)).await.expect(401);
    let mut unsigned = body(&now, "");
    unsigned["credentials"]
        .as_object_mut()
        .unwrap()
        .remove("signature");
    post(unsigned).await.expect(401);
    let old = v4_request(&access, chrono::Utc::now() - chrono::Duration::minutes(30));
    let old_signature = old.expected_signature(&secret).unwrap();
    post(body(&old, &old_signature)).await.expect(401);

    // Version 2, signed without the port the request names.
    let mut v2 = Ec2Request {
        access: Some(access.clone()),
        verb: "GET".into(),
        host: "ec2.example.com".into(),
        path: "/services/Cloud".into(),
        params: [
            ("SignatureVersion", "2"),
            ("Action", "DescribeInstances"),
            ("AWSAccessKeyId", access.as_str()),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into(),
        ..Ec2Request::default()
    };
    let v2_signature = v2.expected_signature(&secret).unwrap();
    v2.host = "ec2.example.com:8773".into();
    post(body(&v2, &v2_signature)).await.expect(200);

    // A deleted credential no longer authenticates.
    ks.send(
        Method::DELETE,
        &format!("/v3/users/{}/credentials/OS-EC2/{access}", member.user_id),
        Some(&member.token),
        None,
    )
    .await
    .expect(204);
    let again = v4_request(&access, chrono::Utc::now());
    let again_signature = again.expected_signature(&secret).unwrap();
    post(body(&again, &again_signature)).await.expect(401);
}
