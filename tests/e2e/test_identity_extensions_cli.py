"""The real `openstack` CLI (and AWS's and OAuth's own signers) against identity's
extensions: endpoint groups, trusts, OAuth1, access rules, unified limits, EC2 tokens."""
import hashlib
import json
import urllib.error
import urllib.request
import uuid


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def lower(d):
    return {k.lower().replace(" ", "_"): v for k, v in d.items()}


def user_with_project(cloud, role="member"):
    """A new user with `role` on a new project, as a clouds.yaml entry of their own."""
    name, project = unique("user"), unique("proj")
    cloud.os("project", "create", project)
    cloud.os("user", "create", name, "--password", "pw-1", json_out=False)
    cloud.os("role", "add", "--user", name, "--project", project, role, json_out=False)
    cloud.add_cloud(name, username=name, password="pw-1", project_name=project,
                    user_domain_name="Default", project_domain_name="Default")
    return name, project


def test_endpoint_groups_filter_the_catalog(cloud, tmp_path):
    name, project = user_with_project(cloud)
    identity = next(s for s in cloud.os("service", "list") if s["Type"] == "identity")
    filters = tmp_path / "filters.json"
    filters.write_text(json.dumps({"service_id": identity["ID"], "interface": "public"}))
    group = unique("egroup")
    made = cloud.os("endpoint", "group", "create", "--description", "public identity", group, str(filters))
    assert made["name"] == group
    cloud.os("endpoint", "group", "add", "project", group, project, json_out=False)
    catalog = cloud.os("catalog", "list", cloud=name)
    assert [c["Type"] for c in catalog] == ["identity"], catalog
    endpoints = str(catalog[0]["Endpoints"])
    assert "public" in endpoints and "internal" not in endpoints, endpoints
    cloud.os("endpoint", "group", "remove", "project", group, project, json_out=False)
    cloud.os("endpoint", "group", "delete", group, json_out=False)
    assert len(cloud.os("catalog", "list", cloud=name)) > 1


def test_trust_delegates_roles_to_a_trustee(cloud):
    trustor, project = user_with_project(cloud)
    trustee = unique("trustee")
    trustee_id = cloud.os("user", "create", trustee, "--password", "pw-2")["id"]
    # IDs: a member may not look users up by name.
    trustor_id = cloud.os("token", "issue", cloud=trustor)["user_id"]
    project_id = cloud.os("token", "issue", cloud=trustor)["project_id"]
    member = cloud.os("role", "show", "member")["id"]
    trust = lower(cloud.os("trust", "create", "--project", project_id, "--role", member,
                           "--impersonate", trustor_id, trustee_id, cloud=trustor))
    assert trust["is_impersonation"] is True and trust["project_id"] == project_id
    assert any(t["ID"] == trust["id"] for t in cloud.os("trust", "list"))
    cloud.add_cloud(trustee + "-trust", username=trustee, password="pw-2",
                    user_domain_name="Default", trust_id=trust["id"])
    token = cloud.os("token", "issue", cloud=trustee + "-trust")
    assert token["project_id"] == trust["project_id"]
    cloud.os("trust", "delete", trust["id"], json_out=False, cloud=trustor)
    cloud.os("token", "issue", cloud=trustee + "-trust", expect_fail=True)


def test_oauth1_delegation_with_the_cli(cloud):
    consumer = lower(cloud.os("consumer", "create", "--description", "e2e app"))
    cloud.os("consumer", "set", consumer["id"], "--description", "renamed", json_out=False)
    assert lower(cloud.os("consumer", "show", consumer["id"]))["description"] == "renamed"
    request = lower(cloud.os("request", "token", "create", "--consumer-key", consumer["id"],
                             "--consumer-secret", consumer["secret"], "--project", "admin"))
    verifier = lower(cloud.os("request", "token", "authorize", "--request-key", request["id"],
                              "--role", "member"))["oauth_verifier"]
    access = lower(cloud.os("access", "token", "create", "--consumer-key", consumer["id"],
                            "--consumer-secret", consumer["secret"], "--request-key", request["id"],
                            "--request-secret", request["secret"], "--verifier", verifier))
    cloud.add_cloud("oauth", auth_type="v3oauth1", consumer_key=consumer["id"],
                    consumer_secret=consumer["secret"], access_key=access["id"],
                    access_secret=access["secret"])
    token = cloud.os("token", "issue", cloud="oauth")
    assert token["project_id"] == cloud.os("project", "show", "admin")["id"]
    cloud.os("consumer", "delete", consumer["id"], json_out=False)
    cloud.os("token", "issue", cloud="oauth", expect_fail=True)


def test_access_rules_restrict_an_application_credential(cloud):
    name, _ = user_with_project(cloud)
    rules = json.dumps([{"service": "identity", "method": "GET", "path": "/v3/auth/projects"}])
    cred = lower(cloud.os("application", "credential", "create", "--access-rules", rules, unique("ac"),
                          cloud=name))
    listed = cloud.os("access", "rule", "list", cloud=name)
    assert [r["Path"] for r in listed] == ["/v3/auth/projects"]
    cloud.add_cloud(name + "-ac", auth_type="v3applicationcredential",
                    application_credential_id=cred["id"], application_credential_secret=cred["secret"])
    # A token comes; the identity API answers only what the rule allows.
    assert cloud.os("token", "issue", cloud=name + "-ac")["id"]
    cloud.os("user", "list", cloud=name + "-ac", expect_fail=True)
    rule = listed[0]["ID"]
    cloud.os("access", "rule", "delete", rule, cloud=name, expect_fail=True)
    cloud.os("application", "credential", "delete", cred["id"], json_out=False, cloud=name)
    cloud.os("access", "rule", "delete", rule, json_out=False, cloud=name)
    assert cloud.os("access", "rule", "list", cloud=name) == []


def test_unified_limits(cloud):
    resource = unique("widgets")
    registered = lower(cloud.os("registered", "limit", "create", "--service", "identity",
                                "--default-limit", "5", resource))
    assert registered["default_limit"] == 5
    limit = lower(cloud.os("limit", "create", "--service", "identity", "--project", "admin",
                           "--resource-limit", "7", resource))
    assert limit["resource_limit"] == 7
    assert any(l["ID"] == limit["id"] for l in cloud.os("limit", "list", "--resource-name", resource))
    cloud.os("limit", "set", limit["id"], "--resource-limit", "9", json_out=False)
    assert lower(cloud.os("limit", "show", limit["id"]))["resource_limit"] == 9
    cloud.os("registered", "limit", "delete", registered["id"], json_out=False, expect_fail=True)
    cloud.os("limit", "delete", limit["id"], json_out=False)
    cloud.os("registered", "limit", "delete", registered["id"], json_out=False)


def test_ec2_tokens_for_a_botocore_signed_request(cloud):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    cred = lower(cloud.os("ec2", "credentials", "create"))
    request = AWSRequest(method="GET", url="http://127.0.0.1:8080/bucket/key",
                         headers={"Host": "127.0.0.1:8080"})
    SigV4Auth(Credentials(cred["access"], cred["secret"]), "s3", "RegionOne").add_auth(request)
    headers = dict(request.headers.items())
    body_hash = hashlib.sha256(b"").hexdigest()
    signature = headers["Authorization"].split("Signature=")[1]
    body = {"credentials": {"access": cred["access"], "signature": signature, "host": "127.0.0.1:8080",
                            "verb": "GET", "path": "/bucket/key", "params": {}, "headers": headers,
                            "body_hash": body_hash}}
    v3 = cloud.auth_url.rstrip("/")
    v3 = v3 if v3.endswith("/v3") else v3 + "/v3"
    post = urllib.request.Request(v3 + "/ec2tokens", json.dumps(body).encode(),
                                  {"Content-Type": "application/json"})
    with urllib.request.urlopen(post, timeout=30) as resp:
        assert resp.status == 200
        token = json.loads(resp.read())["token"]
    assert token["methods"] == ["ec2credential"] and token["project"]["name"] == "admin"
    body["credentials"]["signature"] = "0" * 64
    bad = urllib.request.Request(post.full_url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(bad, timeout=30)
        raise AssertionError("a forged signature was accepted")
    except urllib.error.HTTPError as err:
        assert err.code == 401
    cloud.os("ec2", "credentials", "delete", cred["access"], json_out=False)
