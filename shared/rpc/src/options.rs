//! The oslo.messaging options every service reads, with upstream names.

use std::{sync::Arc, time::Duration};

use ferrostack_config::{Config, ConfigError, Opt, SecretUrl};

use crate::{connect, Notifier, NotifyDriver, RpcError, Transport, TransportOptions};

pub const TRANSPORT_URL: Opt = Opt::secret(
    "DEFAULT",
    "transport_url",
    "Message bus URL: memory:// (in-process) or rabbit://user:pass@host:port/vhost.",
);
pub const CONTROL_EXCHANGE: Opt = Opt::new(
    "DEFAULT",
    "control_exchange",
    "",
    "The topic exchange of this service; the service's name when unset.",
);
pub const RPC_RESPONSE_TIMEOUT: Opt = Opt::new(
    "DEFAULT",
    "rpc_response_timeout",
    "60",
    "Seconds to wait for the reply to a call.",
);
pub const NOTIFICATION_DRIVER: Opt = Opt::new(
    "oslo_messaging_notifications",
    "driver",
    "noop",
    "messagingv2 publishes on the bus, log writes to the log, noop disables notifications.",
);
pub const NOTIFICATION_TRANSPORT_URL: Opt = Opt::secret(
    "oslo_messaging_notifications",
    "transport_url",
    "Bus for notifications; [DEFAULT] transport_url when unset.",
);

/// Every option above, for [`Config::check`].
pub const MESSAGING_OPTS: &[Opt] = &[
    TRANSPORT_URL,
    CONTROL_EXCHANGE,
    RPC_RESPONSE_TIMEOUT,
    NOTIFICATION_DRIVER,
    NOTIFICATION_TRANSPORT_URL,
];

/// Messaging settings resolved at start.
#[derive(Debug, Clone)]
pub struct MessagingConfig {
    pub transport_url: SecretUrl,
    pub notification_transport_url: SecretUrl,
    pub driver: NotifyDriver,
    pub options: TransportOptions,
    pub rpc_response_timeout: Duration,
}

impl MessagingConfig {
    /// Reads the options for `service` (whose name is the default exchange).
    pub fn from_config(config: &Config, service: &str) -> Result<Self, ConfigError> {
        let transport_url = config.get(&TRANSPORT_URL).unwrap_or("memory://").to_owned();
        let driver = config.get_string(&NOTIFICATION_DRIVER);
        let driver = NotifyDriver::parse(&driver).ok_or_else(|| {
            ConfigError::invalid(
                &NOTIFICATION_DRIVER,
                format!("unsupported driver '{driver}' (valid: messagingv2, log, noop)"),
            )
        })?;
        let exchange = config.get_string(&CONTROL_EXCHANGE);
        Ok(MessagingConfig {
            notification_transport_url: SecretUrl::new(
                config
                    .get(&NOTIFICATION_TRANSPORT_URL)
                    .unwrap_or(&transport_url),
            ),
            transport_url: SecretUrl::new(transport_url),
            driver,
            options: TransportOptions {
                control_exchange: if exchange.is_empty() {
                    service.to_owned()
                } else {
                    exchange
                },
                ..TransportOptions::default()
            },
            rpc_response_timeout: Duration::from_secs(config.get_parsed(&RPC_RESPONSE_TIMEOUT)?),
        })
    }

    /// Connects the RPC transport.
    pub async fn transport(&self) -> Result<Arc<dyn Transport>, RpcError> {
        connect(self.transport_url.expose(), self.options.clone()).await
    }

    /// Starts the notifier the driver asks for, publishing as `publisher_id`.
    pub async fn notifier(&self, publisher_id: &str) -> Result<Notifier, RpcError> {
        let transport = match self.driver {
            NotifyDriver::Messaging => Some(
                connect(
                    self.notification_transport_url.expose(),
                    self.options.clone(),
                )
                .await?,
            ),
            _ => None,
        };
        Ok(Notifier::start(self.driver, publisher_id, transport))
    }
}
