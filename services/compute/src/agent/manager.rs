//! What an agent does with the servers placed on its host: it builds them and
//! operates on them through its driver, and tells the conductor each outcome (it
//! has no database of its own).

use std::sync::Arc;

use ferrostack_rpc::{Client, Context, RemoteError, Router};

use super::driver::{Driver, GuestOp, PowerState};
use crate::domain::servers::networks;
use crate::network_api::NetworkApi;
use crate::rpc::messages::{BuildInstance, InstanceOp, InstanceUpdate};
use crate::rpc::{agent, conductor};
use crate::volume_api::VolumeApi;
use ferrostack_auth::image_api::ImageApi;

/// One host's agent.
pub struct Agent {
    pub host: String,
    /// The address volume hosts export to (`[DEFAULT] my_ip`).
    pub my_ip: String,
    pub driver: Arc<dyn Driver>,
    pub conductor: Client<conductor::Topic>,
    /// The other hosts' agents (moves go from host to host).
    pub agents: Client<agent::Topic>,
    /// The block-storage API, on the users' tokens.
    pub volumes: Arc<VolumeApi>,
    /// The image API snapshots are uploaded to, on the users' tokens.
    pub images: Arc<ImageApi>,
    /// The remote consoles this host offers.
    pub consoles: super::ConsoleOptions,
    /// The network API servers' ports are made and bound through.
    pub networks: Arc<NetworkApi>,
    /// The host's availability zone (`[DEFAULT] default_availability_zone`).
    pub zone: String,
    /// How long a volume-backed rebuild waits per GiB for its root volume's
    /// reimage (`[DEFAULT] reimage_timeout_per_gb`).
    pub reimage_timeout_per_gb: std::time::Duration,
    /// Whether and how long builds wait for their ports to be plugged.
    pub vif_plugging: super::VifPlugging,
    /// The events the servers being built here wait for.
    pub events: Arc<super::events::InstanceEvents>,
}

/// The event of an offloaded server's unshelve (a build from its image).
pub const UNSHELVE_EVENT: &str = "compute_unshelve_instance";

pub(super) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// How a server op on a host maps to the driver, the states it passes through
/// and leaves, and its action event.
struct OpPlan {
    guest: Option<GuestOp>,
    vm_state: &'static str,
    event: &'static str,
}

fn plan(op: &str) -> Option<OpPlan> {
    let (guest, vm_state, event) = match op {
        "stop" => (Some(GuestOp::PowerOff), "stopped", "compute_stop_instance"),
        "start" => (Some(GuestOp::PowerOn), "active", "compute_start_instance"),
        "reboot_soft" => (
            Some(GuestOp::RebootSoft),
            "active",
            "compute_reboot_instance",
        ),
        "reboot_hard" => (
            Some(GuestOp::RebootHard),
            "active",
            "compute_reboot_instance",
        ),
        "pause" => (Some(GuestOp::Pause), "paused", "compute_pause_instance"),
        "unpause" => (Some(GuestOp::Unpause), "active", "compute_unpause_instance"),
        "suspend" => (
            Some(GuestOp::Suspend),
            "suspended",
            "compute_suspend_instance",
        ),
        "resume" => (Some(GuestOp::Resume), "active", "compute_resume_instance"),
        "rescue" => (Some(GuestOp::Rescue), "rescued", "compute_rescue_instance"),
        "unrescue" => (
            Some(GuestOp::Unrescue),
            "active",
            "compute_unrescue_instance",
        ),
        "soft_delete" => (
            Some(GuestOp::PowerOff),
            "soft-delete",
            "compute_soft_delete_instance",
        ),
        "restore" => (Some(GuestOp::PowerOn), "active", "compute_restore_instance"),
        "unshelve" => (
            Some(GuestOp::PowerOn),
            "active",
            "compute_unshelve_instance",
        ),
        "shelve_offload" => (None, "shelved_offloaded", "compute_shelve_offload_instance"),
        "delete" => (None, "deleted", "compute_terminate_instance"),
        _ => return None,
    };
    Some(OpPlan {
        guest,
        vm_state,
        event,
    })
}

impl Agent {
    pub(super) async fn report(&self, context: &Context, update: InstanceUpdate) {
        let uuid = update.uuid.clone();
        if let Err(e) = self
            .conductor
            .call::<conductor::InstanceUpdate>(context, None, &update)
            .await
        {
            tracing::warn!(instance = uuid, "state not reported to the conductor: {e}");
        }
    }

    /// Builds a server: its ports bound and its guest spawned, then ACTIVE
    /// (or ERROR with a fault). A build whose new ports are still to be
    /// reported plugged waits for that in a task of its own, as Nova's builds
    /// run apart from its RPC handlers: a waiting build holds none of the
    /// host's handlers, which the event it waits for needs.
    async fn build(
        self: Arc<Self>,
        context: Context,
        build: BuildInstance,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        // Its ports' events may come as soon as they are bound.
        let expecting = self.events.expect(&build.uuid);
        let ports = self.plug_ports(&context, &build).await;
        let spawned = match &ports {
            Ok(vifs) => {
                // The guest is made with the ports it has now.
                let mut build = build.clone();
                if let Some(vifs) = vifs {
                    build.vifs_json = serde_json::to_string(vifs).unwrap_or_default();
                }
                self.spawn_with_volumes(&context, &build).await
            }
            Err(e) => Err(super::DriverError(format!("its ports failed: {e}"))),
        };
        let awaited = match (&spawned, &ports) {
            (Ok(()), Ok(Some(vifs))) => self.unplugged(vifs),
            _ => Vec::new(),
        };
        if awaited.is_empty() {
            self.finish_build(context, build, started_at, ports, spawned)
                .await;
            return Ok(());
        }
        tokio::spawn(async move {
            let _expecting = expecting;
            let plugged = self.wait_for_plugging(&build.uuid, &awaited).await;
            self.finish_build(context, build, started_at, ports, plugged)
                .await;
        });
        Ok(())
    }

    /// Tells the conductor how a build ended; a failed one leaves neither
    /// its guest nor the ports made for it behind.
    async fn finish_build(
        &self,
        context: Context,
        build: BuildInstance,
        started_at: i64,
        ports: Result<Option<Vec<networks::Vif>>, String>,
        result: Result<(), super::DriverError>,
    ) {
        let unshelve = build.event == UNSHELVE_EVENT;
        let mut update = InstanceUpdate {
            uuid: build.uuid.clone(),
            event: if build.event.is_empty() {
                "compute__do_build_and_run_instance".into()
            } else {
                build.event.clone()
            },
            started_at,
            ..Default::default()
        };
        match result {
            Ok(()) => {
                update.vm_state = "active".into();
                update.power_state = PowerState::Running as i32;
                update.launched = true;
                if let Ok(Some(vifs)) = &ports {
                    update.vifs_json = serde_json::to_string(vifs).unwrap_or_default();
                }
                if unshelve {
                    // The image it was shelved to has served its purpose.
                    self.images
                        .delete(&context.auth_token, &build.image_id)
                        .await;
                }
            }
            Err(e) => {
                tracing::warn!(instance = build.uuid, "build failed: {e}");
                // Nothing of a failed guest may stay behind on the host, nor
                // the ports made for it.
                let _ = self.driver.destroy(&build.uuid).await;
                if let (Ok(Some(vifs)), false) = (&ports, unshelve) {
                    networks::deallocate(&self.networks, &context.auth_token, vifs).await;
                }
                update.vm_state = "error".into();
                update.power_state = PowerState::NoState as i32;
                update.fault = format!("Build of instance {} aborted: {e}", build.uuid);
            }
        }
        self.report(&context, update).await;
    }

    /// Spawns a server's guest with the volumes it is built with connected.
    pub(super) async fn spawn_with_volumes(
        &self,
        context: &Context,
        build: &BuildInstance,
    ) -> Result<(), super::DriverError> {
        let volumes = self
            .prepare_block_devices(context, build)
            .await
            .map_err(super::DriverError)?;
        self.driver.spawn(build).await?;
        for (device, info) in &volumes {
            self.driver.attach_volume(&build.uuid, device, info).await?;
        }
        Ok(())
    }

    /// Rebuilds a server: its guest replaced by one of the (new) image — on
    /// its root volume reimaged with it, for a volume-backed server at 2.93 —
    /// then ACTIVE, or SHUTOFF again when it was stopped.
    async fn rebuild(&self, context: Context, build: BuildInstance) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let mut result = self.driver.destroy(&build.uuid).await;
        let mut root = None;
        if let (Ok(()), Some(device)) = (&result, &build.reimage_root) {
            match self
                .reimage_root(&context, &build.uuid, device, &build.image_id)
                .await
            {
                Ok(info) => root = Some((device.device.clone(), info)),
                Err(e) => result = Err(super::DriverError(e)),
            }
        }
        if result.is_ok() {
            result = self.driver.spawn(&build).await;
        }
        if let (Ok(()), Some((device, info))) = (&result, &root) {
            result = self.driver.attach_volume(&build.uuid, device, info).await;
        }
        if result.is_ok() && build.stop_after {
            result = self.driver.operate(&build.uuid, GuestOp::PowerOff).await;
        }
        let mut update = InstanceUpdate {
            uuid: build.uuid.clone(),
            event: "compute_rebuild_instance".into(),
            started_at,
            ..Default::default()
        };
        match result {
            Ok(()) if build.stop_after => {
                update.vm_state = "stopped".into();
                update.power_state = PowerState::Shutdown as i32;
            }
            Ok(()) => {
                update.vm_state = "active".into();
                update.power_state = PowerState::Running as i32;
            }
            Err(e) => {
                tracing::warn!(instance = build.uuid, "rebuild failed: {e}");
                update.vm_state = "error".into();
                update.fault = e.to_string();
            }
        }
        self.report(&context, update).await;
        Ok(())
    }

    /// Runs one operation on a server's guest and reports its new state.
    async fn operate(&self, context: Context, op: InstanceOp) -> Result<(), RemoteError> {
        let Some(plan) = plan(&op.op) else {
            return Err(RemoteError {
                kind: "UnknownOperation".into(),
                message: format!("no server operation {}", op.op),
            });
        };
        let started_at = unix_now();
        if op.op == "delete" {
            // A build of it waiting on its ports ends (and gives them back).
            self.events.cancel(&op.uuid);
        }
        let result = match plan.guest {
            Some(guest) => self.driver.operate(&op.uuid, guest).await,
            None => {
                let destroyed = self.driver.destroy(&op.uuid).await;
                if destroyed.is_ok() && op.op == "delete" {
                    self.release_volumes(&context, &op.volumes).await;
                    self.unplug_ports(&context, &op.vifs_json).await;
                }
                destroyed
            }
        };
        let mut update = InstanceUpdate {
            uuid: op.uuid.clone(),
            event: plan.event.into(),
            started_at,
            ..Default::default()
        };
        match (result, plan.guest) {
            (Ok(()), Some(guest)) => {
                update.vm_state = plan.vm_state.into();
                update.power_state = guest.power_state() as i32;
            }
            (Ok(()), None) if op.op == "delete" => update.deleted = true,
            (Ok(()), None) => {
                update.vm_state = plan.vm_state.into();
                update.power_state = PowerState::Shutdown as i32;
                update.offloaded = true;
            }
            (Err(e), _) => {
                tracing::warn!(instance = op.uuid, op = op.op, "operation failed: {e}");
                update.vm_state = "error".into();
                update.fault = e.to_string();
            }
        }
        self.report(&context, update).await;
        Ok(())
    }

    /// The agent's RPC server on `compute.<host>`.
    pub fn router(self: Arc<Self>) -> Router<agent::Topic, Self> {
        Router::new(self)
            .route::<agent::BuildAndRun, _, _>(
                |a, ctx, build| async move { a.build(ctx, build).await },
            )
            .route::<agent::ExternalInstanceEvent, _, _>(|a, _, sent| async move {
                for event in sent.events {
                    a.events
                        .deliver(&event.instance_uuid, &event.name, &event.tag, &event.status);
                }
                Ok(())
            })
            .route::<agent::Rebuild, _, _>(
                |a, ctx, build| async move { a.rebuild(ctx, build).await },
            )
            .route::<agent::Operate, _, _>(|a, ctx, op| async move { a.operate(ctx, op).await })
            .route::<agent::AttachVolume, _, _>(|a, ctx, request| async move {
                a.attach_volume(ctx, request).await
            })
            .route::<agent::AttachInterface, _, _>(|a, ctx, request| async move {
                a.attach_interface(ctx, request).await
            })
            .route::<agent::DetachInterface, _, _>(|a, ctx, request| async move {
                a.detach_interface(ctx, request).await
            })
            .route::<agent::DetachVolume, _, _>(|a, ctx, request| async move {
                a.detach_volume(ctx, request).await
            })
            .route::<agent::VolumeSnapshotCreate, _, _>(|a, ctx, request| async move {
                a.volume_snapshot_create(ctx, request).await
            })
            .route::<agent::VolumeSnapshotDelete, _, _>(|a, ctx, request| async move {
                a.volume_snapshot_delete(ctx, request).await
            })
            .route::<agent::ResizeInstance, _, _>(|a, ctx, step| async move {
                a.resize_instance(ctx, step).await
            })
            .route::<agent::Evacuate, _, _>(
                |a, ctx, step| async move { a.evacuate(ctx, step).await },
            )
            .route::<agent::LiveMigration, _, _>(|a, ctx, step| async move {
                a.live_migration(ctx, step).await
            })
            .route::<agent::FinishLiveMigration, _, _>(|a, ctx, step| async move {
                a.finish_live_migration(ctx, step).await
            })
            .route::<agent::FinishResize, _, _>(|a, ctx, step| async move {
                a.finish_resize(ctx, step).await
            })
            .route::<agent::ConfirmResize, _, _>(|a, ctx, step| async move {
                a.confirm_resize(ctx, step).await
            })
            .route::<agent::RevertResize, _, _>(|a, ctx, step| async move {
                a.revert_resize(ctx, step).await
            })
            .route::<agent::FinishRevertResize, _, _>(|a, ctx, step| async move {
                a.finish_revert_resize(ctx, step).await
            })
            .route::<agent::Shelve, _, _>(
                |a, ctx, request| async move { a.shelve(ctx, request).await },
            )
            .route::<agent::Snapshot, _, _>(|a, ctx, request| async move {
                a.snapshot(ctx, request).await
            })
            .route::<agent::GetConsoleOutput, _, _>(|a, _, request| async move {
                let output =
                    a.driver
                        .console_output(&request.uuid)
                        .await
                        .map_err(|e| RemoteError {
                            kind: "InstanceNotFound".into(),
                            message: e.to_string(),
                        })?;
                Ok(crate::rpc::messages::ConsoleOutput { output })
            })
            .route::<agent::GetConsole, _, _>(
                |a, _, request| async move { a.console(request).await },
            )
            .route::<agent::SetAdminPassword, _, _>(|a, _, request| async move {
                a.driver
                    .set_admin_password(&request.uuid, &request.password)
                    .await
                    .map_err(|e| RemoteError {
                        kind: "InstancePasswordSetFailed".into(),
                        message: e.to_string(),
                    })
            })
            .route::<agent::GetHostUptime, _, _>(|_, _, ()| async move {
                host_uptime().await.map_err(|message| RemoteError {
                    kind: "NotImplemented".into(),
                    message,
                })
            })
            .route::<agent::GetDiagnostics, _, _>(|a, _, request| async move {
                a.driver
                    .diagnostics(&request.uuid)
                    .await
                    .map_err(|e| RemoteError {
                        kind: "InstanceNotFound".into(),
                        message: e.to_string(),
                    })
            })
    }
}

/// What `uptime` prints on this host, as Nova's libvirt driver reports it.
async fn host_uptime() -> Result<crate::rpc::messages::HostUptime, String> {
    let out = tokio::process::Command::new("uptime")
        .env("LANG", "C")
        .output()
        .await
        .map_err(|e| format!("uptime cannot run here: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "uptime failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(crate::rpc::messages::HostUptime {
        uptime: String::from_utf8_lossy(&out.stdout).trim_end().to_string(),
    })
}
