//! Every integration test in one binary, one module per former test file: one link instead
//! of dozens, which is most of the build time of `cargo test`. `tests/health_secret.rs`
//! stays apart because it installs a process-wide tracing subscriber.

#[path = "../common/mod.rs"]
mod common;

mod cli_output;
mod cli_terminal;
mod close_cli;
mod close_pane;
mod close_status;
mod convergence;
mod drill;
mod drill_channels;
mod e2e_tmux;
mod evidence_cli;
mod export_claim;
mod export_reports;
mod followups_cli;
mod followups_push;
mod handoff;
mod health_feed_cli;
mod health_graph;
mod health_net;
mod health_pane;
mod health_poller;
mod health_queue;
mod health_sources;
mod incident_create;
mod journal_crash;
mod journal_damage;
mod journal_files;
mod layering;
mod markers;
mod no_leftovers;
mod playbook_pane;
mod prop_inputs;
mod prop_journal;
mod queue_prop;
mod review_cli;
mod review_pane;
mod set_cli;
mod stats_cli;
mod step_run;
mod trace_exchange;
mod trace_exo;
mod trace_pane;
mod trace_postfix;
mod trace_prop;
mod trace_refresh;
mod trace_scan;

mod team_cli;
mod team_e2e;
mod team_live;
mod team_server;
mod team_tui;
mod tui_sizes;
mod tui_snapshots;
mod tui_typed_input;
mod tui_update;
mod updates_pane;
mod updates_send;
mod updates_smtp;
mod updates_statuspage;
mod updates_template;
