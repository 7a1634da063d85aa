//! Recording requests without anyone scraping `/metrics` must not keep memory:
//! histogram samples are folded into buckets in the background.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

/// Counts the bytes currently allocated by the process.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded to the system allocator with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn request_latencies_do_not_pile_up_unscraped() {
    let record = || {
        for _ in 0..200_000 {
            ferrostack_telemetry::record_request(
                "test",
                "GET",
                "/v3/things",
                200,
                Duration::from_micros(250),
            );
        }
    };
    record();
    std::thread::sleep(Duration::from_millis(2500));
    let before = LIVE.load(Ordering::Relaxed);
    record();
    // The upkeep runs every second; on a loaded machine it may take a few.
    // 200,000 queued f64 samples would hold at least 1.6 MB for good.
    let mut grown = isize::MAX;
    for _ in 0..300 {
        grown = LIVE.load(Ordering::Relaxed) - before;
        if grown < 400_000 {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{grown} bytes kept by 200,000 recorded requests");
}
