//! Helpers shared by the integration tests that would hang if they failed.

use std::any::Any;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// Long enough for a loaded 2-core CI machine, short enough to fail fast.
pub const WATCHDOG: Duration = Duration::from_secs(20);

/// Runs `scenario` on its own thread: its result, or its panic message;
/// panics (fails the test rather than hanging it) after the watchdog.
pub fn within_watchdog<T: Send + 'static>(
    scenario: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(scenario));
        let _ = tx.send(outcome.map_err(panic_message));
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(outcome) => outcome,
        Err(RecvTimeoutError::Timeout) => panic!("deadlock: the scenario is still running"),
        Err(RecvTimeoutError::Disconnected) => panic!("the scenario thread vanished"),
    }
}

/// The message of a panic's payload.
pub fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "<not a string>".to_owned(), |s| (*s).to_owned()),
    }
}
