//! The simulation core: integer time, a totally ordered event queue, seeded random streams,
//! sampling distributions and streaming statistics.
//!
//! Nothing in here knows about Azure, files or the command line, and nothing in here imports
//! the rest of the crate. Models built on top (the compute targets) own their state and
//! schedule their own events through [`Schedule`].

pub mod dist;
pub mod mser;
pub mod queue;
pub mod rng;
pub mod stats;
pub mod time;

pub use dist::Sampler;
pub use queue::{EventQueue, Schedule};
pub use rng::{StreamRng, derive_seed, stream};
pub use time::SimTime;
