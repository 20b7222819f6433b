//! Variables a command may be given without changing what an allowed program runs.
//!
//! An allow rule vouches for a program as it normally behaves, and many variables change that:
//! `GIT_PAGER`, `GIT_CONFIG_*`, `EDITOR`, `CC`, `MAKEFLAGS`, `RUSTC_WRAPPER`, `NODE_OPTIONS`,
//! `LD_AUDIT`, `GCONV_PATH`, `PATH` or `HOME` make it run other code, and every tool adds its
//! own. No list of dangerous names can keep up, so this is the list of harmless ones: any other
//! variable given to a command keeps it from every allow rule that does not name it in `env`.

/// Names that only change how output looks, which language it is in, or how much is logged.
const HARMLESS: &[&str] = &[
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "COLORTERM",
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "COLUMNS",
    "LINES",
    "CI",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "CARGO_TERM_COLOR",
    "CARGO_TERM_VERBOSE",
    "CARGO_TERM_QUIET",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONIOENCODING",
    "GIT_TERMINAL_PROMPT",
];

/// Whether giving the variable to a command leaves what the command runs unchanged. `LC_*` are
/// locale categories: data, never code (unlike `LOCPATH` or `GCONV_PATH`, which load modules).
pub(super) fn is_harmless(name: &str) -> bool {
    name.starts_with("LC_") || HARMLESS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::is_harmless;

    #[test]
    fn only_listed_variables_are_harmless() {
        for name in ["LANG", "LC_ALL", "LC_CTYPE", "TZ", "NO_COLOR", "RUST_LOG"] {
            assert!(is_harmless(name), "{name}");
        }
        for name in ["PATH", "HOME", "GIT_PAGER", "PAGER", "LD_AUDIT", "GCONV_PATH", "LOCPATH", "LC", "CC"] {
            assert!(!is_harmless(name), "{name}");
        }
    }
}
