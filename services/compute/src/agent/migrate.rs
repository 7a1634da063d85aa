//! An agent's part in moving servers: as the source it powers the guest off
//! and hands it to the destination, which builds it with its new flavor; a
//! confirm leaves nothing on the source, a revert nothing on the destination
//! and the source runs the server again. Each end is reported to the
//! conductor.

use ferrostack_rpc::{Context, RemoteError};

use super::driver::PowerState;
use super::manager::{unix_now, Agent};
use crate::rpc::agent;
use crate::rpc::conductor;
use crate::rpc::messages::{MigrationUpdate, ResizeStep};

impl Agent {
    async fn report_move(&self, context: &Context, update: MigrationUpdate) {
        if let Err(e) = self
            .conductor
            .call::<conductor::MigrationUpdate>(context, None, &update)
            .await
        {
            tracing::warn!(
                migration = update.migration_uuid,
                "move not reported to the conductor: {e}"
            );
        }
    }

    async fn failed(
        &self,
        context: &Context,
        step: &ResizeStep,
        event: &str,
        started_at: i64,
        e: String,
    ) {
        tracing::warn!(migration = step.migration_uuid, "{event} failed: {e}");
        self.report_move(
            context,
            MigrationUpdate {
                migration_uuid: step.migration_uuid.clone(),
                status: "error".into(),
                fault: e,
                event: event.into(),
                started_at,
                ..Default::default()
            },
        )
        .await;
    }

    fn uuid(step: &ResizeStep) -> String {
        step.build
            .as_ref()
            .map(|b| b.uuid.clone())
            .unwrap_or_default()
    }

    /// `resize_instance` (source).
    pub(super) async fn resize_instance(
        &self,
        context: Context,
        step: ResizeStep,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let uuid = Self::uuid(&step);
        let handed = match self.driver.migrate_disk_and_power_off(&uuid).await {
            Ok(()) => self
                .agents
                .cast::<agent::FinishResize>(&context, Some(&step.dest_host), &step)
                .await
                .map_err(|e| format!("The compute host {} is unreachable: {e}", step.dest_host)),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = handed {
            self.failed(&context, &step, "compute_resize_instance", started_at, e)
                .await;
        }
        Ok(())
    }

    /// `finish_resize` (destination).
    pub(super) async fn finish_resize(
        &self,
        context: Context,
        step: ResizeStep,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let build = step.build.clone().unwrap_or_default();
        match self.driver.finish_migration(&build, step.power_on).await {
            Ok(()) => {
                self.rebind_ports(&context, &build).await;
                let power = if step.power_on {
                    PowerState::Running
                } else {
                    PowerState::Shutdown
                };
                self.report_move(
                    &context,
                    MigrationUpdate {
                        migration_uuid: step.migration_uuid.clone(),
                        status: "finished".into(),
                        power_state: power as i32,
                        event: "compute_finish_resize".into(),
                        started_at,
                        ..Default::default()
                    },
                )
                .await;
            }
            Err(e) => {
                let _ = self.driver.destroy(&build.uuid).await;
                self.failed(
                    &context,
                    &step,
                    "compute_finish_resize",
                    started_at,
                    e.to_string(),
                )
                .await;
            }
        }
        Ok(())
    }

    /// `confirm_resize` (source of a move to another host).
    pub(super) async fn confirm_resize(
        &self,
        _context: Context,
        step: ResizeStep,
    ) -> Result<(), RemoteError> {
        let uuid = Self::uuid(&step);
        if let Err(e) = self.driver.destroy(&uuid).await {
            tracing::warn!(instance = uuid, "the moved server's old guest stays: {e}");
        }
        Ok(())
    }

    /// `revert_resize` (destination): the guest goes, the source takes over.
    pub(super) async fn revert_resize(
        &self,
        context: Context,
        step: ResizeStep,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let uuid = Self::uuid(&step);
        let mut reverted = Ok(());
        if step.source_host != step.dest_host {
            reverted = self.driver.destroy(&uuid).await.map_err(|e| e.to_string());
        }
        if reverted.is_ok() {
            reverted = self
                .agents
                .cast::<agent::FinishRevertResize>(&context, Some(&step.source_host), &step)
                .await
                .map_err(|e| format!("The compute host {} is unreachable: {e}", step.source_host));
        }
        if let Err(e) = reverted {
            self.failed(&context, &step, "compute_revert_resize", started_at, e)
                .await;
        }
        Ok(())
    }

    /// `finish_revert_resize` (source).
    pub(super) async fn finish_revert_resize(
        &self,
        context: Context,
        step: ResizeStep,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let build = step.build.clone().unwrap_or_default();
        let same_host = step.source_host == step.dest_host;
        match self
            .driver
            .finish_revert_migration(&build, step.power_on, same_host)
            .await
        {
            Ok(()) => {
                self.rebind_ports(&context, &build).await;
                let power = if step.power_on {
                    PowerState::Running
                } else {
                    PowerState::Shutdown
                };
                self.report_move(
                    &context,
                    MigrationUpdate {
                        migration_uuid: step.migration_uuid.clone(),
                        status: "reverted".into(),
                        power_state: power as i32,
                        event: "compute_finish_revert_resize".into(),
                        started_at,
                        ..Default::default()
                    },
                )
                .await;
            }
            Err(e) => {
                self.failed(
                    &context,
                    &step,
                    "compute_finish_revert_resize",
                    started_at,
                    e.to_string(),
                )
                .await;
            }
        }
        Ok(())
    }

    /// `live_migration` (source): the running guest handed to the destination.
    pub(super) async fn live_migration(
        &self,
        context: Context,
        step: ResizeStep,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        if let Err(e) = self
            .agents
            .cast::<agent::FinishLiveMigration>(&context, Some(&step.dest_host), &step)
            .await
        {
            let message = format!("The compute host {} is unreachable: {e}", step.dest_host);
            self.failed(
                &context,
                &step,
                "compute_live_migration",
                started_at,
                message,
            )
            .await;
        }
        Ok(())
    }

    /// `post_live_migration_at_destination`: the guest runs here (paused
    /// again if it was), the source lets its copy go.
    pub(super) async fn finish_live_migration(
        &self,
        context: Context,
        step: ResizeStep,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let build = step.build.clone().unwrap_or_default();
        let mut moved = self.driver.finish_migration(&build, true).await;
        if moved.is_ok() && step.paused {
            moved = self
                .driver
                .operate(&build.uuid, super::driver::GuestOp::Pause)
                .await;
        }
        if let Err(e) = moved {
            let _ = self.driver.destroy(&build.uuid).await;
            self.failed(
                &context,
                &step,
                "compute_live_migration",
                started_at,
                e.to_string(),
            )
            .await;
            return Ok(());
        }
        self.rebind_ports(&context, &build).await;
        let power = if step.paused {
            PowerState::Paused
        } else {
            PowerState::Running
        };
        self.report_move(
            &context,
            MigrationUpdate {
                migration_uuid: step.migration_uuid.clone(),
                status: "completed".into(),
                power_state: power as i32,
                event: "compute_live_migration".into(),
                started_at,
                ..Default::default()
            },
        )
        .await;
        if let Err(e) = self
            .agents
            .cast::<agent::ConfirmResize>(&context, Some(&step.source_host), &step)
            .await
        {
            tracing::warn!(
                migration = step.migration_uuid,
                "the source keeps its copy: {e}"
            );
        }
        Ok(())
    }

    /// `rebuild_evacuated_instance` (destination): the server of a dead host
    /// built here, its volumes moved to this host.
    pub(super) async fn evacuate(
        &self,
        context: Context,
        step: ResizeStep,
    ) -> Result<(), RemoteError> {
        let started_at = unix_now();
        let build = step.build.clone().unwrap_or_default();
        self.rebind_ports(&context, &build).await;
        let mut built = self.spawn_with_volumes(&context, &build).await;
        if built.is_ok() && build.stop_after {
            built = self
                .driver
                .operate(&build.uuid, super::driver::GuestOp::PowerOff)
                .await;
        }
        if let Err(e) = built {
            let _ = self.driver.destroy(&build.uuid).await;
            self.failed(
                &context,
                &step,
                "compute_rebuild_instance",
                started_at,
                e.to_string(),
            )
            .await;
            return Ok(());
        }
        let power = if build.stop_after {
            PowerState::Shutdown
        } else {
            PowerState::Running
        };
        self.report_move(
            &context,
            MigrationUpdate {
                migration_uuid: step.migration_uuid.clone(),
                status: "done".into(),
                power_state: power as i32,
                event: "compute_rebuild_instance".into(),
                started_at,
                ..Default::default()
            },
        )
        .await;
        Ok(())
    }
}
