//! The `fake` driver: a node of a configured size (`[fake]`) whose guests exist
//! only in memory, for tests and for a cloud without a hypervisor. A flavor
//! with the extra spec `fake:spawn_error` makes spawns fail, to test failures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrostack_config::{ConfigError, Opt, Plugin, Section};
use serde_json::json;

use super::driver::{
    ConsoleEndpoint, ConsoleProtocol, Driver, DriverError, GuestOp, NodeResources, PowerState,
};
use crate::domain::servers::networks::Vif;
use crate::rpc::messages::{BuildInstance, Diagnostics};

const VCPUS: Opt = Opt::new("fake", "vcpus", "16", "vCPUs the fake node has.");
const MEMORY_MB: Opt = Opt::new(
    "fake",
    "memory_mb",
    "32768",
    "MiB of memory the fake node has.",
);
const LOCAL_GB: Opt = Opt::new("fake", "local_gb", "1024", "GiB of disk the fake node has.");
const SPAWN_DELAY_MS: Opt = Opt::new(
    "fake",
    "spawn_delay_ms",
    "0",
    "Milliseconds a fake spawn takes.",
);
/// How many hosts one agent process simulates, each a fake node of this size.
pub const FAKE_HOSTS: Opt = Opt::new(
    "fake",
    "hosts",
    "1",
    "Compute hosts this process simulates (<host>-1 ... <host>-N when more than one).",
);
/// The flavor extra spec that makes a fake spawn fail.
pub const SPAWN_ERROR_SPEC: &str = "fake:spawn_error";

/// The fake driver's plugin: its size from `[fake]`.
pub const PLUGIN: Plugin<Arc<dyn Driver>> = Plugin {
    name: "fake",
    opts: &[VCPUS, MEMORY_MB, LOCAL_GB, SPAWN_DELAY_MS, FAKE_HOSTS],
    configure,
};

fn configure(section: &Section) -> Result<Arc<dyn Driver>, ConfigError> {
    let config = section.config;
    Ok(Arc::new(FakeDriver {
        vcpus: config.get_parsed(&VCPUS)?,
        memory_mb: config.get_parsed(&MEMORY_MB)?,
        local_gb: config.get_parsed(&LOCAL_GB)?,
        spawn_delay: Duration::from_millis(config.get_parsed(&SPAWN_DELAY_MS)?),
        guests: Mutex::default(),
    }))
}

/// A guest of the fake driver: what it uses and its power.
#[derive(Debug, Clone)]
struct FakeGuest {
    vcpus: i64,
    memory_mb: i64,
    disk_gb: i64,
    power: PowerState,
    /// When it was spawned.
    started: std::time::Instant,
    /// The volumes connected to it, by device: their connection info.
    volumes: HashMap<String, serde_json::Value>,
    /// Its network interfaces: port id and MAC address, in plug order.
    nics: Vec<(String, String)>,
    /// What its console printed: a line per event of its life.
    console: Vec<String>,
    /// Booted from a rescue image.
    rescued: bool,
}

impl FakeGuest {
    fn log(&mut self, line: String) {
        let at = self.started.elapsed().as_secs_f64();
        self.console.push(format!("[{at:12.6}] {line}"));
    }

    fn plug(&mut self, vif: &Vif) {
        self.log(format!("virtio_net: {} {} up", vif.devname, vif.mac));
        self.nics.push((vif.id.clone(), vif.mac.clone()));
    }
}

/// The guest `uuid` with a volume connected at `device`.
fn connected<'a>(
    guests: &'a mut HashMap<String, FakeGuest>,
    uuid: &str,
    device: &str,
) -> Result<&'a mut FakeGuest, DriverError> {
    let guest = guests
        .get_mut(uuid)
        .ok_or_else(|| DriverError(format!("Instance {uuid} could not be found.")))?;
    if !guest.volumes.contains_key(device) {
        return Err(DriverError(format!("No volume is connected at {device}.")));
    }
    Ok(guest)
}

/// A node that exists only in memory.
#[derive(Debug)]
pub struct FakeDriver {
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub spawn_delay: Duration,
    guests: Mutex<HashMap<String, FakeGuest>>,
}

impl FakeDriver {
    /// A node of this size with no guests and instant spawns.
    pub fn new(vcpus: i64, memory_mb: i64, local_gb: i64) -> Self {
        FakeDriver {
            vcpus,
            memory_mb,
            local_gb,
            spawn_delay: Duration::ZERO,
            guests: Mutex::default(),
        }
    }

    fn guests(&self) -> std::sync::MutexGuard<'_, HashMap<String, FakeGuest>> {
        self.guests.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl Driver for FakeDriver {
    async fn resources(&self) -> NodeResources {
        let guests = self.guests();
        NodeResources {
            hypervisor_type: "fake".into(),
            hypervisor_version: 1000,
            vcpus: self.vcpus,
            memory_mb: self.memory_mb,
            local_gb: self.local_gb,
            vcpus_used: guests.values().map(|g| g.vcpus).sum(),
            memory_mb_used: guests.values().map(|g| g.memory_mb).sum(),
            local_gb_used: guests.values().map(|g| g.disk_gb).sum(),
            running_vms: guests.len() as i64,
            cpu_info: json!({"arch": "x86_64", "model": "fake", "vendor": "ferrostack",
                "topology": {"cores": 1, "threads": 1, "sockets": self.vcpus},
                "features": []}),
        }
    }

    async fn spawn(&self, build: &BuildInstance) -> Result<(), DriverError> {
        if !self.spawn_delay.is_zero() {
            tokio::time::sleep(self.spawn_delay).await;
        }
        let flavor = build.flavor.clone().unwrap_or_default();
        if flavor.extra_specs.contains_key(SPAWN_ERROR_SPEC) {
            return Err(DriverError(format!(
                "the fake driver fails flavors with {SPAWN_ERROR_SPEC}"
            )));
        }
        let mut guest = FakeGuest {
            vcpus: flavor.vcpus,
            memory_mb: flavor.memory_mb,
            disk_gb: flavor.root_gb + flavor.ephemeral_gb,
            power: PowerState::Running,
            started: std::time::Instant::now(),
            volumes: HashMap::new(),
            nics: Vec::new(),
            console: Vec::new(),
            rescued: false,
        };
        for vif in crate::domain::servers::networks::parse_vifs(Some(&build.vifs_json)) {
            guest.plug(&vif);
        }
        guest.log("fake BIOS: booting from hard disk".into());
        guest.log(format!(
            "fake kernel: {} vCPUs, {} MiB",
            flavor.vcpus, flavor.memory_mb
        ));
        guest.log(format!("image {}", build.image_id));
        guest.log(format!("hostname {}", build.hostname));
        guest.log(format!("{} login:", build.hostname));
        let mut guests = self.guests();
        // As a hypervisor refuses a second running domain of one name (a
        // stopped one, as a move leaves it on its host, is redefined).
        if guests
            .get(&build.uuid)
            .is_some_and(|g| g.power != PowerState::Shutdown)
        {
            return Err(DriverError(format!(
                "Instance {} already exists on this host",
                build.uuid
            )));
        }
        guests.insert(build.uuid.clone(), guest);
        Ok(())
    }

    async fn destroy(&self, uuid: &str) -> Result<(), DriverError> {
        self.guests().remove(uuid);
        Ok(())
    }

    async fn operate(&self, uuid: &str, op: GuestOp) -> Result<(), DriverError> {
        let mut guests = self.guests();
        let guest = guests
            .get_mut(uuid)
            .ok_or_else(|| DriverError(format!("Instance {uuid} could not be found.")))?;
        guest.power = op.power_state();
        guest.rescued = match op {
            GuestOp::Rescue => true,
            GuestOp::Unrescue => false,
            _ => guest.rescued,
        };
        guest.log(format!("{op:?}"));
        Ok(())
    }

    /// What a simulated guest has: its state, age, vCPUs and RAM (the fake
    /// driver knows no use of them).
    async fn diagnostics(&self, uuid: &str) -> Result<Diagnostics, DriverError> {
        let guests = self.guests();
        let guest = guests
            .get(uuid)
            .ok_or_else(|| DriverError(format!("Instance {uuid} could not be found.")))?;
        Ok(Diagnostics {
            state: guest.power.diagnostics_name().into(),
            // Nova's diagnostics name one of its drivers, and Nova's own fake
            // driver says libvirt: clients check the name against that list.
            driver: "libvirt".into(),
            hypervisor: "fake".into(),
            hypervisor_os: std::env::consts::OS.into(),
            uptime: Some(guest.started.elapsed().as_secs() as i64),
            num_cpus: guest.vcpus as i32,
            num_disks: i32::from(guest.disk_gb > 0) + guest.volumes.len() as i32,
            memory_maximum_mb: Some(guest.memory_mb),
            memory_used_mb: None,
            nic_macs: guest.nics.iter().map(|(_, mac)| mac.clone()).collect(),
        })
    }

    async fn attach_volume(
        &self,
        uuid: &str,
        device: &str,
        connection_info: &serde_json::Value,
    ) -> Result<(), DriverError> {
        if connection_info["driver_volume_type"].as_str().is_none() {
            return Err(DriverError(format!(
                "the volume host gave no driver_volume_type for {device}"
            )));
        }
        let mut guests = self.guests();
        let guest = guests
            .get_mut(uuid)
            .ok_or_else(|| DriverError(format!("Instance {uuid} could not be found.")))?;
        if guest.volumes.contains_key(device) {
            return Err(DriverError(format!(
                "The supplied device path ({device}) is in use."
            )));
        }
        guest.volumes.insert(device.into(), connection_info.clone());
        guest.log(format!("virtio_blk: new disk {device}"));
        Ok(())
    }

    async fn detach_volume(&self, uuid: &str, device: &str) -> Result<(), DriverError> {
        if let Some(guest) = self.guests().get_mut(uuid) {
            if guest.volumes.remove(device).is_some() {
                guest.log(format!("virtio_blk: disk {device} removed"));
            }
        }
        Ok(())
    }

    async fn volume_snapshot_create(
        &self,
        uuid: &str,
        device: &str,
        create_info: &serde_json::Value,
    ) -> Result<(), DriverError> {
        let mut guests = self.guests();
        let guest = connected(&mut guests, uuid, device)?;
        let text = |key: &str| create_info[key].as_str().unwrap_or_default().to_string();
        let (snapshot, file) = (text("snapshot_id"), text("new_file"));
        guest.log(format!(
            "virtio_blk: {device} snapshot {snapshot} into {file}"
        ));
        Ok(())
    }

    async fn volume_snapshot_delete(
        &self,
        uuid: &str,
        device: &str,
        snapshot_id: &str,
        _delete_info: &serde_json::Value,
    ) -> Result<(), DriverError> {
        let mut guests = self.guests();
        let guest = connected(&mut guests, uuid, device)?;
        guest.log(format!(
            "virtio_blk: {device} snapshot {snapshot_id} merged"
        ));
        Ok(())
    }

    async fn attach_interface(&self, uuid: &str, vif: &Vif) -> Result<(), DriverError> {
        let mut guests = self.guests();
        let guest = guests
            .get_mut(uuid)
            .ok_or_else(|| DriverError(format!("Instance {uuid} could not be found.")))?;
        if guest.nics.iter().any(|(id, _)| *id == vif.id) {
            return Err(DriverError(format!(
                "port {} is already plugged into {uuid}",
                vif.id
            )));
        }
        guest.plug(vif);
        Ok(())
    }

    async fn detach_interface(&self, uuid: &str, port_id: &str) -> Result<(), DriverError> {
        if let Some(guest) = self.guests().get_mut(uuid) {
            if let Some(at) = guest.nics.iter().position(|(id, _)| id == port_id) {
                let (_, mac) = guest.nics.remove(at);
                guest.log(format!("virtio_net: {mac} removed"));
            }
        }
        Ok(())
    }

    /// A fake guest's disk is 64 KiB of zeros, as raw data.
    async fn snapshot(&self, uuid: &str) -> Result<Vec<u8>, DriverError> {
        let mut guests = self.guests();
        let guest = guests
            .get_mut(uuid)
            .ok_or_else(|| DriverError(format!("Instance {uuid} could not be found.")))?;
        guest.log("disk snapshot taken".into());
        Ok(vec![0; 64 * 1024])
    }

    async fn console_output(&self, uuid: &str) -> Result<String, DriverError> {
        let guests = self.guests();
        let guest = guests
            .get(uuid)
            .ok_or_else(|| DriverError(format!("Instance {uuid} could not be found.")))?;
        Ok(guest.console.join("\n"))
    }

    /// Every guest has each console at a fake address (as Nova's fake
    /// driver), `fake<protocol>console.invalid` port 6969.
    async fn console(
        &self,
        uuid: &str,
        protocol: ConsoleProtocol,
    ) -> Result<Option<ConsoleEndpoint>, DriverError> {
        if !self.guests().contains_key(uuid) {
            return Err(DriverError(format!("Instance {uuid} could not be found.")));
        }
        let name = format!("{protocol:?}").to_lowercase();
        Ok(Some(ConsoleEndpoint {
            host: format!("fake{name}console.invalid"),
            port: 6969,
            tls_port: (protocol == ConsoleProtocol::Spice).then_some(6970),
            internal_access_path: Some(format!("/{uuid}/{name}")),
        }))
    }

    async fn set_admin_password(&self, uuid: &str, _password: &str) -> Result<(), DriverError> {
        let mut guests = self.guests();
        let guest = guests
            .get_mut(uuid)
            .ok_or_else(|| DriverError(format!("Instance {uuid} could not be found.")))?;
        if guest.power != PowerState::Running {
            return Err(DriverError(format!("Instance {uuid} is not running")));
        }
        guest.log("password of the administrator changed".into());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::messages::FlavorSpec;

    fn build(uuid: &str, extra: &[(&str, &str)]) -> BuildInstance {
        BuildInstance {
            uuid: uuid.into(),
            flavor: Some(FlavorSpec {
                vcpus: 2,
                memory_mb: 512,
                root_gb: 1,
                extra_specs: extra
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn guests_use_the_node_until_destroyed() {
        let driver = FakeDriver::new(4, 1024, 10);
        driver.spawn(&build("a", &[])).await.unwrap();
        let used = driver.resources().await;
        assert_eq!(
            (used.vcpus_used, used.memory_mb_used, used.running_vms),
            (2, 512, 1)
        );
        driver.operate("a", GuestOp::Rescue).await.unwrap();
        assert!(driver.guests()["a"].rescued);
        driver.operate("a", GuestOp::Unrescue).await.unwrap();
        assert!(!driver.guests()["a"].rescued);
        driver.operate("a", GuestOp::PowerOff).await.unwrap();
        assert!(driver.operate("b", GuestOp::PowerOn).await.is_err());
        driver.destroy("a").await.unwrap();
        assert_eq!(driver.resources().await.running_vms, 0);
    }

    #[tokio::test]
    async fn volumes_connect_once_per_device() {
        let driver = FakeDriver::new(4, 1024, 10);
        driver.spawn(&build("a", &[])).await.unwrap();
        let info = json!({"driver_volume_type": "iscsi", "data": {}});
        driver.attach_volume("a", "/dev/vdb", &info).await.unwrap();
        assert!(driver.attach_volume("a", "/dev/vdb", &info).await.is_err());
        assert!(driver
            .attach_volume("a", "/dev/vdc", &json!({}))
            .await
            .is_err());
        assert!(driver.attach_volume("b", "/dev/vdc", &info).await.is_err());
        assert_eq!(driver.diagnostics("a").await.unwrap().num_disks, 2);
        driver.detach_volume("a", "/dev/vdb").await.unwrap();
        driver.detach_volume("a", "/dev/vdb").await.unwrap();
        assert_eq!(driver.diagnostics("a").await.unwrap().num_disks, 1);
    }

    #[tokio::test]
    async fn consoles_tell_the_guest_life() {
        let driver = FakeDriver::new(4, 1024, 10);
        driver.spawn(&build("a", &[])).await.unwrap();
        driver.set_admin_password("a", "secret").await.unwrap();
        driver.operate("a", GuestOp::PowerOff).await.unwrap();
        assert!(driver.set_admin_password("a", "secret").await.is_err());
        let console = driver.console_output("a").await.unwrap();
        assert!(console.lines().count() >= 7, "{console}");
        assert!(console.ends_with("PowerOff"), "{console}");
        assert!(!console.contains("secret"));
        assert!(driver.console_output("b").await.is_err());
    }

    #[tokio::test]
    async fn the_failure_spec_fails_spawns() {
        let driver = FakeDriver::new(4, 1024, 10);
        let err = driver
            .spawn(&build("a", &[(SPAWN_ERROR_SPEC, "true")]))
            .await
            .unwrap_err();
        assert!(err.0.contains(SPAWN_ERROR_SPEC));
        assert_eq!(driver.resources().await.running_vms, 0);
    }
}
