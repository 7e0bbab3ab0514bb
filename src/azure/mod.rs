//! Azure's own file formats, read at capsim's edge into plain values the rest of the program
//! understands: nothing below this module knows these formats exist. It imports only [`text`],
//! the catalog's spelling helper and the trace reader's row conventions, so that `scenario` may
//! use it (a scenario's `from = "cluster.yml"`) and `commands` too.
//!
//! - [`ml`]: Azure ML CLI v2 YAML (compute targets, online and batch endpoints and their
//!   deployments), as scenario tables with the YAML line of every value, for `capsim import`
//!   and a scenario's `from`.
//! - [`monitor`]: CSV exports of the Azure Monitor log tables an Azure ML workspace's
//!   diagnostic settings fill (job, cluster and node events, online endpoint traffic), for
//!   calibration and backtests.
//!
//! [`text`]: crate::text

pub mod ml;
pub mod monitor;
