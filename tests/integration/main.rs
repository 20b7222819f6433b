//! Integration tests: the real `gate` binary in a temporary home with a cleared environment.

mod check;
mod classifier;
mod completions;
mod exec;
mod policies;
mod support;
