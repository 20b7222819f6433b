//! Errors in a policy file, located by file, line and column, and shown with the source line and
//! a caret under the offending span.

use std::fmt;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    /// The source line, control characters escaped.
    pub source_line: String,
    /// How many characters of the line the span covers (at least 1).
    pub width: usize,
}

impl Diagnostic {
    /// Locates `span` (byte offsets) in `source`.
    pub fn new(file: &str, source: &str, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |at| at + 1);
        let line_end = source[start..].find('\n').map_or(source.len(), |at| start + at);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(source, span.end.clamp(start, line_end));
        let width = source[start..end].chars().count().max(1);
        let raw_line = &source[line_start..line_end];
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            source_line: crate::display::escape_controls(raw_line.trim_end_matches('\r')),
            width,
        }
    }

    /// `file:line:col: message` on one line.
    pub fn headline(&self) -> String {
        format!("{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl fmt::Display for Diagnostic {
    /// The headline, then the source line with a caret underline, as compilers show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(f, "{}", self.headline())?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{number} | {}", self.source_line)?;
        let indent = " ".repeat(self.column - 1);
        write!(f, "{pad} | {indent}^{}", "~".repeat(self.width - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_and_column() {
        let source = "version = 1\n[settings]\ndefault = \"maybe\"\n";
        let start = source.find("\"maybe\"").unwrap();
        let diagnostic = Diagnostic::new("p.toml", source, start..start + 7, "unknown decision");
        assert_eq!((diagnostic.line, diagnostic.column, diagnostic.width), (3, 11, 7));
        assert_eq!(
            diagnostic.to_string(),
            "p.toml:3:11: unknown decision\n  |\n3 | default = \"maybe\"\n  |           ^~~~~~~"
        );
    }

    #[test]
    fn span_at_end_of_file() {
        let diagnostic = Diagnostic::new("p.toml", "a = [", 5..5, "unexpected end");
        assert_eq!((diagnostic.line, diagnostic.column, diagnostic.width), (1, 6, 1));
    }
}
