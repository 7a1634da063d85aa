//! The server actions Nova proxies to the network service:
//! `addSecurityGroup`/`removeSecurityGroup`, and `addFloatingIp`/
//! `removeFloatingIp` (up to 2.43).

use ferrostack_api::microversion::ApiVersion;
use serde_json::Value;

use super::schema::{field_error, only, python_repr};
use crate::domain::{Caller, Nova, NovaError, Result};

/// A network action and what it names.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkAction {
    /// A security group (name or id) put on, or taken off (`false`), the
    /// server's ports.
    SecurityGroup(String, bool),
    /// A floating IP pointed at the server (at a fixed address, if given).
    AddFloatingIp(String, Option<String>),
    RemoveFloatingIp(String),
}

/// A string member of an action's arguments.
fn string_member(action: &str, args: &Value, key: &str) -> Result<Option<String>> {
    if !args.is_object() {
        return Err(field_error(
            action,
            args,
            &format!("{} is not of type 'object'", python_repr(args)),
        ));
    }
    match args.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(field_error(
            key,
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
    }
}

fn required(action: &str, args: &Value, key: &str) -> Result<String> {
    string_member(action, args, key)?
        .ok_or_else(|| field_error(action, args, &format!("'{key}' is a required property")))
}

/// An IP address member (`ipv4` or `ipv6`).
fn address(action: &str, args: &Value, key: &str) -> Result<Option<String>> {
    let value = string_member(action, args, key)?;
    if let Some(text) = &value {
        if text.parse::<std::net::IpAddr>().is_err() {
            return Err(field_error(
                key,
                &args[key],
                &format!(
                    "{} is not valid under any of the given schemas",
                    python_repr(&args[key])
                ),
            ));
        }
    }
    Ok(value)
}

/// The network action a body names, if it names one.
pub fn network_action(
    name: &str,
    args: &Value,
    version: ApiVersion,
) -> Result<Option<NetworkAction>> {
    let floating = || {
        if version > ApiVersion::new(2, 43) {
            return Err(NovaError::NotFound(format!(
                "API version {version} is not supported on this method."
            )));
        }
        Ok(())
    };
    Ok(Some(match name {
        "addSecurityGroup" | "removeSecurityGroup" => {
            only(name, args, &["name"])?;
            let group = required(name, args, "name")?;
            if group.is_empty() {
                return Err(field_error("name", &args["name"], "'' is too short"));
            }
            NetworkAction::SecurityGroup(group, name == "addSecurityGroup")
        }
        "addFloatingIp" => {
            floating()?;
            only(name, args, &["address", "fixed_address"])?;
            if string_member(name, args, "address")?.is_none() {
                return Err(field_error(name, args, "'address' is a required property"));
            }
            let ip = address(name, args, "address")?.unwrap_or_default();
            NetworkAction::AddFloatingIp(ip, address(name, args, "fixed_address")?)
        }
        "removeFloatingIp" => {
            floating()?;
            only(name, args, &["address"])?;
            if string_member(name, args, "address")?.is_none() {
                return Err(field_error(name, args, "'address' is a required property"));
            }
            NetworkAction::RemoveFloatingIp(address(name, args, "address")?.unwrap_or_default())
        }
        _ => return Ok(None),
    }))
}

/// Runs a network action on server `id`.
pub async fn run(nova: &Nova, caller: &Caller, id: &str, action: NetworkAction) -> Result<()> {
    match action {
        NetworkAction::SecurityGroup(group, add) => {
            nova.change_server_security_group(caller, id, &group, add)
                .await
        }
        NetworkAction::AddFloatingIp(address, fixed) => {
            nova.add_floating_ip(caller, id, &address, fixed.as_deref())
                .await
        }
        NetworkAction::RemoveFloatingIp(address) => {
            nova.remove_floating_ip(caller, id, &address).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn network_actions_are_read_as_nova_s_schemas_do() {
        let v = ApiVersion::new(2, 1);
        assert_eq!(
            network_action("addSecurityGroup", &json!({"name": "web"}), v).unwrap(),
            Some(NetworkAction::SecurityGroup("web".into(), true))
        );
        assert!(network_action("removeSecurityGroup", &json!({"name": ""}), v).is_err());
        assert!(network_action("addSecurityGroup", &json!({}), v).is_err());
        assert!(network_action("addSecurityGroup", &json!({"name": "a", "x": 1}), v).is_err());
        assert_eq!(
            network_action(
                "addFloatingIp",
                &json!({"address": "172.24.4.5", "fixed_address": "10.0.0.3"}),
                v
            )
            .unwrap(),
            Some(NetworkAction::AddFloatingIp(
                "172.24.4.5".into(),
                Some("10.0.0.3".into())
            ))
        );
        assert!(network_action("addFloatingIp", &json!({"address": "nope"}), v).is_err());
        assert!(network_action("removeFloatingIp", &json!({}), v).is_err());
        let message = network_action(
            "removeFloatingIp",
            &json!({"address": "172.24.4.5"}),
            ApiVersion::new(2, 44),
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("not supported"), "{message}");
        assert_eq!(network_action("os-stop", &Value::Null, v).unwrap(), None);
    }
}
