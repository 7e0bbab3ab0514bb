//! Simulated time is an integer count of microseconds since the start of the run.
//!
//! Integer time makes event order exact and runs reproducible across platforms; microseconds are
//! fine enough for request latencies (a 200 ms service time is 200,000 ticks) and a `u64` still
//! spans about 584,000 years.

/// Microseconds since the start of the simulation.
pub type SimTime = u64;

pub const MICROS_PER_SECOND: u64 = 1_000_000;
pub const MICROS_PER_HOUR: u64 = 3_600 * MICROS_PER_SECOND;
pub const MICROS_PER_DAY: u64 = 24 * MICROS_PER_HOUR;

/// Converts seconds to ticks, rounding to the nearest microsecond; negative and NaN give 0.
#[inline]
pub fn from_secs_f64(seconds: f64) -> SimTime {
    // Every draw of the run comes through here. The common case first, converted through `i64`
    // (one instruction on x86-64, where `as u64` needs a dozen to handle values above 2^63);
    // it gives the same value as the general path below, which it skips.
    let micros = seconds * MICROS_PER_SECOND as f64;
    if micros > 0.0 && micros < FAST_LIMIT_MICROS {
        return (micros + 0.5) as i64 as SimTime;
    }
    if seconds.is_nan() || seconds <= 0.0 {
        0
    } else if seconds >= (u64::MAX / MICROS_PER_SECOND) as f64 {
        u64::MAX
    } else {
        // Adding one half and truncating rounds a positive value to nearest without a call to
        // libm's `round`, which showed up in profiles of the event loop.
        (seconds * MICROS_PER_SECOND as f64 + 0.5) as u64
    }
}

/// Below this many microseconds (about 285,000 years) the fast path of [`from_secs_f64`] applies.
const FAST_LIMIT_MICROS: f64 = 9.0e18;

#[inline]
pub fn to_secs_f64(t: SimTime) -> f64 {
    t as f64 / MICROS_PER_SECOND as f64
}

#[inline]
pub fn to_hours_f64(t: SimTime) -> f64 {
    t as f64 / MICROS_PER_HOUR as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_and_clamping() {
        assert_eq!(from_secs_f64(1.5), 1_500_000);
        assert_eq!(from_secs_f64(-3.0), 0);
        assert_eq!(from_secs_f64(f64::NAN), 0);
        assert_eq!(from_secs_f64(f64::INFINITY), u64::MAX);
        assert_eq!(to_secs_f64(2_500_000), 2.5);
        // Both sides of the fast path's limit round the same way.
        assert_eq!(from_secs_f64(8.9e12), 8_900_000_000_000_000_000);
        assert_eq!(from_secs_f64(9.1e12), 9_100_000_000_000_000_000);
        assert_eq!(from_secs_f64(1e-7), 0);
        assert_eq!(from_secs_f64(4e-7), 0);
        assert_eq!(from_secs_f64(6e-7), 1);
    }
}
