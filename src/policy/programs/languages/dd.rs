//! `dd` operands: `if=FILE` is read, `of=FILE` written, the others are numbers and flags.

use super::Judged;
use crate::policy::effects::Access;
use crate::policy::programs::parse::strip_prefix;
use crate::shell::{Piece, Word};

const TEXT: &[&str] = &[
    "bs", "ibs", "obs", "cbs", "count", "skip", "iseek", "seek", "oseek", "conv", "iflag", "oflag", "status",
];

pub(crate) fn judge(word: &Word) -> Result<Judged, String> {
    let Some(Piece::Text(first)) = word.pieces.first() else {
        return Err("is only known at run time".into());
    };
    let Some((key, _)) = first.split_once('=') else {
        return Err("is not a dd operand gate knows (expected NAME=VALUE)".into());
    };
    let value = strip_prefix(word, key.len() + 1);
    let mut judged = Judged::default();
    match key {
        "if" => judged.effects.push((Access::Read, value)),
        "of" => judged.effects.push((Access::Write, value)),
        key if TEXT.contains(&key) => {}
        _ => return Err(format!("`{key}=` is not a dd operand gate knows")),
    }
    Ok(judged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands() {
        let read = judge(&Word::literal("if=/dev/zero")).unwrap();
        assert_eq!(read.effects[0].0, Access::Read);
        assert_eq!(read.effects[0].1.as_literal().as_deref(), Some("/dev/zero"));
        let write = judge(&Word::literal("of=~/x")).unwrap();
        assert_eq!(write.effects[0].0, Access::Write);
        assert_eq!(write.effects[0].1.pieces[0], Piece::Home);
        assert!(judge(&Word::literal("bs=1M")).unwrap().effects.is_empty());
        assert!(judge(&Word::literal("whatever=1")).is_err());
        assert!(judge(&Word::literal("file")).is_err());
    }
}
