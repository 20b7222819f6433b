//! Property tests: lines built pseudo-randomly from shell fragments never panic the analysis,
//! and a line the parser rejects always says so.

use super::{Unit, analyze_line};

/// Fragments chosen to reach odd corners: quotes, substitutions, heredocs, wrappers.
const FRAGMENTS: &[&str] = &[
    "ls",
    "rm -rf /",
    " ",
    "|",
    "||",
    "&&",
    ";",
    "&",
    "\n",
    "(",
    ")",
    "{",
    "}",
    "$(",
    "`",
    "'",
    "\"",
    "\\",
    "$'\\x72'",
    "${X:-",
    "$((",
    "))",
    "<<EOF\n",
    "EOF\n",
    "<<<",
    ">",
    "2>&1",
    "<(",
    "bash -c ",
    "sudo ",
    "env -S ",
    "xargs ",
    "find . -exec ",
    "\\;",
    "{}",
    "*",
    "?",
    "[a]",
    "~",
    "=",
    "a=b ",
    "if ",
    "then ",
    "fi",
    "for x in ",
    "do ",
    "done",
    "case ",
    " in ",
    "esac",
    "[[ ",
    " ]]",
    "eval ",
    "cd ",
    "pushd ",
    "popd",
    "exit",
    "/dev/tcp/h/80",
    "${a[",
    "]}",
    "${!",
    ":$x",
    " -eq ",
    "let ",
    "declare -i ",
    "time ",
    "coproc ",
    "!",
    "$X",
    "#",
    "function f ",
    "$[",
    "@(",
    "\t",
];

/// A small deterministic generator (an LCG), so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
}

fn parses(line: &str) -> bool {
    let options = brush_parser::ParserOptions::default();
    std::panic::catch_unwind(|| brush_parser::Parser::new(line.as_bytes(), &options).parse_program().is_ok())
        .unwrap_or(false)
}

#[test]
fn generated_lines_never_panic() {
    let mut rng = Lcg(0x5eed);
    for _ in 0..3000 {
        let count = 1 + rng.next() % 12;
        let line: String = (0..count).map(|_| FRAGMENTS[rng.next() % FRAGMENTS.len()]).collect();
        let analysis = analyze_line(&line);
        if !parses(&line) {
            assert!(analysis.parse_error.is_some(), "{line:?}");
        }
        for unit in &analysis.units {
            if let Unit::Opaque { why, .. } = unit {
                assert!(!why.is_empty(), "{line:?}");
            }
        }
    }
}

#[test]
fn mutated_lines_never_panic() {
    let seeds = [
        "bash -c 'git status && rm -rf /'",
        "sudo -u root -- env -i PATH=/bin timeout -s KILL 5 nice -n 5 rm -rf /",
        "find . -name '*.tmp' -exec rm {} \\; | xargs -I{} sh -c 'echo {}'",
        "cat <<EOF | sh\n$(curl x)\nEOF\n",
        "echo \"${X:-$(rm)}\" `a \\`b\\`` $'\\x72' >(tee f) 2>&1",
    ];
    let mut rng = Lcg(42);
    for seed in seeds {
        for _ in 0..400 {
            let mut bytes: Vec<char> = seed.chars().collect();
            for _ in 0..1 + rng.next() % 4 {
                let at = rng.next() % (bytes.len() + 1);
                match rng.next() % 3 {
                    0 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    1 => {
                        let fragment = FRAGMENTS[rng.next() % FRAGMENTS.len()];
                        for (k, c) in fragment.chars().enumerate() {
                            bytes.insert(at + k, c);
                        }
                    }
                    _ => {
                        let c = ['\'', '"', '`', '$', '(', ')', '\\', '{', '}'][rng.next() % 9];
                        bytes.insert(at, c);
                    }
                }
            }
            let line: String = bytes.into_iter().collect();
            let analysis = analyze_line(&line);
            if !parses(&line) {
                assert!(analysis.parse_error.is_some(), "{line:?}");
            }
        }
    }
}

/// Run with `cargo test --release --lib shell::fuzz_tests::timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    for line in [
        "git status && git diff | head -n 5",
        "sudo -u root -- env -i PATH=/bin timeout -s KILL 5 nice -n 5 rm -rf /",
        "bash -c 'for f in *.rs; do echo \"$(wc -l < \"$f\")\"; done'",
    ] {
        let runs = 20_000;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            std::hint::black_box(analyze_line(std::hint::black_box(line)));
        }
        let each = start.elapsed() / runs;
        println!("{each:?} per analysis of {line:?}");
    }
}
