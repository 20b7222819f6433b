//! Table tests of the option parser against knowledge written for them: each option form, each
//! operand kind, subcommands, directories, wrappers, and the words that make a form unknown.

use super::form::Form;
use super::parse::Env;
use crate::policy::Policy;
use crate::policy::effects::Access;
use crate::shell::{Cwd, Piece, Unit, Word, analyze_line};
use std::path::Path;

const KNOWLEDGE: &str = r#"
version = 1

[[programs]]
name = "sort"
flags = ["-n", "-r", "-u"]
operands = "read"
[programs.options]
"-k" = "text"
"-o" = "write"
"--output" = "write"
"--color=" = "text"
"-t" = "text"

[[programs]]
name = "head"
flags = ["-q"]
options = { "-n" = "text" }
numbers = true
operands = "read"

[[programs]]
name = "tool"
flags = ["-q", "-Wall"]
operands = ["text", "read..."]
[programs.options]
"-e" = { kind = "text", operands = ["read..."] }
"-x" = "code"
"-u" = "url"
"-C" = { kind = "text", values = ["opt-level=*"] }
"-std=" = "text"
"-isystem" = "read"

[[programs]]
name = "cp"
flags = ["-r"]
operands = ["read...", "write"]
[programs.options]
"-t" = { kind = "write", operands = ["read..."] }

[[programs]]
name = "git"
flags = ["--no-pager"]
operands = ["subcommand"]
[programs.options]
"-C" = "dir"
"-c" = "code"

[[programs]]
name = "git log"
flags = ["--oneline"]
operands = "read"
[programs.options]
"-n" = "text"
"--output" = "write"

[[programs]]
name = "git fetch"
operands = "text"
network = true

[[programs]]
name = "wrap"
flags = ["-q"]
options = { "-o" = "write", "-n" = "text" }
operands = ["text", "command"]

[[programs]]
name = "make"
flags = ["-k"]
operands = "make-target"
[programs.options]
"-C" = "dir"
"-f" = "read"

[[programs]]
name = "gofmt"
flags = ["-l", "-d"]
operands = "read"
[programs.options]
"-w" = { kind = "flag", operands = ["write..."] }

[[programs]]
name = "sed"
flags = ["-n"]
operands = ["sed-script", "read..."]
[programs.options]
"-e" = { kind = "sed-script", operands = ["read..."] }
"#;

/// What a form should be: the name and its effects `(access, path, cwd)`, or the unknown word.
enum Want {
    Known(&'static str, &'static [(Access, &'static str, &'static str)]),
    /// With findings (network or code), by word.
    Found(&'static str, &'static str),
    Unknown(&'static str),
}

fn form(line: &str) -> Form {
    let policy = Policy::parse("test", KNOWLEDGE, "/home/u").unwrap();
    let analysis = analyze_line(line);
    let command = analysis
        .units
        .iter()
        .rev()
        .find_map(|unit| match unit {
            Unit::Command(command) | Unit::Wrapper(command) => Some(command.clone()),
            Unit::Opaque { .. } => None,
        })
        .unwrap();
    let base = command.words[0].as_literal().unwrap();
    let env = Env { home: "/home/u", start: Path::new("/work") };
    policy.programs.known_form(&base, &command, &env).unwrap()
}

fn shown(word: &Word) -> String {
    word.pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.clone(),
            Piece::Home => "~".into(),
            Piece::Any => "$".into(),
            Piece::Star => "*".into(),
            Piece::AnyChar => "?".into(),
        })
        .collect()
}

fn cwd(cwd: &Cwd) -> String {
    match cwd {
        Cwd::Start => ".".into(),
        Cwd::Known(word) => shown(word),
        Cwd::Unknown => "?".into(),
    }
}

#[test]
fn forms() {
    use Access::{Read, Write};
    let cases: &[(&str, Want)] = &[
        // flags, clusters, attached values, `--opt=value`, `--`
        ("sort -nr f", Want::Known("sort", &[(Read, "f", ".")])),
        ("sort -nrk2 f", Want::Known("sort", &[(Read, "f", ".")])),
        ("sort -k 2 -o out f", Want::Known("sort", &[(Write, "out", "."), (Read, "f", ".")])),
        ("sort -nro out f", Want::Known("sort", &[(Write, "out", "."), (Read, "f", ".")])),
        ("sort -oout", Want::Known("sort", &[(Write, "out", ".")])),
        ("sort --output=~/x f", Want::Known("sort", &[(Write, "~/x", "."), (Read, "f", ".")])),
        ("sort --output ~/x", Want::Known("sort", &[(Write, "~/x", ".")])),
        ("sort -- -n", Want::Known("sort", &[(Read, "-n", ".")])),
        ("sort -t, -k2 f", Want::Known("sort", &[(Read, "f", ".")])),
        ("sort --color f", Want::Known("sort", &[(Read, "f", ".")])),
        ("sort --color=always f", Want::Known("sort", &[(Read, "f", ".")])),
        ("sort -x f", Want::Unknown("-x")),
        ("sort -nx f", Want::Unknown("-nx")),
        ("sort --out=x f", Want::Unknown("--out=x")),
        ("sort -n=1", Want::Unknown("-n=1")),
        ("sort -o", Want::Unknown("-o")),
        ("sort $OPTS f", Want::Known("sort", &[(Read, "$", "."), (Read, "f", ".")])),
        ("sort -$X f", Want::Unknown("-$X")),
        ("sort --output=$X", Want::Known("sort", &[(Write, "$", ".")])),
        // numbers
        ("head -5 f", Want::Known("head", &[(Read, "f", ".")])),
        ("head -n -5 f", Want::Known("head", &[(Read, "f", ".")])),
        ("head -5x f", Want::Unknown("-5x")),
        // operand lists, an option that replaces them, values, single-dash long options
        ("tool pat a b", Want::Known("tool", &[(Read, "a", "."), (Read, "b", ".")])),
        ("tool -e pat a b", Want::Known("tool", &[(Read, "a", "."), (Read, "b", ".")])),
        ("tool -Wall -std=c99 pat", Want::Known("tool", &[])),
        ("tool -isystem inc pat", Want::Known("tool", &[(Read, "inc", ".")])),
        ("tool -C opt-level=2 pat", Want::Known("tool", &[])),
        ("tool -C link-arg=-wrapper pat", Want::Unknown("-C")),
        ("tool -Copt-level=3 pat", Want::Known("tool", &[])),
        ("tool -x 'code' pat", Want::Found("tool", "-x")),
        ("tool -u https://h pat", Want::Found("tool", "-u")),
        ("cp a b dest", Want::Known("cp", &[(Read, "a", "."), (Read, "b", "."), (Write, "dest", ".")])),
        ("cp -t dest a b", Want::Known("cp", &[(Write, "dest", "."), (Read, "a", "."), (Read, "b", ".")])),
        ("cp a $D", Want::Unknown("$D")),
        // subcommands, global options left out, directories
        ("git log -n 3", Want::Known("git log", &[])),
        ("git --no-pager log --oneline", Want::Known("git log", &[])),
        ("git -C web log f", Want::Known("git log", &[(Read, "web", "."), (Read, "f", "web")])),
        ("git -C /srv log f", Want::Known("git log", &[(Read, "/srv", "."), (Read, "f", "/srv")])),
        (
            "git -C a -C b log f",
            Want::Known("git log", &[(Read, "a", "."), (Read, "b", "a"), (Read, "f", "a/b")]),
        ),
        ("git -C $D log f", Want::Known("git log", &[(Read, "$", "."), (Read, "f", "?")])),
        ("git log --output=x", Want::Known("git log", &[(Write, "x", ".")])),
        ("git -c core.pager=x log", Want::Found("git log", "-c")),
        ("git fetch origin", Want::Found("git fetch", "git fetch")),
        ("git frobnicate", Want::Unknown("frobnicate")),
        ("git $SUB", Want::Unknown("$SUB")),
        ("git --paginate log", Want::Unknown("--paginate")),
        ("git log --stat", Want::Unknown("--stat")),
        // wrappers: only the wrapper's own words
        ("wrap -o log.txt 5 ls -la", Want::Known("wrap", &[(Write, "log.txt", ".")])),
        ("wrap -x 5 ls", Want::Unknown("-x")),
        // a flag that changes the operands
        ("gofmt -l src", Want::Known("gofmt", &[(Read, "src", ".")])),
        ("gofmt -w src", Want::Known("gofmt", &[(Write, "src", ".")])),
        ("gofmt -lw /", Want::Known("gofmt", &[(Write, "/", ".")])),
        ("gofmt -w=x src", Want::Unknown("-w=x")),
        // languages
        ("make -C sub test", Want::Known("make", &[(Read, "sub", ".")])),
        ("make 'X!=id'", Want::Unknown("X!=id")),
        ("make -f -", Want::Known("make", &[(Read, "-", ".")])),
        ("sed -n '10,20p' f", Want::Known("sed", &[(Read, "f", ".")])),
        ("sed -n -e p -e 's/a/b/' f g", Want::Known("sed", &[(Read, "f", "."), (Read, "g", ".")])),
        ("sed 's/a/b/w out' f", Want::Unknown("s/a/b/w out")),
        ("sed -e 1e f", Want::Unknown("-e")),
        ("sed $S f", Want::Unknown("$S")),
    ];
    let mut wrong = Vec::new();
    for (line, want) in cases {
        let got = form(line);
        let ok = match (want, &got) {
            (Want::Known(name, effects), Form::Known(known)) => {
                let got_effects: Vec<(Access, String, String)> = known
                    .effects
                    .iter()
                    .map(|effect| (effect.access, shown(&effect.path), cwd(&known.cwds[effect.cwd])))
                    .collect();
                let want_effects: Vec<(Access, String, String)> =
                    effects.iter().map(|(a, p, c)| (*a, p.to_string(), c.to_string())).collect();
                known.name.join(" ") == *name && got_effects == want_effects && known.findings.is_empty()
            }
            (Want::Found(name, word), Form::Known(known)) => {
                known.name.join(" ") == *name && known.findings.iter().any(|finding| finding.word == *word)
            }
            (Want::Unknown(word), Form::Unknown { word: got, .. }) => {
                got.trim_matches('\'') == word.trim_matches('\'')
            }
            _ => false,
        };
        if !ok {
            wrong.push(format!("{line}: {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn global_options_are_left_out_of_the_form() {
    let Form::Known(known) = form("git -C web --no-pager log -n 3") else { panic!() };
    assert_eq!(known.removed, vec![1, 2, 3]);
    assert_eq!(known.operands, Vec::<usize>::new());
    let Form::Known(known) = form("git log $(git merge-base HEAD main)..HEAD") else { panic!() };
    assert!(known.operands.contains(&2), "{known:?}");
}

#[test]
fn a_project_layer_may_not_add_knowledge() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join(".gate.toml");
    std::fs::write(&project, "version = 1\n[[programs]]\nname = \"x\"\noperands = \"read\"\n").unwrap();
    let layers = crate::policy::Layers { base: Vec::new(), project: Some(project) };
    let error = Policy::load_layers(&layers, "/home/u").unwrap_err().to_string();
    assert!(error.contains("may not add program knowledge"), "{error}");
}

#[test]
fn knowledge_errors_are_located() {
    let cases = [
        ("name = \"x\"\nflags = [\"-a\", \"-a\"]", "listed twice"),
        (
            "name = \"x\"\nflags = [\"-a\"]\noptions = { \"-a\" = \"text\" }",
            "both as a flag and as an option",
        ),
        ("name = \"x\"\noptions = { \"-a\" = \"texty\" }", "unknown kind"),
        ("name = \"x\"\noperands = [\"read...\", \"text...\"]", "only one operand entry may repeat"),
        ("name = \"x\"\noperands = [\"command\", \"read\"]", "must come last"),
        ("name = \"x\"\nflag = [\"-a\"]", "unknown field"),
        ("name = \"x\"\noptions = { \"-a\" = \"subcommand\" }", "only be an operand kind"),
    ];
    for (table, message) in cases {
        let text = format!("version = 1\n[[programs]]\n{table}\n");
        let error = match Policy::parse("p.toml", &text, "/home/u") {
            Err(crate::policy::PolicyError::Invalid(diagnostics)) => diagnostics,
            other => panic!("{table}: {other:?}"),
        };
        assert!(error.iter().any(|d| d.message.contains(message) && d.line >= 3), "{table}: {error:?}");
    }
}

#[test]
fn a_later_layer_replaces_an_entry() {
    let policy =
        Policy::parse("p", "version = 1\n[[programs]]\nname = \"cat\"\nflags = [\"-Z\"]\n", "/h").unwrap();
    assert_eq!(policy.programs.get("cat").unwrap().flags, vec!["-Z".to_string()]);
    assert!(policy.programs.get("git log").is_some(), "embedded knowledge is kept");
}
