//! What the attribute tells the runtime about one cached function.

use std::time::Duration;

/// The options of one `#[cached]` function, fixed at compile time.
///
/// Generated code builds this as a `static`; users never write it.
#[derive(Debug)]
pub struct Config {
    /// Unique across the program: module path, name and source location.
    pub id: &'static str,
    /// The function's name as written, for messages and reports.
    pub name: &'static str,
    /// `ttl = "..."`, already parsed by the macro.
    pub ttl: Option<Duration>,
    /// `capacity = N`.
    pub capacity: Option<usize>,
    /// `refresh = "..."`: with `ttl`, and shorter than it (the macro checks
    /// both), an entry older than this is recomputed by the first caller
    /// that finds it so, while the others keep getting it.
    pub refresh: Option<Duration>,
}

impl Config {
    /// A short description of the mode, as shown in reports: `permanent`,
    /// `ttl 1s`, `capacity 100`, `capacity 100, ttl 1s`, or with refresh
    /// `ttl 10s, refresh 8s`.
    pub fn mode(&self) -> String {
        let mode = match (self.capacity, self.ttl) {
            (None, None) => "permanent".to_owned(),
            (None, Some(ttl)) => format!("ttl {ttl:?}"),
            (Some(cap), None) => format!("capacity {cap}"),
            (Some(cap), Some(ttl)) => format!("capacity {cap}, ttl {ttl:?}"),
        };
        match self.refresh {
            Some(refresh) => format!("{mode}, refresh {refresh:?}"),
            None => mode,
        }
    }
}

/// What a constant `capacity = <expr>` must be: a `usize`. Generated code
/// passes the expression through [`capacity_value`], so another type is
/// one error at it, in these words. Only `usize` implements it.
#[diagnostic::on_unimplemented(
    message = "`capacity` must be a `usize`, not `{Self}`",
    label = "a constant `capacity` is a number of entries, of type `usize`",
    note = "declare the constant as `usize`, or convert it: `capacity = MAX as usize`"
)]
pub trait CapacityValue: Copy + sealed::Usize {}

#[diagnostic::do_not_recommend]
impl CapacityValue for usize {}

/// `value`, checked to be a `usize`.
#[doc(hidden)]
pub const fn capacity_value<T: CapacityValue>(value: T) -> usize {
    // A `const fn` cannot call a trait's method, so the value changes type
    // through a union.
    union Same<T: Copy> {
        from: T,
        to: usize,
    }
    // SAFETY: `CapacityValue` is sealed and implemented for `usize` alone,
    // so `T` is `usize`.
    unsafe { Same { from: value }.to }
}

/// What a constant `ttl = <expr>` must be: a [`Duration`]. Only `Duration`
/// implements it.
#[diagnostic::on_unimplemented(
    message = "`ttl` must be a `Duration`, not `{Self}`",
    label = "a constant `ttl` is a `std::time::Duration`",
    note = "write `ttl = Duration::from_secs(30)`, or a string: `ttl = \"30s\"`"
)]
pub trait TtlValue: Copy + sealed::Duration {}

#[diagnostic::do_not_recommend]
impl TtlValue for Duration {}

/// `value`, checked to be a [`Duration`].
#[doc(hidden)]
pub const fn ttl_value<T: TtlValue>(value: T) -> Duration {
    // SAFETY: `TtlValue` is sealed and implemented for `Duration` alone,
    // so `T` is `Duration`.
    unsafe { same_duration(value) }
}

/// What a constant `refresh = <expr>` must be: a [`Duration`]. Only
/// `Duration` implements it.
#[diagnostic::on_unimplemented(
    message = "`refresh` must be a `Duration`, not `{Self}`",
    label = "a constant `refresh` is a `std::time::Duration`",
    note = "write `refresh = Duration::from_secs(30)`, or a string: `refresh = \"30s\"`"
)]
pub trait RefreshValue: Copy + sealed::Duration {}

#[diagnostic::do_not_recommend]
impl RefreshValue for Duration {}

/// `value`, checked to be a [`Duration`].
#[doc(hidden)]
pub const fn refresh_value<T: RefreshValue>(value: T) -> Duration {
    // SAFETY: `RefreshValue` is sealed and implemented for `Duration`
    // alone, so `T` is `Duration`.
    unsafe { same_duration(value) }
}

/// `value` as the `Duration` it is.
///
/// # Safety
/// `T` must be `Duration`.
const unsafe fn same_duration<T: Copy>(value: T) -> Duration {
    // A `const fn` cannot call a trait's method, so the value changes type
    // through a union.
    union Same<T: Copy> {
        from: T,
        to: Duration,
    }
    // SAFETY: the caller promises that `T` is `Duration`.
    unsafe { Same { from: value }.to }
}

mod sealed {
    pub trait Usize {}
    impl Usize for usize {}
    pub trait Duration {}
    impl Duration for std::time::Duration {}
}
