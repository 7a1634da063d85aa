//! The `ip` command (iproute2), as Neutron's agents use it: links read as
//! JSON, changes made with plain arguments (never through a shell).

use anyhow::{bail, Context as _};
use serde::Deserialize;

/// Runs iproute2's `program ARGS` (`ip`, `bridge`), returning its output or
/// failing with its message.
pub async fn run(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = tokio::process::Command::new(program)
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .with_context(|| format!("{program} (iproute2) cannot run"))?;
    if !out.status.success() {
        bail!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `ip ARGS`, returning its output or failing with its message.
pub async fn ip(args: &[&str]) -> anyhow::Result<String> {
    run("ip", args).await
}

/// What the agent reads of a network device.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Link {
    pub ifname: String,
    #[serde(default)]
    pub master: Option<String>,
    #[serde(default)]
    pub mtu: Option<i64>,
    #[serde(default)]
    pub linkinfo: Option<LinkInfo>,
}

/// A device's kind (`bridge`, `vxlan`, `veth`...) and its data.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct LinkInfo {
    #[serde(default)]
    pub info_kind: Option<String>,
    #[serde(default)]
    pub info_data: Option<serde_json::Value>,
}

impl Link {
    /// The device's kind, "" for a plain one.
    pub fn kind(&self) -> &str {
        self.linkinfo
            .as_ref()
            .and_then(|i| i.info_kind.as_deref())
            .unwrap_or("")
    }
}

/// Device `name`, or `None` when there is none.
pub async fn link(name: &str) -> anyhow::Result<Option<Link>> {
    match ip(&["-j", "-d", "link", "show", "dev", name]).await {
        Ok(text) => Ok(serde_json::from_str::<Vec<Link>>(&text)?.into_iter().next()),
        Err(e) if e.to_string().contains("does not exist") => Ok(None),
        Err(e) => Err(e),
    }
}

/// The devices enslaved to bridge `bridge` (none when it is gone).
pub async fn ports_of(bridge: &str) -> anyhow::Result<Vec<Link>> {
    let text = match ip(&["-j", "-d", "link", "show", "master", bridge]).await {
        Ok(text) => text,
        Err(e) if e.to_string().contains("does not exist") => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    // An empty answer is "" rather than "[]" on some iproute2 versions.
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    Ok(serde_json::from_str(&text)?)
}

/// The device holding address `address` (where VXLAN tunnels leave from).
pub async fn device_with(address: &str) -> anyhow::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Addressed {
        ifname: String,
    }
    let text = ip(&["-j", "addr", "show", "to", address]).await?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let found: Vec<Addressed> = serde_json::from_str(&text)?;
    Ok(found.into_iter().next().map(|a| a.ifname))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_read_from_iproute2_json() {
        let text = r#"[{"ifindex":9,"ifname":"vxlan-100","flags":["UP"],"mtu":1450,
            "master":"brq1234567890a","linkinfo":{"info_kind":"vxlan",
            "info_data":{"id":100,"local":"127.0.0.1"}}}]"#;
        let links: Vec<Link> = serde_json::from_str(text).unwrap();
        assert_eq!(links[0].kind(), "vxlan");
        assert_eq!(links[0].master.as_deref(), Some("brq1234567890a"));
        assert_eq!(
            links[0]
                .linkinfo
                .as_ref()
                .unwrap()
                .info_data
                .as_ref()
                .unwrap()["id"],
            100
        );
        let plain: Vec<Link> = serde_json::from_str(r#"[{"ifname":"lo"}]"#).unwrap();
        assert_eq!(plain[0].kind(), "");
    }
}
