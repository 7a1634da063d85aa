//! Plugins chosen by name — a block-storage backend's `volume_driver`, an image
//! store's type — each reading its own options from the section it is
//! configured in, so a service's configuration needs to know no plugin. An
//! unknown name fails at start, listing the valid ones.

use std::path::Path;

use crate::{Config, ConfigError, Opt};

/// One configuration section of a plugin (`[gold]`, `[fast]`), as the plugin
/// reads it: its options are the plugin's own declared ones, in this section.
pub struct Section<'a> {
    pub config: &'a Config,
    /// The section name.
    pub name: &'a str,
    /// The service's `state_path`, where a plugin's default directories go.
    pub state_path: &'a Path,
}

impl Section<'_> {
    /// `opt` in this section.
    pub fn opt(&self, opt: &Opt) -> Opt {
        opt.in_section(self.name)
    }

    /// See [`Config::get`].
    pub fn get(&self, opt: &Opt) -> Option<&str> {
        self.config.get(&self.opt(opt))
    }

    /// See [`Config::get_string`].
    pub fn get_string(&self, opt: &Opt) -> String {
        self.config.get_string(&self.opt(opt))
    }

    /// See [`Config::require`].
    pub fn require(&self, opt: &Opt) -> Result<&str, ConfigError> {
        self.config.require(&self.opt(opt))
    }

    /// See [`Config::get_parsed`].
    pub fn get_parsed<T>(&self, opt: &Opt) -> Result<T, ConfigError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        self.config.get_parsed(&self.opt(opt))
    }

    /// An invalid value of `opt` in this section.
    pub fn invalid(&self, opt: &Opt, reason: String) -> ConfigError {
        ConfigError::invalid(&self.opt(opt), reason)
    }
}

/// A plugin: its name, its options and how it reads them.
pub struct Plugin<T: 'static> {
    pub name: &'static str,
    /// The options it reads from its section.
    pub opts: &'static [Opt],
    /// Reads them; the error names the option.
    pub configure: fn(&Section) -> Result<T, ConfigError>,
}

/// The plugins of one kind.
pub struct Registry<T: 'static> {
    pub plugins: &'static [Plugin<T>],
}

impl<T> Registry<T> {
    /// The names of the plugins, for help texts and errors.
    pub fn names(&self) -> Vec<&'static str> {
        self.plugins.iter().map(|p| p.name).collect()
    }

    /// The plugin called `name` configured from `section`, and its options
    /// there (for [`Config::check`]); an unknown name is an invalid value of
    /// `chooser`, the option that named it.
    pub fn configure(
        &self,
        name: &str,
        section: &Section,
        chooser: &Opt,
    ) -> Result<(T, Vec<Opt>), ConfigError> {
        let plugin = self
            .plugins
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                let valid = self.names().join(", ");
                ConfigError::invalid(chooser, format!("'{name}' is not one of: {valid}"))
            })?;
        let configured = (plugin.configure)(section)?;
        Ok((
            configured,
            plugin.opts.iter().map(|o| section.opt(o)).collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: Opt = Opt::new("", "size", "1", "A size.");

    fn sized(section: &Section) -> Result<u32, ConfigError> {
        section.get_parsed(&SIZE)
    }

    const PLUGINS: Registry<u32> = Registry {
        plugins: &[
            Plugin {
                name: "small",
                opts: &[SIZE],
                configure: sized,
            },
            Plugin {
                name: "none",
                opts: &[],
                configure: |_| Ok(0),
            },
        ],
    };
    const CHOOSER: Opt = Opt::new("", "kind", "small", "Which plugin.");

    #[test]
    fn plugins_read_their_own_section_and_unknown_names_list_the_valid() {
        let mut config = Config::default();
        config.set("a", "size", "7");
        let section = Section {
            config: &config,
            name: "a",
            state_path: Path::new("/srv"),
        };
        let (size, opts) = PLUGINS
            .configure("small", &section, &CHOOSER.in_section("a"))
            .unwrap();
        assert_eq!(size, 7);
        assert_eq!(opts, [SIZE.in_section("a")]);
        let err = PLUGINS
            .configure("large", &section, &CHOOSER.in_section("a"))
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            ConfigError::Invalid {
                section: "a".into(),
                option: "kind".into(),
                reason: "'large' is not one of: small, none".into()
            }
            .to_string()
        );
        config.set("a", "size", "many");
        assert!(PLUGINS
            .configure("small", &section_of(&config), &CHOOSER)
            .is_err());
    }

    fn section_of(config: &Config) -> Section<'_> {
        Section {
            config,
            name: "a",
            state_path: Path::new("/srv"),
        }
    }
}
