//! A policy's rules, as the compiled-policy cache keeps them: each rule encoded on its own and
//! decoded the first time a command could match it. A command names one or two programs, so a
//! run decodes the few rules indexed under them (and those for any program), not all 10,000.
//!
//! In the cache file the rules are a section of their own (see `sections`). Reading it copies
//! nothing: the rules point into the file's bytes.

use super::Decision;
use super::encoded::Encoded;
use super::rule::Rule;
use std::ops::Range;
use std::sync::OnceLock;

#[derive(Default)]
pub(crate) struct Rules {
    /// The bytes the encoded rules are in (a cache file's body); empty when compiled here.
    source: Encoded,
    /// Where each rule's encoding is in `source`; empty for a rule compiled here.
    encoded: Vec<Range<usize>>,
    rules: Vec<OnceLock<Box<Rule>>>,
}

impl Rules {
    /// The rule at `at`, decoded now if it was not yet. A rule that does not decode (the cache
    /// file is checked whole before it is read, so only a bug gets here) is a deny rule for every
    /// command that says so: the policy cannot be known, and nothing runs on a guess.
    pub fn get(&self, at: usize) -> &Rule {
        self.rules[at].get_or_init(|| {
            let bytes = self.encoded.get(at).and_then(|range| self.source.get(range.clone()));
            let rule = bytes.and_then(|bytes| postcard::from_bytes(bytes).ok());
            Box::new(rule.unwrap_or_else(|| undecodable(at)))
        })
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        (0..self.rules.len()).map(|at| self.get(at))
    }

    /// These rules, then `upper`'s (layers are stacked as they are compiled, so both are
    /// usually decoded already).
    pub fn extend(&mut self, upper: Rules) {
        let mut all = self.take_decoded();
        all.extend(upper.into_decoded());
        *self = Rules::from(all);
    }

    fn take_decoded(&mut self) -> Vec<Rule> {
        std::mem::take(self).into_decoded()
    }

    fn into_decoded(self) -> Vec<Rule> {
        for at in 0..self.rules.len() {
            self.get(at);
        }
        self.rules.into_iter().filter_map(OnceLock::into_inner).map(|rule| *rule).collect()
    }

    /// Appends the rules section of a cache file to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> postcard::Result<()> {
        let encoded: Vec<std::borrow::Cow<'_, [u8]>> = (0..self.rules.len())
            .map(|at| match self.rules[at].get() {
                Some(rule) => postcard::to_stdvec(rule).map(std::borrow::Cow::Owned),
                None => Ok(std::borrow::Cow::Borrowed(&self.source[self.encoded[at].clone()])),
            })
            .collect::<postcard::Result<_>>()?;
        super::sections::write(&encoded, out)
    }

    /// The rules section that starts at `start` in `source`, and where it ends; `None` when the
    /// bytes there are not one.
    pub fn decode_from(source: Encoded, start: usize) -> Option<(Rules, usize)> {
        let (encoded, end) = super::sections::read(&source, start)?;
        let rules = encoded.iter().map(|_| OnceLock::new()).collect();
        Some((Rules { source, encoded, rules }, end))
    }
}

impl From<Vec<Rule>> for Rules {
    fn from(rules: Vec<Rule>) -> Rules {
        let rules = rules.into_iter().map(|rule| OnceLock::from(Box::new(rule))).collect();
        Rules { source: Encoded::default(), encoded: Vec::new(), rules }
    }
}

fn undecodable(at: usize) -> Rule {
    Rule {
        id: "undecodable-rule".into(),
        decision: Decision::Deny,
        reason: format!(
            "rule {} of the compiled policy in gate's cache does not decode: remove the cache folder (gate/ under $XDG_CACHE_HOME or ~/.cache) and retry",
            at + 1
        ),
        patterns: None,
        flags: None,
        args: None,
        redirects: None,
        env: Vec::new(),
        cwd: None,
        options_any: false,
    }
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str) -> Rule {
        Rule { id: id.into(), reason: "because".into(), ..undecodable(0) }
    }

    fn section(rules: &Rules, before: &[u8]) -> Encoded {
        let mut bytes = before.to_vec();
        rules.encode_into(&mut bytes).unwrap();
        Encoded::from(bytes)
    }

    fn ids(rules: &Rules) -> Vec<String> {
        rules.iter().map(|rule| rule.id.clone()).collect()
    }

    #[test]
    fn rules_read_back_decode_when_asked() {
        let rules = Rules::from(vec![rule("a"), rule("b"), rule("c")]);
        let read = Rules::decode_from(section(&rules, b"head"), 4).unwrap().0;
        assert!(read.rules.iter().all(|slot| slot.get().is_none()), "nothing decoded yet");
        assert_eq!(read.get(1).id, "b");
        assert!(read.rules[0].get().is_none() && read.rules[2].get().is_none(), "only the rule asked for");
        assert_eq!(ids(&read), ["a", "b", "c"]);
        // Read back and written again without being decoded: the same bytes.
        let unread = Rules::decode_from(section(&rules, b""), 0).unwrap().0;
        assert_eq!(section(&unread, b"")[..], section(&rules, b"")[..]);
    }

    #[test]
    fn stacking_keeps_the_order_of_rules_read_and_compiled() {
        let mut read =
            Rules::decode_from(section(&Rules::from(vec![rule("a"), rule("b")]), b""), 0).unwrap().0;
        read.extend(Rules::from(vec![rule("c")]));
        assert_eq!(ids(&read), ["a", "b", "c"]);
    }

    #[test]
    fn a_section_cut_short_is_not_read() {
        let whole = section(&Rules::from(vec![rule("a"), rule("b")]), b"");
        assert!(Rules::decode_from(Encoded::from(whole[..whole.len() - 1].to_vec()), 0).is_none());
        assert!(Rules::decode_from(whole.clone(), whole.len() + 1).is_none());
        let (_, end) = Rules::decode_from(Encoded::from([&whole[..], b"x"].concat()), 0).unwrap();
        assert_eq!(end, whole.len(), "what follows is not the section's");
    }

    #[test]
    fn a_rule_that_does_not_decode_denies_every_command() {
        let rules = Rules::decode_from(Encoded::from(vec![1, 2, 0xff, 0xff]), 0).unwrap().0;
        let damaged = rules.get(0);
        assert_eq!(damaged.decision, Decision::Deny);
        assert!(damaged.patterns.is_none(), "it names no program, so it applies to all");
        assert!(damaged.reason.contains("does not decode"), "{}", damaged.reason);
    }
}
