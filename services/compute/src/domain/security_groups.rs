//! Nova's security group proxy to the network API (`os-security-groups`
//! and `os-security-group-rules` up to 2.35, a server's groups, and the
//! `addSecurityGroup`/`removeSecurityGroup` actions): Neutron's groups in
//! Nova's shape, which shows and makes ingress rules only.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::servers::networks::failure;
use super::{Caller, Nova, NovaError, Result};
use crate::network_api::{query, NetworkApiError, SECURITY_GROUPS, SECURITY_GROUP_RULES};

/// What `POST /os-security-group-rules` asks for; the ports, protocol and
/// cidr as given (Nova never validated their types).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleRequest {
    pub parent_group_id: String,
    pub group_id: Option<String>,
    pub ip_protocol: Value,
    pub from_port: Value,
    pub to_port: Value,
    pub cidr: Value,
}

/// The ingress rule a request makes, as Nova's `_new_ingress_rule` builds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewRule {
    pub group_id: Option<String>,
    pub cidr: Option<String>,
    pub protocol: Option<String>,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
}

/// The names and projects of groups rules name as their source, by id.
type Sources = BTreeMap<String, Value>;

fn invalid_input(reason: &str) -> NovaError {
    NovaError::BadRequest(format!("Invalid input received: {reason}"))
}

fn group_not_found(id: &str) -> NovaError {
    NovaError::NotFound(format!("Security group {id} does not exist"))
}

/// Python's `int()` of a JSON value: integers, floats (truncated), booleans
/// and integer strings.
fn python_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Python's `str()` of a protocol.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// Whether a value is set as Python's `if value` reads it.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A cidr as Nova's `parse_cidr` reads it: `0.0.0.0/0` when unset, else a
/// percent-decoded network with a prefix length.
pub fn parse_cidr(cidr: &Value) -> Result<String> {
    if !truthy(cidr) {
        return Ok("0.0.0.0/0".into());
    }
    let text = python_str(cidr);
    let invalid = || NovaError::BadRequest(format!("Invalid cidr {text}."));
    let decoded = percent_decode(&text).ok_or_else(invalid)?;
    let (address, prefix) = decoded.split_once('/').ok_or_else(invalid)?;
    let address: std::net::IpAddr = address.parse().map_err(|_| invalid())?;
    let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(invalid());
    }
    Ok(decoded)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The rule a request makes (`None`: not enough to build one), checked as
/// Nova checks it.
pub fn new_rule(request: &RuleRequest) -> Result<Option<NewRule>> {
    let mut rule = NewRule::default();
    let mut from = (!request.from_port.is_null()).then(|| request.from_port.clone());
    let mut to = (!request.to_port.is_null()).then(|| request.to_port.clone());
    let protocol = truthy(&request.ip_protocol).then(|| python_str(&request.ip_protocol));
    let upper = protocol.as_deref().unwrap_or_default().to_ascii_uppercase();
    if let Some(group) = &request.group_id {
        rule.group_id = Some(group.clone());
        // A source group with no ports opens everything of its protocol.
        if from.is_none() && to.is_none() {
            match upper.as_str() {
                "ICMP" => (from, to) = (Some(json!(-1)), Some(json!(-1))),
                "TCP" | "UDP" => (from, to) = (Some(json!(1)), Some(json!(65535))),
                _ => {}
            }
        }
    } else {
        rule.cidr = Some(parse_cidr(&request.cidr)?);
    }
    let (Some(protocol), Some(from), Some(to)) = (protocol, from, to) else {
        return Ok(rule.group_id.is_some().then_some(rule));
    };
    let (Some(from), Some(to)) = (python_int(&from), python_int(&to)) else {
        return Err(invalid_input(if upper == "ICMP" {
            "Type and Code must be integers for ICMP protocol type"
        } else {
            "To and From ports must be integers"
        }));
    };
    if !["TCP", "UDP", "ICMP"].contains(&upper.as_str()) {
        return Err(NovaError::BadRequest(format!(
            "Invalid IP protocol {protocol}."
        )));
    }
    let range = |why: &str| NovaError::BadRequest(format!("Invalid port range {from}:{to}. {why}"));
    if upper != "ICMP" && from > to {
        return Err(range("Former value cannot be greater than the later"));
    }
    if upper != "ICMP" && (from < 1 || to > 65535) {
        return Err(range(&format!(
            "Valid {upper} ports should be between 1-65535"
        )));
    }
    if upper == "ICMP" && !((-1..=255).contains(&from) && (-1..=255).contains(&to)) {
        return Err(range("For ICMP, the type:code must be valid"));
    }
    rule.protocol = Some(protocol);
    rule.from_port = Some(from);
    rule.to_port = Some(to);
    Ok(Some(rule))
}

/// A Neutron rule's ports as Nova shows them: a protocol's whole range
/// when the rule has none.
fn ports_of(rule: &Value) -> (Value, Value) {
    let (min, max) = (&rule["port_range_min"], &rule["port_range_max"]);
    match rule["protocol"].as_str() {
        Some(p) if min.is_null() && max.is_null() => {
            if ["TCP", "UDP"].contains(&p.to_ascii_uppercase().as_str()) {
                (json!(1), json!(65535))
            } else {
                (json!(-1), json!(-1))
            }
        }
        _ => (min.clone(), max.clone()),
    }
}

/// Whether `group` (Neutron's) has an ingress rule like `rule` (Nova's
/// `_rule_exists`: a source group rule never matches, its cidr is unset).
fn rule_exists(group: &Value, rule: &NewRule) -> bool {
    ingress(group).any(|existing| {
        let (from, to) = ports_of(existing);
        existing["remote_group_id"].as_str() == rule.group_id.as_deref()
            && parse_cidr(&existing["remote_ip_prefix"]).ok() == rule.cidr
            && from.as_i64() == rule.from_port
            && to.as_i64() == rule.to_port
            && existing["protocol"].as_str() == rule.protocol.as_deref()
    })
}

fn ingress(group: &Value) -> impl Iterator<Item = &Value> {
    group["security_group_rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["direction"] == "ingress")
}

/// The Neutron body of a new rule in group `parent`.
fn neutron_rule(parent: &str, rule: &NewRule) -> Value {
    let v6 = rule.cidr.as_deref().is_some_and(|c| c.contains(':'));
    let mut body = json!({
        "direction": "ingress",
        "ethertype": if v6 { "IPv6" } else { "IPv4" },
        "protocol": rule.protocol,
        "remote_ip_prefix": rule.cidr,
        "remote_group_id": rule.group_id,
        "security_group_id": parent,
    });
    if let Some(from) = rule.from_port.filter(|p| *p != -1) {
        body["port_range_min"] = json!(from);
    }
    if let Some(to) = rule.to_port.filter(|p| *p != -1) {
        body["port_range_max"] = json!(to);
    }
    body
}

/// A group's name and project as rules naming it show them.
fn source_of(group: &Value) -> Value {
    json!({"name": group["name"], "tenant_id": project_of(group)})
}

fn project_of(group: &Value) -> Value {
    match &group["tenant_id"] {
        Value::Null => group["project_id"].clone(),
        id => id.clone(),
    }
}

/// Nova's view of a Neutron rule; `None` when its source group is unknown.
pub fn rule_view(rule: &Value, sources: &Sources) -> Option<Value> {
    let (from, to) = ports_of(rule);
    let (group, ip_range) = match rule["remote_group_id"].as_str() {
        Some(id) => (sources.get(id)?.clone(), json!({})),
        None => {
            let cidr = rule["remote_ip_prefix"]
                .as_str()
                .unwrap_or("0.0.0.0/0")
                .to_string();
            (json!({}), json!({ "cidr": cidr }))
        }
    };
    Some(json!({
        "id": rule["id"],
        "parent_group_id": rule["security_group_id"],
        "ip_protocol": rule["protocol"],
        "from_port": from,
        "to_port": to,
        "group": group,
        "ip_range": ip_range,
    }))
}

/// Nova's view of a Neutron group: its ingress rules only.
pub fn group_view(group: &Value, sources: &Sources) -> Value {
    let rules: Vec<Value> = ingress(group)
        .filter_map(|r| rule_view(r, sources))
        .collect();
    json!({
        "id": group["id"],
        "name": group["name"],
        "description": group["description"],
        "tenant_id": project_of(group),
        "rules": rules,
    })
}

/// Views sorted as Nova sorts them: by project, then name.
fn sorted(mut views: Vec<Value>) -> Vec<Value> {
    views.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v["tenant_id"].as_str().unwrap_or_default().to_string(),
                v["name"].as_str().unwrap_or_default().to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    views
}

/// Nova's `validate_id`.
fn check_id(id: &str) -> Result<()> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(NovaError::BadRequest(
            "Security group id should be uuid".into(),
        ));
    }
    Ok(())
}

/// A network API refusal of a change: 409 (over quota) is 403 in Nova.
fn change_failure(e: NetworkApiError) -> NovaError {
    match e {
        NetworkApiError::Refused {
            status: 409,
            message,
            ..
        } => NovaError::Forbidden(message),
        NetworkApiError::Refused {
            status: 403,
            message,
            ..
        } => NovaError::Forbidden(message),
        other => failure(other),
    }
}

/// Which of the project's groups `wanted` (an id or a name) is, as the
/// Neutron client's `find_resourceid_by_name_or_id` finds it.
pub(crate) async fn find_group(nova: &Nova, caller: &Caller, wanted: &str) -> Result<String> {
    let token = caller.ctx.token.0.as_str();
    let list = |query: String| async move {
        nova.networks
            .list(token, &SECURITY_GROUPS, &query)
            .await
            .map_err(failure)
    };
    if uuid::Uuid::parse_str(wanted).is_ok() {
        let by_id = list(query(&[("id", wanted), ("fields", "id")])).await?;
        if let Some(group) = by_id.first() {
            return Ok(group["id"].as_str().unwrap_or_default().to_string());
        }
    }
    let named = list(query(&[
        ("name", wanted),
        ("tenant_id", caller.project()),
        ("fields", "id"),
    ]))
    .await?;
    match named.as_slice() {
        [group] => Ok(group["id"].as_str().unwrap_or_default().to_string()),
        [] => Err(NovaError::NotFound(format!(
            "Security group {wanted} is not found for project {}",
            caller.project()
        ))),
        _ => Err(NovaError::Conflict(format!(
            "Multiple security_group matches found for name '{wanted}', use an ID to be more specific."
        ))),
    }
}

impl Nova {
    fn authorize_groups(&self, caller: &Caller, action: &str) -> Result<()> {
        self.authorize(
            caller,
            &format!("os_compute_api:os-security-groups:{action}"),
            &json!({"project_id": caller.project()}),
        )
    }

    /// The names and projects of the source groups `groups`' rules name:
    /// the groups themselves, the others looked up in one request.
    async fn sources(&self, token: &str, groups: &[Value]) -> Result<Sources> {
        let mut sources: Sources = groups
            .iter()
            .filter_map(|g| Some((g["id"].as_str()?.to_string(), source_of(g))))
            .collect();
        let missing: Vec<&str> = groups
            .iter()
            .flat_map(ingress)
            .filter_map(|r| r["remote_group_id"].as_str())
            .filter(|id| !sources.contains_key(*id))
            .collect();
        if !missing.is_empty() {
            let pairs: Vec<(&str, &str)> = missing.iter().map(|id| ("id", *id)).collect();
            for group in self
                .networks
                .list(token, &SECURITY_GROUPS, &query(&pairs))
                .await
                .map_err(failure)?
            {
                if let Some(id) = group["id"].as_str() {
                    sources.insert(id.to_string(), source_of(&group));
                }
            }
        }
        Ok(sources)
    }

    async fn neutron_group(&self, caller: &Caller, id: &str) -> Result<Value> {
        match self
            .networks
            .show(&caller.ctx.token.0, &SECURITY_GROUPS, id)
            .await
        {
            Err(NetworkApiError::NotFound) => Err(group_not_found(id)),
            other => other.map_err(failure),
        }
    }

    async fn one_view(&self, caller: &Caller, group: &Value) -> Result<Value> {
        let sources = self
            .sources(&caller.ctx.token.0, std::slice::from_ref(group))
            .await?;
        Ok(group_view(group, &sources))
    }

    /// `GET /os-security-groups`: the project's groups (every project's for
    /// an admin asking `all_tenants`), `offset` and `limit` applied.
    pub async fn list_security_groups(
        &self,
        caller: &Caller,
        all_tenants: bool,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Value>> {
        self.authorize_groups(caller, "get")?;
        let token = caller.ctx.token.0.as_str();
        let mut pairs = Vec::new();
        if !(caller.is_admin && all_tenants) {
            pairs.push(("tenant_id", caller.project()));
        }
        let groups: Vec<Value> = self
            .networks
            .list(token, &SECURITY_GROUPS, &query(&pairs))
            .await
            .map_err(failure)?
            .into_iter()
            .skip(offset)
            .take(limit)
            .collect();
        let sources = self.sources(token, &groups).await?;
        Ok(sorted(
            groups.iter().map(|g| group_view(g, &sources)).collect(),
        ))
    }

    /// `GET /os-security-groups/{id}`.
    pub async fn show_security_group(&self, caller: &Caller, id: &str) -> Result<Value> {
        self.authorize_groups(caller, "show")?;
        check_id(id)?;
        let group = self.neutron_group(caller, id).await?;
        self.one_view(caller, &group).await
    }

    /// `POST /os-security-groups`.
    pub async fn create_security_group(
        &self,
        caller: &Caller,
        name: &str,
        description: &str,
    ) -> Result<Value> {
        self.authorize_groups(caller, "create")?;
        let group = self
            .networks
            .create(
                &caller.ctx.token.0,
                &SECURITY_GROUPS,
                json!({"name": name, "description": description}),
            )
            .await
            .map_err(change_failure)?;
        self.one_view(caller, &group).await
    }

    /// `PUT /os-security-groups/{id}`.
    pub async fn update_security_group(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        description: &str,
    ) -> Result<Value> {
        self.authorize_groups(caller, "update")?;
        check_id(id)?;
        self.neutron_group(caller, id).await?;
        let group = match self
            .networks
            .update(
                &caller.ctx.token.0,
                &SECURITY_GROUPS,
                id,
                json!({"name": name, "description": description}),
            )
            .await
        {
            Err(NetworkApiError::NotFound) => return Err(group_not_found(id)),
            other => other.map_err(failure)?,
        };
        self.one_view(caller, &group).await
    }

    /// `DELETE /os-security-groups/{id}`: a group in use or the default
    /// one is refused (400, as Nova turns Neutron's 409).
    pub async fn delete_security_group(&self, caller: &Caller, id: &str) -> Result<()> {
        self.authorize_groups(caller, "delete")?;
        check_id(id)?;
        self.neutron_group(caller, id).await?;
        match self
            .networks
            .delete(&caller.ctx.token.0, &SECURITY_GROUPS, id)
            .await
        {
            Ok(()) => Ok(()),
            Err(NetworkApiError::NotFound) => Err(group_not_found(id)),
            Err(NetworkApiError::Refused {
                status: 403,
                message,
                ..
            }) => Err(NovaError::Forbidden(message)),
            Err(e) => Err(failure(e)),
        }
    }

    /// `POST /os-security-group-rules`: an ingress rule in the parent group.
    pub async fn create_security_group_rule(
        &self,
        caller: &Caller,
        request: &RuleRequest,
    ) -> Result<Value> {
        self.authorize_groups(caller, "rule:create")?;
        let parent = self.neutron_group(caller, &request.parent_group_id).await?;
        let mut sources = Sources::new();
        if let Some(source) = &request.group_id {
            let group = self.neutron_group(caller, source).await?;
            sources.insert(source.clone(), source_of(&group));
        }
        let Some(rule) = new_rule(request)? else {
            return Err(NovaError::BadRequest(
                "Not enough parameters to build a valid rule.".into(),
            ));
        };
        if let Some(cidr) = &rule.cidr {
            let (network, prefix) = cidr.split_once('/').unwrap_or((cidr, ""));
            let any: std::net::IpAddr = network
                .parse()
                .map_err(|_| NovaError::BadRequest(format!("Invalid cidr {cidr}.")))?;
            if !any.is_unspecified() && prefix == "0" {
                return Err(NovaError::BadRequest(format!(
                    "Bad prefix for network in cidr {cidr}"
                )));
            }
        }
        if rule_exists(&parent, &rule) {
            return Err(NovaError::BadRequest(format!(
                "This rule already exists in group {}",
                request.parent_group_id
            )));
        }
        let created = match self
            .networks
            .create(
                &caller.ctx.token.0,
                &SECURITY_GROUP_RULES,
                neutron_rule(&request.parent_group_id, &rule),
            )
            .await
        {
            Err(NetworkApiError::NotFound) => {
                return Err(group_not_found(&request.parent_group_id))
            }
            other => other.map_err(change_failure)?,
        };
        rule_view(&created, &sources)
            .ok_or_else(|| NovaError::Internal("the new rule's source group is unknown".into()))
    }

    /// `DELETE /os-security-group-rules/{id}`.
    pub async fn delete_security_group_rule(&self, caller: &Caller, id: &str) -> Result<()> {
        self.authorize_groups(caller, "rule:delete")?;
        check_id(id)?;
        let token = caller.ctx.token.0.as_str();
        let gone = || NovaError::NotFound(format!("Security group rule {id} does not exist"));
        match self.networks.show(token, &SECURITY_GROUP_RULES, id).await {
            Err(NetworkApiError::NotFound) => return Err(gone()),
            other => other.map_err(failure)?,
        };
        match self.networks.delete(token, &SECURITY_GROUP_RULES, id).await {
            Err(NetworkApiError::NotFound) => Err(gone()),
            other => other.map_err(failure),
        }
    }

    /// `GET /servers/{id}/os-security-groups`: the groups of each of the
    /// server's ports.
    pub async fn server_security_groups(&self, caller: &Caller, id: &str) -> Result<Vec<Value>> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-security-groups:list")
            .await?;
        let token = caller.ctx.token.0.as_str();
        let ports = self
            .networks
            .ports(token, &query(&[("device_id", &row.uuid)]))
            .await
            .map_err(failure)?;
        let ids: Vec<&str> = ports
            .iter()
            .flat_map(|p| p["security_groups"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let pairs: Vec<(&str, &str)> = ids.iter().map(|id| ("id", *id)).collect();
        let groups = self
            .networks
            .list(token, &SECURITY_GROUPS, &query(&pairs))
            .await
            .map_err(failure)?;
        let sources = self.sources(token, &groups).await?;
        let views = ids
            .iter()
            .filter_map(|id| groups.iter().find(|g| g["id"] == *id))
            .map(|g| group_view(g, &sources))
            .collect();
        Ok(sorted(views))
    }

    /// `addSecurityGroup` / `removeSecurityGroup`: the group (a name or an
    /// id) put on, or taken off, each of the server's ports.
    pub async fn change_server_security_group(
        &self,
        caller: &Caller,
        id: &str,
        wanted: &str,
        add: bool,
    ) -> Result<()> {
        let action = if add { "add" } else { "remove" };
        let row = self
            .server_row(
                caller,
                id,
                &format!("os_compute_api:os-security-groups:{action}"),
            )
            .await?;
        if wanted.trim().is_empty() {
            return Err(NovaError::BadRequest(
                "Security group name cannot be empty".into(),
            ));
        }
        let group = find_group(self, caller, wanted).await?;
        let token = caller.ctx.token.0.as_str();
        let ports = self
            .networks
            .ports(token, &query(&[("device_id", &row.uuid)]))
            .await
            .map_err(failure)?;
        if ports.is_empty() {
            return Err(NovaError::NotFound(format!(
                "instance_id {} could not be found as device id on any ports",
                row.uuid
            )));
        }
        let mut changed = false;
        for port in &ports {
            let mut groups: Vec<Value> = port["security_groups"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if add {
                let secured = port["port_security_enabled"].as_bool().unwrap_or(true);
                let addressed = port["fixed_ips"].as_array().is_some_and(|a| !a.is_empty())
                    || port["ip_allocation"] == "deferred";
                if !(secured && addressed) {
                    return Err(NovaError::BadRequest("Network requires port_security_enabled and subnet associated in order to apply security groups.".into()));
                }
                groups.push(json!(group));
            } else {
                let before = groups.len();
                groups.retain(|g| g != group.as_str());
                if groups.len() == before {
                    continue;
                }
            }
            let port_id = port["id"].as_str().unwrap_or_default();
            match self
                .networks
                .update_port(token, port_id, json!({ "security_groups": groups }))
                .await
            {
                Ok(_) => changed = true,
                Err(NetworkApiError::Refused {
                    status: 409,
                    message,
                    ..
                }) => return Err(NovaError::Conflict(message)),
                Err(e) => return Err(failure(e)),
            }
        }
        if !changed {
            return Err(NovaError::NotFound(format!(
                "Security group {wanted} not associated with the instance {}",
                row.uuid
            )));
        }
        self.refresh_network_info(&row.uuid).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(protocol: Value, from: Value, to: Value, cidr: Value) -> RuleRequest {
        RuleRequest {
            parent_group_id: "p".into(),
            group_id: None,
            ip_protocol: protocol,
            from_port: from,
            to_port: to,
            cidr,
        }
    }

    fn error(r: &RuleRequest) -> String {
        new_rule(r).unwrap_err().to_string()
    }

    #[test]
    fn rules_are_built_and_checked_as_nova_does() {
        let tcp = request(json!("tcp"), json!(22), json!("23"), Value::Null);
        assert_eq!(
            new_rule(&tcp).unwrap().unwrap(),
            NewRule {
                group_id: None,
                cidr: Some("0.0.0.0/0".into()),
                protocol: Some("tcp".into()),
                from_port: Some(22),
                to_port: Some(23),
            }
        );
        // A cidr rule needs a protocol and both ports.
        let bare = request(Value::Null, Value::Null, Value::Null, json!("10.0.0.0/8"));
        assert_eq!(new_rule(&bare).unwrap(), None);
        // A source group rule opens its protocol's whole range.
        let mut grouped = request(json!("icmp"), Value::Null, Value::Null, Value::Null);
        grouped.group_id = Some("g".into());
        let rule = new_rule(&grouped).unwrap().unwrap();
        assert_eq!(
            (rule.from_port, rule.to_port, rule.cidr),
            (Some(-1), Some(-1), None)
        );
        assert_eq!(
            error(&request(json!("tcp"), json!("a"), json!(2), Value::Null)),
            "Invalid input received: To and From ports must be integers"
        );
        assert_eq!(
            error(&request(json!("gre"), json!(1), json!(2), Value::Null)),
            "Invalid IP protocol gre."
        );
        assert_eq!(
            error(&request(json!("udp"), json!(9), json!(8), Value::Null)),
            "Invalid port range 9:8. Former value cannot be greater than the later"
        );
        assert_eq!(
            error(&request(json!("tcp"), json!(0), json!(8), Value::Null)),
            "Invalid port range 0:8. Valid TCP ports should be between 1-65535"
        );
        assert_eq!(
            error(&request(json!("icmp"), json!(256), json!(0), Value::Null)),
            "Invalid port range 256:0. For ICMP, the type:code must be valid"
        );
        assert_eq!(
            error(&request(
                json!("tcp"),
                json!(1),
                json!(2),
                json!("10.0.0.0")
            )),
            "Invalid cidr 10.0.0.0."
        );
        assert_eq!(parse_cidr(&json!("10.0.0.0%2F8")).unwrap(), "10.0.0.0/8");
        assert!(parse_cidr(&json!("10.0.0.0/33")).is_err());
    }

    #[test]
    fn neutron_rules_look_like_nova_rules() {
        let sources = Sources::from([("g".to_string(), json!({"name": "web", "tenant_id": "t"}))]);
        let cidr = json!({"id": "r", "security_group_id": "p", "protocol": "tcp",
            "port_range_min": null, "port_range_max": null, "remote_group_id": null,
            "remote_ip_prefix": null, "direction": "ingress"});
        let view = rule_view(&cidr, &sources).unwrap();
        assert_eq!(
            (view["from_port"].clone(), view["to_port"].clone()),
            (json!(1), json!(65535))
        );
        assert_eq!(view["ip_range"], json!({"cidr": "0.0.0.0/0"}));
        assert_eq!(view["group"], json!({}));
        let grouped = json!({"id": "r2", "security_group_id": "p", "protocol": null,
            "remote_group_id": "g", "direction": "ingress"});
        let view = rule_view(&grouped, &sources).unwrap();
        assert_eq!(view["group"], json!({"name": "web", "tenant_id": "t"}));
        assert_eq!(view["ip_range"], json!({}));
        assert_eq!(rule_view(&grouped, &Sources::new()), None);
        let group = json!({"id": "p", "name": "n", "description": "", "tenant_id": "t",
            "security_group_rules": [cidr, {"direction": "egress", "id": "e"}]});
        let view = group_view(&group, &sources);
        assert_eq!(view["rules"].as_array().unwrap().len(), 1);
        let same = new_rule(&request(json!("tcp"), json!(1), json!(65535), Value::Null))
            .unwrap()
            .unwrap();
        assert!(rule_exists(&group, &same));
        let other = NewRule {
            to_port: Some(80),
            ..same.clone()
        };
        assert!(!rule_exists(&group, &other));
        let body = neutron_rule(
            "p",
            &NewRule {
                cidr: Some("::/0".into()),
                from_port: Some(-1),
                ..same
            },
        );
        assert_eq!(body["ethertype"], "IPv6");
        assert!(body.get("port_range_min").is_none());
        assert_eq!(body["port_range_max"], 65535);
    }
}
