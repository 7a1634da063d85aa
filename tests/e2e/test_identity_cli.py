"""The real `openstack` CLI against ferrostack identity."""
import uuid


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_token_issue_and_catalog(cloud):
    token = cloud.os("token", "issue")
    assert token["project_id"] and token["user_id"] and token["id"]
    services = cloud.os("service", "list")
    assert any(s["Type"] == "identity" for s in services)
    endpoints = cloud.os("endpoint", "list")
    assert {e["Interface"] for e in endpoints} == {"public", "internal", "admin"}
    regions = cloud.os("region", "list")
    assert any(r["Region"] == "RegionOne" for r in regions)
    catalog = cloud.os("catalog", "list")
    assert any(c["Type"] == "identity" for c in catalog)


def test_project_lifecycle(cloud):
    name = unique("proj")
    created = cloud.os("project", "create", name, "--description", "e2e", "--tag", "blue")
    assert created["name"] == name and created["enabled"] is True
    shown = cloud.os("project", "show", name)
    assert shown["id"] == created["id"] and shown["tags"] == ["blue"]
    assert any(p["Name"] == name for p in cloud.os("project", "list"))
    cloud.os("project", "set", name, "--description", "changed", "--disable", json_out=False)
    assert cloud.os("project", "show", name)["description"] == "changed"
    cloud.os("project", "delete", name, json_out=False)
    cloud.os("project", "show", name, expect_fail=True)


def test_domain_group_role_user_and_login(cloud):
    domain = unique("dom")
    cloud.os("domain", "create", domain)
    assert cloud.os("domain", "show", domain)["name"] == domain

    project = unique("proj")
    cloud.os("project", "create", project)
    user = unique("user")
    created = cloud.os("user", "create", user, "--password", "pw-1", "--project", project)
    assert created["name"] == user
    role = unique("role")
    cloud.os("role", "create", role)
    cloud.os("role", "add", "--user", user, "--project", project, "member", json_out=False)
    cloud.os("role", "add", "--user", user, "--project", project, role, json_out=False)

    assignments = cloud.os("role", "assignment", "list", "--user", user, "--effective", "--names")
    roles = {a["Role"] for a in assignments}
    assert {"member", "reader", role} <= roles, roles

    group = unique("grp")
    cloud.os("group", "create", group)
    cloud.os("group", "add", "user", group, user, json_out=False)
    assert cloud.os("group", "contains", "user", group, user, json_out=False)

    cloud.add_cloud(user, username=user, password="pw-1", project_name=project,
                    user_domain_name="Default", project_domain_name="Default")
    token = cloud.os("token", "issue", cloud=user)
    assert token["project_id"] == cloud.os("project", "show", project)["id"]
    # a member is refused an admin call
    cloud.os("user", "create", unique("x"), cloud=user, expect_fail=True)
    # a wrong password is refused
    cloud.add_cloud(user + "-bad", username=user, password="wrong", project_name=project,
                    user_domain_name="Default", project_domain_name="Default")
    cloud.os("token", "issue", cloud=user + "-bad", expect_fail=True)

    cloud.os("role", "remove", "--user", user, "--project", project, role, json_out=False)
    cloud.os("group", "remove", "user", group, user, json_out=False)
    cloud.os("group", "delete", group, json_out=False)
    cloud.os("user", "delete", user, json_out=False)
    cloud.os("user", "show", user, expect_fail=True)
    cloud.os("domain", "set", domain, "--disable", json_out=False)
    cloud.os("domain", "delete", domain, json_out=False)


def test_application_credential_login(cloud):
    name = unique("appcred")
    cred = cloud.os("application", "credential", "create", name)
    cred = {k.lower(): v for k, v in cred.items()}
    assert cred["secret"] and cred["id"]
    cloud.add_cloud(name, auth_type="v3applicationcredential",
                    application_credential_id=cred["id"], application_credential_secret=cred["secret"])
    token = cloud.os("token", "issue", cloud=name)
    assert token["id"]
    cloud.os("application", "credential", "delete", name, json_out=False)
    cloud.os("token", "issue", cloud=name, expect_fail=True)


def test_token_revoke(cloud):
    token = cloud.os("token", "issue")["id"]
    cloud.os("token", "revoke", token, json_out=False)
    env = cloud.env(OS_AUTH_TYPE="token", OS_TOKEN=token, OS_AUTH_URL=cloud.auth_url, OS_PROJECT_NAME="admin",
                    OS_PROJECT_DOMAIN_NAME="Default")
    import subprocess
    from conftest import OPENSTACK
    run = subprocess.run([str(OPENSTACK), "project", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode != 0


def test_openstacksdk_lists_projects(cloud):
    import os
    import openstack
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(cloud.clouds_yaml)
    conn = openstack.connect(cloud="ferrostack")
    names = [p.name for p in conn.identity.projects()]
    assert "admin" in names
