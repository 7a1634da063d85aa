//! What the roles report about themselves: heartbeats (`os-services`) and
//! compute nodes' resources (`os-hypervisors`).

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use super::{internal, Conductor};
use crate::db::entity::{compute_node, service_record};
use crate::rpc::messages::{Heartbeat, NodeReport};
use ferrostack_rpc::RemoteError;

/// Records a heartbeat of `binary` on `host`, giving the service its id and
/// UUID the first time.
pub(super) async fn record_heartbeat(
    db: &DatabaseConnection,
    host: &str,
    binary: &str,
    zone: &str,
) -> Result<(), sea_orm::DbErr> {
    ferrostack_db::service_registry::heartbeat(db, host, binary, zone)
        .await
        .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    let record = service_record::ActiveModel {
        uuid: Set(uuid::Uuid::new_v4().to_string()),
        host: Set(host.to_string()),
        binary: Set(binary.to_string()),
        forced_down: Set(false),
        ..Default::default()
    };
    // A no-op update on conflict: MariaDB has no `DO NOTHING` (sea-query
    // renders it as a bare `IGNORE` there, which MariaDB refuses).
    service_record::Entity::insert(record)
        .on_conflict(
            OnConflict::columns([service_record::Column::Host, service_record::Column::Binary])
                .update_column(service_record::Column::Host)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

impl Conductor {
    pub(super) async fn heartbeat(&self, beat: Heartbeat) -> Result<(), RemoteError> {
        record_heartbeat(&self.db, &beat.host, &beat.binary, &beat.availability_zone)
            .await
            .map_err(internal)
    }

    /// Keeps the node's row as its latest report says (made on the first).
    pub(super) async fn report_node(&self, report: NodeReport) -> Result<(), RemoteError> {
        let now = chrono::Utc::now().naive_utc();
        let row = compute_node::ActiveModel {
            uuid: Set(uuid::Uuid::new_v4().to_string()),
            host: Set(report.host),
            hypervisor_hostname: Set(report.hypervisor_hostname),
            hypervisor_type: Set(report.hypervisor_type),
            hypervisor_version: Set(report.hypervisor_version),
            host_ip: Set(report.host_ip),
            vcpus: Set(report.vcpus),
            memory_mb: Set(report.memory_mb),
            local_gb: Set(report.local_gb),
            vcpus_used: Set(report.vcpus_used),
            memory_mb_used: Set(report.memory_mb_used),
            local_gb_used: Set(report.local_gb_used),
            running_vms: Set(report.running_vms),
            cpu_info: Set(report.cpu_info_json),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        use compute_node::Column as C;
        compute_node::Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::Host)
                    .update_columns([
                        C::HypervisorHostname,
                        C::HypervisorType,
                        C::HypervisorVersion,
                        C::HostIp,
                        C::Vcpus,
                        C::MemoryMb,
                        C::LocalGb,
                        C::VcpusUsed,
                        C::MemoryMbUsed,
                        C::LocalGbUsed,
                        C::RunningVms,
                        C::CpuInfo,
                        C::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(())
    }
}
