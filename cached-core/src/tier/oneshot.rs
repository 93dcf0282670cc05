//! One answer from another thread, awaited: a `Waker`, so any executor
//! works and no executor thread blocks.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

struct State<T> {
    /// `Some` once answered; `Some(None)`: the sender went away.
    answer: Option<Option<T>>,
    waker: Option<Waker>,
}

/// Where the answer lands.
pub(crate) struct Slot<T> {
    state: Mutex<State<T>>,
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
        if let Some(waker) = waker {
            waker.wake();
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
    fn a_dropped_sender_resolves_to_none() {
        let (reply, answer) = channel::<u8>();
        drop(reply);
        assert_eq!(futures_lite_block_on(answer), None);
    }

    #[test]
    fn an_awaiting_task_is_woken() {
        let (reply, answer) = channel();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(5));
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
