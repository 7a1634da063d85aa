//! A server's ports on this host: made from what its create asked for, or
//! its own bound here again (an unshelve), before the guest starts; deleted
//! or released when the server goes.

use ferrostack_rpc::Context;

use super::manager::Agent;
use crate::domain::servers::networks::{self, NetworkRequest, Vif};
use crate::rpc::messages::BuildInstance;

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

    /// Deletes the ports a server made and releases the ones it took.
    pub(super) async fn unplug_ports(&self, context: &Context, vifs_json: &str) {
        let vifs = networks::parse_vifs(Some(vifs_json));
        networks::deallocate(&self.networks, &context.auth_token, &vifs).await;
    }
}
