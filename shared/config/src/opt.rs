use std::borrow::Cow;

/// A declared option: where it lives, its default and whether it is a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    /// Fixed for most options; owned for options of sections named at run time.
    pub section: Cow<'static, str>,
    pub name: &'static str,
    /// Textual default; empty means "unset".
    pub default: &'static str,
    pub help: &'static str,
    /// Secrets are never printed; [`crate::Config::describe`] shows `***`.
    pub secret: bool,
}

impl Opt {
    /// A plain option.
    pub const fn new(
        section: &'static str,
        name: &'static str,
        default: &'static str,
        help: &'static str,
    ) -> Self {
        Opt {
            section: Cow::Borrowed(section),
            name,
            default,
            help,
            secret: false,
        }
    }

    /// An option whose value must never be logged (passwords, keys).
    pub const fn secret(section: &'static str, name: &'static str, help: &'static str) -> Self {
        Opt {
            section: Cow::Borrowed(section),
            name,
            default: "",
            help,
            secret: true,
        }
    }

    /// The same option in another section: options of sections named at run time,
    /// such as one per configured store (`[fast] filesystem_store_datadir`).
    pub fn in_section(&self, section: &str) -> Self {
        Opt {
            section: Cow::Owned(section.to_string()),
            ..self.clone()
        }
    }
}
