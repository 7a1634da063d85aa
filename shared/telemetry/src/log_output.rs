//! Where log lines go: stdout or a file, through a buffer that a background thread
//! writes out every [`FLUSH_INTERVAL`], so a busy API does not pay a write syscall
//! (and a wakeup of whoever reads the other end) per access-log line. Warnings and
//! errors, and a buffer past [`FLUSH_BYTES`], are written at once. Every line
//! carries the service's name: a `name | ` prefix in text, a `"service"` field in JSON.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// Buffered bytes that make the writer flush without waiting.
pub const FLUSH_BYTES: usize = 64 * 1024;

/// How the service's name is put on each line.
#[derive(Debug, Clone)]
pub(crate) enum Tag {
    /// `identity | ` before every line.
    Prefix(Vec<u8>),
    /// `"service":"identity",` after the opening brace of every JSON line.
    JsonField(Vec<u8>),
}

impl Tag {
    pub(crate) fn text(name: &str) -> Self {
        Tag::Prefix(format!("{name:>13} | ").into_bytes())
    }

    pub(crate) fn json(name: &str) -> Self {
        let field = format!("{}:{},", quoted("service"), quoted(name));
        Tag::JsonField(field.into_bytes())
    }
}

fn quoted(s: &str) -> String {
    let escaped: String = s
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

struct Shared {
    tag: Tag,
    pending: Mutex<Vec<u8>>,
    /// Held while a flush writes, so buffers reach the sink in order.
    sink: Mutex<Box<dyn Write + Send>>,
}

impl Shared {
    fn flush(&self) {
        let Ok(mut sink) = self.sink.lock() else {
            return;
        };
        let data = match self.pending.lock() {
            Ok(mut pending) if !pending.is_empty() => {
                std::mem::replace(&mut *pending, Vec::with_capacity(FLUSH_BYTES))
            }
            _ => return,
        };
        // Nowhere to report a failing log sink; the lines are dropped.
        let _ = sink.write_all(&data).and_then(|()| sink.flush());
    }
}

/// The [`MakeWriter`] of the log subscriber: cheap to clone, shared by all threads.
#[derive(Clone)]
pub struct LogOutput {
    shared: Arc<Shared>,
}

/// Flushes what is buffered when dropped: keep it alive until `main` returns.
#[must_use = "logs buffered at exit are lost unless the guard lives until then"]
pub struct LogGuard {
    shared: Arc<Shared>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.flush();
    }
}

impl LogOutput {
    /// An output into `sink`, flushed in the background; lines tagged with `tag`.
    pub(crate) fn new(sink: Box<dyn Write + Send>, tag: Tag) -> (Self, LogGuard) {
        let shared = Arc::new(Shared {
            tag,
            pending: Mutex::new(Vec::with_capacity(FLUSH_BYTES)),
            sink: Mutex::new(sink),
        });
        let weak = Arc::downgrade(&shared);
        let _ = std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || loop {
                std::thread::sleep(FLUSH_INTERVAL);
                match weak.upgrade() {
                    Some(shared) => shared.flush(),
                    None => return,
                }
            });
        (
            LogOutput {
                shared: shared.clone(),
            },
            LogGuard { shared },
        )
    }
}

impl LogOutput {
    /// Appends a complete line (ending in a newline) as its own event.
    pub(crate) fn write_line(&self, line: &[u8]) {
        let mut writer = self.make_writer();
        let _ = writer.write_all(line);
    }
}

/// Writes one event's text into the buffer.
pub struct EventWriter<'a> {
    shared: &'a Shared,
    urgent: bool,
    at_line_start: bool,
}

impl Write for EventWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut pending = self
            .shared
            .pending
            .lock()
            .map_err(|_| io::Error::other("log buffer poisoned"))?;
        for line in buf.split_inclusive(|b| *b == b'\n') {
            if self.at_line_start {
                match &self.shared.tag {
                    Tag::Prefix(prefix) => {
                        pending.extend_from_slice(prefix);
                        pending.extend_from_slice(line);
                    }
                    Tag::JsonField(field) => match line.split_first() {
                        Some((b'{', rest)) if rest.first() != Some(&b'}') => {
                            pending.push(b'{');
                            pending.extend_from_slice(field);
                            pending.extend_from_slice(rest);
                        }
                        _ => pending.extend_from_slice(line),
                    },
                }
            } else {
                pending.extend_from_slice(line);
            }
            self.at_line_start = line.ends_with(b"\n");
        }
        if pending.len() >= FLUSH_BYTES {
            self.urgent = true;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter<'_> {
    fn drop(&mut self) {
        if self.urgent {
            self.shared.flush();
        }
    }
}

impl<'a> MakeWriter<'a> for LogOutput {
    type Writer = EventWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter {
            shared: &self.shared,
            urgent: false,
            at_line_start: true,
        }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        EventWriter {
            shared: &self.shared,
            urgent: *meta.level() <= tracing::Level::WARN,
            at_line_start: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn write_event(output: &LogOutput, urgent: bool, text: &str) {
        let mut writer = output.make_writer();
        writer.urgent = urgent;
        writer.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn lines_wait_for_the_flush_unless_urgent_and_carry_the_prefix() {
        let captured = Captured::default();
        let (output, guard) = LogOutput::new(Box::new(captured.clone()), Tag::text("image"));
        write_event(&output, false, "first\nsecond\n");
        assert_eq!(captured.text(), "", "an info line waits in the buffer");
        write_event(&output, true, "bad\n");
        assert_eq!(
            captured.text(),
            "        image | first\n        image | second\n        image | bad\n"
        );
        write_event(&output, false, "last\n");
        drop(guard);
        assert!(captured.text().ends_with("        image | last\n"));
    }

    #[test]
    fn json_lines_get_the_service_field() {
        let captured = Captured::default();
        let (output, guard) = LogOutput::new(Box::new(captured.clone()), Tag::json("block\"x"));
        write_event(&output, false, "{\"level\":\"INFO\"}\n{}\n");
        drop(guard);
        assert_eq!(
            captured.text(),
            "{\"service\":\"block\\\"x\",\"level\":\"INFO\"}\n{}\n"
        );
    }

    #[test]
    fn the_background_thread_flushes_and_a_full_buffer_goes_at_once() {
        let captured = Captured::default();
        let (output, _guard) = LogOutput::new(Box::new(captured.clone()), Tag::text("x"));
        write_event(&output, false, "soon\n");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while captured.text().is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(captured.text().contains("soon"));
        let big = "y".repeat(FLUSH_BYTES) + "\n";
        let before = captured.text().len();
        write_event(&output, false, &big);
        assert!(captured.text().len() > before + FLUSH_BYTES);
    }
}
