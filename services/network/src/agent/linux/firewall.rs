//! Security groups on the wire, as Neutron's iptables firewall driver does
//! them: bridged IPv4 traffic passes the host's `FORWARD` chain (the
//! bridge netfilter hook, `bridge-nf-call-iptables`), which jumps to
//! `ferro-fwd`; per filtered port `ferro-i<port>` takes what goes to its
//! tap (established traffic, DHCP replies, the ingress rules, else drop),
//! `ferro-o<port>` what comes from it (DHCP requests, then `ferro-s<port>`'s
//! anti-spoofing — only its addresses from its MAC — then established
//! traffic and the egress rules, else drop). The whole set is rewritten in
//! one `iptables-restore` per change; chains no port needs go. IPv4 only.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use anyhow::{bail, Context as _};
use ipnet::IpNet;

use crate::domain::rules::{protocol_number, PORTED};
use crate::rpc::messages::{Device, SecurityGroupInfo, SecurityGroupList, SecurityRule};

const BRIDGE_NF: &str = "/proc/sys/net/bridge/bridge-nf-call-iptables";
/// The chain `FORWARD` jumps to.
const TOP: &str = "ferro-fwd";

/// The filtered ports of one host.
#[derive(Default)]
pub struct Firewall {
    ports: std::sync::Mutex<BTreeMap<String, Device>>,
    /// What is filtered changed since the last rewrite that succeeded.
    dirty: std::sync::atomic::AtomicBool,
    /// One rewrite at a time.
    applying: tokio::sync::Mutex<()>,
}

/// Turns bridged traffic through iptables on; false when the kernel has no
/// bridge netfilter (ports are not filtered then).
pub fn enable() -> bool {
    std::fs::write(BRIDGE_NF, "1").is_ok()
}

/// A port's chain: `kind` and the first 10 characters of its id.
fn chain(kind: char, port_id: &str) -> anyhow::Result<String> {
    let short = port_id.get(..10).unwrap_or_default();
    if short.len() != 10 || !short.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        bail!("'{port_id}' is not a port id");
    }
    Ok(format!("ferro-{kind}{short}"))
}

/// The iptables match of `rule` from or to `remote` (a CIDR; `None` for
/// any), or `None` when it is no IPv4 rule. Protocols go by number (0, as
/// `ip`, is any); port ranges through `multiport` (every ported protocol).
fn rule_match(rule: &SecurityRule, remote: Option<&IpNet>) -> anyhow::Result<Option<String>> {
    if rule.ethertype != "IPv4" || remote.is_some_and(|r| !matches!(r, IpNet::V4(_))) {
        return Ok(None);
    }
    let mut args = Vec::new();
    if let Some(remote) = remote {
        let side = if rule.direction == "ingress" {
            "-s"
        } else {
            "-d"
        };
        args.push(format!("{side} {remote}"));
    }
    if !rule.protocol.is_empty() {
        let number = protocol_number(&rule.protocol)
            .with_context(|| format!("protocol '{}' is unknown", rule.protocol))?;
        let (min, max) = (
            rule.port_range_min,
            rule.port_range_max.max(rule.port_range_min),
        );
        match number {
            0 => {}
            1 => {
                args.push("-p icmp".into());
                if min > 0 {
                    let code = if rule.port_range_max > 0 {
                        format!("/{}", rule.port_range_max)
                    } else {
                        String::new()
                    };
                    args.push(format!("-m icmp --icmp-type {min}{code}"));
                }
            }
            n if PORTED.contains(&n) && min > 0 => {
                args.push(format!("-p {n} -m multiport --dports {min}:{max}"));
            }
            n => args.push(format!("-p {n}")),
        }
    }
    Ok(Some(args.join(" ")))
}

/// One rule's `-A chain ... -j RETURN` lines (one per remote address).
fn rule_lines(
    rule: &SecurityRule,
    chain: &str,
    groups: &BTreeMap<String, SecurityGroupInfo>,
) -> anyhow::Result<Vec<String>> {
    let remotes: Vec<Option<IpNet>> = if !rule.remote_ip_prefix.is_empty() {
        vec![Some(rule.remote_ip_prefix.parse()?)]
    } else if !rule.remote_group_id.is_empty() {
        groups
            .get(&rule.remote_group_id)
            .map(|g| g.member_ips.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|ip| {
                ip.parse::<IpNet>()
                    .or_else(|_| ip.parse::<IpAddr>().map(IpNet::from))
                    .map(Some)
            })
            .collect::<Result<_, _>>()?
    } else {
        vec![None]
    };
    let mut lines = Vec::new();
    for remote in remotes {
        if let Some(m) = rule_match(rule, remote.as_ref())? {
            lines.push(format!("-A {chain} {m} -j RETURN").replace("  ", " "));
        }
    }
    Ok(lines)
}

/// The rules of one direction of a port, as `-A chain ... -j RETURN` lines.
fn rules_of(
    device: &Device,
    direction: &str,
    chain: &str,
    groups: &BTreeMap<String, SecurityGroupInfo>,
) -> Vec<String> {
    let mut lines = BTreeSet::new();
    for group in device.security_groups.iter().filter_map(|g| groups.get(g)) {
        for rule in group.rules.iter().filter(|r| r.direction == direction) {
            // A rule this firewall cannot express is left out (and said so),
            // never a reason to leave the host's other filters stale.
            match rule_lines(rule, chain, groups) {
                Ok(more) => lines.extend(more),
                Err(e) => tracing::warn!(group = group.id, "security group rule left out: {e}"),
            }
        }
    }
    lines.into_iter().collect()
}

/// The `iptables-restore` input for `ports`, deleting the chains of
/// `stale` (chains made before that no port needs now).
fn render(
    ports: &[Device],
    groups: &BTreeMap<String, SecurityGroupInfo>,
    stale: &[String],
) -> anyhow::Result<(String, BTreeSet<String>)> {
    let mut chains = BTreeSet::from([TOP.to_string()]);
    let mut rules = Vec::new();
    for device in ports {
        let tap = super::tap_name(&device.port_id)?;
        let (i, o, s) = (
            chain('i', &device.port_id)?,
            chain('o', &device.port_id)?,
            chain('s', &device.port_id)?,
        );
        let mac: String = device.mac_address.parse::<MacText>()?.0;
        rules.push(format!(
            "-A {TOP} -m physdev --physdev-out {tap} --physdev-is-bridged -j {i}"
        ));
        rules.push(format!(
            "-A {TOP} -m physdev --physdev-in {tap} --physdev-is-bridged -j {o}"
        ));
        rules.push(format!(
            "-A {i} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
        ));
        rules.push(format!("-A {i} -m conntrack --ctstate INVALID -j DROP"));
        rules.push(format!(
            "-A {i} -p udp -m udp --sport 67 --dport 68 -j RETURN"
        ));
        rules.extend(rules_of(device, "ingress", &i, groups));
        rules.push(format!("-A {i} -j DROP"));
        rules.push(format!(
            "-A {o} -s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN"
        ));
        rules.push(format!("-A {o} -j {s}"));
        rules.push(format!(
            "-A {o} -p udp -m udp --sport 68 --dport 67 -j RETURN"
        ));
        rules.push(format!(
            "-A {o} -p udp -m udp --sport 67 --dport 68 -j DROP"
        ));
        rules.push(format!(
            "-A {o} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
        ));
        rules.push(format!("-A {o} -m conntrack --ctstate INVALID -j DROP"));
        rules.extend(rules_of(device, "egress", &o, groups));
        rules.push(format!("-A {o} -j DROP"));
        for address in &device.allowed_addresses {
            let net: IpNet = address
                .parse()
                .or_else(|_| address.parse::<IpAddr>().map(IpNet::from))
                .with_context(|| format!("'{address}' is no address"))?;
            if matches!(net, IpNet::V4(_)) {
                rules.push(format!(
                    "-A {s} -s {net} -m mac --mac-source {mac} -j RETURN"
                ));
            }
        }
        rules.push(format!("-A {s} -j DROP"));
        chains.extend([i, o, s]);
    }
    let mut text = String::from("*filter\n");
    let gone: Vec<&String> = stale.iter().filter(|c| !chains.contains(*c)).collect();
    for c in chains.iter().chain(gone.iter().copied()) {
        text.push_str(&format!(":{c} - [0:0]\n"));
    }
    for r in rules {
        text.push_str(&r);
        text.push('\n');
    }
    for c in gone {
        text.push_str(&format!("-X {c}\n"));
    }
    text.push_str("COMMIT\n");
    Ok((text, chains))
}

/// A MAC address as iptables is given it (six hex bytes).
struct MacText(String);

impl std::str::FromStr for MacText {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        let bytes: Vec<&str> = text.split(':').collect();
        if bytes.len() != 6
            || !bytes
                .iter()
                .all(|b| b.len() == 2 && u8::from_str_radix(b, 16).is_ok())
        {
            bail!("'{text}' is not a MAC address");
        }
        Ok(MacText(text.to_ascii_lowercase()))
    }
}

async fn run(program: &str, args: &[&str], input: &str) -> anyhow::Result<String> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("{program} cannot run"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).await?;
    }
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        bail!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Firewall {
    /// Filters `device` (when its port security is on) or stops filtering
    /// it; true while the filters need a rewrite (this changed them, or the
    /// last rewrite failed: a port is never wired on filters that failed).
    pub fn track(&self, device: &Device) -> bool {
        use std::sync::atomic::Ordering;
        let mut ports = self.ports.lock().unwrap_or_else(|e| e.into_inner());
        let changed = if device.port_security_enabled {
            ports.insert(device.port_id.clone(), device.clone()) != Some(device.clone())
        } else {
            ports.remove(&device.port_id).is_some()
        };
        if changed {
            self.dirty.store(true, Ordering::SeqCst);
        }
        self.dirty.load(Ordering::SeqCst)
    }

    /// Stops filtering port `port_id`.
    pub fn forget(&self, port_id: &str) {
        self.ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(port_id);
    }

    /// The security groups of the filtered ports.
    pub fn groups(&self) -> Vec<String> {
        let ports = self.ports.lock().unwrap_or_else(|e| e.into_inner());
        let groups: BTreeSet<&String> = ports.values().flat_map(|d| &d.security_groups).collect();
        groups.into_iter().cloned().collect()
    }

    /// Rewrites the filters of every filtered port with `groups`.
    pub async fn apply(&self, groups: &SecurityGroupList) -> anyhow::Result<()> {
        let _one = self.applying.lock().await;
        self.dirty.store(true, std::sync::atomic::Ordering::SeqCst);
        let ports: Vec<Device> = self
            .ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        let by_id: BTreeMap<String, SecurityGroupInfo> = groups
            .groups
            .iter()
            .map(|g| (g.id.clone(), g.clone()))
            .collect();
        let existing: Vec<String> = run("iptables", &["-w", "-S"], "")
            .await?
            .lines()
            .filter_map(|l| l.strip_prefix("-N "))
            .filter(|c| c.starts_with("ferro-") && *c != TOP)
            .map(String::from)
            .collect();
        let (text, _) = render(&ports, &by_id, &existing)?;
        run("iptables-restore", &["-w", "-n"], &text).await?;
        let jumps = run("iptables", &["-w", "-C", "FORWARD", "-j", TOP], "")
            .await
            .is_ok();
        if !ports.is_empty() && !jumps {
            run("iptables", &["-w", "-I", "FORWARD", "1", "-j", TOP], "").await?;
        } else if ports.is_empty() {
            // Nothing filtered: the host is left as it was found.
            if jumps {
                run("iptables", &["-w", "-D", "FORWARD", "-j", TOP], "").await?;
            }
            run("iptables", &["-w", "-X", TOP], "").await?;
        }
        self.dirty.store(false, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORT: &str = "3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b";

    fn device() -> Device {
        Device {
            port_id: PORT.into(),
            mac_address: "fa:16:3e:00:00:01".into(),
            port_security_enabled: true,
            allowed_addresses: vec!["10.0.0.5".into(), "2001:db8::5".into()],
            security_groups: vec!["web".into()],
            ..Device::default()
        }
    }

    fn rule(direction: &str, protocol: &str, min: i64, remote_group: &str) -> SecurityRule {
        SecurityRule {
            direction: direction.into(),
            ethertype: "IPv4".into(),
            protocol: protocol.into(),
            port_range_min: min,
            port_range_max: min,
            remote_group_id: remote_group.into(),
            ..SecurityRule::default()
        }
    }

    #[test]
    fn a_port_gets_its_groups_rules_and_anti_spoofing() {
        let groups = BTreeMap::from([(
            "web".to_string(),
            SecurityGroupInfo {
                id: "web".into(),
                rules: vec![
                    rule("ingress", "tcp", 80, ""),
                    rule("ingress", "", 0, "web"),
                    rule("egress", "", 0, ""),
                    SecurityRule {
                        ethertype: "IPv6".into(),
                        ..rule("ingress", "tcp", 22, "")
                    },
                ],
                member_ips: vec!["10.0.0.5".into(), "10.0.0.6".into()],
            },
        )]);
        let (text, chains) = render(&[device()], &groups, &["ferro-igone000000".into()]).unwrap();
        let i = "ferro-i3f2a9c1e-7";
        for line in [
            "-A ferro-fwd -m physdev --physdev-out tap3f2a9c1e-7b --physdev-is-bridged -j ferro-i3f2a9c1e-7",
            "-A ferro-i3f2a9c1e-7 -p 6 -m multiport --dports 80:80 -j RETURN",
            "-A ferro-i3f2a9c1e-7 -s 10.0.0.6/32 -j RETURN",
            "-A ferro-o3f2a9c1e-7 -j ferro-s3f2a9c1e-7",
            "-A ferro-o3f2a9c1e-7 -j RETURN",
            "-A ferro-s3f2a9c1e-7 -s 10.0.0.5/32 -m mac --mac-source fa:16:3e:00:00:01 -j RETURN",
            "-A ferro-s3f2a9c1e-7 -j DROP",
            ":ferro-igone000000 - [0:0]",
            "-X ferro-igone000000",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        assert!(!text.contains("22"), "IPv6 rules stay out of iptables");
        assert!(!text.contains("2001:db8"));
        let last = text.lines().rfind(|l| l.starts_with(&format!("-A {i} ")));
        assert_eq!(last, Some("-A ferro-i3f2a9c1e-7 -j DROP"));
        assert!(chains.contains(i));
    }

    #[test]
    fn every_protocol_the_api_takes_renders() {
        let groups = BTreeMap::from([(
            "web".to_string(),
            SecurityGroupInfo {
                id: "web".into(),
                rules: vec![
                    rule("ingress", "vrrp", 0, ""),
                    rule("ingress", "6", 443, ""),
                    rule("ingress", "udplite", 5000, ""),
                    rule("ingress", "ip", 0, ""),
                    rule("egress", "icmp", 8, ""),
                ],
                member_ips: vec![],
            },
        )]);
        let (text, _) = render(&[device()], &groups, &[]).unwrap();
        for line in [
            "-A ferro-i3f2a9c1e-7 -p 112 -j RETURN",
            "-A ferro-i3f2a9c1e-7 -p 6 -m multiport --dports 443:443 -j RETURN",
            "-A ferro-i3f2a9c1e-7 -p 136 -m multiport --dports 5000:5000 -j RETURN",
            "-A ferro-i3f2a9c1e-7 -j RETURN",
            "-A ferro-o3f2a9c1e-7 -p icmp -m icmp --icmp-type 8/8 -j RETURN",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
    }

    #[test]
    fn only_the_dhcp_discover_skips_the_spoofing_check() {
        let (text, _) = render(&[device()], &BTreeMap::new(), &[]).unwrap();
        let o: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("-A ferro-o3f2a9c1e-7 "))
            .collect();
        assert_eq!(
            o[..3],
            [
                "-A ferro-o3f2a9c1e-7 -s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN",
                "-A ferro-o3f2a9c1e-7 -j ferro-s3f2a9c1e-7",
                "-A ferro-o3f2a9c1e-7 -p udp -m udp --sport 68 --dport 67 -j RETURN",
            ]
        );
    }

    #[test]
    fn a_failed_rewrite_keeps_the_filters_dirty() {
        let firewall = Firewall::default();
        assert!(firewall.track(&device()), "a new port needs a rewrite");
        // No rewrite succeeded: the same port again still needs one.
        assert!(firewall.track(&device()));
        firewall
            .dirty
            .store(false, std::sync::atomic::Ordering::SeqCst);
        assert!(
            !firewall.track(&device()),
            "nothing changed since a rewrite"
        );
    }

    #[test]
    fn hostile_values_never_reach_iptables() {
        let mut bad = device();
        bad.mac_address = "fa:16:3e:00:00:01 -j ACCEPT".into();
        assert!(render(&[bad], &BTreeMap::new(), &[]).is_err());
        let mut bad = device();
        bad.allowed_addresses = vec!["10.0.0.5 -j ACCEPT".into()];
        assert!(render(&[bad], &BTreeMap::new(), &[]).is_err());
        let groups = BTreeMap::from([(
            "web".to_string(),
            SecurityGroupInfo {
                id: "web".into(),
                rules: vec![
                    rule("ingress", "tcp -j ACCEPT", 0, ""),
                    SecurityRule {
                        remote_ip_prefix: "10.0.0.0/8 -j ACCEPT".into(),
                        ..rule("ingress", "tcp", 22, "")
                    },
                ],
                member_ips: vec![],
            },
        )]);
        // Left out, with the host's other filters written.
        let (text, _) = render(&[device()], &groups, &[]).unwrap();
        assert!(!text.contains("ACCEPT"), "{text}");
        assert!(text.contains("-A ferro-i3f2a9c1e-7 -j DROP"));
        assert!(chain('i', "../../../x").is_err());
    }
}
