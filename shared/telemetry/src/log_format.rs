//! How a log line looks, in text or JSON, and the request ids every line logged
//! while handling a request carries. The ids live in a task-local set once per
//! request ([`request_scope`]) rather than in a tracing span: a span's fields are
//! formatted when it is made and it is entered on every poll, which cost a cheap
//! request about a sixth of its time.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use crate::access_log::timestamp_text;

/// The ids of the request being handled.
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub local: String,
    pub global: Option<String>,
}

tokio::task_local! {
    static REQUEST: RequestIds;
}

/// Runs `future` with `ids` on every line it logs.
pub async fn request_scope<F: std::future::Future>(ids: RequestIds, future: F) -> F::Output {
    REQUEST.scope(ids, future).await
}

fn with_request<T>(f: impl FnOnce(&RequestIds) -> T) -> Option<T> {
    REQUEST.try_with(f).ok()
}

fn level_color(level: Level) -> &'static str {
    match level {
        Level::ERROR => "\x1b[31m",
        Level::WARN => "\x1b[33m",
        Level::INFO => "\x1b[32m",
        Level::DEBUG => "\x1b[34m",
        Level::TRACE => "\x1b[35m",
    }
}

/// `2026-12-04T18:14:11.112359Z  INFO request{request_id=… global_request_id=…}: span{…}: message key=value`
pub struct TextFormat;

impl<S, N> FormatEvent<S, N> for TextFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writer.write_str(&timestamp_text())?;
        let level = *event.metadata().level();
        if writer.has_ansi_escapes() {
            write!(writer, " {}{level:>5}\x1b[0m ", level_color(level))?;
        } else {
            write!(writer, " {level:>5} ")?;
        }
        with_request(|ids| {
            write!(
                writer,
                "request{{request_id={} global_request_id={}}}: ",
                ids.local,
                ids.global.as_deref().unwrap_or("-")
            )
        })
        .transpose()?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>() {
                    if !fields.is_empty() {
                        write!(writer, "{{{fields}}}")?;
                    }
                }
                writer.write_str(": ")?;
            }
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// One JSON object per line: timestamp, level, the event's fields (`message`
/// among them), the request ids and the names of the spans it is in.
pub struct JsonFormat;

impl<S, N> FormatEvent<S, N> for JsonFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut object = Map::new();
        object.insert("timestamp".into(), Value::String(timestamp_text()));
        object.insert(
            "level".into(),
            Value::String(event.metadata().level().to_string()),
        );
        event.record(&mut JsonFields(&mut object));
        with_request(|ids| {
            object.insert("request_id".into(), Value::String(ids.local.clone()));
            object.insert(
                "global_request_id".into(),
                Value::String(ids.global.clone().unwrap_or_else(|| "-".into())),
            );
        });
        if let Some(scope) = ctx.event_scope() {
            let spans: Vec<Value> = scope
                .from_root()
                .map(|span| Value::String(span.name().to_string()))
                .collect();
            object.insert("spans".into(), Value::Array(spans));
        }
        let text = serde_json::to_string(&object).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// Collects an event's fields as JSON values.
struct JsonFields<'a>(&'a mut Map<String, Value>);

impl Visit for JsonFields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    fn lines(json: bool) -> String {
        let captured = Captured::default();
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(captured.clone());
        let dispatch = if json {
            tracing::Dispatch::new(builder.event_format(JsonFormat).finish())
        } else {
            tracing::Dispatch::new(builder.event_format(TextFormat).finish())
        };
        tracing::dispatcher::with_default(&dispatch, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(async {
                tracing::info!(answer = 42, "outside");
                let ids = RequestIds {
                    local: "req-a".into(),
                    global: None,
                };
                request_scope(ids, async {
                    let span = tracing::info_span!("rpc", method = "create");
                    let _entered = span.enter();
                    tracing::warn!(volume = "v1", "inside");
                })
                .await;
            });
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        text
    }

    #[test]
    fn text_lines_carry_the_request_ids_and_spans() {
        let text = lines(false);
        let mut lines = text.lines();
        let outside = lines.next().unwrap();
        assert!(outside.contains("  INFO outside answer=42"), "{outside}");
        assert!(!outside.contains("request{"), "{outside}");
        let inside = lines.next().unwrap();
        assert!(
            inside.contains(
                "  WARN request{request_id=req-a global_request_id=-}: rpc{method=\"create\"}: inside volume=\"v1\""
            ),
            "{inside}"
        );
    }

    #[test]
    fn json_lines_carry_fields_and_request_ids() {
        let text = lines(true);
        let values: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(values[0]["message"], "outside");
        assert_eq!(values[0]["answer"], 42);
        assert!(values[0].get("request_id").is_none());
        assert_eq!(values[1]["level"], "WARN");
        assert_eq!(values[1]["request_id"], "req-a");
        assert_eq!(values[1]["volume"], "v1");
        assert_eq!(values[1]["spans"][0], "rpc");
    }
}
