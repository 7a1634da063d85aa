use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::path::PathBuf;
use std::str::FromStr;

use crate::{ini, redact_url, ConfigError, Opt};

const ENV_PREFIX: &str = "OS_";

/// Loaded configuration: file values overridden by environment variables.
#[derive(Debug, Clone, Default)]
pub struct Config {
    values: BTreeMap<(String, String), String>,
}

impl Config {
    /// Reads `files` in order, then applies `OS_<SECTION>__<OPTION>` from the process
    /// environment.
    pub fn load(files: &[PathBuf]) -> Result<Config, ConfigError> {
        Self::from_sources(files, std::env::vars())
    }

    /// Like [`Config::load`] with an explicit environment (tests inject theirs).
    pub fn from_sources(
        files: &[PathBuf],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        for path in files {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let entries = ini::parse(&text).map_err(|(line, reason)| ConfigError::File {
                path: path.clone(),
                reason: format!("line {line}: {reason}"),
            })?;
            for entry in entries {
                config.set(&entry.section, &entry.key, entry.value);
            }
        }
        for (name, value) in env {
            if let Some((section, option)) = env_override(&name) {
                config.set(&section, &option, value);
            }
        }
        Ok(config)
    }

    /// Every value as an INI file that [`Config::load`] reads back (secrets
    /// included: for handing a configuration to a child process).
    pub fn to_ini(&self) -> String {
        let mut text = String::new();
        let mut current: Option<&str> = None;
        for ((section, option), value) in &self.values {
            if current != Some(section.as_str()) {
                text.push_str(&format!("[{section}]\n"));
                current = Some(section);
            }
            text.push_str(&format!("{option} = {value}\n"));
        }
        text
    }

    /// Sets one value, replacing what files or the environment said.
    pub fn set(&mut self, section: &str, option: &str, value: impl Into<String>) {
        self.values
            .insert((section.to_string(), option.to_string()), value.into());
    }

    /// The configured value, or the option's default; `None` when both are empty.
    pub fn get(&self, opt: &Opt) -> Option<&str> {
        let value = self
            .values
            .get(&(opt.section.to_string(), opt.name.to_string()))
            .map(String::as_str)
            .unwrap_or(opt.default);
        (!value.is_empty()).then_some(value)
    }

    /// The value as a string, empty when unset.
    pub fn get_string(&self, opt: &Opt) -> String {
        self.get(opt).unwrap_or_default().to_string()
    }

    /// The value, or an error naming the option when it is unset.
    pub fn require(&self, opt: &Opt) -> Result<&str, ConfigError> {
        self.get(opt).ok_or_else(|| ConfigError::Missing {
            section: opt.section.to_string(),
            option: opt.name.into(),
        })
    }

    /// Parses the value (or default) with `FromStr`; the error names the option.
    pub fn get_parsed<T>(&self, opt: &Opt) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        let raw = self.require(opt)?;
        raw.parse()
            .map_err(|e: T::Err| ConfigError::invalid(opt, e.to_string()))
    }

    /// Booleans as oslo.config spells them (true/false, yes/no, on/off, 1/0).
    pub fn get_bool(&self, opt: &Opt) -> Result<bool, ConfigError> {
        match self.get(opt).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(false),
            Some("true" | "yes" | "on" | "1") => Ok(true),
            Some("false" | "no" | "off" | "0") => Ok(false),
            Some(other) => Err(ConfigError::invalid(
                opt,
                format!("'{other}' is not a boolean"),
            )),
        }
    }

    /// A comma-separated list option, items trimmed, empties dropped.
    pub fn get_list(&self, opt: &Opt) -> Vec<String> {
        self.get(opt)
            .map(|v| {
                v.split([',', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Logs a warning for every configured option no declared group knows.
    pub fn check(&self, known: &[&[Opt]]) {
        let declared: BTreeSet<(&str, &str)> = known
            .iter()
            .flat_map(|group| group.iter())
            .map(|opt| (opt.section.as_ref(), opt.name))
            .collect();
        for (section, option) in self.values.keys() {
            if !declared.contains(&(section.as_str(), option.as_str())) {
                tracing::warn!(section, option, "unknown configuration option ignored");
            }
        }
    }

    /// `[section] option = value` lines for the declared options, secrets hidden and
    /// passwords in URLs redacted: safe to log.
    pub fn describe(&self, known: &[&[Opt]]) -> Vec<String> {
        known
            .iter()
            .flat_map(|group| group.iter())
            .filter_map(|opt| {
                let value = self.get(opt)?;
                let shown = if opt.secret {
                    "***".to_string()
                } else {
                    redact_url(value)
                };
                Some(format!("[{}] {} = {}", opt.section, opt.name, shown))
            })
            .collect()
    }
}

/// `OS_DATABASE__CONNECTION` → (`database`, `connection`); `OS_DEFAULT__DEBUG` →
/// (`DEFAULT`, `debug`). Other variables (`OS_PASSWORD`, `OS_CLOUD`) are not overrides.
fn env_override(name: &str) -> Option<(String, String)> {
    let rest = name.strip_prefix(ENV_PREFIX)?;
    let (section, option) = rest.split_once("__")?;
    if section.is_empty() || option.is_empty() {
        return None;
    }
    let section = if section.eq_ignore_ascii_case("DEFAULT") {
        "DEFAULT".to_string()
    } else {
        section.to_ascii_lowercase()
    };
    Some((section, option.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONNECTION: Opt = Opt::new("database", "connection", "sqlite://x.db", "");
    const DEBUG: Opt = Opt::new("DEFAULT", "debug", "false", "");
    const SERVERS: Opt = Opt::new("cache", "memcache_servers", "", "");

    #[test]
    fn to_ini_reads_back_the_same() {
        let mut config = Config::default();
        config.set("database", "connection", "mysql://u:p@h/db");
        config.set("DEFAULT", "debug", "true");
        config.set("cache", "memcache_servers", "a:11211, b:11211");
        let path = std::env::temp_dir().join(format!("ferro-ini-{}.conf", std::process::id()));
        std::fs::write(&path, config.to_ini()).unwrap();
        let back = Config::from_sources(std::slice::from_ref(&path), []).unwrap();
        std::fs::remove_file(path).unwrap();
        assert_eq!(back.get(&CONNECTION), Some("mysql://u:p@h/db"));
        assert_eq!(back.get(&DEBUG), Some("true"));
        assert_eq!(back.get_list(&SERVERS), ["a:11211", "b:11211"]);
    }
    const PASSWORD: Opt = Opt::secret("keystone_authtoken", "password", "");

    /// A config file removed when the guard drops.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(tag: &str, text: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("ferro-config-{tag}-{}", std::process::id()));
            std::fs::write(&path, text).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn precedence_is_default_then_files_then_env() {
        let none: [(String, String); 0] = [];
        let cfg = Config::from_sources(&[], none).unwrap();
        assert_eq!(cfg.get(&CONNECTION), Some("sqlite://x.db"));

        let first = TempFile::new(
            "precedence",
            "[database]\nconnection = mysql://a\n[DEFAULT]\ndebug = yes\n",
        );
        let cfg = Config::from_sources(std::slice::from_ref(&first.0), Vec::new()).unwrap();
        assert_eq!(cfg.get(&CONNECTION), Some("mysql://a"));
        assert!(cfg.get_bool(&DEBUG).unwrap());

        let env = vec![
            (
                "OS_DATABASE__CONNECTION".to_string(),
                "postgres://b".to_string(),
            ),
            ("OS_PASSWORD".to_string(), "ignored".to_string()),
        ];
        let cfg = Config::from_sources(std::slice::from_ref(&first.0), env).unwrap();
        assert_eq!(cfg.get(&CONNECTION), Some("postgres://b"));
    }

    #[test]
    fn later_files_override_earlier_ones() {
        let first = TempFile::new("one", "[database]\nconnection = one\n");
        let second = TempFile::new("two", "[database]\nconnection = two\n");
        let cfg = Config::from_sources(&[first.0.clone(), second.0.clone()], Vec::new()).unwrap();
        assert_eq!(cfg.get(&CONNECTION), Some("two"));
    }

    #[test]
    fn invalid_values_name_the_option() {
        let env = vec![("OS_DEFAULT__DEBUG".to_string(), "maybe".to_string())];
        let cfg = Config::from_sources(&[], env).unwrap();
        let err = cfg.get_bool(&DEBUG).unwrap_err().to_string();
        assert!(err.contains("[DEFAULT] debug"), "{err}");
        let err = cfg.get_parsed::<u16>(&SERVERS).unwrap_err().to_string();
        assert!(err.contains("memcache_servers"), "{err}");
    }

    #[test]
    fn missing_file_is_an_error_with_its_path() {
        let err = Config::from_sources(&[PathBuf::from("/nonexistent/x.conf")], Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/x.conf"), "{err}");
    }

    #[test]
    fn lists_and_redaction() {
        let mut cfg = Config::default();
        cfg.set("cache", "memcache_servers", "a:1, b:2,");
        cfg.set("keystone_authtoken", "password", "hunter2");
        cfg.set("database", "connection", "mysql://u:pw@h/db");
        assert_eq!(cfg.get_list(&SERVERS), vec!["a:1", "b:2"]);
        let text = cfg.describe(&[&[CONNECTION, PASSWORD]]).join("\n");
        assert!(!text.contains("hunter2") && !text.contains("pw@"), "{text}");
    }
}
