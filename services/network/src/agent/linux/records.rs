//! The networks a host's agent made bridges for, recorded as empty files
//! named after them (`<state_path>/l2/<network>`): a restarted agent takes
//! away the bridges of networks whose ports went while it was away, and
//! never those another agent on the host made.

use std::path::{Path, PathBuf};

/// The records under one state path.
pub struct Records {
    dir: PathBuf,
}

impl Records {
    pub fn new(state_path: &Path) -> Self {
        Records {
            dir: state_path.join("l2"),
        }
    }

    /// Records `network_id`'s bridge as made here.
    pub fn add(&self, network_id: &str) -> anyhow::Result<()> {
        let record = self.dir.join(network_id);
        if !record.exists() {
            std::fs::create_dir_all(&self.dir)?;
            std::fs::write(record, b"")?;
        }
        Ok(())
    }

    /// Forgets the networks whose bridge is `bridge`.
    pub fn remove(&self, bridge: &str) -> anyhow::Result<()> {
        for network in self.all() {
            if super::bridge_name(&network).is_ok_and(|b| b == bridge) {
                match std::fs::remove_file(self.dir.join(&network)) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Every recorded network.
    pub fn all(&self) -> Vec<String> {
        std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_recorded_and_forgotten_by_bridge() {
        let dir = std::env::temp_dir().join(format!("l2-records-{}", uuid::Uuid::new_v4()));
        let records = Records::new(&dir);
        assert!(records.all().is_empty());
        let (one, two) = (
            "3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b",
            "11111111-2222-3333-4444-555555555555",
        );
        records.add(one).unwrap();
        records.add(one).unwrap();
        records.add(two).unwrap();
        let mut all = records.all();
        all.sort();
        assert_eq!(all, [two, one]);
        records.remove("brq3f2a9c1e-7b").unwrap();
        assert_eq!(records.all(), [two]);
        records.remove("brq3f2a9c1e-7b").unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
