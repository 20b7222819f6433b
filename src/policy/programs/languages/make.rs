//! `make` operands: targets are text; `NAME=value`, `NAME:=…`, `NAME!=cmd` set variables, and
//! a variable can run code (`X!=cmd`, or a recipe that expands it).

/// A target name is fine; an assignment is unknown.
pub(crate) fn judge(operand: &str) -> Result<(), String> {
    if operand.contains('=') {
        return Err("sets a make variable, which can run code".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn targets_are_text_and_assignments_unknown() {
        for (operand, fine) in [
            ("test", true),
            ("all", true),
            ("build/x.o", true),
            ("X=1", false),
            ("X!=id", false),
            ("X:=y", false),
            ("X+=y", false),
        ] {
            assert_eq!(super::judge(operand).is_ok(), fine, "{operand}");
        }
    }
}
