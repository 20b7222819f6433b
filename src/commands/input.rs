//! Arguments shared by the commands that take a command line: the policy and the command.

use crate::policy::effects::OwnFiles;
use crate::policy::{Choice, Context, Layers, Policy, Resolver};
use crate::shell::Analysis;
use anyhow::Context as _;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// The base policy file. Without it: $GATE_POLICY, else /etc/gate/policy.toml and
    /// ~/.config/gate/policy.toml stacked (either alone when only one exists), else the built-in
    /// default; a layer with `extends = "builtin"` adds to the built-in. A project's
    /// .gate/policy.toml, found up from the working directory, goes on top of any of these and
    /// may only tighten (`gate policy lint` shows the layers in force here)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CommandArgs {
    /// A shell line, judged as a whole and run with `bash -c`
    #[arg(short = 'c', value_name = "LINE", conflicts_with = "argv")]
    pub line: Option<OsString>,

    /// The command and its arguments, run directly (no shell)
    #[arg(value_name = "CMD", trailing_var_arg = true, allow_hyphen_values = true)]
    pub argv: Vec<OsString>,
}

/// What was asked for: a line for the shell, or an argument vector. Both are the bytes gate was
/// given, UTF-8 or not.
pub enum Request {
    Line(OsString),
    Argv(Vec<OsString>),
}

/// A command line gate was given that names nothing to run: a usage error (exit 2), not a
/// request for approval.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl CommandArgs {
    /// The request, or a usage error when it names nothing to run: no command, an empty program
    /// name, or a line of blanks and comments only.
    pub fn into_request(self) -> Result<Request, UsageError> {
        let request = match self.line {
            Some(line) => Request::Line(line),
            None if self.argv.is_empty() => {
                return Err(UsageError(
                    "give the command to run after --, as in `-- CMD ARGS...`, or a shell line with -c LINE"
                        .into(),
                ));
            }
            // No program is named `-x`: this is an option of gate's that does not exist.
            None if self.argv[0].as_encoded_bytes().starts_with(b"-") => {
                let shown = crate::display::argv_line(&self.argv[..1]);
                return Err(UsageError(format!(
                    "unexpected argument {shown}: gate has no such option (the command goes after --)"
                )));
            }
            None => Request::Argv(self.argv),
        };
        let empty = match &request {
            Request::Argv(argv) => argv[0].is_empty(),
            Request::Line(line) => {
                let analysis = crate::shell::analyze_line_bytes(line.as_bytes());
                analysis.units.is_empty() && analysis.parse_error.is_none()
            }
        };
        if empty {
            return Err(UsageError("the command is empty: there is nothing to run".into()));
        }
        Ok(request)
    }
}

impl Request {
    pub fn analyze(&self) -> Analysis {
        match self {
            Request::Line(line) => crate::shell::analyze_line_bytes(line.as_bytes()),
            Request::Argv(argv) => crate::shell::analyze_argv(argv),
        }
    }

    /// The request as one line, escaped for display.
    pub fn display(&self) -> String {
        match self {
            Request::Line(line) => crate::display::escape_bytes(line.as_bytes()),
            Request::Argv(argv) => crate::display::argv_line(argv),
        }
    }
}

/// The facts about gate's own environment that rules are matched against.
pub struct Environment {
    pub home: String,
    pub cwd: PathBuf,
    pub resolver: Resolver,
    /// The git work tree around `cwd`.
    pub project: Option<PathBuf>,
    pub own: OwnFiles,
}

impl Environment {
    /// The environment, with gate's own files as found by default (the default log).
    pub fn capture() -> anyhow::Result<Environment> {
        let mut environment = Environment::without_own_files(None)?;
        environment.own = OwnFiles::of(None, &[]);
        Ok(environment)
    }

    /// The environment in `cwd` (else gate's own working directory) before gate's own files are
    /// known (finding them costs a few dozen system calls, done once per run).
    fn without_own_files(cwd: Option<&Path>) -> anyhow::Result<Environment> {
        let home = crate::paths::home().map(|home| home.to_string_lossy().into_owned()).unwrap_or_default();
        let cwd = match cwd {
            Some(cwd) => cwd.to_path_buf(),
            None => std::env::current_dir().context("cannot read the current directory")?,
        };
        Ok(Environment {
            home,
            project: crate::policy::effects::discover_project(&cwd),
            cwd,
            resolver: Resolver::new(std::env::var_os("PATH")),
            own: OwnFiles::default(),
        })
    }

    /// The environment and the policy a command line is judged in, by `gate exec` and `gate
    /// check` alike: gate's own files include the log `database` (`--db`) and every policy
    /// layer loaded.
    pub fn for_command(
        policy: &PolicyArgs,
        database: Option<&Path>,
    ) -> anyhow::Result<(Environment, Policy)> {
        Environment::for_command_in(policy, database, None)
    }

    /// [`for_command`](Environment::for_command) for a command that runs in `cwd` rather than
    /// gate's own working directory (an agent's hook says where its command runs): the project
    /// and its policy layer are found from there.
    pub fn for_command_in(
        policy: &PolicyArgs,
        database: Option<&Path>,
        cwd: Option<&Path>,
    ) -> anyhow::Result<(Environment, Policy)> {
        let mut environment = Environment::without_own_files(cwd)?;
        let layers = policy.layers(&environment);
        let loaded = Policy::load_layers(&layers, &environment.home)?;
        let files: Vec<PathBuf> = layers
            .base
            .iter()
            .filter_map(|choice| match choice {
                Choice::File(path) => Some(path.clone()),
                Choice::Builtin => None,
            })
            .chain(layers.project.clone())
            .collect();
        environment.own = OwnFiles::of(database, &files);
        Ok((environment, loaded))
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            home: &self.home,
            cwd: &self.cwd,
            env: &|name| std::env::var(name).ok(),
            resolver: &self.resolver,
            project: self.project.as_deref(),
            own: &self.own,
        }
    }
}

impl PolicyArgs {
    /// Finds and loads every layer of the policy.
    pub fn load(&self, environment: &Environment) -> anyhow::Result<Policy> {
        Ok(Policy::load_layers(&self.layers(environment), &environment.home)?)
    }

    /// Every layer of the policy that applies.
    fn layers(&self, environment: &Environment) -> Layers {
        crate::policy::locate_layers(
            self.policy.as_deref(),
            std::env::var_os("GATE_POLICY").map(PathBuf::from),
            crate::paths::config_dir().as_deref(),
            &environment.cwd,
        )
    }
}
