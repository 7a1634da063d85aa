//! A VXLAN device's flooding entries (`bridge fdb`, iproute2): the all-zero
//! MAC with one entry per remote tunnel endpoint, so broadcasts and unknown
//! unicasts are copied to each (head-end replication, no multicast group).

use std::collections::BTreeSet;

use anyhow::Context as _;
use serde::Deserialize;

/// The MAC of flooding entries.
const FLOOD: &str = "00:00:00:00:00:00";

/// Runs `bridge ARGS`, returning its output or failing with its message.
async fn bridge(args: &[&str]) -> anyhow::Result<String> {
    super::ip::run("bridge", args).await
}

#[derive(Deserialize)]
struct Entry {
    mac: String,
    #[serde(default)]
    dst: Option<String>,
}

/// The endpoints `text` (`bridge -j fdb show`) floods to.
fn floods_in(text: &str) -> anyhow::Result<BTreeSet<String>> {
    if text.trim().is_empty() {
        return Ok(BTreeSet::new());
    }
    let entries: Vec<Entry> = serde_json::from_str(text).context("bridge fdb's answer")?;
    Ok(entries
        .into_iter()
        .filter(|e| e.mac == FLOOD)
        .filter_map(|e| e.dst)
        .collect())
}

/// Makes `device` flood to exactly `endpoints`.
pub async fn flood_to(device: &str, endpoints: &BTreeSet<String>) -> anyhow::Result<()> {
    let current = floods_in(&bridge(&["-j", "fdb", "show", "dev", device]).await?)?;
    for gone in current.difference(endpoints) {
        bridge(&["fdb", "del", FLOOD, "dev", device, "dst", gone]).await?;
    }
    for new in endpoints.difference(&current) {
        bridge(&["fdb", "append", FLOOD, "dev", device, "dst", new]).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_flooding_entries_are_read() {
        let text = r#"[{"mac":"00:00:00:00:00:00","dst":"10.0.0.2","flags":["self"],"state":"permanent"},
            {"mac":"00:00:00:00:00:00","dst":"10.0.0.3","flags":["self"],"state":"permanent"},
            {"mac":"fa:16:3e:00:00:01","dst":"10.0.0.2","flags":["self"],"state":""},
            {"mac":"fa:16:3e:00:00:02","master":"brq1234567890a","state":""}]"#;
        let found: Vec<String> = floods_in(text).unwrap().into_iter().collect();
        assert_eq!(found, ["10.0.0.2", "10.0.0.3"]);
        assert!(floods_in("").unwrap().is_empty());
        assert!(floods_in("[]").unwrap().is_empty());
        assert!(floods_in("not json").is_err());
    }
}
