//! One service process: its command line, environment and life.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::restart::CrashHistory;
use crate::services::ServiceSpec;

/// How to start a service: the same every time it is (re)started.
pub struct Launch {
    pub spec: &'static ServiceSpec,
    pub binary: PathBuf,
    /// Its own state directory (`<data>/<name>`).
    pub state_dir: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    /// Our generated file first, then the operator's files, which win.
    pub config_files: Vec<PathBuf>,
}

impl Launch {
    /// A command running `args` of the service's binary on its port and state.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        for file in &self.config_files {
            command.arg("--config-file").arg(file);
        }
        command
            .args(args)
            .env("OS_DEFAULT__STATE_PATH", &self.state_dir)
            .env("OS_DEFAULT__BIND_HOST", self.bind.to_string())
            .env("OS_DEFAULT__BIND_PORT", self.port.to_string())
            .kill_on_drop(true)
            .stdin(Stdio::null())
            // Services tag and buffer their own lines on our stdout: nothing is
            // copied through this process.
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
        command
    }

    /// Starts `serve`.
    pub fn spawn(&self) -> anyhow::Result<Child> {
        self.command(&["serve"])
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", self.binary.display()))
    }
}

/// A service process being supervised.
pub struct Running {
    pub launch: Launch,
    pub child: Child,
    pub crashes: CrashHistory,
}

impl Running {
    pub fn name(&self) -> &'static str {
        self.launch.spec.name
    }
}

/// The index and exit status of the first child found exited.
pub async fn first_exit(running: &mut [Running]) -> (usize, ExitStatus) {
    loop {
        for (index, service) in running.iter_mut().enumerate() {
            if let Ok(Some(status)) = service.child.try_wait() {
                return (index, status);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// SIGTERM to every child, then SIGKILL to those still alive after `grace`.
pub async fn stop_all(running: &mut Vec<Running>, grace: Duration) {
    for service in running.iter() {
        if let Some(pid) = service.child.id() {
            // SAFETY: a signal to a child we spawned and have not reaped.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
    }
    for service in running.iter_mut().rev() {
        if tokio::time::timeout(grace, service.child.wait())
            .await
            .is_err()
        {
            let _ = service.child.kill().await;
        }
    }
    running.clear();
}

/// The service binary `name` beside our own executable.
pub fn binary_beside_us(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::current_exe()?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(dir.join(name))
}
