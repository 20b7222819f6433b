//! The approval broker, `gate serve`.

pub mod web;
