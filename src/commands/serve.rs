//! `gate serve`: run the approval broker, or lint its configuration with `--check`.

use std::path::PathBuf;

use crate::broker::config::{Config, ConfigError};
use crate::exit_code;

/// Run the approval broker: hold pending requests, let approvers decide, sign the decisions
///
/// Examples:
///   gate serve --config broker.toml
///   gate serve --config broker.toml --check
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ServeArgs {
    /// The broker's configuration file (see examples/broker.toml)
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// Only check the configuration: report every error as file:line:col, exit 0 or 1
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: ServeArgs) -> anyhow::Result<i32> {
    if args.check {
        return check(&args.config);
    }
    let config = Config::load(&args.config)?;
    crate::broker::serve(config)?;
    Ok(exit_code::SUCCESS)
}

fn check(path: &std::path::Path) -> anyhow::Result<i32> {
    match Config::load(path) {
        Ok(config) => {
            println!("{}: ok", crate::display::escape_controls(&config.file.display().to_string()));
            Ok(exit_code::SUCCESS)
        }
        Err(ConfigError::Invalid(diagnostics)) => {
            for diagnostic in &diagnostics {
                println!("{diagnostic}\n");
            }
            let plural = if diagnostics.len() == 1 { "" } else { "s" };
            println!("{} error{plural}", diagnostics.len());
            Ok(exit_code::FAILED)
        }
        Err(error) => Err(error.into()),
    }
}
