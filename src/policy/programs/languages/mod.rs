//! Operands and option values written in a small language of their own, judged by code: a
//! script that only prints is text; one that runs commands, writes files or reads the
//! environment is unknown (or gives path effects). Anything not understood is unknown.

pub(crate) mod awk;
pub(crate) mod dd;
pub(crate) mod find;
pub(crate) mod git_branch;
pub(crate) mod jq;
pub(crate) mod make;
pub(crate) mod npm_script;
pub(crate) mod sed;

use super::form::Finding;
use super::parse::Env;
use crate::policy::effects::Access;
use crate::shell::{Cwd, Word};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Language {
    Sed,
    Awk,
    Find,
    Jq,
    Make,
    GitBranch,
    Dd,
    NpmScript,
}

/// What a judged word does, when it is understood.
#[derive(Debug, Default)]
pub(crate) struct Judged {
    pub effects: Vec<(Access, Word)>,
    pub findings: Vec<Finding>,
}

/// Judges one word; `Err` says why it is unknown.
pub(crate) fn judge(language: Language, word: &Word, cwd: &Cwd, env: &Env) -> Result<Judged, String> {
    let text = || word.as_literal().ok_or_else(|| "is only known at run time".to_string());
    match language {
        Language::Sed => sed::judge(&text()?).map(|()| Judged::default()),
        Language::Awk => awk::judge(&text()?).map(|()| Judged::default()),
        Language::Jq => jq::judge(&text()?).map(|()| Judged::default()),
        Language::Make => make::judge(&text()?).map(|()| Judged::default()),
        Language::GitBranch => git_branch::judge(&text()?, cwd, env).map(|()| Judged::default()),
        Language::Dd => dd::judge(word),
        Language::NpmScript => npm_script::judge(&text()?).map(|()| Judged::default()),
        Language::Find => find::judge(std::slice::from_ref(word)).map_err(|(_, why)| why),
    }
}
