//! A server's ports on this host: made from what its create asked for, or
//! its own bound here again (an unshelve), before the guest starts; deleted
//! or released when the server goes.

use std::time::Duration;

use ferrostack_rpc::{Context, RemoteError};

use super::events::{key, Unmet};
use super::manager::Agent;
use crate::domain::servers::networks::{self, NetworkRequest, Vif};
use crate::rpc::messages::{BuildInstance, InterfaceAttach, InterfaceAttached, InterfaceDetach};

/// Whether builds wait for the network service to report their new ports
/// plugged (`[DEFAULT] vif_plugging_timeout`, `vif_plugging_is_fatal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VifPlugging {
    /// `None`: not at all.
    pub timeout: Option<Duration>,
    /// A build whose ports are not plugged in time fails.
    pub fatal: bool,
}

/// The event of a port plugged.
const PLUGGED: &str = "network-vif-plugged";

/// How often a build waiting for its ports to be plugged reads them itself.
const PLUGGED_POLL: Duration = Duration::from_secs(2);

fn refused(kind: &str, message: String) -> RemoteError {
    RemoteError {
        kind: kind.into(),
        message,
    }
}

impl Agent {
    /// The ports a build plugs into its guest, bound to this host; none when
    /// it asked for none.
    pub(super) async fn plug_ports(
        &self,
        context: &Context,
        build: &BuildInstance,
    ) -> Result<Option<Vec<Vif>>, String> {
        let zone = if build.availability_zone.is_empty() {
            &self.zone
        } else {
            &build.availability_zone
        };
        let server = (build.uuid.as_str(), self.host.as_str(), zone.as_str());
        let token = &context.auth_token;
        if !build.vifs_json.is_empty() {
            let own = networks::parse_vifs(Some(&build.vifs_json));
            let requests: Vec<NetworkRequest> = own
                .iter()
                .map(|vif| NetworkRequest {
                    port_id: Some(vif.id.clone()),
                    tag: vif.tag.clone(),
                    ..Default::default()
                })
                .collect();
            let mut vifs = networks::allocate(&self.networks, token, server, &requests).await?;
            for (vif, was) in vifs.iter_mut().zip(&own) {
                vif.preserve_on_delete = was.preserve_on_delete;
            }
            return Ok(Some(vifs));
        }
        if build.networks_json.is_empty() {
            return Ok(None);
        }
        let requests: Vec<NetworkRequest> = serde_json::from_str(&build.networks_json)
            .map_err(|e| format!("unreadable network requests: {e}"))?;
        networks::allocate(&self.networks, token, server, &requests)
            .await
            .map(Some)
    }

    /// The ports whose plugging a build waits for, as Nova's: each that was
    /// not `ACTIVE` when bound; none when `vif_plugging_timeout` is 0.
    pub(super) fn unplugged(&self, vifs: &[Vif]) -> Vec<String> {
        if self.vif_plugging.timeout.is_none() {
            return Vec::new();
        }
        vifs.iter()
            .filter(|v| !v.active)
            .map(|v| v.id.clone())
            .collect()
    }

    /// Waits until the network service reports each of a built server's
    /// `ports` plugged (`network-vif-plugged`); one failed, or not all in
    /// time, the build fails (unless `vif_plugging_is_fatal` is off). The
    /// events are casts a broker restart may lose, so every
    /// [`PLUGGED_POLL`] the wait also reads the ports: an `ACTIVE` one counts
    /// as reported (Nova relies on the event alone, and fails the build).
    pub(super) async fn wait_for_plugging(
        &self,
        uuid: &str,
        ports: &[String],
    ) -> Result<(), super::DriverError> {
        let awaited: Vec<String> = ports.iter().map(|p| key(PLUGGED, p)).collect();
        let deadline = tokio::time::Instant::now() + self.vif_plugging.timeout.unwrap_or_default();
        let unmet = loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self
                .events
                .wait(uuid, &awaited, left.min(PLUGGED_POLL))
                .await
            {
                Ok(()) => return Ok(()),
                Err(Unmet::TimedOut(_)) if left > PLUGGED_POLL => {
                    self.read_plugged(uuid, ports).await;
                }
                Err(Unmet::TimedOut(missing)) => {
                    break format!("timed out waiting for {missing:?}")
                }
                Err(Unmet::Failed(event)) => break format!("{event} failed"),
                Err(Unmet::Cancelled) => {
                    return Err(super::DriverError("it was deleted meanwhile".into()));
                }
            }
        };
        tracing::warn!(instance = uuid, "ports not plugged: {unmet}");
        if !self.vif_plugging.fatal {
            return Ok(());
        }
        // Nova's words (a VirtualInterfaceCreateException aborting the build).
        Err(super::DriverError(
            "Failed to allocate the network(s), not rescheduling.".into(),
        ))
    }

    /// Counts each of `ports` the network service shows `ACTIVE` as reported
    /// plugged.
    async fn read_plugged(&self, uuid: &str, ports: &[String]) {
        let shown = match self.networks.service_token().await {
            Ok(token) => {
                self.networks
                    .ports(&token, &format!("device_id={uuid}"))
                    .await
            }
            Err(e) => Err(e),
        };
        match shown {
            Ok(shown) => {
                for port in shown.iter().filter(|p| p["status"] == "ACTIVE") {
                    let id = port["id"].as_str().unwrap_or_default();
                    if ports.iter().any(|p| p == id) {
                        self.events.deliver(uuid, PLUGGED, id, "completed");
                    }
                }
            }
            Err(e) => tracing::warn!(instance = uuid, "its ports not read: {e}"),
        }
    }

    /// Binds a moved server's ports to this host (a resize, migration,
    /// evacuation or revert reaching it); a port that cannot be bound is
    /// logged, the move goes on (its guest already runs here).
    pub(super) async fn rebind_ports(&self, context: &Context, build: &BuildInstance) {
        if build.vifs_json.is_empty() {
            return;
        }
        if let Err(e) = self.plug_ports(context, build).await {
            tracing::warn!(
                instance = build.uuid,
                "ports not bound to {}: {e}",
                self.host
            );
        }
    }

    /// `attach_interface`: a port made (or taken) for a server here and
    /// plugged into its guest; a port its guest refuses is given back.
    pub(super) async fn attach_interface(
        &self,
        context: Context,
        request: InterfaceAttach,
    ) -> Result<InterfaceAttached, RemoteError> {
        let zone = if request.availability_zone.is_empty() {
            &self.zone
        } else {
            &request.availability_zone
        };
        let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let wanted = NetworkRequest {
            network_id: text(&request.network_id),
            port_id: text(&request.port_id),
            fixed_ip: text(&request.fixed_ip),
            tag: text(&request.tag),
            ..Default::default()
        };
        let server = (request.uuid.as_str(), self.host.as_str(), zone.as_str());
        let mut vifs = networks::allocate(
            &self.networks,
            &context.auth_token,
            server,
            std::slice::from_ref(&wanted),
        )
        .await
        .map_err(|e| refused("InterfaceAttachFailed", e))?;
        let vif = vifs.remove(0);
        if let Err(e) = self.driver.attach_interface(&request.uuid, &vif).await {
            networks::deallocate(&self.networks, &context.auth_token, &[vif]).await;
            return Err(refused(
                "InterfaceAttachFailed",
                format!(
                    "Failed to attach network adapter device to {}: {e}",
                    request.uuid
                ),
            ));
        }
        Ok(InterfaceAttached {
            vif_json: serde_json::to_string(&vif).unwrap_or_default(),
        })
    }

    /// `detach_interface`: a port unplugged from a server's guest here, then
    /// deleted (made for it) or released (the user's).
    pub(super) async fn detach_interface(
        &self,
        context: Context,
        request: InterfaceDetach,
    ) -> Result<(), RemoteError> {
        let vif: Vif = serde_json::from_str(&request.vif_json)
            .map_err(|e| refused("InterfaceDetachFailed", format!("unreadable port: {e}")))?;
        self.driver
            .detach_interface(&request.uuid, &vif.id)
            .await
            .map_err(|e| refused("InterfaceDetachFailed", e.to_string()))?;
        networks::deallocate(&self.networks, &context.auth_token, &[vif]).await;
        Ok(())
    }

    /// Deletes the ports a server made and releases the ones it took.
    pub(super) async fn unplug_ports(&self, context: &Context, vifs_json: &str) {
        let vifs = networks::parse_vifs(Some(vifs_json));
        networks::deallocate(&self.networks, &context.auth_token, &vifs).await;
    }
}
