//! Creating servers: the request checked against the flavor, the image (through
//! the image API on the caller's token), the key pair, the zone and the
//! project's counting quotas (under the project's quota lock), the instances
//! recorded in BUILD/scheduling, and the build handed to the conductor.

use std::collections::BTreeMap;

use ferrostack_auth::image_api::ImageApiError;
use rand::Rng;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use super::InstanceFlavor;
use crate::db::entity::{
    block_device_mapping, instance, instance_metadata, instance_tag, key_pair,
};
use crate::domain::actions::{self, ActionStart};
use crate::domain::{now, Caller, Nova, NovaError, Result};
use crate::rpc::conductor;
use crate::rpc::messages::{BuildInstances, RequestSpec};

/// The networks a server asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Networks {
    /// `auto` (and no `networks` before 2.37).
    Auto,
    None,
    /// Networks, ports or fixed IPs.
    Requested(Vec<super::networks::NetworkRequest>),
}

/// Whether a server's disk is AUTO: as asked, else as its image's
/// `auto_disk_config` property says; an image with it `disabled` refuses AUTO.
fn disk_config(image: &Value, asked: Option<bool>) -> Result<bool> {
    let property = image["properties"]["auto_disk_config"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match asked {
        Some(true) if property == "disabled" => Err(NovaError::BadRequest(format!(
            "Requested image {} has automatic disk resize disabled.",
            image["id"].as_str().unwrap_or_default()
        ))),
        Some(auto) => Ok(auto),
        None => Ok(matches!(property.as_str(), "true" | "1" | "yes" | "on")),
    }
}

/// A create request as the API parsed it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewServer {
    pub name: String,
    pub image_ref: String,
    pub flavor_ref: String,
    pub networks: Option<Networks>,
    /// `OS-DCF:diskConfig` AUTO (true) or MANUAL, when given.
    pub auto_disk_config: Option<bool>,
    /// Security groups (names or ids) of the ports made for it.
    pub security_groups: Vec<String>,
    pub key_name: Option<String>,
    /// Base64 user data as given (checked to decode).
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub availability_zone: Option<String>,
    pub config_drive: bool,
    pub min_count: i64,
    pub max_count: i64,
    pub admin_pass: Option<String>,
    pub access_ip_v4: Option<String>,
    pub access_ip_v6: Option<String>,
    pub description: Option<String>,
    pub hostname: Option<String>,
    pub tags: Vec<String>,
    pub same_host: Vec<String>,
    pub different_host: Vec<String>,
    /// The server group the servers join (`os:scheduler_hints` group).
    pub group: Option<String>,
    /// Volumes of `block_device_mapping_v2` (a root one has boot_index 0).
    pub block_devices: Vec<BlockDevice>,
}

/// A volume a server is built with: an existing one (`volume`), or one the
/// build makes from an `image`, a `snapshot` or nothing (`blank`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockDevice {
    pub source_type: String,
    /// The volume, snapshot or image (none for blank).
    pub uuid: Option<String>,
    pub boot_index: Option<i64>,
    pub volume_size: Option<i64>,
    pub delete_on_termination: bool,
    pub tag: Option<String>,
}

/// What a create made.
#[derive(Debug, Clone)]
pub struct Created {
    pub servers: Vec<instance::Model>,
    pub admin_pass: String,
    pub reservation_id: String,
}

/// A random password of Nova's kind (letters and digits, no look-alikes).
pub fn generate_password() -> String {
    const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// A hostname from a display name as Nova sanitizes it: lowercase letters,
/// digits and hyphens, at most 63 characters, `server` when nothing is left.
pub fn sanitize_hostname(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            'a'..='z' | '0'..='9' | '-' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            ' ' | '_' => out.push('-'),
            _ => {}
        }
    }
    let trimmed: String = out.trim_matches(['-', '.']).chars().take(63).collect();
    let trimmed = trimmed.trim_end_matches('-').to_string();
    if trimmed.is_empty() {
        "server".into()
    } else {
        trimmed
    }
}

impl Nova {
    /// The image a server boots from, as the caller sees it.
    pub(super) async fn boot_image(
        &self,
        caller: &Caller,
        image_ref: &str,
        flavor: &InstanceFlavor,
    ) -> Result<Value> {
        let not_found = || NovaError::BadRequest(format!("Image {image_ref} could not be found."));
        let image = self
            .images
            .find(&caller.ctx.token.0, image_ref)
            .await
            .map_err(|e| match e {
                ImageApiError::NotFound | ImageApiError::Refused(_) => not_found(),
                ImageApiError::Ambiguous(_) => NovaError::BadRequest(e.to_string()),
                ImageApiError::Unavailable(_) => NovaError::Unavailable(e.to_string()),
            })?;
        if image["status"] != "active" {
            return Err(NovaError::BadRequest(format!(
                "Image {} is not active.",
                image["id"].as_str().unwrap_or(image_ref)
            )));
        }
        let min_ram = image["min_ram"].as_i64().unwrap_or(0);
        if min_ram > flavor.memory_mb {
            return Err(NovaError::BadRequest(
                "Flavor's memory is too small for requested image.".into(),
            ));
        }
        let min_disk = image["min_disk"].as_i64().unwrap_or(0);
        let size_gb = (image["size"].as_i64().unwrap_or(0) + (1 << 30) - 1) >> 30;
        if flavor.root_gb > 0 && (min_disk > flavor.root_gb || size_gb > flavor.root_gb) {
            return Err(NovaError::BadRequest(
                "Flavor's disk is too small for requested image.".into(),
            ));
        }
        Ok(image)
    }

    /// The zone (and forced host) of `az`, `az:host` or `az::node`.
    fn placement(&self, caller: &Caller, zone: Option<&str>) -> Result<(String, String)> {
        let Some(zone) = zone.filter(|z| !z.is_empty()) else {
            return Ok((String::new(), String::new()));
        };
        let (zone, host) = match zone.split_once(':') {
            Some((zone, host)) => (zone, host.trim_end_matches(':')),
            None => (zone, ""),
        };
        if !host.is_empty() {
            self.authorize(
                caller,
                "os_compute_api:servers:create:forced_host",
                &json!({"project_id": caller.project()}),
            )?;
        }
        Ok((zone.to_string(), host.to_string()))
    }

    /// Checks that the zone exists: the default zone or an aggregate's.
    async fn check_requested_zone(&self, zone: &str) -> Result<()> {
        if zone.is_empty() || zone == self.cfg.default_zone {
            return Ok(());
        }
        let known = self
            .all_aggregates()
            .await?
            .iter()
            .any(|a| a.availability_zone() == Some(zone));
        if known {
            Ok(())
        } else {
            Err(NovaError::BadRequest(
                "The requested availability zone is not available".into(),
            ))
        }
    }

    /// The public key of the caller's key pair `name`.
    pub(super) async fn key_data(&self, caller: &Caller, name: &str) -> Result<String> {
        key_pair::Entity::find()
            .filter(key_pair::Column::UserId.eq(caller.ctx.user_id.as_str()))
            .filter(key_pair::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .map(|k| k.public_key)
            .ok_or_else(|| NovaError::BadRequest("Invalid key_name provided.".into()))
    }

    /// The enabled flavor `flavor_ref` as a server keeps it, if `caller`
    /// may use it.
    pub(crate) async fn instance_flavor(
        &self,
        caller: &Caller,
        flavor_ref: &str,
    ) -> Result<Option<InstanceFlavor>> {
        let Some(row) = self
            .flavor(caller, flavor_ref)
            .await
            .ok()
            .filter(|f| !f.disabled)
        else {
            return Ok(None);
        };
        Ok(Some(InstanceFlavor {
            extra_specs: self.extra_specs_of(&row.flavorid).await?,
            flavorid: row.flavorid,
            name: row.name,
            vcpus: row.vcpus,
            memory_mb: row.memory_mb,
            root_gb: row.root_gb,
            ephemeral_gb: row.ephemeral_gb,
            swap: row.swap,
        }))
    }

    /// How many servers of `count` the quotas of the project (and of the
    /// user's own limits within it) allow (at least `min_count`, else
    /// Nova's 403).
    async fn allowed_count<C: sea_orm::ConnectionTrait>(
        &self,
        txn: &C,
        (project, user): (&str, &str),
        flavor: &InstanceFlavor,
        min_count: i64,
        max_count: i64,
    ) -> Result<i64> {
        let mut allowed = max_count;
        let mut overs: Vec<(&str, i64, i64, i64)> = Vec::new();
        for (limits, used) in self.scopes(txn, project, user).await? {
            let resources: Vec<(&str, i64, i64, i64)> = [
                ("instances", 1),
                ("cores", flavor.vcpus),
                ("ram", flavor.memory_mb),
            ]
            .into_iter()
            .map(|(key, each)| {
                let limit = limits.get(key).copied().unwrap_or(-1);
                (key, limit, used.get(key).copied().unwrap_or(0), each)
            })
            .collect();
            for (_, limit, used, each) in &resources {
                if *limit >= 0 && *each > 0 {
                    allowed = allowed.min((limit - used).max(0) / each);
                }
            }
            if overs.is_empty() {
                overs = resources
                    .into_iter()
                    .filter(|(_, limit, used, each)| {
                        *limit >= 0 && used + each * min_count > *limit
                    })
                    .map(|(key, limit, used, each)| (key, each * min_count, used, limit))
                    .collect();
            }
        }
        if allowed >= min_count {
            return Ok(allowed);
        }
        Err(crate::domain::quotas::exceeded(&overs))
    }

    /// `POST /servers`.
    pub async fn create_server(&self, caller: &Caller, new: NewServer) -> Result<Created> {
        let project = caller.project().to_string();
        self.authorize(
            caller,
            "os_compute_api:servers:create",
            &json!({"project_id": project, "user_id": caller.ctx.user_id}),
        )?;
        let flavor = self
            .instance_flavor(caller, &new.flavor_ref)
            .await?
            .ok_or_else(|| {
                NovaError::BadRequest(format!("Flavor {} could not be found.", new.flavor_ref))
            })?;
        let mut requested_networks = self
            .resolve_networks(caller, new.networks.as_ref(), new.max_count)
            .await?;
        self.resolve_security_groups(caller, &new.security_groups, &mut requested_networks)
            .await?;
        let allowed = self.project_limits(&self.db, &project).await?["metadata_items"];
        if allowed >= 0 && new.metadata.len() as i64 > allowed {
            return Err(NovaError::OverQuota(format!(
                "Maximum number of metadata items exceeds {allowed}"
            )));
        }
        let root_volume = new.block_devices.iter().find(|d| d.boot_index == Some(0));
        let (image, image_id) = match root_volume {
            Some(root) => (
                self.boot_volume_image(caller, root, &flavor).await?,
                String::new(),
            ),
            None => {
                let image = self.boot_image(caller, &new.image_ref, &flavor).await?;
                let id = image["id"].as_str().unwrap_or(&new.image_ref).to_string();
                (image, id)
            }
        };
        self.check_block_devices(caller, &new).await?;
        let key_data = match &new.key_name {
            Some(name) => Some(self.key_data(caller, name).await?),
            None => None,
        };
        let (zone, force_host) = self.placement(caller, new.availability_zone.as_deref())?;
        self.check_requested_zone(&zone).await?;

        let auto_disk_config = disk_config(&image, new.auto_disk_config)?;
        let reservation_id = format!("r-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let request_id = caller
            .request_id
            .as_ref()
            .map(|r| r.local.clone())
            .unwrap_or_else(|| format!("req-{}", uuid::Uuid::new_v4()));
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &project).await?;
        let count = self
            .allowed_count(
                &txn,
                (&project, &caller.ctx.user_id),
                &flavor,
                new.min_count,
                new.max_count,
            )
            .await?;
        let group = match &new.group {
            Some(id) => Some(self.group_for_boot(&txn, caller, id, count).await?),
            None => None,
        };
        let now = now();
        let mut servers = Vec::new();
        for index in 0..count {
            let uuid = uuid::Uuid::new_v4().to_string();
            let name = if count > 1 {
                format!("{}-{}", new.name, index + 1)
            } else {
                new.name.clone()
            };
            let hostname = match (&new.hostname, count) {
                (Some(h), 1) => h.clone(),
                _ => sanitize_hostname(&name),
            };
            let row = instance::Model {
                uuid: uuid.clone(),
                display_name: name,
                hostname,
                description: new.description.clone(),
                project_id: project.clone(),
                user_id: caller.ctx.user_id.clone(),
                image_ref: image_id.clone(),
                flavorid: flavor.flavorid.clone(),
                flavor: flavor.to_json(),
                vcpus: flavor.vcpus,
                memory_mb: flavor.memory_mb,
                vm_state: "building".into(),
                task_state: Some("scheduling".into()),
                power_state: 0,
                host: None,
                node: None,
                availability_zone: (!zone.is_empty()).then(|| zone.clone()),
                key_name: new.key_name.clone(),
                key_data: key_data.clone(),
                user_data: new.user_data.clone(),
                config_drive: new.config_drive,
                auto_disk_config,
                access_ip_v4: new.access_ip_v4.clone(),
                access_ip_v6: new.access_ip_v6.clone(),
                locked: false,
                locked_by: None,
                locked_reason: None,
                reservation_id: reservation_id.clone(),
                launch_index: index as i32,
                progress: 0,
                launched_at: None,
                terminated_at: None,
                created_at: now,
                updated_at: now,
                deleted: false,
                deleted_at: None,
            };
            instance::Entity::insert(instance::ActiveModel::from(row.clone()))
                .exec(&txn)
                .await?;
            if !new.metadata.is_empty() {
                instance_metadata::Entity::insert_many(new.metadata.iter().map(|(k, v)| {
                    instance_metadata::ActiveModel {
                        instance_uuid: Set(uuid.clone()),
                        key: Set(k.clone()),
                        value: Set(v.clone()),
                    }
                }))
                .exec(&txn)
                .await?;
            }
            if !new.block_devices.is_empty() {
                block_device_mapping::Entity::insert_many(super::block_devices::mapping_rows(
                    &uuid,
                    &new.block_devices,
                    now,
                ))
                .exec(&txn)
                .await?;
            }
            if !requested_networks.is_empty() {
                super::networks::record(&txn, &uuid, &requested_networks).await?;
            }
            if !new.tags.is_empty() {
                instance_tag::Entity::insert_many(new.tags.iter().map(|t| {
                    instance_tag::ActiveModel {
                        instance_uuid: Set(uuid.clone()),
                        tag: Set(t.clone()),
                    }
                }))
                .exec(&txn)
                .await?;
            }
            actions::start(
                &txn,
                &ActionStart {
                    instance_uuid: &uuid,
                    request_id: &request_id,
                    action: "create",
                    project_id: &project,
                    user_id: &caller.ctx.user_id,
                },
            )
            .await?;
            servers.push(row);
        }
        let uuids: Vec<String> = servers.iter().map(|s| s.uuid.clone()).collect();
        if let Some(id) = &new.group {
            Self::add_group_members(&txn, id, &uuids).await?;
        }
        txn.commit().await?;

        let (group_policy, group_hosts, group_max_server_per_host) = match group {
            Some(g) => (g.policy, g.hosts, g.max_server_per_host),
            None => (String::new(), Vec::new(), 0),
        };
        let spec = RequestSpec {
            project_id: project.clone(),
            user_id: caller.ctx.user_id.clone(),
            flavor: Some(flavor.to_spec()),
            availability_zone: zone,
            force_host,
            image_properties: image["properties"]
                .as_object()
                .map(|p| {
                    p.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            same_host: new.same_host.clone(),
            different_host: new.different_host.clone(),
            instance_uuids: uuids,
            group_policy,
            group_hosts,
            group_max_server_per_host,
        };
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        self.conductor
            .cast::<conductor::BuildInstances>(
                &context,
                None,
                &BuildInstances {
                    instance_uuids: spec.instance_uuids.clone(),
                    spec: Some(spec),
                    unshelve_image_id: String::new(),
                },
            )
            .await
            .map_err(|e| NovaError::Internal(format!("the conductor is unreachable: {e}")))?;
        Ok(Created {
            servers,
            admin_pass: new.admin_pass.unwrap_or_else(generate_password),
            reservation_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize_hostname;

    #[test]
    fn hostnames_as_nova_sanitizes_them() {
        assert_eq!(sanitize_hostname("My Server_1"), "my-server-1");
        assert_eq!(sanitize_hostname("--a.b--"), "ab");
        assert_eq!(sanitize_hostname("ÄÖ!"), "server");
        assert_eq!(sanitize_hostname(&"x".repeat(80)).len(), 63);
    }
}
