//! Text that every layer writes or reads: located diagnostics (`file:line:column: field: ...`),
//! durations (`"5m"`, `"1h30m"`), calendar dates, numbers and money for CSV cells, messages
//! and reports, and the one safe way to read a file a user names ([`input`]).
//!
//! The bottom of the house: it imports nothing of the crate, so any module may use it.

pub mod date;
pub mod diagnostic;
pub mod duration;
pub mod format;
pub mod input;
pub mod number;
pub mod table;

pub use diagnostic::{Diagnostic, Severity, SourceMap};
pub use duration::{Dur, format_duration, parse_duration};
pub use number::num;
