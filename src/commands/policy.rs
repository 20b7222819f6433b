//! `gate policy lint` and `gate policy test`: check a policy file before trusting it.

use super::input::Environment;
use crate::display::escape_controls;
use crate::policy::{Choice, Policy, PolicyError};
use std::path::PathBuf;

/// Check a policy file: report every error, or run its [[tests]].
#[derive(Debug, clap::Args)]
pub struct PolicyCommandArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Report every error in a policy as file:line:col with the line and a caret
    ///
    /// Without FILE, every layer gate would load here is checked (the system, user and
    /// project policies, or the one file --policy/GATE_POLICY names), and then their stacking.
    ///
    /// Examples:
    ///   gate policy lint
    ///   gate policy lint ./policy.toml
    #[command(verbatim_doc_comment)]
    Lint {
        /// The policy file [default: the policy gate would use]
        file: Option<PathBuf>,
    },
    /// Run the policy's [[tests]] and print each one that fails, with the rule that decided
    ///
    /// Without FILE, the tests of every layer gate would load here run against the layers as
    /// gate stacks them.
    ///
    /// Examples:
    ///   gate policy test
    ///   gate policy test policies/kubernetes.toml
    #[command(verbatim_doc_comment)]
    Test {
        /// The policy file [default: the policy gate would use]
        file: Option<PathBuf>,
    },
    /// Print what gate knows about a program's options and operands, or list the programs known
    ///
    /// Examples:
    ///   gate policy programs
    ///   gate policy programs git
    ///   gate policy programs sort --json
    #[command(verbatim_doc_comment)]
    Programs {
        /// The program (`git`, `git log`); all names when left out
        name: Option<String>,
        /// Print JSON
        #[arg(long)]
        json: bool,
        /// The policy file whose [[programs]] to include [default: the policy gate would use]
        #[arg(long)]
        policy: Option<PathBuf>,
    },
}

pub fn run(args: PolicyCommandArgs) -> anyhow::Result<i32> {
    let environment = Environment::capture()?;
    match args.command {
        PolicyCommand::Lint { file: Some(file) } => lint(&Choice::File(file), &environment),
        PolicyCommand::Lint { file: None } => lint_layers(&layers(), &environment),
        PolicyCommand::Test { file: Some(file) } => {
            test(Policy::load(&Choice::File(file), &environment.home)?, &environment)
        }
        PolicyCommand::Test { file: None } => {
            test(Policy::load_layers(&layers(), &environment.home)?, &environment)
        }
        PolicyCommand::Programs { name, json, policy } => {
            programs(&choice(policy), name.as_deref(), json, &environment)
        }
    }
}

fn choice(file: Option<PathBuf>) -> Choice {
    let config = crate::paths::config_dir();
    crate::policy::locate(
        file.as_deref(),
        std::env::var_os("GATE_POLICY").map(PathBuf::from),
        config.as_deref(),
    )
}

/// The layers gate would load in this directory, as `gate exec` finds them.
fn layers() -> crate::policy::Layers {
    let cwd = std::env::current_dir().unwrap_or_default();
    crate::policy::locate_layers(
        None,
        std::env::var_os("GATE_POLICY").map(PathBuf::from),
        crate::paths::config_dir().as_deref(),
        &cwd,
    )
}

/// Lints each layer on its own, then stacks them as gate does (a project layer that loosens,
/// a broker pinned by the system layer): every problem an exec would hit, found here first.
fn lint_layers(layers: &crate::policy::Layers, environment: &Environment) -> anyhow::Result<i32> {
    let mut failed = false;
    let project = layers.project.clone().map(Choice::File);
    for choice in layers.base.iter().chain(project.as_ref()) {
        failed |= lint(choice, environment)? != crate::exit_code::SUCCESS;
    }
    // A system or user policy without `extends` is the whole policy: the built-in rules are gone.
    for choice in &layers.base {
        if let Choice::File(path) = choice
            && Policy::load_alone(choice, &environment.home).is_ok_and(|layer| !layer.extends_builtin)
        {
            println!(
                "warning: {} replaces gate's built-in default policy entirely: to add to it instead, put `extends = \"builtin\"` at the top\n",
                escape_controls(&path.display().to_string())
            );
        }
    }
    if layers.base.len() + usize::from(layers.project.is_some()) > 1 {
        match Policy::load_layers(layers, &environment.home) {
            Ok(policy) => println!("stacked as gate loads them: {}: ok", escape_controls(&policy.name)),
            Err(PolicyError::Invalid(_)) => {} // Reported above, file by file.
            Err(error) => {
                println!("stacked as gate loads them: {}", crate::display::error_line(&error));
                failed = true;
            }
        }
    }
    Ok(if failed { crate::exit_code::FAILED } else { crate::exit_code::SUCCESS })
}

fn lint(choice: &Choice, environment: &Environment) -> anyhow::Result<i32> {
    match Policy::load(choice, &environment.home) {
        Ok(policy) => {
            let (errors, warnings) = policy.lint_knowledge();
            for diagnostic in &errors {
                println!("{diagnostic}\n");
            }
            for warning in &warnings {
                println!("{}\n", escape_controls(warning));
            }
            if !errors.is_empty() {
                println!(
                    "{} error{} in gate's program knowledge",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" }
                );
                return Ok(crate::exit_code::FAILED);
            }
            println!("{}: ok", escape_controls(&policy.name));
            Ok(crate::exit_code::SUCCESS)
        }
        Err(PolicyError::Invalid(diagnostics)) => {
            for diagnostic in &diagnostics {
                println!("{diagnostic}\n");
            }
            let plural = if diagnostics.len() == 1 { "" } else { "s" };
            println!("{} error{plural}", diagnostics.len());
            Ok(crate::exit_code::FAILED)
        }
        Err(error) => Err(error.into()),
    }
}

fn test(policy: Policy, environment: &Environment) -> anyhow::Result<i32> {
    let failures = policy.run_tests(&environment.context());
    let name = escape_controls(&policy.name);
    for failure in &failures {
        let expected_rule =
            failure.test.rule.as_deref().map(|rule| format!(" by rule {rule}")).unwrap_or_default();
        let decided_by = match &failure.rule {
            Some(rule) => format!("rule {rule}: {}", failure.reason),
            None => failure.reason.clone(),
        };
        println!(
            "{name}:{}: `{}`: expected {}{expected_rule}, got {} ({})",
            failure.test.line,
            escape_controls(&failure.test.command),
            failure.test.expect,
            failure.got,
            escape_controls(&decided_by),
        );
    }
    let total = policy.tests.len();
    println!("{} passed, {} failed", total - failures.len(), failures.len());
    Ok(if failures.is_empty() { crate::exit_code::SUCCESS } else { crate::exit_code::FAILED })
}

fn programs(
    choice: &Choice,
    name: Option<&str>,
    json: bool,
    environment: &Environment,
) -> anyhow::Result<i32> {
    let policy = Policy::load(choice, &environment.home)?;
    match policy.describe_program(name, json) {
        Some(text) => {
            for line in text.lines() {
                println!("{}", escape_controls(line));
            }
            Ok(crate::exit_code::SUCCESS)
        }
        None => {
            println!(
                "gate has no knowledge of `{}`: add a [[programs]] table to your policy",
                escape_controls(name.unwrap_or(""))
            );
            Ok(crate::exit_code::FAILED)
        }
    }
}
