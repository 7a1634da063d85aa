//! Network namespaces and the veth pairs that reach into them: how the DHCP
//! servers and routers of a host sit on its bridges (the pair's outer end is
//! the port's `tap`, enslaved like a guest's; the inner end serves).

use std::path::Path;

use anyhow::bail;

use super::ip::{ip, link};

/// Namespace `prefix-<id>` of a server-given id (a UUID: nothing else gets
/// into a namespace name or a path).
pub fn named(prefix: &str, id: &str) -> anyhow::Result<String> {
    if !is_id(id) {
        bail!("'{id}' is not an id a namespace may be named after");
    }
    Ok(format!("{prefix}-{id}"))
}

fn is_id(id: &str) -> bool {
    id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// The ids with an entry (file or directory) under `dir`: what an agent
/// serves, found again after a restart.
pub fn served(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| is_id(name))
        .collect()
}

/// Whether namespace `name` exists.
pub async fn exists(name: &str) -> anyhow::Result<bool> {
    Ok(ip(&["netns", "list"])
        .await?
        .lines()
        .any(|l| l.split_whitespace().next() == Some(name)))
}

/// Makes namespace `name` (with its loopback up) unless it exists.
pub async fn ensure(name: &str) -> anyhow::Result<()> {
    if !exists(name).await? {
        ip(&["netns", "add", name]).await?;
    }
    ip(&["-n", name, "link", "set", "lo", "up"]).await?;
    Ok(())
}

/// Deletes namespace `name` (and the devices in it) if it exists.
pub async fn delete(name: &str) -> anyhow::Result<()> {
    if exists(name).await? {
        ip(&["netns", "del", name]).await?;
    }
    Ok(())
}

/// The pair `tap` (outside) and `inner` (in namespace `ns`), made unless
/// there; `inner` gets `mac` and `mtu`, exactly `addresses` (with their
/// prefix) and is up.
pub async fn veth_into(
    ns: &str,
    tap: &str,
    inner: &str,
    mac: &str,
    mtu: i64,
    addresses: &[String],
) -> anyhow::Result<()> {
    if link(tap).await?.is_none() {
        ip(&[
            "link", "add", tap, "type", "veth", "peer", "name", inner, "netns", ns,
        ])
        .await?;
    }
    let mtu = mtu.to_string();
    ip(&[
        "-n", ns, "link", "set", inner, "address", mac, "mtu", &mtu, "up",
    ])
    .await?;
    ip(&["-n", ns, "addr", "flush", "dev", inner]).await?;
    for address in addresses {
        ip(&["-n", ns, "addr", "add", address, "dev", inner]).await?;
    }
    Ok(())
}

/// The names of the devices in namespace `ns`.
pub async fn devices(ns: &str) -> anyhow::Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Named {
        ifname: String,
    }
    let text = ip(&["-n", ns, "-j", "link", "show"]).await?;
    let named: Vec<Named> = serde_json::from_str(&text)?;
    Ok(named.into_iter().map(|n| n.ifname).collect())
}

/// Runs `program ARGS` inside namespace `ns`, feeding it `input`.
pub async fn exec(ns: &str, program: &str, args: &[&str], input: &str) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).await?;
    }
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        anyhow::bail!(
            "{program} in {ns}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
