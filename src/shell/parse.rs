//! Guarded parsing with brush-parser. The parser recurses once per nesting level and backtracks
//! exponentially on some broken inputs (`case x in a) case x in a) …`), so: nesting too deep for
//! the stack is refused up front, inputs that could backtrack are parsed under a time budget on a
//! separate thread, and a panic inside the parser is a parse error. No input can hang or crash.

use super::words;
use brush_parser::ast;
use std::time::{Duration, Instant};

/// Deeper bracket nesting than this is refused: far beyond real commands, well within the stack.
const MAX_NESTING: usize = 100;

/// Total time all guarded parses of one analysis may take.
const BUDGET: Duration = Duration::from_millis(1500);

/// Structure tokens above this count send the parse to the guarded path.
const RISKY_STRUCTURE: usize = 16;

/// Time left for guarded parses in one analysis.
#[derive(Default)]
pub(crate) struct Budget {
    deadline: Option<Instant>,
}

pub(crate) fn parse(text: &str, budget: &mut Budget) -> Result<ast::Program, String> {
    let (nesting, structure) = measure(text);
    if nesting > MAX_NESTING {
        return Err(format!("nesting deeper than {MAX_NESTING} levels"));
    }
    if structure <= RISKY_STRUCTURE {
        return parse_now(text);
    }
    let deadline = *budget.deadline.get_or_insert_with(|| Instant::now() + BUDGET);
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err("the line is too complex to parse in time".into());
    }
    let (send, receive) = std::sync::mpsc::channel();
    let owned = text.to_owned();
    // The default thread stack is smaller than the main one; give the parser room.
    let spawned =
        std::thread::Builder::new().name("gate-parse".into()).stack_size(16 << 20).spawn(move || {
            let _ = send.send(parse_now(&owned));
        });
    if spawned.is_err() {
        return parse_now(text);
    }
    match receive.recv_timeout(remaining) {
        Ok(result) => result,
        // The thread is left to finish on its own; its result is dropped.
        Err(_) => {
            budget.deadline = Some(Instant::now());
            Err("the line is too complex to parse in time".into())
        }
    }
}

fn parse_now(text: &str) -> Result<ast::Program, String> {
    let parsed = std::panic::catch_unwind(|| {
        brush_parser::Parser::new(text.as_bytes(), words::options()).parse_program()
    });
    match parsed {
        Ok(Ok(program)) => Ok(program),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("the shell parser failed on this input".into()),
    }
}

/// Bracket nesting depth (quotes ignored, so it can only over-count) and a count of structure
/// tokens the parser may backtrack over.
fn measure(text: &str) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut structure = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' | b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
                structure += 1;
            }
            b')' | b'}' | b']' => {
                depth = depth.saturating_sub(1);
                structure += 1;
            }
            b'`' => structure += 1,
            b'c' if bytes[i..].starts_with(b"case") => structure += 2,
            b'i' if bytes[i..].starts_with(b"if") => structure += 1,
            b'd' if bytes[i..].starts_with(b"do") => structure += 1,
            _ => {}
        }
    }
    (max, structure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_would_hang_or_crash() {
        let cases = [
            "(".repeat(30) + "ls",
            "case x in a) ".repeat(30) + "ls",
            "{ ".repeat(3000) + "ls",
            "$(".repeat(3000) + "ls",
            "${x:-".repeat(3000),
        ];
        for line in cases {
            let start = Instant::now();
            let result = parse(&line, &mut Budget::default());
            assert!(result.is_err(), "{line:.40}");
            assert!(start.elapsed() < Duration::from_secs(3), "{line:.40}");
        }
    }

    #[test]
    fn parses_ordinary_and_busy_lines() {
        let busy = (0..20).map(|i| format!("echo $(a{i})")).collect::<Vec<_>>();
        for line in ["git status && git diff", &busy.join("; ")] {
            assert!(parse(line, &mut Budget::default()).is_ok(), "{line}");
        }
    }
}
