//! Brings the cloud up — each service its own process on its own state directory,
//! set up and registered in table order, healthy before the next starts — then
//! supervises it: a service that dies is started again after a backoff, and the
//! cloud stops on Ctrl-C/SIGTERM or when one keeps crashing.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::child::{binary_beside_us, first_exit, stop_all, Launch, Running};
use crate::health::wait_healthy;
use crate::register::Registrar;
use crate::restart::{CrashHistory, Verdict, MAX_CRASHES, WINDOW};
use crate::services::{identity, Seed, ServiceSpec, Setup, SERVICES};
use crate::written::{write_all, AdminAccess};
use crate::{private, public_network, UpArgs};

/// How long a service may take to answer its health check.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long children get to exit after SIGTERM before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Our own lines, tagged as the services tag theirs.
macro_rules! say {
    ($($arg:tt)*) => { println!("{:>13} | {}", "ferrostack", format!($($arg)*)) };
}

/// Where the cloud lives and how its URLs look.
struct Cloud<'a> {
    args: &'a UpArgs,
    data_dir: PathBuf,
    url_host: IpAddr,
}

impl Cloud<'_> {
    fn addr(&self, spec: &ServiceSpec) -> SocketAddr {
        SocketAddr::new(self.url_host, spec.port + self.args.port_offset)
    }

    fn url(&self, spec: &ServiceSpec) -> String {
        format!("http://{}{}", self.addr(spec), spec.url_path)
    }

    fn launch(&self, spec: &'static ServiceSpec) -> anyhow::Result<Launch> {
        let state_dir = self.data_dir.join(spec.name);
        private::dir(&state_dir)?;
        Ok(Launch {
            spec,
            binary: binary_beside_us(spec.binary)?,
            state_dir,
            bind: self.args.bind,
            port: spec.port + self.args.port_offset,
            config_files: self.args.config_file.clone(),
        })
    }

    /// Sets up and starts every service in table order, each healthy before the next.
    async fn start_all(&self, running: &mut Vec<Running>) -> anyhow::Result<()> {
        let identity_url = self.url(identity());
        let mut registrar = None;
        for spec in SERVICES {
            let mut launch = self.launch(spec)?;
            let mut auth = None;
            match spec.setup {
                Setup::Bootstrap => self.bootstrap(&launch).await?,
                Setup::Register { user, catalog } => {
                    if registrar.is_none() {
                        registrar =
                            Some(Registrar::login(&identity_url, &self.args.admin_password).await?);
                    }
                    let registrar = registrar.as_ref().expect("logged in above");
                    for entry in catalog {
                        registrar.service(entry, &self.url(spec)).await?;
                    }
                    let password = self.secret(user)?;
                    registrar.service_user(user, &password).await?;
                    auth = Some((user, password));
                }
            }
            let own = self.write_config(&launch, auth, &identity_url)?;
            launch.config_files.insert(0, own);
            let mut child = launch.spawn()?;
            let ready_in = tokio::select! {
                ready = wait_healthy(self.addr(spec), START_TIMEOUT) => ready?,
                status = child.wait() => anyhow::bail!("{} exited while starting ({})", spec.name, status?),
            };
            say!(
                "{} ({}) ready at {} ({} ms)",
                spec.name,
                spec.roles.join(", "),
                self.url(spec),
                ready_in.as_millis()
            );
            if spec.seed == Seed::PublicNetwork {
                let registrar = registrar.as_ref().expect("registered services log in");
                if public_network::ensure(registrar, &self.url(spec)).await? {
                    say!(
                        "{}: external network public (172.24.4.0/24) made",
                        spec.name
                    );
                }
            }
            running.push(Running {
                launch,
                child,
                crashes: CrashHistory::default(),
            });
        }
        Ok(())
    }

    async fn bootstrap(&self, launch: &Launch) -> anyhow::Result<()> {
        let url = self.url(launch.spec);
        let status = launch
            .command(&["bootstrap"])
            .env("OS_BOOTSTRAP_PASSWORD", &self.args.admin_password)
            .env("OS_BOOTSTRAP_PUBLIC_URL", &url)
            .env("OS_BOOTSTRAP_INTERNAL_URL", &url)
            .env("OS_BOOTSTRAP_ADMIN_URL", &url)
            .status()
            .await?;
        anyhow::ensure!(
            status.success(),
            "{} bootstrap failed ({status})",
            launch.spec.name
        );
        Ok(())
    }

    /// The secret `name` (a service user's password, the memcache key), made once
    /// and kept in `<data>/secrets/`.
    fn secret(&self, name: &str) -> anyhow::Result<String> {
        use std::io::Read;
        let dir = self.data_dir.join("secrets");
        private::dir(&dir)?;
        let path = dir.join(name);
        if let Ok(existing) = std::fs::read_to_string(&path) {
            if !existing.trim().is_empty() {
                return Ok(existing.trim().to_string());
            }
        }
        let mut bytes = [0u8; 16];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        private::write(&path, password.as_bytes())?;
        Ok(password)
    }

    /// Writes `<data>/<name>/<name>.conf` (mode 0600): the service's own settings
    /// and, for registered services, their `[keystone_authtoken]` credentials.
    fn write_config(
        &self,
        launch: &Launch,
        auth: Option<(&str, String)>,
        identity_url: &str,
    ) -> anyhow::Result<PathBuf> {
        let spec = launch.spec;
        let path = launch.state_dir.join(format!("{}.conf", spec.name));
        let mut text = format!(
            "# Written by `ferrostack up`; rewritten at every start.\n{}\n",
            spec.config
        );
        if let Some((user, password)) = auth {
            // Validations shared through memcached (when an operator's file adds
            // one) are encrypted and signed with a key only the services have.
            let memcache_key = self.secret("memcache")?;
            text.push_str(&format!(
                "[keystone_authtoken]\nauth_url = {identity_url}\nusername = {user}\npassword = {password}\nproject_name = service\nuser_domain_name = Default\nproject_domain_name = Default\nmemcache_security_strategy = ENCRYPT\nmemcache_secret_key = {memcache_key}\n"
            ));
        }
        private::write(&path, text.as_bytes())?;
        Ok(path)
    }
}

/// Runs `ferrostack up` until a signal, or until a service keeps crashing.
pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut stop = StopSignal::install()?;
    private::dir(&args.data_dir)?;
    let cloud = Cloud {
        data_dir: args.data_dir.canonicalize()?,
        url_host: if args.bind.is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            args.bind
        },
        args: &args,
    };
    let mut running: Vec<Running> = Vec::new();
    let outcome = tokio::select! {
        outcome = cloud.start_all(&mut running) => outcome,
        reason = stop.wait() => Err(anyhow::anyhow!("{reason} while starting")),
    };
    if let Err(err) = outcome {
        stop_all(&mut running, STOP_TIMEOUT).await;
        return Err(err);
    }
    write_all(
        &cloud.data_dir,
        &AdminAccess {
            auth_url: &cloud.url(identity()),
            password: &args.admin_password,
        },
    )?;
    say!(
        "cloud up in {} ms; use it with:\n  export OS_CLIENT_CONFIG_FILE={dir}/clouds.yaml OS_CLOUD=ferrostack\n  or: source {dir}/openrc\n  then: openstack project list",
        started.elapsed().as_millis(),
        dir = cloud.data_dir.display(),
    );
    let outcome = supervise(&mut running, &mut stop).await;
    stop_all(&mut running, STOP_TIMEOUT).await;
    outcome
}

/// Restarts services that die until a stop signal; gives up on one that crashed
/// [`MAX_CRASHES`] times within [`WINDOW`].
async fn supervise(running: &mut [Running], stop: &mut StopSignal) -> anyhow::Result<()> {
    loop {
        let (index, status) = tokio::select! {
            exited = first_exit(running) => exited,
            reason = stop.wait() => {
                say!("{reason}; stopping");
                return Ok(());
            }
        };
        let service = &mut running[index];
        let name = service.name();
        match service.crashes.crashed(Instant::now()) {
            Verdict::GiveUp => {
                say!(
                    "{name} exited ({status}), {MAX_CRASHES} times within {} s; stopping the cloud",
                    WINDOW.as_secs()
                );
                anyhow::bail!("{name} keeps crashing");
            }
            Verdict::RestartAfter(backoff) => {
                say!(
                    "{name} exited ({status}); restarting it in {} s",
                    backoff.as_secs()
                );
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    reason = stop.wait() => {
                        say!("{reason}; stopping");
                        return Ok(());
                    }
                }
                service.child = service.launch.spawn()?;
                say!("{name} restarted");
            }
        }
    }
}

/// Ctrl-C or SIGTERM, watched from the start so no child is left behind.
struct StopSignal {
    interrupt: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl StopSignal {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignal {
            interrupt: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    async fn wait(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "interrupted",
            _ = self.term.recv() => "terminated",
        }
    }
}
