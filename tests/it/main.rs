//! Every integration test in one binary, one module per former test file: one link instead
//! of dozens, which is most of the build time of `cargo test`. `tests/health_secret.rs`
//! stays apart because it installs a process-wide tracing subscriber.

#[path = "../common/mod.rs"]
mod common;

mod cli_output;
mod cli_terminal;
mod close_cli;
mod close_pane;
mod convergence;
mod drill;
mod drill_channels;
mod e2e_tmux;
mod export_reports;
mod handoff;
mod health_feed_cli;
mod health_graph;
mod health_net;
mod health_pane;
mod health_poller;
mod health_sources;
mod incident_create;
mod journal_crash;
mod journal_damage;
mod journal_files;
mod layering;
mod no_leftovers;
mod playbook_pane;
mod prop_inputs;
mod prop_journal;
mod set_cli;
mod trace_exchange;
mod trace_exo;
mod trace_pane;
mod trace_postfix;
mod trace_prop;
mod trace_refresh;
mod trace_scan;

mod tui_sizes;
mod tui_snapshots;
mod tui_typed_input;
mod tui_update;
mod updates_pane;
mod updates_send;
mod updates_smtp;
mod updates_statuspage;
mod updates_template;
