//! Time: the clock TTL deadlines are stamped and checked with (a coarse
//! time published by a ticking thread, vouched for by the CPU's counter),
//! and the stopwatch that times computations.

pub(crate) mod clock;
pub(crate) mod stopwatch;
