//! # capsim
//!
//! Capacity planning for Azure Machine Learning compute by discrete-event simulation.
//!
//! A scenario file describes workloads (when jobs arrive, how long they run, how many nodes they
//! take) and compute targets (VM size, minimum and maximum nodes, idle time before scale-down,
//! tier). capsim simulates the targets' autoscalers, queues, provisioning delays and billing over
//! many independent replications and reports waits, utilisation and cost with 95% confidence
//! intervals.
//!
//! The layers depend one way: [`cli`] → [`commands`] → [`output`] / [`sweep`] → [`scenario`] →
//! [`model`], [`targets`], [`workload`] → [`engine`]. The engine knows time, events, random
//! streams and statistics and nothing of Azure; Azure's semantics live in [`targets`]; file
//! formats live in [`scenario`] and [`output`], and Azure's own formats at the edge, in
//! [`azure`] (Azure ML CLI v2 YAML, read as scenario tables for `capsim import` and a scenario's
//! `from`; Azure Monitor log exports, for calibration and backtests); [`fit`] fits distributions
//! and rates to observations, knowing nothing of Azure; [`commands`] are the program's commands
//! as library calls, and only [`cli`] prints.
//!
//! Determinism: every random draw comes from a stream derived from (seed, replication, purpose),
//! and replications are gathered in order, so the same scenario and seed give byte-identical
//! outputs on any number of threads.

pub mod azure;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod fit;
pub mod metrics;
pub mod model;
pub mod output;
pub mod report;
pub mod scenario;
pub mod sizing;
pub mod sweep;
pub mod targets;
pub mod text;
pub mod workload;
