//! Integration tests: the real `gate` binary in a temporary home with a cleared environment.

mod audit_checkpoint;
mod audit_concurrency;
mod audit_flip;
mod audit_read;
mod audit_scale;
mod audit_tamper;
mod audit_webhook;
mod check;
mod classifier;
mod completions;
mod exec;
mod policies;
mod support;
