//! Integration tests: the real `gate` binary in a temporary home with a cleared environment.

mod audit_checkpoint;
mod audit_concurrency;
mod audit_read;
mod audit_tamper;
mod audit_webhook;
mod check;
mod classifier;
mod completions;
mod exec;
mod policies;
mod support;
mod web;
mod web_support;
