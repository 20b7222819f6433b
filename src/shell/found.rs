//! What one simple command consists of, taken from its syntax: assignments, words and
//! redirections as the policy sees them, the code hidden in them (substitutions, process
//! substitutions) for the walk to visit, and where its standard input comes from.

use super::state::holds_code;
use super::types::{Piece, Redirect, RedirectKind, SimpleCommand, Word};
use super::words::{self, Ctx, Sub};
use brush_parser::ast;

/// Where a command's standard input comes from, as far as its last redirection of fd 0 says.
#[derive(Clone, Debug, Default)]
pub(crate) enum Stdin {
    /// Whatever the shell's own standard input is (a pipe, the terminal).
    #[default]
    Inherited,
    /// A here-document or here-string.
    Doc(Word),
    /// A file, another descriptor, or a process substitution.
    Elsewhere,
}

impl Stdin {
    pub(crate) fn doc(&self) -> Option<&Word> {
        match self {
            Stdin::Doc(word) => Some(word),
            _ => None,
        }
    }
}

/// What one simple command (or a compound command's redirections) consists of.
#[derive(Default)]
pub(crate) struct Found<'a> {
    pub(crate) cmd: SimpleCommand,
    pub(crate) subs: Vec<Sub>,
    pub(crate) processes: Vec<&'a ast::CompoundList>,
    /// Standard input, as the last redirection of fd 0 leaves it.
    pub(crate) stdin: Stdin,
    /// An assignment whose value holds code, as written.
    pub(crate) stores_code: Option<String>,
    /// The targets of redirections that open a file, as written (not here-documents): bash may
    /// connect to the network instead (see `network`).
    pub(crate) files: Vec<&'a str>,
}

impl<'a> Found<'a> {
    pub(crate) fn item(&mut self, item: &'a ast::CommandPrefixOrSuffixItem, prefix: bool) {
        use ast::CommandPrefixOrSuffixItem as I;
        match item {
            I::IoRedirect(redirect) => self.redirect(redirect),
            I::Word(word) => self.word(&word.value),
            // After the program, `a=b` is an ordinary argument (`export a=b`).
            I::AssignmentWord(_, word) if !prefix || !self.cmd.words.is_empty() => {
                self.word(&word.value);
            }
            I::AssignmentWord(assignment, _) => self.assignment(assignment),
            I::ProcessSubstitution(kind, sub) => {
                let text = match kind {
                    ast::ProcessSubstitutionKind::Read => "<(..)",
                    ast::ProcessSubstitutionKind::Write => ">(..)",
                };
                self.cmd.words.push(Word::unknown(text));
                self.processes.push(&sub.list);
            }
        }
    }

    pub(crate) fn word(&mut self, raw: &str) {
        let word = words::convert(raw, Ctx::Command, &mut self.subs);
        self.cmd.words.push(word);
    }

    fn assignment(&mut self, assignment: &ast::Assignment) {
        let name = match &assignment.name {
            ast::AssignmentName::VariableName(name) => name.clone(),
            ast::AssignmentName::ArrayElementName(name, index) => {
                if index.contains(['$', '`']) {
                    words::collect(index, &mut self.subs);
                }
                self.subs.push(Sub::Arith(index.clone()));
                format!("{name}[{index}]")
            }
        };
        let value = match &assignment.value {
            ast::AssignmentValue::Scalar(word) => {
                let value = words::convert(&word.value, Ctx::Plain, &mut self.subs);
                if holds_code(&value) {
                    self.stores_code = Some(format!("{name}={}", word.value));
                }
                value
            }
            ast::AssignmentValue::Array(elements) => {
                let mut text = String::from("(");
                for (i, (key, value)) in elements.iter().enumerate() {
                    if let Some(key) = key {
                        words::collect(&key.value, &mut self.subs);
                        self.subs.push(Sub::Arith(key.value.clone()));
                    }
                    if holds_code(&words::convert(&value.value, Ctx::Command, &mut self.subs)) {
                        self.stores_code = Some(format!("{name}=({})", value.value));
                    }
                    if i > 0 {
                        text.push(' ');
                    }
                    text.push_str(&value.value);
                }
                text.push(')');
                Word::unknown(text)
            }
        };
        // `x+=v` appends to a value gate may not know.
        let value = if assignment.append {
            let mut pieces = vec![Piece::Any];
            pieces.extend(value.pieces);
            Word { pieces, text: value.text }
        } else {
            value
        };
        self.cmd.assignments.push((name, value));
    }

    pub(crate) fn redirect(&mut self, redirect: &'a ast::IoRedirect) {
        use ast::IoFileRedirectKind as K;
        use ast::IoFileRedirectTarget as T;
        let on_stdin = |fd: &Option<ast::IoFd>| matches!(fd, None | Some(0));
        match redirect {
            ast::IoRedirect::File(fd, kind, target) => {
                let kind_of = |k: &K| match k {
                    K::Read | K::DuplicateInput => RedirectKind::Input,
                    _ => RedirectKind::Output,
                };
                // `<`, `<>`, `<&N` and anything on `0` replace standard input, whatever came before.
                let reads = matches!(kind, K::Read | K::ReadAndWrite | K::DuplicateInput);
                if *fd == Some(0) || (fd.is_none() && reads) {
                    self.stdin = Stdin::Elsewhere;
                }
                match target {
                    T::Filename(word) => {
                        self.files.push(&word.value);
                        let target = words::convert(&word.value, Ctx::Command, &mut self.subs);
                        self.push_redirect(kind_of(kind), target);
                    }
                    T::Fd(_) => {}
                    T::Duplicate(word) => {
                        let target = words::convert(&word.value, Ctx::Command, &mut self.subs);
                        // `2>&1`, `>&-`, `<&3-` name descriptors; `>&file` writes a file.
                        let is_fd = target.as_literal().is_some_and(|t| {
                            let t = t.strip_suffix('-').unwrap_or(&t);
                            t.chars().all(|c| c.is_ascii_digit())
                        });
                        if !is_fd {
                            self.files.push(&word.value);
                            self.push_redirect(kind_of(kind), target);
                        }
                    }
                    T::ProcessSubstitution(_, sub) => self.processes.push(&sub.list),
                }
            }
            ast::IoRedirect::HereDocument(fd, doc) => {
                let body = if doc.requires_expansion {
                    words::convert_heredoc(&doc.doc.value, &mut self.subs)
                } else {
                    Word::literal(doc.doc.value.as_str())
                };
                if on_stdin(fd) {
                    self.stdin = Stdin::Doc(body.clone());
                }
                self.push_redirect(RedirectKind::Input, body);
            }
            ast::IoRedirect::HereString(fd, word) => {
                let body = words::convert(&word.value, Ctx::Plain, &mut self.subs);
                if on_stdin(fd) {
                    self.stdin = Stdin::Doc(body.clone());
                }
                self.push_redirect(RedirectKind::Input, body);
            }
            ast::IoRedirect::OutputAndError(word, _) => {
                self.files.push(&word.value);
                let target = words::convert(&word.value, Ctx::Command, &mut self.subs);
                self.push_redirect(RedirectKind::Output, target);
            }
        }
    }

    fn push_redirect(&mut self, kind: RedirectKind, target: Word) {
        self.cmd.redirects.push(Redirect { kind, target });
    }
}

/// Collects the substitutions in the words of a `[[ .. ]]` test.
pub(crate) fn extended_test(expr: &ast::ExtendedTestExpr, subs: &mut Vec<Sub>) {
    use ast::ExtendedTestExpr as E;
    match expr {
        E::And(a, b) | E::Or(a, b) => {
            extended_test(a, subs);
            extended_test(b, subs);
        }
        E::Not(e) | E::Parenthesized(e) => extended_test(e, subs),
        E::UnaryTest(op, word) => {
            let names = matches!(
                op,
                ast::UnaryPredicate::ShellVariableIsSetAndAssigned
                    | ast::UnaryPredicate::ShellVariableIsSetAndNameRef
            );
            evaluated(word, names, subs);
            if names {
                subs.push(Sub::Name(word.value.clone()));
            }
        }
        E::BinaryTest(op, left, right) => {
            use ast::BinaryPredicate as B;
            let arithmetic = matches!(
                op,
                B::ArithmeticEqualTo
                    | B::ArithmeticNotEqualTo
                    | B::ArithmeticLessThan
                    | B::ArithmeticLessThanOrEqualTo
                    | B::ArithmeticGreaterThan
                    | B::ArithmeticGreaterThanOrEqualTo
            );
            evaluated(left, arithmetic, subs);
            evaluated(right, arithmetic, subs);
            if arithmetic {
                subs.push(Sub::Arith(left.value.clone()));
                subs.push(Sub::Arith(right.value.clone()));
            }
        }
    }
}

/// A `[[ ]]` operand; one bash evaluates (a variable name, an arithmetic operand) runs the
/// command substitutions an array subscript in its text holds.
fn evaluated(word: &ast::Word, evaluated: bool, subs: &mut Vec<Sub>) {
    let value = words::convert(&word.value, Ctx::Plain, subs);
    if evaluated && holds_code(&value) {
        subs.push(Sub::Hidden(word.value.clone(), "an array subscript that holds code runs it"));
    }
}
