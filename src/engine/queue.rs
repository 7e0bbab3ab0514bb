//! The future event list.
//!
//! Events are ordered by (time, insertion sequence): two events at the same instant run in the
//! order they were scheduled, so a run never depends on heap internals.
//!
//! Two heaps share the one sequence counter: the model heap, and a small one for *recurring
//! sources* (each workload's or request stream's next arrival), which hold one pending event
//! each. Popping takes the smaller (time, seq) of the two tops, so events come out in
//! exactly the order one heap would give. The split is for speed: in a system that keeps up, half
//! of all events are arrivals, and on the model heap each one sifted through every level on its
//! way in and out; on a heap of one entry per source it costs next to nothing.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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
    /// The next event of each recurring source (see the module's documentation).
    sources: BinaryHeap<Entry<E>>,
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
            sources: BinaryHeap::new(),
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
        self.heap.len() + self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.sources.is_empty()
    }

    /// Pops the next event if it is due at or before `limit`, advancing the clock to it.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        // The earlier of the two tops (keys are unique: one sequence counter).
        let (from_model, time) = match (self.heap.peek(), self.sources.peek()) {
            (Some(m), Some(s)) if m.key() < s.key() => (true, m.time),
            (_, Some(s)) => (false, s.time),
            (Some(m), None) => (true, m.time),
            (None, None) => return None,
        };
        if time > limit {
            return None;
        }
        let heap = if from_model {
            &mut self.heap
        } else {
            &mut self.sources
        };
        let entry = heap.pop()?;
        self.now = time;
        self.processed += 1;
        Some((time, entry.event))
    }

    /// Schedules the next event of a recurring source (a workload's next arrival): ordered with
    /// every other event exactly as [`Schedule::schedule`] would, kept on the sources' heap.
    /// Meant for at most one pending event per source.
    #[inline]
    pub fn schedule_source(&mut self, at: SimTime, event: E) {
        let entry = self.entry(at, event);
        self.sources.push(entry);
    }

    #[inline]
    fn entry(&mut self, at: SimTime, event: E) -> Entry<E> {
        assert!(
            at >= self.now,
            "event scheduled in the past: at {at} µs while now is {} µs",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        Entry {
            time: at,
            seq,
            event,
        }
    }
}

impl<E> Schedule<E> for EventQueue<E> {
    /// Panics if `at` lies before the current time: a model that does that has a bug, and
    /// silently reordering time would corrupt every statistic after it.
    #[inline]
    fn schedule(&mut self, at: SimTime, event: E) {
        let entry = self.entry(at, event);
        self.heap.push(entry);
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
    fn sources_interleave_with_model_events_in_one_order() {
        // The same schedule through one heap and through two gives the same sequence, ties at
        // one instant included (they keep the order of scheduling across both heaps).
        let plan: [(SimTime, bool); 8] = [
            (10, true),
            (5, false),
            (10, false),
            (7, true),
            (5, true),
            (10, true),
            (3, false),
            (7, false),
        ];
        let mut split = EventQueue::new();
        let mut one = EventQueue::new();
        for (i, &(t, source)) in plan.iter().enumerate() {
            if source {
                split.schedule_source(t, i);
            } else {
                split.schedule(t, i);
            }
            one.schedule(t, i);
        }
        assert_eq!(split.len(), 8);
        let drain = |q: &mut EventQueue<usize>| {
            std::iter::from_fn(|| q.pop_until(u64::MAX)).collect::<Vec<_>>()
        };
        let got = drain(&mut split);
        assert_eq!(got, drain(&mut one));
        // Worked by hand: times 3, 5, 5, 7, 7, 10, 10, 10 with ties in scheduling order.
        let order: Vec<usize> = got.iter().map(|&(_, i)| i).collect();
        assert_eq!(order, vec![6, 1, 4, 3, 7, 0, 2, 5]);
        assert!(split.is_empty());
    }

    #[test]
    fn pops_in_key_order_under_any_interleaving() {
        // Against one reference heap of (time, seq): random schedules (many ties, on both
        // heaps) mixed with pops, at sizes from empty to thousands.
        use std::cmp::Reverse;
        let mut rng = crate::engine::rng::stream(3, 0, "queue-test");
        let mut q = EventQueue::new();
        let mut reference = BinaryHeap::new();
        let mut seq = 0u64;
        for round in 0..20_000u32 {
            let draw = rand::Rng::next_u64(&mut rng);
            // Grow for a while, then shrink, so that sizes sweep up and down.
            let grow = (round / 2_000) % 2 == 0;
            let push = if grow {
                !draw.is_multiple_of(5)
            } else {
                draw.is_multiple_of(3)
            };
            if push {
                let at = q.now() + (draw >> 8) % 50;
                if draw & 16 == 0 {
                    q.schedule_source(at, round);
                } else {
                    q.schedule(at, round);
                }
                reference.push(Reverse((at, seq, round)));
                seq += 1;
            } else {
                let want = reference.pop().map(|Reverse((t, _, e))| (t, e));
                assert_eq!(q.pop_until(u64::MAX), want, "round {round}");
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(Reverse((t, _, e))) = reference.pop() {
            assert_eq!(q.pop_until(u64::MAX), Some((t, e)));
        }
        assert!(q.is_empty());
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
