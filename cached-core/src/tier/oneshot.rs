//! One answer from another thread: a sync caller waits for it with a
//! bound, an async one awaits it (a `Waker`, so any executor works and no
//! executor thread blocks).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

struct State<T> {
    /// `Some` once answered; `Some(None)`: the sender went away.
    answer: Option<Option<T>>,
    waker: Option<Waker>,
}

/// Where the answer lands.
pub(crate) struct Slot<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

/// The receiving end.
pub(crate) struct Answer<T>(Arc<Slot<T>>);

/// The sending end; dropped unanswered, the receiver sees it gone.
pub(crate) struct Reply<T>(Option<Arc<Slot<T>>>);

/// A new pair.
pub(crate) fn channel<T>() -> (Reply<T>, Answer<T>) {
    let slot = Arc::new(Slot {
        state: Mutex::new(State {
            answer: None,
            waker: None,
        }),
        ready: Condvar::new(),
    });
    (Reply(Some(slot.clone())), Answer(slot))
}

impl<T> Reply<T> {
    /// Answers; wakes the receiver.
    pub(crate) fn send(mut self, answer: T) {
        if let Some(slot) = self.0.take() {
            slot.put(Some(answer));
        }
    }
}

impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            slot.put(None);
        }
    }
}

impl<T> Slot<T> {
    /// `None`: the sender went away without answering.
    fn put(&self, answer: Option<T>) {
        let waker = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.answer = Some(answer);
            state.waker.take()
        };
        // Marks the slot answered even for `None`.
        self.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// What the receiver got: the answer, `Gone` (the sender dropped it), or
/// `Late` (no answer within the bound).
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) enum Got<T> {
    Answer(T),
    Gone,
    Late,
}

impl<T> Answer<T> {
    /// Waits at most `bound` for the answer.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn wait(self, bound: Duration) -> Got<T> {
        let deadline = Instant::now() + bound;
        let mut state = self.0.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match state.answer.take() {
                Some(Some(answer)) => return Got::Answer(answer),
                Some(None) => return Got::Gone,
                None => {}
            }
            let now = Instant::now();
            if now >= deadline {
                return Got::Late;
            }
            state = self
                .0
                .ready
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Awaiting: the sender always answers (or drops) in bounded time, so the
/// future needs no timer of its own.
impl<T> Future for Answer<T> {
    type Output = Option<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.0.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(answer) = state.answer.take() {
            return Poll::Ready(answer);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_gets_the_answer_from_another_thread() {
        let (reply, answer) = channel();
        let t = std::thread::spawn(move || reply.send(7));
        assert_eq!(answer.wait(Duration::from_secs(10)), Got::Answer(7));
        t.join().unwrap();
    }

    #[test]
    fn no_answer_is_late_and_a_dropped_sender_is_gone() {
        let (reply, answer) = channel::<u8>();
        let (_keep, late) = channel::<u8>();
        assert_eq!(late.wait(Duration::from_millis(1)), Got::Late);
        drop(reply);
        assert_eq!(answer.wait(Duration::from_secs(10)), Got::Gone);
    }

    #[test]
    fn an_awaiting_task_is_woken() {
        let (reply, answer) = channel();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            reply.send("x");
        });
        assert_eq!(futures_lite_block_on(answer), Some("x"));
        t.join().unwrap();
    }

    /// A minimal executor: parks the thread until woken.
    fn futures_lite_block_on<F: Future>(future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }
}
