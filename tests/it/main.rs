//! capsim's integration tests, in one test binary: one module per behaviour, each named after
//! what it checks, and `support` for what several of them need (running the binary, writing a
//! scenario to a temporary folder, reading CSV cells by column, loading scenario text, driving
//! a target's event queue by hand).
//!
//! One binary rather than a file per test under `tests/`: every test file there is a crate of
//! its own, linked against the whole library and its dependencies, so 29 files cost 29 links.
//! `cargo test --profile checked` runs them all (the profile is described in Cargo.toml); one
//! module alone: `cargo test --profile checked --test it <module>::`.

mod support;

mod architecture;
mod auto_plumbing;
mod auto_replications;
mod autoscale_actions;
mod autoscale_flapping;
mod autoscale_metrics;
mod autoscale_timelines;
mod azure_monitor;
mod azure_yaml;
mod batch_endpoint;
mod ci_coverage;
mod cli;
mod cluster_reference;
mod cluster_timelines;
mod commitments;
mod conservation;
mod determinism;
mod docs;
mod endpoint_kubernetes;
mod endpoint_queueing;
mod endpoint_timeouts;
mod endpoint_traffic;
mod endpoint_validation;
mod first_minutes;
mod fuzz_regressions;
mod goals;
mod hardening;
mod interrupted_runs;
mod job_history;
mod loader_properties;
mod merge_refusals;
mod model_properties;
mod monitor_rows;
mod offered_load;
mod preemption;
mod prices;
mod prices_import;
mod profile_series;
mod queueing_theory;
mod report;
mod report_markdown;
mod reproduce;
mod resource_guards;
mod resource_model;
mod scenarios;
mod shards;
mod sizing;
mod special_files;
mod spot;
mod target_timelines;
mod terminal_width;
mod trace_reader;
mod trace_replay;
mod validation;
mod validation_gaps;
mod verdicts;
mod wait_window;
mod warmup_bias;
mod waste;
mod workloads;
