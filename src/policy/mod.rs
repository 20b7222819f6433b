//! The policy: TOML rules that classify a command line as allow, ask or deny.
//! `raw` mirrors the file, `compile` checks it into `rule`s, `locate` finds the file to use,
//! `classify` judges an analysed line. Raw structs never leave this module.

mod cache;
mod classify;
mod compile;
mod decision;
mod diagnostic;
pub mod effects;
mod encoded;
mod glob;
mod index;
mod locate;
mod paths;
mod programs;
mod raw;
mod resolve;
mod rule;
mod rules;
mod sections;
mod testing;
#[cfg(test)]
mod tests;
mod variables;

pub use classify::{Classification, Part, PartKind};
pub use decision::Decision;
pub use diagnostic::Diagnostic;
pub use locate::{Choice, Layers, SYSTEM_POLICY, locate, locate_layers};
pub use resolve::Resolver;
pub use rule::Context;
pub use testing::TestFailure;

use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;

/// The policy compiled into the binary, used when no file is configured.
pub const BUILTIN_DEFAULT: &str = include_str!("../../policies/default.toml");
/// How the built-in default is named in messages and in the audit log.
pub const BUILTIN_NAME: &str = "(built-in default)";

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read the policy {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the policy {path} is not UTF-8 text")]
    NotText { path: PathBuf },
    #[error("invalid policy: {}{}", .0[0].headline(), more_errors(.0.len()))]
    Invalid(Vec<Diagnostic>),
    #[error(
        "the policy {path} sets [approval], but /etc/gate/policy.toml pins the broker {pinned}: remove [approval] from {path}"
    )]
    BrokerPinned { path: String, pinned: String },
    #[error(
        "the project policy {path} may only tighten the policy below it, but {why}: a repository is written by the agent it is meant to constrain"
    )]
    Loosens { path: String, why: String },
}

fn more_errors(count: usize) -> String {
    match count {
        1 => String::new(),
        n => format!(" (and {} more; run `gate policy lint` to see them all)", n - 1),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// What a command that no rule matches gets.
    pub default: Decision,
    /// What code gate cannot see gets; never allow.
    pub opaque: Decision,
    /// What a line that does not parse gets; never allow.
    pub on_parse_error: Decision,
    /// How long a human has to answer.
    pub approval_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            default: Decision::Ask,
            opaque: Decision::Ask,
            on_parse_error: Decision::Ask,
            approval_timeout: Duration::from_secs(120),
        }
    }
}

/// The settings a file writes; what it leaves out comes from the layer below or the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct WrittenSettings {
    pub default: Option<Decision>,
    pub opaque: Option<Decision>,
    pub on_parse_error: Option<Decision>,
    pub approval_timeout: Option<Duration>,
}

impl Settings {
    /// These settings with a layer's written ones on top. For a project layer, anything looser
    /// than what is below is an error.
    fn overlay(&self, written: &WrittenSettings, project: Option<&str>) -> Result<Settings, String> {
        let mut merged = self.clone();
        for (key, below, above) in [
            ("default", &mut merged.default, written.default),
            ("opaque", &mut merged.opaque, written.opaque),
            ("on_parse_error", &mut merged.on_parse_error, written.on_parse_error),
        ] {
            if let Some(above) = above {
                if project.is_some() && above < *below {
                    return Err(format!("settings.{key} = \"{above}\" is looser than \"{below}\" below it"));
                }
                *below = above;
            }
        }
        if let Some(timeout) = written.approval_timeout {
            if project.is_some() && timeout > merged.approval_timeout {
                return Err(format!(
                    "settings.approval_timeout = {} is longer than {} below it",
                    timeout.as_secs(),
                    merged.approval_timeout.as_secs()
                ));
            }
            merged.approval_timeout = timeout;
        }
        Ok(merged)
    }
}

/// `[approval]` of one layer: the broker to ask.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BrokerSetting {
    /// Without a trailing slash.
    pub url: String,
    /// `env:NAME` or `file:PATH`.
    pub token: Option<String>,
    /// The broker's public key (`GET /v1/key`).
    pub key: Option<String>,
    /// The file that set it.
    pub layer: String,
}

/// A `[[tests]]` entry: a command line and the decision the policy must give it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyTest {
    pub command: String,
    pub expect: Decision,
    pub rule: Option<String>,
    /// Where the test is written, for messages.
    pub line: usize,
}

/// A loaded, checked policy.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// The file it came from, or [`BUILTIN_NAME`].
    pub name: String,
    /// SHA-256 of the file's bytes, hex: recorded with every decision.
    pub sha256: String,
    pub settings: Settings,
    /// The broker named by the highest layer that names one.
    pub approval: Option<BrokerSetting>,
    written: WrittenSettings,
    /// Not in the serialized form: the cache keeps them in a section of their own.
    #[serde(skip)]
    rules: rules::Rules,
    /// Rule positions by the base name of the program they name, so a command is only
    /// compared with rules that could match it. Not in the serialized form: the cache keeps it
    /// in a section of its own.
    #[serde(skip)]
    by_program: index::ProgramIndex,
    /// Rules that apply to any program (no `match`, or a glob program).
    for_any_program: Vec<usize>,
    pub tests: Vec<PolicyTest>,
    /// What reading and writing which path is worth. Not in the serialized form: the cache
    /// keeps it in a section of its own, read the first time a path is judged.
    #[serde(skip)]
    pub(crate) paths: sections::Deferred<effects::PathClasses>,
    /// What gate knows about programs' options: the embedded files and every layer's
    /// `[[programs]]`.
    pub(crate) programs: programs::Knowledge,
    /// The file said `extends = "builtin"`: the built-in default belongs below it.
    pub extends_builtin: bool,
}

impl Policy {
    /// Parses and checks a policy's text; `name` is used in messages, `home` for `~`.
    pub fn parse(name: &str, text: &str, home: &str) -> Result<Policy, PolicyError> {
        Policy::parse_layer(name, text, home, false)
    }

    fn parse_layer(name: &str, text: &str, home: &str, project: bool) -> Result<Policy, PolicyError> {
        let mut checker = compile::Checker { file: name, source: text, home, project, errors: Vec::new() };
        let raw = raw::read(&mut checker);
        let compiled = raw.map(|raw| compile::compile(raw, &mut checker));
        let Some(compiled) = compiled.filter(|_| checker.errors.is_empty()) else {
            let mut errors = checker.errors;
            errors.sort_by_key(|error| (error.line, error.column));
            return Err(PolicyError::Invalid(errors));
        };
        let settings =
            Settings::default().overlay(&compiled.settings, None).expect("base layers may set anything");
        let mut policy = Policy {
            name: name.to_string(),
            sha256: hex_sha256(text.as_bytes()),
            settings,
            approval: compiled.approval,
            written: compiled.settings,
            rules: compiled.rules.into(),
            by_program: index::ProgramIndex::default(),
            for_any_program: Vec::new(),
            tests: compiled.tests,
            paths: sections::Deferred::new(compiled.paths),
            programs: {
                let mut knowledge = programs::Knowledge::default();
                knowledge.add(compiled.programs);
                knowledge
            },
            extends_builtin: compiled.extends_builtin,
        };
        policy.index();
        Ok(policy)
    }

    /// Indexes rules by the base name of the programs they name.
    fn index(&mut self) {
        let mut by_program: std::collections::HashMap<String, Vec<usize>> = Default::default();
        self.for_any_program.clear();
        for (at, rule) in self.rules.iter().enumerate() {
            let names: Option<Vec<String>> = rule
                .patterns
                .as_ref()
                .and_then(|patterns| patterns.iter().map(rule::Pattern::index_name).collect());
            match names {
                Some(names) => {
                    for name in names {
                        let slot = by_program.entry(name).or_default();
                        if slot.last() != Some(&at) {
                            slot.push(at);
                        }
                    }
                }
                None => self.for_any_program.push(at),
            }
        }
        self.by_program = index::ProgramIndex::Built(by_program);
    }

    /// This policy with another layer on top: the rules of both apply (the strictest wins), and
    /// the upper layer's settings replace these, but a project layer may only tighten them.
    fn stack(mut self, upper: Policy, project: bool) -> Result<Policy, PolicyError> {
        let project_name = project.then_some(upper.name.as_str());
        self.settings = self
            .settings
            .overlay(&upper.written, project_name)
            .map_err(|why| PolicyError::Loosens { path: upper.name.clone(), why })?;
        if let Some(setting) = upper.approval {
            // The system layer's broker is pinned: nobody above may point gate elsewhere.
            if let Some(pinned) = self.approval.as_ref().filter(|below| below.layer == SYSTEM_POLICY) {
                return Err(PolicyError::BrokerPinned {
                    path: upper.name.clone(),
                    pinned: pinned.url.clone(),
                });
            }
            self.approval = Some(setting);
        }
        let upper_paths = upper.paths.into_compiled();
        if let Some(why) = upper_paths.loosens.clone().filter(|_| project) {
            return Err(PolicyError::Loosens { path: upper.name.clone(), why });
        }
        self.paths.compiled().stack(upper_paths);
        self.sha256 = hex_sha256(
            format!("{}  {}\n{}  {}\n", self.sha256, self.name, upper.sha256, upper.name).as_bytes(),
        );
        self.name = format!("{} + {}", self.name, upper.name);
        self.rules.extend(upper.rules);
        self.programs.stack(upper.programs);
        self.tests.extend(upper.tests);
        self.index();
        Ok(self)
    }

    /// Loads every layer and stacks them, lowest first.
    /// Without any base layer, the built-in default is the base; a base layer that says
    /// `extends = "builtin"` puts it below all of them, once.
    /// The compiled result is kept in gate's cache, keyed by the SHA-256 of everything it is
    /// made from (see `cache`): a run with the same files reads it instead of compiling them.
    pub fn load_layers(layers: &Layers, home: &str) -> Result<Policy, PolicyError> {
        let named: Vec<(String, cache::Layer, bool)> = layers
            .base
            .iter()
            .map(|choice| match choice {
                Choice::Builtin => (BUILTIN_NAME.to_string(), cache::Layer::Text(BUILTIN_DEFAULT), false),
                Choice::File(path) => (path.display().to_string(), cache::Layer::File(path), false),
            })
            .chain(
                layers
                    .project
                    .iter()
                    .map(|path| (path.display().to_string(), cache::Layer::File(path), true)),
            )
            .collect();
        if let Some(policy) =
            cache::Cache::for_layer_files(home, &named).as_ref().and_then(cache::Cache::load)
        {
            return Ok(policy);
        }
        let texts: Vec<std::borrow::Cow<'_, str>> = named
            .iter()
            .map(|(_, layer, _)| match layer {
                cache::Layer::Text(text) => Ok((*text).into()),
                cache::Layer::File(path) => read_text(path).map(Into::into),
            })
            .collect::<Result<_, PolicyError>>()?;
        let sources: Vec<(&str, &str, bool)> = named
            .iter()
            .zip(&texts)
            .map(|((name, _, project), text)| (name.as_str(), text.as_ref(), *project))
            .collect();
        let policy = Policy::compile_layers(&sources, home)?;
        // Kept under the key of the text read here, which is what was compiled, even if a file
        // changed since its bytes were hashed above.
        if let Some(cache) = cache::Cache::for_layers(home, &sources) {
            cache.store(&policy);
        }
        Ok(policy)
    }

    /// Compiles and stacks layers given as `(name, text, is the project layer)`, the project
    /// layer last.
    fn compile_layers(sources: &[(&str, &str, bool)], home: &str) -> Result<Policy, PolicyError> {
        let base: Vec<Policy> = sources
            .iter()
            .filter(|(_, _, project)| !project)
            .map(|(name, text, _)| Policy::parse(name, text, home))
            .collect::<Result<_, _>>()?;
        let builtin_below = base.is_empty() || base.iter().any(|layer| layer.extends_builtin);
        let mut stacked: Option<Policy> = None;
        let builtin = builtin_below.then(|| Policy::load_alone(&Choice::Builtin, home)).transpose()?;
        for layer in builtin.into_iter().chain(base) {
            stacked = Some(match stacked {
                Some(below) => below.stack(layer, false)?,
                None => layer,
            });
        }
        let mut policy = stacked.expect("the built-in or a base layer");
        for (name, text, _) in sources.iter().filter(|(_, _, project)| *project) {
            let upper = Policy::parse_layer(name, text, home, true)?;
            policy = policy.stack(upper, true)?;
        }
        Ok(policy)
    }

    /// Loads the policy a [`Choice`] names, on the built-in default when it says
    /// `extends = "builtin"`.
    pub fn load(choice: &Choice, home: &str) -> Result<Policy, PolicyError> {
        let policy = Policy::load_alone(choice, home)?;
        if !policy.extends_builtin {
            return Ok(policy);
        }
        Policy::load_alone(&Choice::Builtin, home)?.stack(policy, false)
    }

    /// Loads one file (or the built-in) on its own.
    pub fn load_alone(choice: &Choice, home: &str) -> Result<Policy, PolicyError> {
        match choice {
            Choice::Builtin => Policy::parse(BUILTIN_NAME, BUILTIN_DEFAULT, home),
            Choice::File(path) => Policy::parse(&path.display().to_string(), &read_text(path)?, home),
        }
    }

    /// The rules that could match a program with this base name, in file order.
    fn candidates(&self, base_name: Option<&str>) -> impl Iterator<Item = &rule::Rule> {
        let named =
            base_name.map_or(index::Positions::These(Vec::new()), |name| self.by_program.positions(name));
        let mut positions: Vec<usize> = match named {
            index::Positions::These(named) => {
                named.into_iter().chain(self.for_any_program.iter().copied()).collect()
            }
            index::Positions::All => (0..self.rules.len()).collect(),
        };
        positions.sort_unstable();
        positions.dedup();
        positions.into_iter().map(|at| self.rules.get(at))
    }
}

/// The largest policy file gate reads: far above any real policy (10,000 rules is about 2 MB),
/// far below what would exhaust memory.
const MAX_POLICY_BYTES: u64 = 16 << 20;

/// Reads a policy file: a regular file of UTF-8 text, at most [`MAX_POLICY_BYTES`].
fn read_text(path: &std::path::Path) -> Result<String, PolicyError> {
    use std::io::Read;
    let error = |source| PolicyError::Read { path: path.to_path_buf(), source };
    let (file, len) = open_policy_file(path).map_err(error)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_POLICY_BYTES + 1).read_to_end(&mut bytes).map_err(error)?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(error(too_large()));
    }
    String::from_utf8(bytes).map_err(|_| PolicyError::NotText { path: path.to_path_buf() })
}

/// Opens a policy file to read, with its length: a regular file of at most
/// [`MAX_POLICY_BYTES`]. It is opened without blocking, so a FIFO is refused instead of waited
/// on, and `/dev/zero` is refused instead of read until memory runs out.
fn open_policy_file(path: &std::path::Path) -> std::io::Result<(std::fs::File, u64)> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "it is not a regular file"));
    }
    if meta.len() > MAX_POLICY_BYTES {
        return Err(too_large());
    }
    Ok((file, meta.len()))
}

fn too_large() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is larger than {} MiB", MAX_POLICY_BYTES >> 20),
    )
}

pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}
