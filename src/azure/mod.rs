//! Azure's own file formats, read at capsim's edge into plain values the rest of the program
//! understands: nothing below this module knows these formats exist.
//!
//! - [`monitor`]: CSV exports of the Azure Monitor log tables an Azure ML workspace's
//!   diagnostic settings fill (job, cluster and node events, online endpoint traffic), for
//!   calibration and backtests.

pub mod monitor;
