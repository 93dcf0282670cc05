//! Threads ("memokit-tier") that make a remote store's blocking calls for
//! `async fn`s: the task awaits the answer (see `oneshot`) while its
//! executor thread runs other tasks. A thread is added when every one is
//! busy (a call may wait for another process's computation), up to
//! [`MOST`]; idle ones stay for the next call.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use crate::tier::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// The most threads.
const MOST: usize = 64;

struct Pool {
    jobs: Sender<Job>,
    queue: Arc<Mutex<Receiver<Job>>>,
    threads: AtomicUsize,
    idle: Arc<AtomicUsize>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = mpsc::channel();
        Pool {
            jobs,
            queue: Arc::new(Mutex::new(queue)),
            threads: AtomicUsize::new(0),
            idle: Arc::new(AtomicUsize::new(0)),
        }
    })
}

impl Pool {
    fn grow(&self) {
        if self.threads.fetch_add(1, Ordering::Relaxed) >= MOST {
            self.threads.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let (queue, idle) = (self.queue.clone(), self.idle.clone());
        let started = std::thread::Builder::new()
            .name("memokit-tier".into())
            .spawn(move || loop {
                idle.fetch_add(1, Ordering::Relaxed);
                let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                idle.fetch_sub(1, Ordering::Relaxed);
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            });
        if started.is_err() {
            self.threads.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Runs `call` on a tier thread; resolves to its result (`None` if it
/// panicked).
pub(crate) async fn run<T: Send + 'static>(call: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let pool = pool();
    let (reply, answer) = oneshot::channel();
    if pool.idle.load(Ordering::Relaxed) == 0 {
        pool.grow();
    }
    let job: Job = Box::new(move || reply.send(call()));
    if pool.jobs.send(job).is_err() {
        return None;
    }
    answer.await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_call_runs_on_a_tier_thread() {
        let name = futures_executor(super::run(|| {
            std::thread::current().name().map(str::to_owned)
        }));
        assert_eq!(name, Some(Some("memokit-tier".to_owned())));
    }

    fn futures_executor<F: std::future::Future>(f: F) -> F::Output {
        // The facade's tests use real executors; a parked thread suffices here.
        use std::sync::Arc;
        use std::task::{Context, Poll, Wake, Waker};
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }
}
