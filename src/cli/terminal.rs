//! What a command shows while it works: warnings, progress bars on stderr, and Ctrl-C.

use crate::commands::Observer;
use crate::scenario::Diagnostic;
use crate::sweep::estimate::Estimate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Every warning on stderr, one per line.
pub fn print_warnings(warnings: &[Diagnostic]) {
    for w in warnings {
        eprintln!("{w}");
    }
}

/// The terminal as a command's [`Observer`]: warnings and a progress bar on stderr (the bar only
/// when stderr is a terminal), nothing but errors when quiet.
pub struct Terminal {
    quiet: bool,
    /// Arm Ctrl-C when simulation starts (see [`cancel_flag`]).
    ctrl_c: bool,
    bar: OnceLock<ProgressBar>,
}

impl Terminal {
    pub fn new(quiet: bool, ctrl_c: bool) -> Terminal {
        Terminal {
            quiet,
            ctrl_c,
            bar: OnceLock::new(),
        }
    }
}

impl Observer for Terminal {
    fn warnings(&self, warnings: &[Diagnostic]) {
        if !self.quiet {
            print_warnings(warnings);
        }
    }

    fn forced(&self, estimate: &Estimate) {
        eprintln!("warning: running anyway (--force): {}", estimate.summary());
    }

    fn progress_start(&self, total: Option<u64>) {
        if self.ctrl_c {
            arm_ctrl_c();
        }
        let bar = match total {
            Some(total) => progress_bar(total, self.quiet),
            None => spinner(self.quiet),
        };
        // A command starts simulating once; a second start keeps the first bar.
        let _ = self.bar.set(bar);
    }

    fn progress(&self, n: u64) {
        if let Some(bar) = self.bar.get() {
            bar.inc(n);
        }
    }

    fn progress_end(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// Columns a table may take: none when `wide`, the terminal's width when stdout is one, else
/// 100 (a file, a pipe, a CI log).
pub fn table_width(wide: bool) -> Option<usize> {
    if wide {
        return None;
    }
    Some(stdout_columns().unwrap_or(100))
}

/// The width of the terminal on stdout, if stdout is a terminal.
fn stdout_columns() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a `winsize` into the pointer given, which lives for the call.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col >= 40).then_some(size.ws_col as usize)
}

/// The bar's template: the bar takes what the text leaves of the terminal's width, so the line
/// never wraps (the text is at most 60 columns: see the test).
const BAR_TEMPLATE: &str = "{wide_bar} {pos}/{len} replications, {per_sec}, ETA {eta}";

/// A progress bar (done/total, rate, ETA); hidden when quiet or for fewer than two replications.
fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || total < 2 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(BAR_TEMPLATE) {
        bar.set_style(style);
    }
    bar
}

/// How many simulations a sizing search needs is not known ahead: count replications instead.
fn spinner(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {pos} replications simulated, {per_sec}, {elapsed_precise}",
    ) {
        bar.set_style(style);
    }
    bar
}

static CANCEL: AtomicBool = AtomicBool::new(false);

/// The flag Ctrl-C sets once armed, for a command's `cancel`.
pub fn cancel_flag() -> &'static AtomicBool {
    &CANCEL
}

/// From here on, the first Ctrl-C sets [`cancel_flag`]: the command stops starting replications,
/// and what finished is written and marked incomplete. A second one ends the process at once.
/// Before this (loading, checking), Ctrl-C keeps its default and ends the process, which leaves
/// no output file looking complete. The handler is installed once per process; each arming
/// starts clear.
fn arm_ctrl_c() {
    // Cleared before the handler is installed: clearing it after would lose a Ctrl-C that lands
    // once the handler's thread runs (what the tests wait for before they signal).
    CANCEL.store(false, Ordering::SeqCst);
    static HANDLER: std::sync::Once = std::sync::Once::new();
    HANDLER.call_once(|| {
        // Without a handler (another one is installed), Ctrl-C keeps its default: the process
        // ends and, as for any kill, no output file is left looking complete.
        let _ = ctrlc::set_handler(|| {
            if CANCEL.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_progress_bar_leaves_room_for_its_bar_at_80_columns() {
        // The widest text the template's fields give: a million replications, a rate with
        // indicatif's four decimals, an ETA in words.
        let text = super::BAR_TEMPLATE
            .replace("{wide_bar}", "")
            .replace("{pos}", "1000000")
            .replace("{len}", "1000000")
            .replace("{per_sec}", "123456.7890/s")
            .replace("{eta}", "59 minutes");
        assert!(text.chars().count() <= 60, "{text}");
    }
}
