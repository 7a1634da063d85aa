//! The access log: one line per request, written straight into the log buffer.
//! It is the busiest log of an API, so it skips the general event machinery (a
//! span's and an event's fields formatted through `fmt`, about a third of a cheap
//! request's cost): the line is assembled by hand in the configured format, with
//! a timestamp whose date part is formatted once per second.

use std::cell::RefCell;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::log_output::LogOutput;
use crate::LogFormat;

/// One served request.
pub struct AccessEntry<'a> {
    pub request_id: &'a str,
    pub global_request_id: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub elapsed: Duration,
}

static SINK: std::sync::OnceLock<(LogOutput, LogFormat)> = std::sync::OnceLock::new();

/// Sends access lines to `output` (done by `init_logging`; the first call wins).
pub(crate) fn install(output: LogOutput, format: LogFormat) {
    let _ = SINK.set((output, format));
}

/// Writes the access line of a request, when logging is set up at info level.
pub fn access_log(entry: &AccessEntry) {
    let Some((output, format)) = SINK.get() else {
        return;
    };
    if tracing::level_filters::LevelFilter::current() < tracing::Level::INFO {
        return;
    }
    LINE.with_borrow_mut(|line| {
        line.clear();
        match format {
            LogFormat::Text => text(line, entry),
            LogFormat::Json => json(line, entry),
        }
        output.write_line(line);
    });
}

thread_local! {
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256));
    /// The second last formatted and its `YYYY-MM-DDTHH:MM:SS` text.
    static SECOND: RefCell<(u64, [u8; 19])> = const { RefCell::new((u64::MAX, [0; 19])) };
}

/// The current time as `2026-12-04T18:14:11.112359Z`.
pub(crate) fn timestamp_text() -> String {
    let mut text = Vec::with_capacity(27);
    timestamp(&mut text);
    String::from_utf8(text).unwrap_or_default()
}

fn timestamp(line: &mut Vec<u8>) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    SECOND.with_borrow_mut(|(cached, text)| {
        if *cached != secs {
            *text = civil(secs);
            *cached = secs;
        }
        line.extend_from_slice(text);
    });
    let _ = write!(line, ".{:06}Z", now.subsec_micros());
}

/// `YYYY-MM-DDTHH:MM:SS` of a Unix time (UTC), by the days-to-civil algorithm.
fn civil(secs: u64) -> [u8; 19] {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = [0u8; 19];
    let text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    );
    out.copy_from_slice(&text.as_bytes()[..19]);
    out
}

fn elapsed_ms(entry: &AccessEntry) -> f64 {
    entry.elapsed.as_secs_f64() * 1000.0
}

fn text(line: &mut Vec<u8>, e: &AccessEntry) {
    timestamp(line);
    let _ = writeln!(
        line,
        "  INFO request{{request_id={} global_request_id={}}}: request method={} path={} status={} elapsed_ms={:.3}",
        e.request_id,
        e.global_request_id.unwrap_or("-"),
        e.method,
        e.path.escape_debug(),
        e.status,
        elapsed_ms(e)
    );
}

fn json(line: &mut Vec<u8>, e: &AccessEntry) {
    line.extend_from_slice(b"{\"timestamp\":\"");
    timestamp(line);
    line.extend_from_slice(b"\",\"level\":\"INFO\",\"message\":\"request\",\"request_id\":");
    let _ = serde_json::to_writer(&mut *line, e.request_id);
    line.extend_from_slice(b",\"global_request_id\":");
    let _ = serde_json::to_writer(&mut *line, e.global_request_id.unwrap_or("-"));
    line.extend_from_slice(b",\"method\":");
    let _ = serde_json::to_writer(&mut *line, e.method);
    line.extend_from_slice(b",\"path\":");
    let _ = serde_json::to_writer(&mut *line, e.path);
    let _ = writeln!(
        line,
        ",\"status\":{},\"elapsed_ms\":{:.3}}}",
        e.status,
        elapsed_ms(e)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AccessEntry<'static> {
        AccessEntry {
            request_id: "req-1",
            global_request_id: None,
            method: "GET",
            path: "/v3/\"x\"",
            status: 200,
            elapsed: Duration::from_micros(1_500),
        }
    }

    #[test]
    fn civil_dates_match_known_instants() {
        assert_eq!(&civil(0), b"1970-01-01T00:00:00");
        assert_eq!(&civil(951_782_400), b"2000-02-29T00:00:00");
        assert_eq!(&civil(1_796_400_000), b"2026-12-04T16:00:00");
    }

    #[test]
    fn json_lines_parse_and_text_lines_name_every_field() {
        let mut line = Vec::new();
        json(&mut line, &entry());
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value["path"], "/v3/\"x\"");
        assert_eq!(value["status"], 200);
        assert_eq!(value["elapsed_ms"], 1.5);
        assert!(value["timestamp"].as_str().unwrap().ends_with('Z'));
        line.clear();
        text(&mut line, &entry());
        let line = String::from_utf8(line).unwrap();
        assert!(
            line.contains("request_id=req-1 global_request_id=-}: request method=GET"),
            "{line}"
        );
        assert!(line.ends_with("status=200 elapsed_ms=1.500\n"), "{line}");
    }
}
