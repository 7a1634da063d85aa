//! `ferrostack up`: the whole cloud on one machine, each service its own process
//! with embedded backends, bootstrapped and ready for the `openstack` CLI.

mod child;
mod health;
mod private;
mod public_network;
mod register;
mod restart;
mod services;
mod supervisor;
mod written;

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ferrostack",
    version,
    about = "OpenStack core in Rust, all-in-one"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start every service on this machine and wait for Ctrl-C. The admin's
    /// password is read from OS_PASSWORD ("admin" when unset), never from arguments.
    Up(UpArgs),
}

/// Options of `ferrostack up`.
#[derive(clap::Args, Clone)]
pub struct UpArgs {
    /// Where state lives (SQLite files, keys, clouds.yaml, openrc).
    #[arg(long, default_value = "./data")]
    pub data_dir: PathBuf,
    /// Address every service listens on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Password of the `admin` user: `OS_PASSWORD`, or "admin".
    #[arg(skip = std::env::var("OS_PASSWORD").unwrap_or_else(|_| "admin".into()))]
    pub admin_password: String,
    /// Added to every upstream port (identity 5000 + N, ...), to run beside another cloud.
    #[arg(long, default_value_t = 0)]
    pub port_offset: u16,
    /// Configuration files passed to every service (production database, bus, cache URLs).
    #[arg(long = "config-file")]
    pub config_file: Vec<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Up(args) => supervisor::up(args).await,
    }
}
