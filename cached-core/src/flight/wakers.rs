//! The tasks waiting for one flight, beside its condition variable: the
//! leader's `finish` wakes them all.

use std::task::Waker;

use parking_lot::Mutex;

/// The tasks waiting for one flight.
#[derive(Default)]
pub(crate) struct Wakers {
    list: Mutex<WakerList>,
}

#[derive(Default)]
struct WakerList {
    /// Set by [`Wakers::wake_all`]; no waker is registered after it.
    woken: bool,
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Wakers {
    /// Registers the waker of the waiter owning `slot`, or refreshes it.
    pub(crate) fn register(&self, slot: &mut Option<usize>, waker: &Waker) {
        let mut list = self.list.lock();
        if list.woken {
            return;
        }
        match *slot {
            Some(i) => match &mut list.slots[i] {
                Some(old) if old.will_wake(waker) => {}
                old => *old = Some(waker.clone()),
            },
            None => {
                let waker = Some(waker.clone());
                let i = match list.free.pop() {
                    Some(i) => {
                        list.slots[i] = waker;
                        i
                    }
                    None => {
                        list.slots.push(waker);
                        list.slots.len() - 1
                    }
                };
                *slot = Some(i);
            }
        }
    }

    /// Forgets the waker of a waiter that stops waiting.
    pub(crate) fn remove(&self, slot: usize) {
        let mut list = self.list.lock();
        if !list.woken {
            list.slots[slot] = None;
            list.free.push(slot);
        }
    }

    /// Wakes every registered task, outside the lock.
    pub(crate) fn wake_all(&self) {
        let slots = {
            let mut list = self.list.lock();
            list.woken = true;
            std::mem::take(&mut list.slots)
        };
        for waker in slots.into_iter().flatten() {
            waker.wake();
        }
    }
}
