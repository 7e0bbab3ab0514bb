//! The future event list.
//!
//! Events are ordered by (time, insertion sequence): two events at the same instant run in the
//! order they were scheduled, so a run never depends on heap internals.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;

/// Anything that can be told to deliver an event at a future time. Models schedule through this
/// trait so that they do not depend on the concrete queue or on the enclosing event type.
pub trait Schedule<E> {
    fn schedule(&mut self, at: SimTime, event: E);
}

// Two u64s rather than one packed u128: a u128 is 16-byte aligned, which would pad every entry
// and make the heap's moves larger.
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    /// (time, seq) as one number, in the same order as the pair: compared in a couple of
    /// branch-free instructions where the tuple's `Ordering` chain took a dozen (the heap
    /// compares on every level of every push and pop).
    #[inline]
    fn key(&self) -> u128 {
        ((self.time as u128) << 64) | self.seq as u128
    }
}

impl<E> PartialEq for Entry<E> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Entry<E> {}
// Reversed throughout: BinaryHeap is a max-heap and we want the earliest key on top. The
// comparison operators are spelled out because the heap uses `<=`, whose default goes through
// `cmp`.
impl<E> PartialOrd for Entry<E> {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
    #[inline]
    fn lt(&self, other: &Self) -> bool {
        other.key() < self.key()
    }
    #[inline]
    fn le(&self, other: &Self) -> bool {
        other.key() <= self.key()
    }
    #[inline]
    fn gt(&self, other: &Self) -> bool {
        other.key() > self.key()
    }
    #[inline]
    fn ge(&self, other: &Self) -> bool {
        other.key() >= self.key()
    }
}
impl<E> Ord for Entry<E> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: SimTime,
    processed: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            next_seq: 0,
            now: 0,
            processed: 0,
        }
    }

    /// The time of the event being processed (or of the last one popped).
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// How many events have been popped so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Pops the next event if it is due at or before `limit`, advancing the clock to it.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let top = self.heap.peek_mut()?;
        let time = top.time;
        if time > limit {
            return None;
        }
        // Pops through the peek: no second emptiness check and no `expect` on every event.
        let entry = PeekMut::pop(top);
        self.now = time;
        self.processed += 1;
        Some((time, entry.event))
    }
}

impl<E> Schedule<E> for EventQueue<E> {
    /// Panics if `at` lies before the current time: a model that does that has a bug, and
    /// silently reordering time would corrupt every statistic after it.
    #[inline]
    fn schedule(&mut self, at: SimTime, event: E) {
        assert!(
            at >= self.now,
            "event scheduled in the past: at {at} µs while now is {} µs",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            time: at,
            seq,
            event,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_insertion() {
        let mut q = EventQueue::new();
        q.schedule(10, "b");
        q.schedule(5, "a");
        q.schedule(10, "c");
        q.schedule(7, "x");
        let mut got = vec![];
        while let Some((t, e)) = q.pop_until(u64::MAX) {
            got.push((t, e));
        }
        assert_eq!(got, vec![(5, "a"), (7, "x"), (10, "b"), (10, "c")]);
        assert_eq!(q.processed(), 4);
    }

    #[test]
    fn ties_keep_insertion_order_at_any_time() {
        // The packed key puts time above the sequence number: a later time wins over any
        // sequence, including times that use the top bit and sequence numbers above 2^32.
        let mut q = EventQueue::new();
        q.next_seq = (1 << 32) - 1;
        let late = u64::MAX - 1;
        q.schedule(late, "late-a");
        q.schedule(1 << 63, "mid");
        q.schedule(late, "late-b");
        q.schedule(u64::MAX, "last");
        q.schedule(late, "late-c");
        let mut got = vec![];
        while let Some((_, e)) = q.pop_until(u64::MAX) {
            got.push(e);
        }
        assert_eq!(got, vec!["mid", "late-a", "late-b", "late-c", "last"]);
    }

    #[test]
    fn pop_until_respects_limit() {
        let mut q = EventQueue::new();
        q.schedule(3, 1);
        q.schedule(9, 2);
        assert_eq!(q.pop_until(5), Some((3, 1)));
        assert_eq!(q.pop_until(5), None);
        assert_eq!(q.now(), 3);
        assert_eq!(q.pop_until(9), Some((9, 2)));
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_caught() {
        let mut q = EventQueue::new();
        q.schedule(10, ());
        q.pop_until(100);
        q.schedule(5, ());
    }
}
