//! The job queue every target keeps: higher `priority` first, first in, first out within a
//! priority.
//!
//! One `VecDeque` per priority level, levels sorted from the highest priority down. Levels are
//! created when a priority is first seen and never removed, so in the common case (every
//! workload at the default priority) the queue is a single deque and each operation is one
//! extra bounds check on top of it: the engine's hot path stays as fast as a plain `VecDeque`.

use std::collections::VecDeque;

/// Something queued with a priority (a job, or a job with its bookkeeping).
pub trait Prioritized {
    fn priority(&self) -> i32;
}

#[derive(Clone, Debug)]
pub struct JobQueue<T> {
    /// (priority, jobs), highest priority first.
    levels: Vec<(i32, VecDeque<T>)>,
    len: usize,
}

impl<T> Default for JobQueue<T> {
    fn default() -> Self {
        JobQueue {
            levels: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Prioritized> JobQueue<T> {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The level of priority `p`, created in order if new.
    #[inline]
    fn level(&mut self, p: i32) -> &mut VecDeque<T> {
        // The first level matches almost always (one priority for everybody).
        let i = match self.levels.iter().position(|(q, _)| *q <= p) {
            Some(i) if self.levels[i].0 == p => i,
            Some(i) => {
                self.levels.insert(i, (p, VecDeque::new()));
                i
            }
            None => {
                self.levels.push((p, VecDeque::new()));
                self.levels.len() - 1
            }
        };
        &mut self.levels[i].1
    }

    /// Queues `item` behind every item of its priority and above.
    #[inline]
    pub fn push_back(&mut self, item: T) {
        self.len += 1;
        self.level(item.priority()).push_back(item);
    }

    /// Queues `item` ahead of every item of its priority (a preempted job going back to the
    /// head of the queue), still behind higher priorities.
    pub fn push_front(&mut self, item: T) {
        self.len += 1;
        self.level(item.priority()).push_front(item);
    }

    /// The next item to serve.
    #[inline]
    pub fn front(&self) -> Option<&T> {
        if self.len == 0 {
            return None;
        }
        self.levels.iter().find_map(|(_, q)| q.front())
    }

    #[inline]
    pub fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let item = self.levels.iter_mut().find_map(|(_, q)| q.pop_front());
        if item.is_some() {
            self.len -= 1;
        }
        item
    }

    /// The `i`-th item in serving order.
    pub fn get(&self, mut i: usize) -> Option<&T> {
        for (_, q) in &self.levels {
            if i < q.len() {
                return q.get(i);
            }
            i -= q.len();
        }
        None
    }

    /// Removes the `i`-th item in serving order (backfill takes a job past a blocked head).
    pub fn remove(&mut self, mut i: usize) -> Option<T> {
        for (_, q) in &mut self.levels {
            if i < q.len() {
                self.len -= 1;
                return q.remove(i);
            }
            i -= q.len();
        }
        None
    }

    /// Items in serving order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.levels.iter().flat_map(|(_, q)| q.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct It(i32, u32);
    impl Prioritized for It {
        fn priority(&self) -> i32 {
            self.0
        }
    }

    #[test]
    fn higher_priority_first_fifo_within() {
        let mut q = JobQueue::new();
        for it in [It(0, 1), It(5, 2), It(0, 3), It(-1, 4), It(5, 5), It(2, 6)] {
            q.push_back(it);
        }
        q.push_front(It(0, 7));
        assert_eq!(q.len(), 7);
        let order: Vec<u32> = q.iter().map(|i| i.1).collect();
        assert_eq!(order, vec![2, 5, 6, 7, 1, 3, 4]);
        assert_eq!(q.get(3), Some(&It(0, 7)));
        assert_eq!(q.remove(3), Some(It(0, 7)));
        assert_eq!(q.front(), Some(&It(5, 2)));
        let mut popped = vec![];
        while let Some(i) = q.pop_front() {
            popped.push(i.1);
        }
        assert_eq!(popped, vec![2, 5, 6, 1, 3, 4]);
        assert!(q.is_empty());
        assert_eq!(q.front(), None);
    }
}
