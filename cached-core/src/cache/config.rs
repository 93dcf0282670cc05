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
}

impl Config {
    /// A short description of the mode, as shown in reports: `permanent`,
    /// `ttl 1s`, `capacity 100`, or `capacity 100, ttl 1s`.
    pub fn mode(&self) -> String {
        match (self.capacity, self.ttl) {
            (None, None) => "permanent".to_owned(),
            (None, Some(ttl)) => format!("ttl {ttl:?}"),
            (Some(cap), None) => format!("capacity {cap}"),
            (Some(cap), Some(ttl)) => format!("capacity {cap}, ttl {ttl:?}"),
        }
    }
}
