//! Remote consoles on an agent: which kinds this host offers (`[vnc]`,
//! `[spice]`, `[serial_console]`, `[mks]`), the proxy URL each is handed out
//! with, and where its driver says a guest's console listens. The api makes
//! the token; as in Nova, the host decides what console there is.

use ferrostack_config::{Config, ConfigError, Opt};
use ferrostack_rpc::RemoteError;

use super::driver::ConsoleProtocol;
use super::manager::Agent;
use crate::rpc::messages::{ConsoleConnection, ConsoleRequest};

const VNC_ENABLED: Opt = Opt::new(
    "vnc",
    "enabled",
    "true",
    "Whether guests have VNC consoles.",
);
const NOVNCPROXY_BASE_URL: Opt = Opt::new(
    "vnc",
    "novncproxy_base_url",
    "http://127.0.0.1:6080/vnc_auto.html",
    "The noVNC proxy page VNC console URLs point at.",
);
const SPICE_ENABLED: Opt = Opt::new(
    "spice",
    "enabled",
    "false",
    "Whether guests have SPICE consoles.",
);
const HTML5PROXY_BASE_URL: Opt = Opt::new(
    "spice",
    "html5proxy_base_url",
    "http://127.0.0.1:6082/spice_auto.html",
    "The SPICE HTML5 proxy page spice-html5 console URLs point at.",
);
const SPICE_DIRECT_PROXY_BASE_URL: Opt = Opt::new(
    "spice",
    "spice_direct_proxy_base_url",
    "http://127.0.0.1:13002/nova",
    "The SPICE proxy spice-direct console URLs point at.",
);
const SERIAL_ENABLED: Opt = Opt::new(
    "serial_console",
    "enabled",
    "false",
    "Whether guests have serial consoles.",
);
const SERIAL_BASE_URL: Opt = Opt::new(
    "serial_console",
    "base_url",
    "ws://127.0.0.1:6083/",
    "The serial console proxy serial console URLs point at.",
);
const MKS_ENABLED: Opt = Opt::new(
    "mks",
    "enabled",
    "false",
    "Whether guests have MKS consoles.",
);
const MKSPROXY_BASE_URL: Opt = Opt::new(
    "mks",
    "mksproxy_base_url",
    "http://127.0.0.1:6090/",
    "The MKS proxy webmks console URLs point at.",
);

/// The console options an agent reads.
pub const CONSOLE_OPTS: &[Opt] = &[
    VNC_ENABLED,
    NOVNCPROXY_BASE_URL,
    SPICE_ENABLED,
    HTML5PROXY_BASE_URL,
    SPICE_DIRECT_PROXY_BASE_URL,
    SERIAL_ENABLED,
    SERIAL_BASE_URL,
    MKS_ENABLED,
    MKSPROXY_BASE_URL,
];

/// The consoles a host offers: each enabled protocol's proxy URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleOptions {
    vnc: Option<String>,
    /// The html5 proxy, then the direct one.
    spice: Option<(String, String)>,
    serial: Option<String>,
    mks: Option<String>,
}

impl ConsoleOptions {
    /// Reads `[vnc]`, `[spice]`, `[serial_console]` and `[mks]`.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let when = |enabled: &Opt, value: &dyn Fn() -> String| -> Result<_, ConfigError> {
            Ok(config.get_bool(enabled)?.then(value))
        };
        Ok(ConsoleOptions {
            vnc: when(&VNC_ENABLED, &|| config.get_string(&NOVNCPROXY_BASE_URL))?,
            spice: config.get_bool(&SPICE_ENABLED)?.then(|| {
                (
                    config.get_string(&HTML5PROXY_BASE_URL),
                    config.get_string(&SPICE_DIRECT_PROXY_BASE_URL),
                )
            }),
            serial: when(&SERIAL_ENABLED, &|| config.get_string(&SERIAL_BASE_URL))?,
            mks: when(&MKS_ENABLED, &|| config.get_string(&MKSPROXY_BASE_URL))?,
        })
    }

    /// The proxy URL a console of `protocol` and `console_type` is handed
    /// out with: Nova's `ConsoleTypeUnavailable` when the protocol is off
    /// here, `ConsoleTypeInvalid` when the type is not the protocol's.
    pub fn access_url_base(
        &self,
        protocol: ConsoleProtocol,
        console_type: &str,
    ) -> Result<&str, RemoteError> {
        let unavailable = || RemoteError {
            kind: "ConsoleTypeUnavailable".into(),
            message: format!("Unavailable console type {console_type}."),
        };
        let invalid = || RemoteError {
            kind: "ConsoleTypeInvalid".into(),
            message: format!("Invalid console type {console_type}"),
        };
        match protocol {
            ConsoleProtocol::Vnc => {
                let base = self.vnc.as_deref().ok_or_else(unavailable)?;
                (console_type == "novnc")
                    .then_some(base)
                    .ok_or_else(invalid)
            }
            ConsoleProtocol::Spice => {
                let (html5, direct) = self.spice.as_ref().ok_or_else(unavailable)?;
                match console_type {
                    "spice-html5" => Ok(html5),
                    "spice-direct" => Ok(direct),
                    _ => Err(invalid()),
                }
            }
            // Nova's serial console takes the type as given.
            ConsoleProtocol::Serial => self.serial.as_deref().ok_or_else(unavailable),
            ConsoleProtocol::Mks => {
                let base = self.mks.as_deref().ok_or_else(unavailable)?;
                (console_type == "webmks")
                    .then_some(base)
                    .ok_or_else(invalid)
            }
        }
    }
}

/// The protocol a request names.
fn protocol(name: &str) -> Option<ConsoleProtocol> {
    Some(match name {
        "vnc" => ConsoleProtocol::Vnc,
        "spice" => ConsoleProtocol::Spice,
        "serial" => ConsoleProtocol::Serial,
        "mks" => ConsoleProtocol::Mks,
        _ => return None,
    })
}

impl Agent {
    /// Where a server's console is reached and the proxy URL for its token.
    pub(super) async fn console(
        &self,
        request: ConsoleRequest,
    ) -> Result<ConsoleConnection, RemoteError> {
        let protocol = protocol(&request.protocol).ok_or_else(|| RemoteError {
            kind: "ConsoleTypeInvalid".into(),
            message: format!("Invalid console type {}", request.protocol),
        })?;
        let base = self
            .consoles
            .access_url_base(protocol, &request.console_type)?
            .to_string();
        let endpoint = self
            .driver
            .console(&request.uuid, protocol)
            .await
            .map_err(|e| RemoteError {
                kind: "InstanceNotFound".into(),
                message: e.to_string(),
            })?
            .ok_or_else(|| RemoteError {
                kind: "NotImplemented".into(),
                message: format!("This host's driver has no {} console.", request.protocol),
            })?;
        let direct = request.console_type == "spice-direct";
        Ok(ConsoleConnection {
            host: endpoint.host,
            port: endpoint.port.into(),
            tls_port: endpoint.tls_port.map(i32::from),
            internal_access_path: endpoint.internal_access_path.filter(|_| !direct),
            access_url_base: base,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(settings: &[(&str, &str)]) -> ConsoleOptions {
        let mut config = Config::default();
        for (section, value) in settings {
            config.set(section, "enabled", *value);
        }
        ConsoleOptions::from_config(&config).unwrap()
    }

    #[test]
    fn vnc_is_on_and_the_others_off_by_default() {
        let consoles = options(&[]);
        assert_eq!(
            consoles.access_url_base(ConsoleProtocol::Vnc, "novnc"),
            Ok("http://127.0.0.1:6080/vnc_auto.html")
        );
        for (protocol, kind) in [
            (ConsoleProtocol::Spice, "spice-html5"),
            (ConsoleProtocol::Serial, "serial"),
            (ConsoleProtocol::Mks, "webmks"),
        ] {
            let refused = consoles.access_url_base(protocol, kind).unwrap_err();
            assert_eq!(refused.kind, "ConsoleTypeUnavailable");
            assert_eq!(refused.message, format!("Unavailable console type {kind}."));
        }
    }

    #[test]
    fn a_type_of_another_protocol_is_invalid() {
        let consoles = options(&[("spice", "true")]);
        let refused = consoles
            .access_url_base(ConsoleProtocol::Vnc, "xvpvnc")
            .unwrap_err();
        assert_eq!(
            (refused.kind.as_str(), refused.message.as_str()),
            ("ConsoleTypeInvalid", "Invalid console type xvpvnc")
        );
        assert_eq!(
            consoles.access_url_base(ConsoleProtocol::Spice, "spice-direct"),
            Ok("http://127.0.0.1:13002/nova")
        );
        assert!(consoles
            .access_url_base(ConsoleProtocol::Spice, "novnc")
            .is_err());
    }

    #[test]
    fn a_disabled_protocol_is_unavailable_before_its_type_is_checked() {
        let consoles = options(&[("vnc", "false")]);
        let refused = consoles
            .access_url_base(ConsoleProtocol::Vnc, "xvpvnc")
            .unwrap_err();
        assert_eq!(refused.kind, "ConsoleTypeUnavailable");
    }
}
