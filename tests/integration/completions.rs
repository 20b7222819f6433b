//! The committed completion scripts are what `gate completions` prints today.

use super::support::TestEnv;
use std::path::Path;

#[test]
fn committed_completions_are_current() {
    let env = TestEnv::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [("bash", "gate.bash"), ("zsh", "_gate"), ("fish", "gate.fish")] {
        let output = env.gate(&["completions", shell]).output().unwrap();
        assert!(output.status.success());
        let committed = std::fs::read(dir.join(file)).unwrap();
        assert!(
            output.stdout == committed,
            "completions/{file} is stale: run `cargo run -- completions {shell} > completions/{file}`"
        );
    }
}
