//! Integration tests: the real `gate` binary in a temporary home with a cleared environment.

mod check;
mod completions;
mod exec;
mod policies;
mod support;
