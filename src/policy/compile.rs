//! Turns the raw file into checked rules, collecting every error with its position, so that a
//! policy either loads whole or is rejected with all that is wrong in it.

use super::diagnostic::Diagnostic;
use super::glob::Glob;
use super::raw::{RawApproval, RawPolicy, RawRule, RawSettings};
use super::rule::{Pattern, Rule};
use super::{BrokerSetting, Decision, PolicyTest, WrittenSettings};
use std::collections::HashMap;
use std::time::Duration;
use toml::Spanned;

/// Longest approval wait a policy may ask for: one day.
const MAX_APPROVAL_TIMEOUT: i64 = 86_400;

pub(super) struct Compiled {
    pub settings: WrittenSettings,
    pub approval: Option<BrokerSetting>,
    pub rules: Vec<Rule>,
    pub tests: Vec<PolicyTest>,
    pub paths: super::effects::PathClasses,
    pub programs: Vec<super::programs::Program>,
    pub extends_builtin: bool,
}

/// Collects diagnostics against one file.
pub(super) struct Checker<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub home: &'a str,
    /// A project's layer, written by the agent it constrains: it may only tighten.
    pub project: bool,
    pub errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    pub fn error(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        self.errors.push(Diagnostic::new(self.file, self.source, span, message));
    }

    fn glob(&mut self, pattern: &Spanned<String>) -> Option<Glob> {
        match Glob::new(pattern.get_ref(), self.home) {
            Ok(glob) => Some(glob),
            Err(why) => {
                self.error(pattern.span(), format!("bad glob {:?}: {why}", pattern.get_ref()));
                None
            }
        }
    }

    /// A list condition: present means non-empty, since an empty list can never match.
    fn globs(&mut self, list: &Option<Spanned<Vec<Spanned<String>>>>, key: &str) -> Option<Vec<Glob>> {
        let list = list.as_ref()?;
        if list.get_ref().is_empty() {
            self.error(
                list.span(),
                format!("`{key} = []` can never match: list at least one pattern or remove the key"),
            );
        }
        Some(list.get_ref().iter().filter_map(|pattern| self.glob(pattern)).collect())
    }
}

fn bytecount_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

pub(super) fn compile(raw: RawPolicy, checker: &mut Checker) -> Compiled {
    if *raw.version.get_ref() != 1 {
        checker.error(
            raw.version.span(),
            format!("unsupported policy version {}: this gate reads version 1", raw.version.get_ref()),
        );
    }
    let extends_builtin = match &raw.extends {
        Some(extends) if extends.get_ref() == "builtin" => {
            if checker.project {
                checker.error(
                    extends.span(),
                    "a project policy always sits on top of the others: `extends` is for the system and user policies",
                );
            }
            true
        }
        Some(extends) => {
            checker.error(
                extends.span(),
                format!(
                    "`extends = {:?}`: the one policy a file can extend is \"builtin\"",
                    extends.get_ref()
                ),
            );
            false
        }
        None => false,
    };
    let settings = settings(raw.settings, checker);
    let approval = raw.approval.and_then(|section| approval(section, checker));
    let paths = super::effects::compile(raw.paths, checker);
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut rules = Vec::new();
    for raw_rule in raw.rules {
        let span = raw_rule.span();
        let raw_rule = raw_rule.into_inner();
        let id = raw_rule.id.get_ref().clone();
        if !valid_id(&id) {
            checker.error(
                raw_rule.id.span(),
                format!("rule id {id:?} must be letters, digits, '-', '_', '.' or ':'"),
            );
        } else if seen.insert(id.clone(), ()).is_some() {
            checker.error(raw_rule.id.span(), format!("duplicate rule id {id:?}: ids must be unique"));
        }
        if let Some(rule) = rule(raw_rule, checker, span) {
            rules.push(rule);
        }
    }
    // Tests come in file order, so their lines are counted in one pass over the source, not
    // from its start for each test: this runs on every load, and `gate exec` loads a policy.
    let (mut counted_to, mut line) = (0, 1);
    let tests = raw
        .tests
        .into_iter()
        .filter_map(|test| {
            let test = test.into_inner();
            if test.command.get_ref().trim().is_empty() {
                checker.error(test.command.span(), "a test needs a command");
                return None;
            }
            if let Some(rule) = &test.rule
                && !seen.contains_key(rule.get_ref())
            {
                checker.error(rule.span(), format!("no rule has the id {:?}", rule.get_ref()));
            }
            Some(PolicyTest {
                command: test.command.get_ref().clone(),
                expect: *test.expect.get_ref(),
                rule: test.rule.map(|rule| rule.into_inner()),
                line: {
                    let start = test.command.span().start.max(counted_to);
                    line += bytecount_newlines(&checker.source.as_bytes()[counted_to..start]);
                    counted_to = start;
                    line
                },
            })
        })
        .collect();
    let programs = super::programs::compile_layer(raw.programs, checker);
    Compiled { settings, approval, rules, tests, paths, programs, extends_builtin }
}

/// `[approval]`: a broker URL, where its token comes from, and its pinned public key. A project
/// layer may not name one: choosing who approves is not tightening.
fn approval(section: Spanned<RawApproval>, checker: &mut Checker) -> Option<BrokerSetting> {
    let span = section.span();
    let raw = section.into_inner();
    if checker.project {
        checker.error(
            span,
            "a project policy may not choose the approval broker: set [approval] in /etc/gate/policy.toml or ~/.config/gate/policy.toml",
        );
        return None;
    }
    let url = raw.broker.get_ref().trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() <= "https://".len() {
        checker.error(raw.broker.span(), "approval.broker must be an http:// or https:// URL");
    }
    if let Some(token) = &raw.token
        && !(token.get_ref().starts_with("env:") || token.get_ref().starts_with("file:"))
    {
        checker.error(
            token.span(),
            "approval.token must be env:NAME or file:PATH: a token is never written into a policy",
        );
    }
    if let Some(key) = &raw.key
        && let Err(why) = crate::audit::PublicKey::parse(key.get_ref())
    {
        checker
            .error(key.span(), format!("approval.key is not a broker key ({why}): copy it from GET /v1/key"));
    }
    Some(BrokerSetting {
        url,
        token: raw.token.map(Spanned::into_inner),
        key: raw.key.map(Spanned::into_inner),
        layer: checker.file.to_string(),
    })
}

fn settings(raw: Option<Spanned<RawSettings>>, checker: &mut Checker) -> WrittenSettings {
    let raw = raw.map(Spanned::into_inner).unwrap_or_default();
    let mut written =
        WrittenSettings { default: raw.default.map(Spanned::into_inner), ..WrittenSettings::default() };
    for (key, value, slot) in [
        ("opaque", &raw.opaque, &mut written.opaque),
        ("on_parse_error", &raw.on_parse_error, &mut written.on_parse_error),
    ] {
        if let Some(value) = value {
            if *value.get_ref() == Decision::Allow {
                checker.error(
                    value.span(),
                    format!("settings.{key} cannot be \"allow\": code gate cannot see is never allowed"),
                );
            } else {
                *slot = Some(*value.get_ref());
            }
        }
    }
    if let Some(timeout) = raw.approval_timeout {
        let seconds = *timeout.get_ref();
        if (1..=MAX_APPROVAL_TIMEOUT).contains(&seconds) {
            written.approval_timeout = Some(Duration::from_secs(seconds as u64));
        } else {
            checker.error(
                timeout.span(),
                format!("settings.approval_timeout must be 1 to {MAX_APPROVAL_TIMEOUT} seconds"),
            );
        }
    }
    written
}

fn rule(raw: RawRule, checker: &mut Checker, span: std::ops::Range<usize>) -> Option<Rule> {
    let id = raw.id.get_ref().clone();
    let has_condition = raw.match_.is_some()
        || raw.flags.is_some()
        || raw.args.is_some()
        || raw.redirects.is_some()
        || raw.env.is_some()
        || raw.cwd.is_some();
    if !has_condition {
        checker.error(span.start..span.start, format!("rule {id:?} has no condition (match, flags, args, redirects, env or cwd): it would match every command"));
    }
    let before = checker.errors.len();
    if checker.project && *raw.decision.get_ref() == Decision::Allow {
        checker.error(
            raw.decision.span(),
            "a project policy may only tighten: `allow` is not accepted here, since the repository is written by the agent it constrains",
        );
    }
    let patterns = raw.match_.as_ref().map(|list| {
        if list.get_ref().is_empty() {
            checker.error(list.span(), "`match = []` can never match: list at least one command");
        }
        list.get_ref().iter().filter_map(|entry| pattern(entry, checker)).collect()
    });
    let flags = raw.flags.as_ref().map(|list| {
        if list.get_ref().is_empty() {
            checker.error(list.span(), "`flags = []` can never match: list at least one flag");
        }
        list.get_ref()
            .iter()
            .filter_map(|flag| {
                let text = flag.get_ref();
                let valid = text.len() > 1
                    && text.starts_with('-')
                    && !text.contains(char::is_whitespace)
                    && text != "--";
                if !valid {
                    checker.error(
                        flag.span(),
                        format!(
                            "flag {text:?} can never match: a flag starts with '-' (\"-r\", \"--force\")"
                        ),
                    );
                }
                valid.then(|| text.clone())
            })
            .collect()
    });
    let args = checker.globs(&raw.args, "args");
    let redirects = checker.globs(&raw.redirects, "redirects");
    let cwd = checker.globs(&raw.cwd, "cwd");
    let mut env = Vec::new();
    if let Some(table) = &raw.env {
        if table.get_ref().is_empty() {
            checker.error(table.span(), "`env = {}` can never match: name at least one variable");
        }
        for (name, pattern) in table.get_ref() {
            let valid = !name.get_ref().is_empty()
                && !name.get_ref().starts_with(|c: char| c.is_ascii_digit())
                && name.get_ref().chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                checker
                    .error(name.span(), format!("{:?} is not an environment variable name", name.get_ref()));
            }
            if let Some(glob) = checker.glob(pattern) {
                env.push((name.get_ref().clone(), glob));
            }
        }
    }
    let options_any = match &raw.options {
        Some(value) if value.get_ref() == "any" => true,
        Some(value) => {
            checker.error(
                value.span(),
                "`options` can only be \"any\": accept any words after the matched ones",
            );
            false
        }
        None => false,
    };
    if options_any && *raw.decision.get_ref() != Decision::Allow {
        checker.error(
            raw.options.as_ref().map_or(span.clone(), Spanned::span),
            "`options = \"any\"` only means something on an allow rule",
        );
    }
    if checker.errors.len() > before || !has_condition {
        return None;
    }
    Some(Rule {
        reason: raw.reason.map(Spanned::into_inner).unwrap_or_else(|| format!("rule {id}")),
        id,
        decision: *raw.decision.get_ref(),
        patterns,
        flags,
        args,
        redirects,
        env,
        cwd,
        options_any,
    })
}

fn pattern(entry: &Spanned<String>, checker: &mut Checker) -> Option<Pattern> {
    let words = match split_words(entry.get_ref()) {
        Ok(words) if !words.is_empty() => words,
        Ok(_) => {
            checker.error(entry.span(), "an empty command can never match: name a program");
            return None;
        }
        Err(why) => {
            checker.error(entry.span(), why);
            return None;
        }
    };
    let mut globs = Vec::with_capacity(words.len());
    for word in &words {
        match Glob::new(word, checker.home) {
            Ok(glob) => globs.push(glob),
            Err(why) => {
                checker.error(entry.span(), format!("bad glob {word:?}: {why}"));
                return None;
            }
        }
    }
    let program = globs.remove(0);
    Some(Pattern { program, words: globs })
}

/// Splits a `match` entry into words: blanks separate, single and double quotes group.
pub(super) fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(current.take()),
            (None, c) => current.get_or_insert_with(String::new).push(c),
        }
    }
    if quote.is_some() {
        return Err(format!("unterminated quote in {text:?}"));
    }
    words.extend(current);
    Ok(words)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

#[cfg(test)]
mod tests {
    use super::split_words;

    #[test]
    fn splits_match_words() {
        let cases: [(&str, &[&str]); 5] = [
            ("git push", &["git", "push"]),
            ("  ls  ", &["ls"]),
            ("git commit -m 'a b'", &["git", "commit", "-m", "a b"]),
            ("echo \"\"", &["echo", ""]),
            ("", &[]),
        ];
        for (input, expected) in cases {
            assert_eq!(split_words(input).unwrap(), expected, "{input}");
        }
        assert!(split_words("git 'push").is_err());
    }
}
