//! Integration tests: the real `gate` binary in a temporary home with a cleared environment.

mod audit_checkpoint;
mod audit_concurrency;
mod audit_flip;
mod audit_read;
mod audit_scale;
mod audit_tamper;
mod audit_webhook;
mod broker;
mod broker_cli;
mod broker_config;
mod broker_durability;
mod broker_exec;
mod broker_harness;
mod broker_receiver;
mod broker_support;
mod check;
mod classifier;
mod completions;
mod cost;
mod doctor;
mod exec;
mod hooks;
mod init;
mod mcp;
mod paths;
mod pinning;
mod policies;
#[path = "../support/pty.rs"]
mod pty;
mod shell_bash;
mod shim;
mod support;
mod web;
mod web_page;
mod web_support;
