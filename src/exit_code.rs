//! The one table of gate's own exit codes. `gate exec` otherwise passes the command's code through.

/// The command ran (or the check succeeded) and exited 0.
pub const SUCCESS: i32 = 0;
/// Command-line usage error (clap's own code).
pub const USAGE: i32 = 2;
/// `gate audit verify`: the log (or the checkpoint) could not be read or was refused; not the
/// same as damaged. Shares its value with [`USAGE`], as the README documents.
pub const UNREADABLE: i32 = 2;
/// A check found problems: `gate audit verify` (the log is damaged), `gate policy lint` and
/// `gate policy test`.
pub const FAILED: i32 = 1;
/// `gate check --exit-code`: the policy says ask.
pub const CHECK_ASK: i32 = 10;
/// `gate check --exit-code`: the policy says deny.
pub const CHECK_DENY: i32 = 11;
/// A webhook could not be reached or did not accept what was posted (`gate audit checkpoint
/// --post`), or `gate requests`/`approve`/`deny` could not reach the broker. Never `gate exec`'s: there, a failed post is a warning.
pub const UNAVAILABLE: i32 = 69;
/// An internal error: a bug in gate.
pub const INTERNAL: i32 = 70;
/// The audit log could not be opened, read or written; the command did not run.
pub const AUDIT_ERROR: i32 = 74;
/// Refused: denied by policy, denied or not answered by a human, or no approver reachable.
/// The command did not start.
pub const REFUSED: i32 = 77;
/// The policy (or `gate serve`'s configuration, or a signing key file) could not be found, read,
/// parsed, validated or trusted; the command did not run.
pub const POLICY_ERROR: i32 = 78;
/// The command was found but could not be executed (as a shell reports it).
pub const NOT_EXECUTABLE: i32 = 126;
/// The command was not found (as a shell reports it).
pub const NOT_FOUND: i32 = 127;
/// A command killed by signal N gives `SIGNAL_BASE + N`.
pub const SIGNAL_BASE: i32 = 128;

/// Maps an error that reached the top to gate's exit code, by the kind of its root.
pub fn for_error(error: &anyhow::Error) -> i32 {
    for cause in error.chain() {
        if cause.is::<crate::commands::UsageError>() {
            return USAGE;
        }
        if cause.is::<crate::policy::PolicyError>() {
            return POLICY_ERROR;
        }
        if cause.is::<crate::audit::AuditError>() {
            return AUDIT_ERROR;
        }
        if cause.is::<crate::webhook::WebhookError>() {
            return UNAVAILABLE;
        }
        // The broker's configuration or a key file could not be read, validated or trusted: like
        // a policy error, something the user sets up.
        if cause.is::<crate::broker::config::ConfigError>() || cause.is::<crate::audit::KeyError>() {
            return POLICY_ERROR;
        }
        if let Some(crate::broker::client::ClientError::Unreachable { .. }) = cause.downcast_ref() {
            return UNAVAILABLE;
        }
    }
    INTERNAL
}
