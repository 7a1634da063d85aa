//! Starts each service as a child process, prefixes its log lines, waits for it to
//! be healthy, and stops everything on Ctrl-C/SIGTERM or when a child dies.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::health::wait_healthy;
use crate::register::Registrar;
use crate::services::{ServiceSpec, SERVICES};
use crate::written::{write_all, AdminAccess};
use crate::UpArgs;

/// How long a service may take to answer its health check.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long children get to exit after SIGTERM before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

struct Running {
    name: &'static str,
    child: Child,
}

/// Runs `ferrostack up` until a signal or a child's death.
pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(&args.data_dir)?;
    let data_dir = args.data_dir.canonicalize()?;
    let bin_dir = std::env::current_exe()?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let url_host = if args.bind.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        args.bind
    };
    let url = |spec: &ServiceSpec| {
        format!(
            "http://{}{}",
            SocketAddr::new(url_host, spec.port + args.port_offset),
            spec.url_path
        )
    };

    let mut running: Vec<Running> = Vec::new();
    let outcome = async {
        let identity_url = url(&SERVICES[0]);
        let mut registrar = None;
        for spec in SERVICES {
            let port = spec.port + args.port_offset;
            let env = service_env(&data_dir, args.bind, port);
            let mut own_config = None;
            if spec.name == "identity" {
                bootstrap_identity(&bin_dir, spec, &args, &env, &url(spec)).await?;
            }
            if let Some(user) = spec.user {
                if registrar.is_none() {
                    registrar = Some(Registrar::login(&identity_url, &args.admin_password).await?);
                }
                let registrar = registrar.as_ref().expect("logged in above");
                for entry in spec.catalog {
                    registrar.service(entry, &url(spec)).await?;
                }
                let password = secret(&data_dir, user)?;
                registrar.service_user(user, &password).await?;
                own_config = Some(write_config(&data_dir, spec, user, &password, &identity_url)?);
            }
            let mut command = command(&bin_dir, spec, &args, &env, own_config.as_deref());
            command.arg("serve");
            running.push(Running { name: spec.name, child: spawn_prefixed(command, spec.name)? });
            let ready_in = wait_healthy(SocketAddr::new(url_host, port), START_TIMEOUT).await?;
            println!("ferrostack | {} ready at {} ({} ms)", spec.name, url(spec), ready_in.as_millis());
        }
        let identity = &SERVICES[0];
        write_all(&data_dir, &AdminAccess { auth_url: &url(identity), password: &args.admin_password })?;
        println!(
            "ferrostack | cloud up in {} ms; use it with:\n  export OS_CLIENT_CONFIG_FILE={}/clouds.yaml OS_CLOUD=ferrostack\n  or: source {}/openrc\n  then: openstack project list",
            started.elapsed().as_millis(),
            data_dir.display(),
            data_dir.display()
        );
        anyhow::Ok(())
    }
    .await;
    if let Err(err) = outcome {
        stop_all(&mut running).await;
        return Err(err);
    }
    let reason = wait_for_exit(&mut running).await;
    println!("ferrostack | {reason}; stopping");
    stop_all(&mut running).await;
    Ok(())
}

/// Environment overrides that place a service on our port and data directory.
fn service_env(data_dir: &Path, bind: IpAddr, port: u16) -> Vec<(String, String)> {
    vec![
        (
            "OS_DEFAULT__STATE_PATH".into(),
            data_dir.display().to_string(),
        ),
        ("OS_DEFAULT__BIND_HOST".into(), bind.to_string()),
        ("OS_DEFAULT__BIND_PORT".into(), port.to_string()),
    ]
}

/// A command for `spec`: our generated file first (when any), then the operator's
/// files, which win.
fn command(
    bin_dir: &Path,
    spec: &ServiceSpec,
    args: &UpArgs,
    env: &[(String, String)],
    own_config: Option<&Path>,
) -> Command {
    let mut command = Command::new(bin_dir.join(spec.binary));
    if let Some(file) = own_config {
        command.arg("--config-file").arg(file);
    }
    for file in &args.config_file {
        command.arg("--config-file").arg(file);
    }
    command
        .envs(env.iter().cloned())
        .kill_on_drop(true)
        .stdin(Stdio::null());
    command
}

async fn bootstrap_identity(
    bin_dir: &Path,
    spec: &ServiceSpec,
    args: &UpArgs,
    env: &[(String, String)],
    url: &str,
) -> anyhow::Result<()> {
    let mut command = command(bin_dir, spec, args, env, None);
    command
        .arg("bootstrap")
        .env("OS_BOOTSTRAP_PASSWORD", &args.admin_password)
        .env("OS_BOOTSTRAP_PUBLIC_URL", url)
        .env("OS_BOOTSTRAP_INTERNAL_URL", url)
        .env("OS_BOOTSTRAP_ADMIN_URL", url);
    let status = spawn_prefixed(command, spec.name)?.wait().await?;
    if !status.success() {
        anyhow::bail!("{} bootstrap failed ({status})", spec.name);
    }
    Ok(())
}

/// The password of service user `name`, made once and kept in `<data>/secrets/`.
fn secret(data_dir: &Path, name: &str) -> anyhow::Result<String> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let dir = data_dir.join("secrets");
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let path = dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.trim().is_empty() {
            return Ok(existing.trim().to_string());
        }
    }
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, &password)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(password)
}

/// Writes `<data>/<service>.conf` (mode 0600): the service's own settings and its
/// `[keystone_authtoken]` credentials.
fn write_config(
    data_dir: &Path,
    spec: &ServiceSpec,
    user: &str,
    password: &str,
    identity_url: &str,
) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = data_dir.join(format!("{}.conf", spec.name));
    let text = format!(
        "# Written by `ferrostack up`; rewritten at every start.\n{}\n[keystone_authtoken]\nauth_url = {identity_url}\nusername = {user}\npassword = {password}\nproject_name = service\nuser_domain_name = Default\nproject_domain_name = Default\n",
        spec.config
    );
    std::fs::write(&path, text)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(path)
}

/// Spawns `command` with its stdout and stderr copied line by line, prefixed.
fn spawn_prefixed(mut command: Command, name: &'static str) -> anyhow::Result<Child> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {name}: {e}"))?;
    if let Some(out) = child.stdout.take() {
        tokio::spawn(copy_lines(out, name));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(copy_lines(err, name));
    }
    Ok(child)
}

async fn copy_lines(stream: impl tokio::io::AsyncRead + Unpin, name: &'static str) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        println!("{name:>8} | {line}");
    }
}

/// Waits for Ctrl-C, SIGTERM or the death of any child; says which.
async fn wait_for_exit(running: &mut [Running]) -> String {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(err) => return format!("cannot watch SIGTERM: {err}"),
    };
    let children = any_child_exit(running);
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted".to_string(),
        _ = term.recv() => "terminated".to_string(),
        name = children => format!("{name} exited"),
    }
}

async fn any_child_exit(running: &mut [Running]) -> &'static str {
    loop {
        for service in running.iter_mut() {
            if let Ok(Some(_)) = service.child.try_wait() {
                return service.name;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// SIGTERM to every child, then SIGKILL to those still alive after the grace period.
async fn stop_all(running: &mut Vec<Running>) {
    for service in running.iter() {
        if let Some(pid) = service.child.id() {
            // SAFETY: sending a signal to a child we spawned and have not reaped.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
    }
    for service in running.iter_mut().rev() {
        if tokio::time::timeout(STOP_TIMEOUT, service.child.wait())
            .await
            .is_err()
        {
            let _ = service.child.kill().await;
        }
    }
    running.clear();
}
