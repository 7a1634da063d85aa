//! Loading metadata definition namespaces from Glance-format JSON files, one
//! namespace per file, as `glance-manage db load_metadefs` does.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::domain::Glance;

/// The namespace files at `path`: the file itself, or a directory's `*.json`
/// files by name.
fn files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    found.sort();
    Ok(found)
}

/// Loads every namespace file at `path`; namespaces that exist are kept as
/// they are. Returns how many were loaded.
pub async fn load(glance: &Glance, path: &Path) -> anyhow::Result<usize> {
    let mut loaded = 0;
    for file in files(path)? {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let body: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", file.display()))?;
        if glance
            .load_metadef_namespace(&body)
            .await
            .with_context(|| format!("{} is not a namespace", file.display()))?
        {
            loaded += 1;
        }
    }
    Ok(loaded)
}
