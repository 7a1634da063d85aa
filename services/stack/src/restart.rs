//! When a service that died is started again: after a backoff that doubles with
//! each recent crash, and not at all once it crashed too often too fast.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Crashes older than this are forgiven.
pub const WINDOW: Duration = Duration::from_secs(60);
/// This many crashes within [`WINDOW`] and the service is given up on.
pub const MAX_CRASHES: usize = 5;
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What to do about a crash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    RestartAfter(Duration),
    GiveUp,
}

/// The recent crashes of one service.
#[derive(Debug, Default)]
pub struct CrashHistory {
    recent: VecDeque<Instant>,
}

impl CrashHistory {
    /// Records a crash at `now` and says what to do.
    pub fn crashed(&mut self, now: Instant) -> Verdict {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) > WINDOW)
        {
            self.recent.pop_front();
        }
        self.recent.push_back(now);
        let count = self.recent.len();
        if count >= MAX_CRASHES {
            return Verdict::GiveUp;
        }
        let backoff = FIRST_BACKOFF.saturating_mul(1 << (count - 1).min(16));
        Verdict::RestartAfter(backoff.min(MAX_BACKOFF))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_gives_up_on_fast_crashes() {
        let mut history = CrashHistory::default();
        let t = Instant::now();
        let verdicts: Vec<Verdict> = (0..MAX_CRASHES as u64)
            .map(|i| history.crashed(t + Duration::from_secs(i)))
            .collect();
        assert_eq!(
            verdicts,
            vec![
                Verdict::RestartAfter(Duration::from_secs(1)),
                Verdict::RestartAfter(Duration::from_secs(2)),
                Verdict::RestartAfter(Duration::from_secs(4)),
                Verdict::RestartAfter(Duration::from_secs(8)),
                Verdict::GiveUp,
            ]
        );
    }

    #[test]
    fn old_crashes_are_forgiven() {
        let mut history = CrashHistory::default();
        let t = Instant::now();
        for i in 0..(MAX_CRASHES as u64 - 1) {
            history.crashed(t + Duration::from_secs(i));
        }
        let later = t + WINDOW + Duration::from_secs(MAX_CRASHES as u64 + 1);
        assert_eq!(
            history.crashed(later),
            Verdict::RestartAfter(Duration::from_secs(1))
        );
        assert_eq!(history.recent.len(), 1);
    }
}
