//! Security groups on the wire (root, iptables with bridge netfilter,
//! ping): two guests on one network, the second in a group that lets
//! nothing in; the first reaches it only once a rule lets ICMP in, from
//! its own address only (a spoofed source is dropped), and not any more
//! once the rule is deleted. A port without port security is not filtered.

mod common;

use common::linux::{bound_port, ip, l2_only_subnet, linux_cloud, Guest, Leftovers};
use reqwest::Method;
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Whether `from` reaches `to` within a few seconds (filters are rewritten
/// as the server's casts arrive), or keeps failing for as long.
fn reaches(from: &Guest, to: &str) -> bool {
    from.pings_within(to, 5)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_groups_filter_bridged_traffic() {
    let cloud = linux_cloud(|_| {}).await;
    let admin = cloud.identity.admin_persona().await;
    cloud
        .until(
            "/v2.0/agents?binary=neutron-linuxbridge-agent",
            &admin,
            |b| b["agents"][0]["configurations"]["firewall_driver"] == "iptables",
        )
        .await;
    let net = id(&cloud
        .create("networks", "network", &admin, json!({"name": "filtered"}))
        .await);
    l2_only_subnet(&cloud, &admin, &net, "10.81.0.0/24").await;
    let _made = Leftovers(vec![format!("brq{}", &net[..11])]);
    let closed = id(&cloud
        .create(
            "security-groups",
            "security_group",
            &admin,
            json!({"name": "closed"}),
        )
        .await);

    let first = bound_port(&cloud, &admin, &net).await;
    let second = cloud
        .create(
            "ports",
            "port",
            &admin,
            json!({"network_id": net, "binding:host_id": "linux-a", "security_groups": [closed]}),
        )
        .await;
    let one = Guest::boot(&first);
    let two = Guest::boot(&second);
    for port in [&first, &second] {
        cloud
            .until(&format!("/v2.0/ports/{}", id(port)), &admin, |b| {
                b["port"]["status"] == "ACTIVE"
            })
            .await;
    }
    let second_ip = second["fixed_ips"][0]["ip_address"].as_str().unwrap();
    assert!(
        !reaches(&one, second_ip),
        "a group without ingress rules lets pings in"
    );

    // ICMP let in: the first guest reaches the second, but not from a
    // spoofed source.
    let rule = cloud
        .create(
            "security-group-rules",
            "security_group_rule",
            &admin,
            json!({"security_group_id": closed, "direction": "ingress", "protocol": "icmp"}),
        )
        .await;
    assert!(
        reaches(&one, second_ip),
        "an ICMP rule does not let pings in"
    );
    ip(&[
        "-n",
        &one.netns,
        "addr",
        "add",
        "10.81.0.250/24",
        "dev",
        "eth0",
    ])
    .unwrap();
    let spoofed = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            &one.netns,
            "ping",
            "-c",
            "2",
            "-W",
            "1",
            "-I",
            "10.81.0.250",
            second_ip,
        ])
        .output()
        .unwrap();
    assert!(!spoofed.status.success(), "a spoofed source got through");

    // The rule deleted, pings are dropped again.
    cloud
        .send(
            Method::DELETE,
            &format!("/v2.0/security-group-rules/{}", id(&rule)),
            &admin,
            None,
        )
        .await
        .expect(204);
    let mut closed_again = false;
    for _ in 0..10 {
        if !one.pings(second_ip) {
            closed_again = true;
            break;
        }
    }
    assert!(closed_again, "a deleted rule still lets pings in");

    // Without port security, the second port is not filtered at all.
    cloud
        .send(
            Method::PUT,
            &format!("/v2.0/ports/{}", id(&second)),
            &admin,
            Some(json!({"port": {"security_groups": [], "port_security_enabled": false}})),
        )
        .await
        .expect(200);
    assert!(
        reaches(&one, second_ip),
        "a port without port security is filtered"
    );

    for port in [&first, &second] {
        cloud
            .send(
                Method::DELETE,
                &format!("/v2.0/ports/{}", id(port)),
                &admin,
                None,
            )
            .await
            .expect(204);
    }
    drop((one, two));
}
