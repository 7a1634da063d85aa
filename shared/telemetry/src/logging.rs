use std::path::PathBuf;
use std::str::FromStr;

use tracing_subscriber::EnvFilter;

use crate::log_format::{JsonFormat, TextFormat};
use crate::log_output::{LogGuard, LogOutput, Tag};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "unknown log format '{other}' (expected text or json)"
            )),
        }
    }
}

/// What [`init_logging`] sets up.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// The service's name, on every line.
    pub service: &'static str,
    pub format: LogFormat,
    /// Debug level unless `RUST_LOG` says otherwise.
    pub debug: bool,
    /// Append to this file instead of writing to stdout (oslo's `log_file`).
    pub file: Option<PathBuf>,
}

/// Installs the global tracing subscriber. `RUST_LOG` wins over `debug`; calling it
/// twice (several services in one test process) keeps the first subscriber. Lines
/// are buffered: keep the guard until the process ends.
pub fn init_logging(settings: &LogSettings) -> std::io::Result<LogGuard> {
    let default = if settings.debug { "debug" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    use std::io::IsTerminal;
    let (sink, ansi): (Box<dyn std::io::Write + Send>, bool) = match &settings.file {
        Some(path) => (
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            ),
            false,
        ),
        None => (Box::new(std::io::stdout()), std::io::stdout().is_terminal()),
    };
    let tag = match settings.format {
        LogFormat::Text => Tag::text(settings.service),
        LogFormat::Json => Tag::json(settings.service),
    };
    let (output, guard) = LogOutput::new(sink, tag);
    crate::access_log::install(output.clone(), settings.format);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(output);
    let _ = match settings.format {
        LogFormat::Text => builder.event_format(TextFormat).try_init(),
        LogFormat::Json => builder.event_format(JsonFormat).try_init(),
    };
    Ok(guard)
}
