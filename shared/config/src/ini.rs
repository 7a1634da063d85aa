//! The INI dialect oslo.config reads: `[section]`, `key = value` (or `key: value`),
//! `#`/`;` comment lines, and indented continuation lines appended to the last value.

/// One `section`/`key`/`value` triple with the line it came from.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    pub section: String,
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// Parses INI text; the error carries the 1-based line number and why.
pub fn parse(text: &str) -> Result<Vec<Entry>, (usize, String)> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut section: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            if let Some(last) = entries.last_mut() {
                if !last.value.is_empty() {
                    last.value.push('\n');
                }
                last.value.push_str(trimmed);
                continue;
            }
        }
        if let Some(name) = trimmed.strip_prefix('[') {
            let Some(name) = name.strip_suffix(']') else {
                return Err((line_no, "unterminated section header".into()));
            };
            section = Some(name.trim().to_string());
            continue;
        }
        let Some(split) = trimmed.find(['=', ':']) else {
            return Err((line_no, format!("expected 'key = value', got '{trimmed}'")));
        };
        let Some(section) = section.clone() else {
            return Err((line_no, "option outside of any [section]".into()));
        };
        entries.push(Entry {
            section,
            key: trimmed[..split].trim().to_string(),
            value: trimmed[split + 1..].trim().to_string(),
            line: line_no,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_sections_comments_and_continuations() {
        let entries = parse(
            "# comment\n[DEFAULT]\ndebug = true\n[database]\nconnection: mysql://a:b@c/d\n; x\n[cache]\nmemcache_servers = a:1,\n  b:2\n",
        )
        .unwrap();
        let flat: Vec<_> = entries
            .iter()
            .map(|e| (e.section.as_str(), e.key.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            flat,
            vec![
                ("DEFAULT", "debug", "true"),
                ("database", "connection", "mysql://a:b@c/d"),
                ("cache", "memcache_servers", "a:1,\nb:2"),
            ]
        );
    }

    #[test]
    fn rejects_garbage_with_line_numbers() {
        assert_eq!(parse("[a]\nnonsense\n").unwrap_err().0, 2);
        assert_eq!(parse("k = v\n").unwrap_err().0, 1);
        assert_eq!(parse("[a\n").unwrap_err().0, 1);
    }
}
