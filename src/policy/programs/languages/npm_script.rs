//! `npm run NAME`: a script of the project's package.json, which the project's own files
//! define (as a Makefile does for `make`). npm's built-in `env` script prints the environment,
//! and with arguments runs them as a command (`npm run env -- sh -c …`): unknown.

pub(crate) fn judge(name: &str) -> Result<(), String> {
    if name == "env" {
        return Err("is npm's built-in script that prints the environment or runs its arguments".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts() {
        for (name, fine) in [("test", true), ("build", true), ("lint:fix", true), ("env", false)] {
            assert_eq!(super::judge(name).is_ok(), fine, "{name}");
        }
    }
}
