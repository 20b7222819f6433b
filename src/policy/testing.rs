//! A policy's own `[[tests]]`: each command must get the expected decision (and rule).

use super::{Context, Decision, Policy, PolicyTest};

/// A test whose command was judged otherwise than expected.
#[derive(Clone, Debug)]
pub struct TestFailure {
    pub test: PolicyTest,
    pub got: Decision,
    /// The rule that decided, if one did.
    pub rule: Option<String>,
    pub reason: String,
}

impl Policy {
    /// Runs every `[[tests]]` entry; returns the failures.
    pub fn run_tests(&self, context: &Context) -> Vec<TestFailure> {
        self.tests
            .iter()
            .filter_map(|test| {
                let classification = self.classify(&crate::shell::analyze_line(&test.command), context);
                let rule_ok = test.rule.is_none() || test.rule == classification.rule;
                (classification.decision != test.expect || !rule_ok).then(|| TestFailure {
                    test: test.clone(),
                    got: classification.decision,
                    rule: classification.rule,
                    reason: classification.reason,
                })
            })
            .collect()
    }
}
