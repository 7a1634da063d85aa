//! Security group rules: checked and normalised as Neutron does (protocol
//! names and numbers, port ranges, ICMP type and code, remote prefixes), and
//! refused when the group has an equal rule already — the canonical
//! `fingerprint` under a unique key decides, even between concurrent creates.

use ipnet::IpNet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::{new_id, now, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{security_group, security_group_rule as rule};

/// IP protocol names Neutron accepts, with their numbers.
const PROTOCOLS: &[(&str, u8)] = &[
    ("ah", 51),
    ("dccp", 33),
    ("egp", 8),
    ("esp", 50),
    ("gre", 47),
    ("hopopt", 0),
    ("icmp", 1),
    ("igmp", 2),
    ("ip", 0),
    ("ipip", 4),
    ("ipv6-encap", 41),
    ("ipv6-frag", 44),
    ("ipv6-icmp", 58),
    ("icmpv6", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("ipv6-route", 43),
    ("ospf", 89),
    ("pgm", 113),
    ("rsvp", 46),
    ("sctp", 132),
    ("tcp", 6),
    ("udp", 17),
    ("udplite", 136),
    ("vrrp", 112),
];
/// Protocols whose rules take port ranges.
pub const PORTED: &[u8] = &[6, 17, 33, 132, 136];

/// The number of a protocol as a rule stores it (a name Neutron knows or a
/// number up to 255).
pub fn protocol_number(stored: &str) -> Option<u8> {
    let lower = stored.to_ascii_lowercase();
    match lower.parse::<u8>() {
        Ok(n) => Some(n),
        Err(_) => PROTOCOLS
            .iter()
            .find(|(name, _)| *name == lower)
            .map(|(_, n)| *n),
    }
}
/// Protocols only IPv6 has.
const IPV6_ONLY: &[u8] = &[41, 43, 44, 58, 59, 60];

/// A rule as a request asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRule {
    pub project_id: Option<String>,
    pub security_group_id: String,
    /// ingress or egress (checked by the API).
    pub direction: String,
    pub ethertype: Option<String>,
    pub protocol: Option<String>,
    pub port_range_min: Option<i64>,
    pub port_range_max: Option<i64>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub description: String,
}

/// A rule after Neutron's checks: what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRule {
    pub ethertype: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<i64>,
    pub port_range_max: Option<i64>,
    pub remote_ip_prefix: Option<String>,
    /// What makes two rules of a group the same.
    pub fingerprint: String,
}

fn err(status: u16, kind: &'static str, message: impl Into<String>) -> NeutronError {
    NeutronError::new(status, kind, message)
}

/// The protocol's number, and its stored form (lower-case name or number).
fn protocol(raw: &str, ethertype: &str) -> Result<Option<(u8, String)>> {
    let lower = raw.to_ascii_lowercase();
    if lower == "any" {
        return Ok(None);
    }
    let (mut number, mut shown) = if let Ok(n) = lower.parse::<u16>() {
        if n > 255 {
            return Err(invalid_protocol(raw));
        }
        (n as u8, n.to_string())
    } else if let Some((name, n)) = PROTOCOLS.iter().find(|(name, _)| *name == lower) {
        (*n, name.to_string())
    } else {
        return Err(invalid_protocol(raw));
    };
    if ethertype == "IPv6" {
        if matches!(shown.as_str(), "icmp" | "icmpv6") {
            (number, shown) = (58, "ipv6-icmp".into());
        } else if shown == "1" {
            (number, shown) = (58, "58".into());
        }
    } else if IPV6_ONLY.contains(&number) {
        return Err(err(
            400,
            "SecurityGroupEthertypeConflictWithProtocol",
            format!("Invalid ethertype {ethertype} for protocol {shown}."),
        ));
    }
    Ok(Some((number, shown)))
}

fn invalid_protocol(raw: &str) -> NeutronError {
    let names: Vec<String> = PROTOCOLS.iter().map(|(n, _)| format!("'{n}'")).collect();
    err(
        400,
        "SecurityGroupRuleInvalidProtocol",
        format!(
            "Security group rule protocol {raw} not supported. Only protocol values (None, 'any', {}) and integer representations [0 to 255] are supported.",
            names.join(", ")
        ),
    )
}

/// `IPv4`/`IPv6` in any case.
fn ethertype(raw: Option<&str>) -> Result<String> {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None | Some("ipv4") => Ok("IPv4".into()),
        Some("ipv6") => Ok("IPv6".into()),
        Some(_) => Err(err(
            400,
            "SecurityGroupRuleInvalidEtherType",
            format!(
                "Security group rule for ethertype '{}' not supported. Allowed values are ['IPv4', 'IPv6'].",
                raw.unwrap_or_default()
            ),
        )),
    }
}

/// The port range as Neutron checks it for `protocol` (its number).
fn ports(
    protocol: Option<u8>,
    min: Option<i64>,
    max: Option<i64>,
) -> Result<(Option<i64>, Option<i64>)> {
    if min.is_none() && max.is_none() {
        return Ok((None, None));
    }
    let Some(number) = protocol else {
        return Err(err(
            400,
            "SecurityGroupProtocolRequiredWithPorts",
            "Must also specify protocol if port range is given.",
        ));
    };
    for port in [min, max].into_iter().flatten() {
        if !(0..=65535).contains(&port) {
            return Err(err(
                400,
                "SecurityGroupInvalidPortValue",
                format!("Invalid value for port {port}"),
            ));
        }
    }
    if PORTED.contains(&number) {
        if min == Some(0) || max == Some(0) {
            return Err(err(
                400,
                "SecurityGroupInvalidPortValue",
                "Invalid value for port 0",
            ));
        }
        return match (min, max) {
            (Some(1), Some(65535)) => Ok((None, None)),
            (Some(a), Some(b)) if a <= b => Ok((Some(a), Some(b))),
            _ => Err(err(
                400,
                "SecurityGroupInvalidPortRange",
                "For TCP/UDP protocols, port_range_min must be <= port_range_max",
            )),
        };
    }
    if number == 1 || number == 58 {
        for (value, what) in [
            (min, "type (port_range_min)"),
            (max, "code (port_range_max)"),
        ] {
            if let Some(v) = value.filter(|v| *v > 255) {
                return Err(err(
                    400,
                    "SecurityGroupInvalidIcmpValue",
                    format!("Invalid value for ICMP {what} {v}. It must be 0 to 255."),
                ));
            }
        }
        if let (None, Some(code)) = (min, max) {
            return Err(err(
                400,
                "SecurityGroupMissingIcmpType",
                format!("ICMP code (port-range-max) {code} is provided but ICMP type (port-range-min) is missing."),
            ));
        }
        return Ok((min, max));
    }
    Err(err(
        400,
        "SecurityGroupInvalidProtocolForPort",
        format!("Ports cannot be specified for protocol {number}. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE."),
    ))
}

/// A remote prefix (a bare address gets its full mask), of `ethertype`.
fn remote_prefix(raw: &str, ethertype: &str) -> Result<(String, IpNet)> {
    let invalid = || {
        err(
            400,
            "InvalidCIDR",
            format!("Invalid CIDR {raw} given as IP prefix."),
        )
    };
    let (text, net) = match raw.parse::<IpNet>() {
        Ok(net) => (raw.to_string(), net),
        Err(_) => {
            let ip: std::net::IpAddr = raw.parse().map_err(|_| invalid())?;
            let net = IpNet::from(ip);
            (net.to_string(), net)
        }
    };
    let version = if net.addr().is_ipv4() { "IPv4" } else { "IPv6" };
    if version != ethertype {
        return Err(err(
            400,
            "SecurityGroupRuleParameterConflict",
            format!("Conflicting value ethertype {ethertype} for CIDR {raw}"),
        ));
    }
    Ok((text, net.trunc()))
}

/// Checks and normalises a rule (not its groups: see [`Neutron::create_rule`]).
pub fn check(new: &NewRule) -> Result<CheckedRule> {
    let ethertype = ethertype(new.ethertype.as_deref())?;
    let protocol = match new.protocol.as_deref() {
        Some(raw) => protocol(raw, &ethertype)?,
        None => None,
    };
    let (min, max) = ports(
        protocol.as_ref().map(|p| p.0),
        new.port_range_min,
        new.port_range_max,
    )?;
    if new.remote_ip_prefix.is_some() && new.remote_group_id.is_some() {
        return Err(err(
            400,
            "SecurityGroupMultipleRemoteEntites",
            "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.",
        ));
    }
    let prefix = match new.remote_ip_prefix.as_deref() {
        Some(raw) => Some(remote_prefix(raw, &ethertype)?),
        None => None,
    };
    // 0.0.0.0/0 and ::/0 match what no prefix matches.
    let matched_prefix = prefix
        .as_ref()
        .map(|(_, net)| net)
        .filter(|net| net.prefix_len() > 0)
        .map(|net| net.to_string())
        .unwrap_or_default();
    let fingerprint = format!(
        "{}|{}|{}|{}|{}|{}|{}",
        new.direction,
        ethertype,
        protocol
            .as_ref()
            .map(|p| p.0.to_string())
            .unwrap_or_default(),
        min.map(|p| p.to_string()).unwrap_or_default(),
        max.map(|p| p.to_string()).unwrap_or_default(),
        matched_prefix,
        new.remote_group_id.clone().unwrap_or_default(),
    );
    Ok(CheckedRule {
        ethertype,
        protocol: protocol.map(|p| p.1),
        port_range_min: min,
        port_range_max: max,
        remote_ip_prefix: prefix.map(|p| p.0),
        fingerprint,
    })
}

/// A rule's `normalized_cidr`.
pub fn normalized_cidr(row: &rule::Model) -> Option<String> {
    row.remote_ip_prefix
        .as_deref()
        .and_then(|p| p.parse::<IpNet>().ok())
        .map(|net| net.trunc().to_string())
}

pub(crate) fn rule_not_found(id: &str) -> NeutronError {
    NeutronError::not_found(
        "SecurityGroupRuleNotFound",
        format!("Security group rule {id} does not exist"),
    )
}

/// What rule policies see of a rule and its group.
fn policy_target(row: &rule::Model, group_project: &str) -> serde_json::Value {
    json!({
        "project_id": row.project_id,
        "tenant_id": row.project_id,
        "security_group:tenant_id": group_project,
    })
}

/// Inserts a checked rule (409 when the group has an equal one).
pub(crate) async fn insert<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    project: &str,
    group_id: &str,
    new: &NewRule,
    checked: CheckedRule,
) -> Result<rule::Model> {
    let at = now();
    let inserted = rule::ActiveModel {
        id: Set(new_id()),
        project_id: Set(project.to_string()),
        security_group_id: Set(group_id.to_string()),
        direction: Set(new.direction.clone()),
        ethertype: Set(checked.ethertype),
        protocol: Set(checked.protocol),
        port_range_min: Set(checked.port_range_min),
        port_range_max: Set(checked.port_range_max),
        remote_ip_prefix: Set(checked.remote_ip_prefix),
        remote_group_id: Set(new.remote_group_id.clone()),
        description: Set(new.description.clone()),
        fingerprint: Set(checked.fingerprint.clone()),
        revision_number: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    };
    // A savepoint: a refused insert must not end the caller's transaction.
    let attempt = db.begin().await?;
    let inserted = inserted.insert(&attempt).await;
    match inserted {
        Ok(row) => {
            attempt.commit().await?;
            Ok(row)
        }
        Err(e) => match ferrostack_db::DbError::from(e) {
            ferrostack_db::DbError::Duplicate(_) => {
                attempt.rollback().await?;
                let existing = rule::Entity::find()
                    .filter(rule::Column::SecurityGroupId.eq(group_id))
                    .filter(rule::Column::Fingerprint.eq(&checked.fingerprint))
                    .one(db)
                    .await?
                    .map(|r| r.id)
                    .unwrap_or_default();
                Err(NeutronError::conflict(
                    "SecurityGroupRuleExists",
                    format!("Security group rule already exists. Rule id is {existing}."),
                ))
            }
            other => Err(other.into()),
        },
    }
}

impl Neutron {
    /// `POST /v2.0/security-group-rules`.
    pub async fn create_rule(&self, caller: &Caller, new: NewRule) -> Result<rule::Model> {
        let group = self.group_row(caller, &new.security_group_id).await?;
        let project = new
            .project_id
            .clone()
            .unwrap_or_else(|| caller.project().to_string());
        let target = json!({
            "project_id": project,
            "tenant_id": project,
            "security_group:tenant_id": group.project_id,
        });
        self.authorize(caller, "create_security_group_rule", &target)?;
        let checked = check(&new)?;
        if let Some(remote) = &new.remote_group_id {
            self.group_row(caller, remote)
                .await
                .map_err(|_| super::security_groups::group_not_found(remote))?;
        }
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &project).await?;
        super::quotas::check(&txn, self, &project, "security_group_rule", 1).await?;
        let row = insert(&txn, &project, &group.id, &new, checked).await?;
        super::security_groups::touch(&txn, &group.id).await?;
        txn.commit().await?;
        self.tell_firewalls().await;
        Ok(row)
    }

    /// The rules the caller may see: their project's, and those of groups of
    /// their project (every rule for admins).
    pub async fn list_rules(&self, caller: &Caller) -> Result<Vec<rule::Model>> {
        self.ensure_default_security_group(caller, caller.project())
            .await?;
        let mut query = rule::Entity::find();
        if !caller.is_admin {
            let own_groups = security_group::Entity::find()
                .filter(security_group::Column::ProjectId.eq(caller.project()))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|g| g.id);
            query = query.filter(
                Condition::any()
                    .add(rule::Column::ProjectId.eq(caller.project()))
                    .add(rule::Column::SecurityGroupId.is_in(own_groups)),
            );
        }
        let rows = query.order_by_asc(rule::Column::Id).all(&self.db).await?;
        let owners = self.group_owners(&rows).await?;
        Ok(rows
            .into_iter()
            .filter(|r| {
                let owner = owners
                    .get(&r.security_group_id)
                    .map(String::as_str)
                    .unwrap_or_default();
                self.allowed(caller, "get_security_group_rule", &policy_target(r, owner))
            })
            .collect())
    }

    async fn group_owners(
        &self,
        rows: &[rule::Model],
    ) -> Result<std::collections::HashMap<String, String>> {
        let ids: std::collections::BTreeSet<String> =
            rows.iter().map(|r| r.security_group_id.clone()).collect();
        let mut owners = std::collections::HashMap::new();
        let ids: Vec<String> = ids.into_iter().collect();
        for chunk in ids.chunks(500) {
            for g in security_group::Entity::find()
                .filter(security_group::Column::Id.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await?
            {
                owners.insert(g.id, g.project_id);
            }
        }
        Ok(owners)
    }

    async fn rule_row(&self, caller: &Caller, id: &str) -> Result<(rule::Model, String)> {
        let row = rule::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| rule_not_found(id))?;
        let owner = self
            .group_owners(std::slice::from_ref(&row))
            .await?
            .remove(&row.security_group_id)
            .unwrap_or_default();
        if !self.allowed(
            caller,
            "get_security_group_rule",
            &policy_target(&row, &owner),
        ) {
            return Err(rule_not_found(id));
        }
        Ok((row, owner))
    }

    /// `GET /v2.0/security-group-rules/{id}`.
    pub async fn show_rule(&self, caller: &Caller, id: &str) -> Result<rule::Model> {
        Ok(self.rule_row(caller, id).await?.0)
    }

    /// `DELETE /v2.0/security-group-rules/{id}`.
    pub async fn delete_rule(&self, caller: &Caller, id: &str) -> Result<()> {
        let (row, owner) = self.rule_row(caller, id).await?;
        self.authorize(
            caller,
            "delete_security_group_rule",
            &policy_target(&row, &owner),
        )?;
        rule::Entity::delete_by_id(id).exec(&self.db).await?;
        super::security_groups::touch(&self.db, &row.security_group_id).await?;
        self.tell_firewalls().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: Option<&str>, min: Option<i64>, max: Option<i64>) -> NewRule {
        NewRule {
            direction: "ingress".into(),
            protocol: protocol.map(str::to_string),
            port_range_min: min,
            port_range_max: max,
            ..NewRule::default()
        }
    }

    fn refusal(new: &NewRule) -> (String, String) {
        let e = check(new).unwrap_err();
        (e.kind.to_string(), e.message)
    }

    #[test]
    fn protocols_by_name_or_number() {
        assert_eq!(
            check(&rule(Some("TCP"), Some(22), Some(22)))
                .unwrap()
                .protocol,
            Some("tcp".into())
        );
        assert_eq!(
            check(&rule(Some("6"), Some(22), Some(22)))
                .unwrap()
                .protocol,
            Some("6".into())
        );
        assert_eq!(
            check(&rule(Some("any"), None, None)).unwrap().protocol,
            None
        );
        // A name and its number are the same rule.
        assert_eq!(
            check(&rule(Some("tcp"), Some(22), Some(22)))
                .unwrap()
                .fingerprint,
            check(&rule(Some("6"), Some(22), Some(22)))
                .unwrap()
                .fingerprint
        );
        assert_eq!(
            refusal(&rule(Some("bogus"), None, None)).0,
            "SecurityGroupRuleInvalidProtocol"
        );
        assert_eq!(
            refusal(&rule(Some("256"), None, None)).0,
            "SecurityGroupRuleInvalidProtocol"
        );
        let mut v6 = rule(Some("icmp"), None, None);
        v6.ethertype = Some("ipv6".into());
        let checked = check(&v6).unwrap();
        assert_eq!(
            (checked.ethertype.as_str(), checked.protocol.as_deref()),
            ("IPv6", Some("ipv6-icmp"))
        );
        assert_eq!(
            refusal(&rule(Some("ipv6-icmp"), None, None)),
            (
                "SecurityGroupEthertypeConflictWithProtocol".into(),
                "Invalid ethertype IPv4 for protocol ipv6-icmp.".into()
            )
        );
    }

    #[test]
    fn port_ranges_follow_the_protocol() {
        assert_eq!(
            refusal(&rule(None, Some(22), Some(22))).0,
            "SecurityGroupProtocolRequiredWithPorts"
        );
        assert_eq!(
            refusal(&rule(Some("tcp"), Some(0), Some(22))).1,
            "Invalid value for port 0"
        );
        assert_eq!(
            refusal(&rule(Some("tcp"), Some(30), Some(22))).0,
            "SecurityGroupInvalidPortRange"
        );
        assert_eq!(
            refusal(&rule(Some("tcp"), Some(22), None)).0,
            "SecurityGroupInvalidPortRange"
        );
        assert_eq!(
            refusal(&rule(Some("udp"), Some(70000), Some(70000))).1,
            "Invalid value for port 70000"
        );
        let full = check(&rule(Some("tcp"), Some(1), Some(65535))).unwrap();
        assert_eq!((full.port_range_min, full.port_range_max), (None, None));
        assert!(check(&rule(Some("icmp"), Some(8), Some(0))).is_ok());
        assert_eq!(
            refusal(&rule(Some("icmp"), Some(256), None)).1,
            "Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255."
        );
        assert_eq!(
            refusal(&rule(Some("icmp"), None, Some(5))).0,
            "SecurityGroupMissingIcmpType"
        );
        assert_eq!(
            refusal(&rule(Some("gre"), Some(1), Some(2))).1,
            "Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE."
        );
    }

    #[test]
    fn remote_prefixes_match_the_ethertype() {
        let mut new = rule(None, None, None);
        new.remote_ip_prefix = Some("10.0.0.5".into());
        assert_eq!(
            check(&new).unwrap().remote_ip_prefix.as_deref(),
            Some("10.0.0.5/32")
        );
        new.remote_ip_prefix = Some("2001:db8::/64".into());
        assert_eq!(
            refusal(&new).1,
            "Conflicting value ethertype IPv4 for CIDR 2001:db8::/64"
        );
        new.remote_ip_prefix = Some("nonsense".into());
        assert_eq!(refusal(&new).0, "InvalidCIDR");
        new.remote_ip_prefix = Some("0.0.0.0/0".into());
        assert_eq!(
            check(&new).unwrap().fingerprint,
            check(&rule(None, None, None)).unwrap().fingerprint
        );
        new.remote_group_id = Some("g".into());
        assert_eq!(refusal(&new).0, "SecurityGroupMultipleRemoteEntites");
        let mut bad = rule(None, None, None);
        bad.ethertype = Some("IPv5".into());
        assert_eq!(refusal(&bad).0, "SecurityGroupRuleInvalidEtherType");
    }
}
