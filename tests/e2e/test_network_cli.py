"""The real `openstack` CLI against ferrostack network: networks, subnets, ports,
security groups and rules, tags and quotas, routers and floating IPs."""
import time
import uuid


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_networks_subnets_and_ports(cloud):
    net = unique("net")
    created = cloud.os("network", "create", "--description", "e2e", "--tag", "blue", net)
    assert created["status"] == "ACTIVE" and created["mtu"] == 1450, created
    assert created["provider:network_type"] == "vxlan", created
    assert created["tags"] == ["blue"], created
    cloud.os("network", "set", "--name", f"{net}-x", net, json_out=False)
    net = f"{net}-x"
    assert any(n["Name"] == net for n in cloud.os("network", "list"))

    sub = unique("sub")
    subnet = cloud.os("subnet", "create", "--network", net, "--subnet-range", "10.20.0.0/24",
                      "--allocation-pool", "start=10.20.0.10,end=10.20.0.50",
                      "--dns-nameserver", "8.8.8.8", sub)
    assert subnet["gateway_ip"] == "10.20.0.1", subnet
    assert subnet["allocation_pools"] == [{"start": "10.20.0.10", "end": "10.20.0.50"}], subnet
    assert subnet["dns_nameservers"] == ["8.8.8.8"], subnet
    assert any(s["Name"] == sub for s in cloud.os("subnet", "list", "--network", net))

    port = unique("port")
    made = cloud.os("port", "create", "--network", net, "--fixed-ip",
                    f"subnet={sub},ip-address=10.20.0.20", port)
    assert made["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.20.0.20"}], made
    assert made["status"] == "DOWN" and made["mac_address"].startswith("fa:16:3e:"), made
    other = cloud.os("port", "create", "--network", net, unique("port"))
    address = other["fixed_ips"][0]["ip_address"]
    assert address.startswith("10.20.0.") and 10 <= int(address.rsplit(".", 1)[1]) <= 50, other
    listed = cloud.os("port", "list", "--network", net)
    assert len(listed) == 2, listed
    taken = cloud.os("port", "create", "--network", net, "--fixed-ip",
                     f"subnet={sub},ip-address=10.20.0.20", unique("port"), json_out=False,
                     expect_fail=True)
    assert "already allocated" in taken, taken

    busy = cloud.os("network", "delete", net, json_out=False, expect_fail=True)
    assert "in use" in busy or "ports still in use" in busy, busy
    cloud.os("port", "delete", port, other["id"], json_out=False)
    cloud.os("subnet", "delete", sub, json_out=False)
    cloud.os("network", "delete", net, json_out=False)
    assert not any(n["Name"] == net for n in cloud.os("network", "list"))


def test_external_flat_network_for_admins(cloud):
    name = unique("public")
    physnet = unique("phys")
    created = cloud.os("network", "create", "--external", "--provider-network-type", "flat",
                       "--provider-physical-network", physnet, name)
    assert created["router:external"] is True and created["provider:network_type"] == "flat", created
    again = cloud.os("network", "create", "--provider-network-type", "flat",
                     "--provider-physical-network", physnet, unique("public"), json_out=False,
                     expect_fail=True)
    assert "in use" in again, again
    cloud.os("network", "delete", name, json_out=False)


def test_security_groups_rules_and_quotas(cloud):
    group = unique("sg")
    created = cloud.os("security", "group", "create", "--description", "web", group)
    assert len(created["rules"]) == 2, created
    rule = cloud.os("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
                    "--remote-ip", "10.0.0.0/8", group)
    assert rule["port_range_min"] == 22 and rule["protocol"] == "tcp", rule
    rules = cloud.os("security", "group", "rule", "list", group)
    assert len(rules) == 3, rules
    dup = cloud.os("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
                   "--remote-ip", "10.0.0.0/8", group, json_out=False, expect_fail=True)
    assert "already exists" in dup, dup
    default = cloud.os("security", "group", "show", "default")
    assert len(default["rules"]) == 4, default
    cloud.os("security", "group", "rule", "delete", rule["id"], json_out=False)
    cloud.os("security", "group", "delete", group, json_out=False)

    quota = cloud.os("quota", "show", "--network")
    limits = {q["Resource"]: q["Limit"] for q in quota}
    assert limits["networks"] == 100 and limits["ports"] == 500, limits
    project = cloud.os("token", "issue")["project_id"]
    cloud.os("quota", "set", "--networks", "42", project, json_out=False)
    limits = {q["Resource"]: q["Limit"] for q in cloud.os("quota", "show", "--network")}
    assert limits["networks"] == 42, limits
    cloud.os("quota", "set", "--networks", "100", project, json_out=False)


def test_routers_with_gateway_and_interfaces(cloud):
    public = unique("ext")
    cloud.os("network", "create", "--external", public)
    cloud.os("subnet", "create", "--network", public, "--subnet-range", "198.51.100.0/24",
             "--no-dhcp", unique("extsub"))
    net = unique("inner")
    cloud.os("network", "create", net)
    sub = unique("innersub")
    cloud.os("subnet", "create", "--network", net, "--subnet-range", "10.40.0.0/24", sub)
    router = unique("router")
    made = cloud.os("router", "create", router)
    assert made["status"] == "ACTIVE" and made["external_gateway_info"] is None, made
    cloud.os("router", "set", "--external-gateway", public, router, json_out=False)
    shown = cloud.os("router", "show", router)
    gateway = shown["external_gateway_info"]
    assert gateway["enable_snat"] is True, shown
    assert gateway["external_fixed_ips"][0]["ip_address"].startswith("198.51.100."), shown
    cloud.os("router", "add", "subnet", router, sub, json_out=False)
    ports = cloud.os("port", "list", "--router", router)
    # The router's ports: its interface, on the subnet's gateway address, and its gateway.
    addresses = sorted(p["Fixed IP Addresses"][0]["ip_address"] for p in ports)
    assert addresses[0] == "10.40.0.1" and addresses[1].startswith("198.51.100."), ports
    busy = cloud.os("router", "delete", router, json_out=False, expect_fail=True)
    assert "still attached" in busy, busy

    # A floating IP on the external network, set on a port and unset again.
    vm = cloud.os("port", "create", "--network", net, unique("vm"))
    fip = cloud.os("floating", "ip", "create", "--description", "e2e", public)
    address = fip["floating_ip_address"]
    assert address.startswith("198.51.100.") and fip["port_id"] is None, fip
    cloud.os("floating", "ip", "set", "--port", vm["id"], address, json_out=False)
    shown = cloud.os("floating", "ip", "show", address)
    assert shown["port_id"] == vm["id"] and shown["router_id"] == made["id"], shown
    assert shown["fixed_ip_address"] == vm["fixed_ips"][0]["ip_address"], shown
    assert shown["port_details"]["network_id"] == vm["network_id"], shown
    listed = cloud.os("floating", "ip", "list", "--port", vm["id"])
    assert [f["Floating IP Address"] for f in listed] == [address], listed
    needed = cloud.os("router", "remove", "subnet", router, sub, json_out=False,
                      expect_fail=True)
    assert "required by one or more floating IPs" in needed, needed
    cloud.os("floating", "ip", "unset", "--port", address, json_out=False)
    assert cloud.os("floating", "ip", "show", address)["port_id"] is None
    cloud.os("floating", "ip", "delete", address, json_out=False)
    cloud.os("port", "delete", vm["id"], json_out=False)

    cloud.os("router", "remove", "subnet", router, sub, json_out=False)
    cloud.os("router", "unset", "--external-gateway", router, json_out=False)
    cloud.os("router", "delete", router, json_out=False)
    cloud.os("network", "delete", net, public, json_out=False)


def test_agents_and_bound_ports(cloud):
    agents = cloud.os("network", "agent", "list")
    kinds = sorted(a["Agent Type"] for a in agents)
    assert kinds == ["DHCP agent", "L3 agent", "Linux bridge agent", "Metadata agent"], agents
    assert all(a["Alive"] in (True, ":-)") and a["State"] in (True, "UP") for a in agents), agents
    host = agents[0]["Host"]
    l2 = next(a for a in agents if a["Agent Type"] == "Linux bridge agent")
    cloud.os("network", "agent", "set", "--description", "e2e", l2["ID"], json_out=False)
    assert cloud.os("network", "agent", "show", l2["ID"])["description"] == "e2e"
    cloud.os("network", "agent", "set", "--description", "", l2["ID"], json_out=False)

    # A port bound to the agent's host binds to its bridge and goes ACTIVE.
    net = unique("bound")
    cloud.os("network", "create", net)
    cloud.os("subnet", "create", "--network", net, "--subnet-range", "10.60.0.0/24", unique("s"))
    port = cloud.os("port", "create", "--network", net, "--host", host, unique("p"))
    assert port["binding_vif_type"] == "bridge", port
    status = port["status"]
    for _ in range(50):
        if status == "ACTIVE":
            break
        time.sleep(0.2)
        status = cloud.os("port", "show", port["id"])["status"]
    assert status == "ACTIVE", status
    cloud.os("port", "delete", port["id"], json_out=False)
    cloud.os("network", "delete", net, json_out=False)


def test_subnet_pools_and_ip_availability(cloud):
    pool = unique("pool")
    made = cloud.os("subnet", "pool", "create", "--pool-prefix", "10.70.0.0/16",
                    "--default-prefix-length", "24", pool)
    assert made["prefixes"] == ["10.70.0.0/16"] and made["default_prefixlen"] == 24, made
    net = unique("pooled")
    cloud.os("network", "create", net)
    sub = cloud.os("subnet", "create", "--network", net, "--subnet-pool", pool, unique("s"))
    assert sub["cidr"] == "10.70.0.0/24" and sub["subnetpool_id"] == made["id"], sub
    cloud.os("port", "create", "--network", net, unique("p"))
    shown = cloud.os("ip", "availability", "show", net)
    assert shown["total_ips"] == 253 and shown["used_ips"] == 1, shown
    listed = cloud.os("ip", "availability", "list")
    assert any(a["Network Name"] == net for a in listed), listed
    busy = cloud.os("subnet", "pool", "delete", pool, json_out=False, expect_fail=True)
    assert "Failed to delete" in busy or "allocated" in busy, busy


def test_network_rbac_shares_with_one_project(cloud):
    project, user = unique("rbac-p"), unique("rbac-u")
    project_id = cloud.os("project", "create", project)["id"]
    cloud.os("user", "create", user, "--password", "pw-1", json_out=False)
    cloud.os("role", "add", "--user", user, "--project", project, "member", json_out=False)
    cloud.add_cloud(user, username=user, password="pw-1", project_name=project,
                    user_domain_name="Default", project_domain_name="Default")
    net = unique("net")
    net_id = cloud.os("network", "create", net)["id"]
    cloud.os("subnet", "create", "--network", net_id, "--subnet-range", "10.77.0.0/24",
             unique("sub"), json_out=False)
    cloud.os("network", "show", net_id, cloud=user, expect_fail=True)

    policy = cloud.os("network", "rbac", "create", "--type", "network", "--action",
                      "access_as_shared", "--target-project", project_id, net_id)
    assert policy["object_id"] == net_id and policy["action"] == "access_as_shared", policy
    assert policy["target_project_id"] == project_id, policy
    assert any(p["ID"] == policy["id"] for p in cloud.os("network", "rbac", "list"))
    assert cloud.os("network", "rbac", "show", policy["id"])["object_type"] == "network"
    seen = cloud.os("network", "show", net_id, cloud=user)
    assert seen["shared"] is True, seen
    port = cloud.os("port", "create", "--network", net_id, unique("port"), cloud=user)

    busy = cloud.os("network", "rbac", "delete", policy["id"], json_out=False, expect_fail=True)
    assert "cannot be removed" in busy, busy
    cloud.os("port", "delete", port["id"], cloud=user, json_out=False)
    cloud.os("network", "rbac", "delete", policy["id"], json_out=False)
    cloud.os("network", "show", net_id, cloud=user, expect_fail=True)

    external = cloud.os("network", "rbac", "create", "--type", "network", "--action",
                        "access_as_external", "--target-all-projects", net_id)
    assert external["target_project_id"] == "*", external
    assert cloud.os("network", "show", net_id)["router:external"] is True
    cloud.os("network", "rbac", "delete", external["id"], json_out=False)
    assert cloud.os("network", "show", net_id)["router:external"] is False
    cloud.os("network", "delete", net_id, json_out=False)
    cloud.os("user", "delete", user, json_out=False)
    cloud.os("project", "delete", project, json_out=False)
