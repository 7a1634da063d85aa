//! Agents over RPC and HTTP: a host's agent reports its L2, DHCP, L3 and
//! metadata agents, admins list, describe, disable and delete them, and
//! ports bound to the host bind and turn ACTIVE only while its L2 agent is
//! alive and enabled.

mod common;

use common::Cloud;
use reqwest::Method;
use serde_json::{json, Value};

fn agent_of<'a>(list: &'a Value, binary: &str) -> &'a Value {
    list["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["binary"] == binary)
        .unwrap_or_else(|| panic!("no {binary} in {list}"))
}

#[tokio::test]
async fn a_hosts_agents_report_and_admins_manage_them() {
    let cloud = Cloud::with_agent("node-a").await;
    let admin = cloud.identity.admin_persona().await;
    let alice = cloud.identity.persona(&["member"]).await;
    let listed = cloud
        .until("/v2.0/agents", &admin, |b| {
            b["agents"].as_array().is_some_and(|a| a.len() == 4)
        })
        .await;
    let l2 = agent_of(&listed, "neutron-linuxbridge-agent");
    assert_eq!(l2["agent_type"], "Linux bridge agent");
    assert_eq!(l2["host"], "node-a");
    assert_eq!(l2["alive"], true);
    assert_eq!(l2["admin_state_up"], true);
    assert_eq!(l2["availability_zone"], Value::Null);
    assert_eq!(l2["configurations"]["driver"], "noop");
    assert_eq!(l2["description"], Value::Null);
    let dhcp = agent_of(&listed, "neutron-dhcp-agent");
    assert_eq!(dhcp["agent_type"], "DHCP agent");
    assert_eq!(dhcp["topic"], "dhcp_agent");
    assert_eq!(dhcp["availability_zone"], "nova");
    assert_eq!(
        agent_of(&listed, "neutron-l3-agent")["agent_type"],
        "L3 agent"
    );
    assert_eq!(
        agent_of(&listed, "neutron-metadata-agent")["agent_type"],
        "Metadata agent"
    );
    let by_type = cloud
        .get("/v2.0/agents?agent_type=DHCP%20agent&alive=true", &admin)
        .await
        .expect(200);
    assert_eq!(by_type.body["agents"].as_array().unwrap().len(), 1);

    // The DHCP and L3 agents' zone, for networks and routers, to anyone.
    let zones = cloud
        .get("/v2.0/availability_zones", &alice)
        .await
        .expect(200);
    assert_eq!(
        zones.body["availability_zones"],
        json!([{"name": "nova", "resource": "network", "state": "available"}, {"name": "nova", "resource": "router", "state": "available"}])
    );
    let routers = cloud
        .get("/v2.0/availability_zones?resource=router", &alice)
        .await
        .expect(200);
    assert_eq!(
        routers.body["availability_zones"].as_array().unwrap().len(),
        1
    );

    // Only admins see agents.
    let path = format!("/v2.0/agents/{}", l2["id"].as_str().unwrap());
    assert_eq!(
        cloud.get("/v2.0/agents", &alice).await.expect(200).body["agents"],
        json!([])
    );
    let (kind, _) = cloud.refused(Method::GET, &path, &alice, None, 404).await;
    assert_eq!(kind, "AgentNotFound");
    let (kind, _) = cloud
        .refused(
            Method::PUT,
            &path,
            &alice,
            Some(json!({"agent": {"description": "x"}})),
            404,
        )
        .await;
    assert_eq!(kind, "AgentNotFound");

    // Described, then the description cleared; read-only attributes refused.
    let described = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"agent": {"description": "rack 4"}})),
        )
        .await
        .expect(200);
    assert_eq!(described.body["agent"]["description"], "rack 4");
    let cleared = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"agent": {"description": null}})),
        )
        .await
        .expect(200);
    assert_eq!(cleared.body["agent"]["description"], Value::Null);
    let (kind, _) = cloud
        .refused(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"agent": {"host": "elsewhere"}})),
            400,
        )
        .await;
    assert_eq!(kind, "HTTPBadRequest");
    cloud
        .refused(
            Method::POST,
            "/v2.0/agents",
            &admin,
            Some(json!({"agent": {}})),
            405,
        )
        .await;

    // Deleted, it registers again with its next report.
    cloud
        .send(Method::DELETE, &path, &admin, None)
        .await
        .expect(204);
    cloud.refused(Method::GET, &path, &admin, None, 404).await;
    cloud
        .until(
            "/v2.0/agents?binary=neutron-linuxbridge-agent",
            &admin,
            |b| b["agents"].as_array().is_some_and(|a| a.len() == 1),
        )
        .await;
}

#[tokio::test]
async fn ports_bind_where_an_l2_agent_lives_and_turn_active() {
    let cloud = Cloud::with_agent("node-a").await;
    let admin = cloud.identity.admin_persona().await;
    let listed = cloud
        .until(
            "/v2.0/agents?binary=neutron-linuxbridge-agent",
            &admin,
            |b| b["agents"].as_array().is_some_and(|a| a.len() == 1),
        )
        .await;
    let (net, subnet) = cloud
        .network_with_subnet(&admin, "bound", "10.50.0.0/24")
        .await;

    // Bound where the agent lives: Linux bridge's VIF, then ACTIVE once wired.
    let port = cloud
        .create(
            "ports",
            "port",
            &admin,
            json!({"network_id": net, "binding:host_id": "node-a"}),
        )
        .await;
    assert_eq!(port["binding:vif_type"], "bridge");
    assert_eq!(
        port["binding:vif_details"]["bridge_name"],
        json!(format!("brq{}", &net[..11]))
    );
    let path = format!("/v2.0/ports/{}", port["id"].as_str().unwrap());
    cloud
        .until(&path, &admin, |b| b["port"]["status"] == "ACTIVE")
        .await;

    // A host without an agent fails the binding; the port stays DOWN.
    let nowhere = cloud
        .create(
            "ports",
            "port",
            &admin,
            json!({"network_id": net, "binding:host_id": "node-z"}),
        )
        .await;
    assert_eq!(nowhere["binding:vif_type"], "binding_failed");
    assert_eq!(nowhere["status"], "DOWN");

    // Moved to that host, the first port is DOWN and its binding failed.
    let moved = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"port": {"binding:host_id": "node-z"}})),
        )
        .await
        .expect(200);
    assert_eq!(moved.body["port"]["binding:vif_type"], "binding_failed");
    assert_eq!(moved.body["port"]["status"], "DOWN");
    // A null host unbinds it, as Nova lets go of a port.
    let unbound = cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"port": {"binding:host_id": null}})),
        )
        .await
        .expect(200);
    assert_eq!(unbound.body["port"]["binding:host_id"], "");
    assert_eq!(unbound.body["port"]["binding:vif_type"], "unbound");
    cloud
        .send(
            Method::PUT,
            &path,
            &admin,
            Some(json!({"port": {"binding:host_id": "node-z"}})),
        )
        .await
        .expect(200);

    // A disabled L2 agent binds nothing.
    let l2 = format!(
        "/v2.0/agents/{}",
        listed["agents"][0]["id"].as_str().unwrap()
    );
    let off = cloud
        .send(
            Method::PUT,
            &l2,
            &admin,
            Some(json!({"agent": {"admin_state_up": false}})),
        )
        .await
        .expect(200);
    assert_eq!(off.body["agent"]["admin_state_up"], false);
    let refused = cloud
        .create(
            "ports",
            "port",
            &admin,
            json!({"network_id": net, "binding:host_id": "node-a"}),
        )
        .await;
    assert_eq!(refused["binding:vif_type"], "binding_failed");
    cloud
        .send(
            Method::PUT,
            &l2,
            &admin,
            Some(json!({"agent": {"admin_state_up": true}})),
        )
        .await
        .expect(200);

    // A router's interface is placed on the L3 agent's host and wired.
    let router = cloud
        .create("routers", "router", &admin, json!({"name": "r"}))
        .await;
    let added = cloud
        .send(
            Method::PUT,
            &format!(
                "/v2.0/routers/{}/add_router_interface",
                router["id"].as_str().unwrap()
            ),
            &admin,
            Some(json!({"subnet_id": subnet})),
        )
        .await
        .expect(200);
    let interface = format!("/v2.0/ports/{}", added.body["port_id"].as_str().unwrap());
    let wired = cloud
        .until(&interface, &admin, |b| b["port"]["status"] == "ACTIVE")
        .await;
    assert_eq!(wired["port"]["binding:host_id"], "node-a");
    assert_eq!(wired["port"]["binding:vif_type"], "bridge");
}
