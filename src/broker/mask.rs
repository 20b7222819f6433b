//! Masking secrets in a command before it is shown to anyone outside the host: webhook bodies,
//! request listings, later chat. A display rule only: the hash, the signature and the audit log
//! always cover the exact command.
//!
//! The command is first turned into one escaped line (control characters as `\x1b`…), so
//! nothing raw leaves; then each credential-looking value is replaced by `***`, keeping its name
//! or prefix so an approver sees what it was: `GITHUB_TOKEN=***`, `ghp_***`, `--password ***`.
//!
//! Deliberately not masked: options whose value is a path or a switch (`--key-file PATH`,
//! `--token-file PATH`, `--password-stdin`), `--key`/`-k` (mostly not secrets: `sort --key 2`),
//! and `-p` outside mysql-style commands (`mkdir -p`, `ssh -p 22`).
//!
//! The patterns run on `regex-lite`: ASCII classes (`\s`, `\w`, `\b`) and ASCII case folding,
//! which is how a shell splits words anyway, and no Unicode tables, whose relocations would
//! cost every gate run page faults at start. Where Unicode would have seen a blank or a word
//! character that ASCII does not, a value runs on and more is masked, not less.

use std::ffi::OsString;
use std::sync::LazyLock;

use regex_lite::{Captures, Regex};

use crate::display::argv_line;

pub const MASK: &str = "***";

/// The display line of an argument vector, masked.
pub fn argv(argv: &[OsString]) -> String {
    text(&argv_line(argv))
}

/// The display line of a `-c` line as stored (see `crate::audit::encode_text`), masked.
pub fn line(line: &str) -> String {
    text(&crate::display::stored_text(line))
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

/// A value: a quoted string or a run without blanks and quotes.
const VALUE: &str = r#"(?:'[^']*'|"[^"]*"|[^\s'"]+)"#;

static PEM: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?s)(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----).*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)")
});
/// Token formats whose prefix says what they are; the prefix is kept.
static TOKENS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"\b(gh[pousr]_)[A-Za-z0-9]{16,}",
        r"\b(github_pat_)[A-Za-z0-9_]{16,}",
        r"\b(AKIA|ASIA)[A-Z0-9]{16}\b",
        r"\b(xox[abpr]-)[A-Za-z0-9-]{6,}",
        r"\b(xapp-)[A-Za-z0-9-]{6,}",
        r"\b(sk-)[A-Za-z0-9_-]{16,}",
        r"\b(eyJ)[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
    ]
    .iter()
    .map(|pattern| regex(pattern))
    .collect()
});
static AUTHORIZATION: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?i)\b((?:proxy-)?authorization:\s*(?:[a-z]+\s+)?)[^\s'"]+"#));
static BEARER: LazyLock<Regex> = LazyLock::new(|| regex(r#"(?i)\b(bearer\s+)[^\s'"*]+"#));
static URL_USERINFO: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'"]*:)[^/\s@'"]+@"#));
/// `NAME=value` inside a quoted word, where the value runs to the closing quote.
static QUOTED_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)'((?:--)?[a-z0-9_-]*(?:token|secret|password|passwd|key|credential)[a-z0-9_-]*=)[^']+'")
});
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(r"(?i)\b([a-z0-9_]*(?:token|secret|password|passwd|key|credential)[a-z0-9_]*=){VALUE}"))
});
static OPTION: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)(^|\s)(--[a-z0-9-]*(?:password|passwd|token|secret|api-key|access-key|secret-key|credentials?)[a-z0-9-]*)(=|\s+)({VALUE})"
    ))
});
static MYSQL: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\b(mysql\w*|mariadb\w*)\b"));
static MYSQL_P: LazyLock<Regex> = LazyLock::new(|| regex(r#"(\s)-p([^\s'"]+)"#));

/// Masks an already escaped line.
pub fn text(escaped: &str) -> String {
    let mut text = PEM.replace_all(escaped, "${1}***${2}").into_owned();
    for pattern in TOKENS.iter() {
        text = pattern.replace_all(&text, "${1}***").into_owned();
    }
    text = AUTHORIZATION.replace_all(&text, "${1}***").into_owned();
    text = BEARER.replace_all(&text, "${1}***").into_owned();
    text = URL_USERINFO.replace_all(&text, "${1}***@").into_owned();
    text = QUOTED_ASSIGNMENT.replace_all(&text, "'${1}***'").into_owned();
    text = ASSIGNMENT.replace_all(&text, "${1}***").into_owned();
    text = OPTION
        .replace_all(&text, |caps: &Captures| {
            let (name, value) = (&caps[2], &caps[4]);
            let switch = ["-file", "-path", "-dir", "-stdin", "-env", "-command", "-cmd"]
                .iter()
                .any(|end| name.to_ascii_lowercase().ends_with(end));
            if switch || value.starts_with('-') || value == MASK {
                caps[0].to_string()
            } else {
                format!("{}{name}{}{MASK}", &caps[1], &caps[3])
            }
        })
        .into_owned();
    if MYSQL.is_match(&text) {
        text = MYSQL_P.replace_all(&text, "${1}-p***").into_owned();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credentials_keeping_their_names() {
        let cases = [
            ("curl -H 'Authorization: Bearer abc.def'", "curl -H 'Authorization: Bearer ***'"),
            ("curl -H \"authorization: token abc\"", "curl -H \"authorization: token ***\""),
            ("curl -H 'Proxy-Authorization: Basic dXNlcjpw'", "curl -H 'Proxy-Authorization: Basic ***'"),
            ("http GET x bearer XYZ", "http GET x bearer ***"),
            ("mysql --password=hunter2 db", "mysql --password=*** db"),
            ("psql --password hunter2", "psql --password ***"),
            ("mysql -u root -phunter2 db", "mysql -u root -p*** db"),
            ("mysqldump -psecret x", "mysqldump -p*** x"),
            ("vault login --token s.abcdef", "vault login --token ***"),
            ("tool --client-secret=abc", "tool --client-secret=***"),
            ("tool --secret 'two words'", "tool --secret ***"),
            ("aws --api-key k123", "aws --api-key ***"),
            ("git clone https://user:pa55@github.com/x", "git clone https://user:***@github.com/x"),
            ("psql postgres://app:pw@db:5432/x", "psql postgres://app:***@db:5432/x"),
            ("GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123 make", "GITHUB_TOKEN=*** make"),
            ("env db_password=x ./run", "env db_password=*** ./run"),
            ("export AWS_SECRET_ACCESS_KEY=abc/def+g", "export AWS_SECRET_ACCESS_KEY=***"),
            ("X_CREDENTIALS=\"a b\" run", "X_CREDENTIALS=*** run"),
            ("env 'API_KEY=a b' run", "env 'API_KEY=***' run"),
            ("PASSWD=x y", "PASSWD=*** y"),
            ("echo ghp_abcdefghijklmnopqrstuvwxyz0123", "echo ghp_***"),
            ("echo gho_abcdefghijklmnopqrstuvwxyz0123", "echo gho_***"),
            ("echo github_pat_11ABCDEFG0123456789_abcdefXYZ", "echo github_pat_***"),
            ("aws s3 ls AKIAABCDEFGHIJKLMNOP", "aws s3 ls AKIA***"),
            ("x ASIAABCDEFGHIJKLMNOP", "x ASIA***"),
            ("slack xoxb-1234567890-abcdef", "slack xoxb-***"),
            ("slack xapp-1-A0B1C2-abc", "slack xapp-***"),
            ("openai sk-proj-abcdefghijklmnop1234", "openai sk-***"),
            ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature", "jwt eyJ***"),
            (
                "printf -----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY-----",
                "printf -----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----",
            ),
            ("cat -----BEGIN PRIVATE KEY-----\\nMIIE", "cat -----BEGIN PRIVATE KEY-----***"),
        ];
        for (input, expected) in cases {
            assert_eq!(text(input), expected, "{input}");
        }
    }

    #[test]
    fn leaves_what_is_not_a_secret() {
        let cases = [
            "git push origin main",
            "mkdir -p /tmp/x",
            "ssh -p 22 host",
            "cp -pr a b",
            "ssh -i ~/.ssh/id_ed25519 --key-file /etc/key host",
            "tool --token-file /run/token",
            "docker login --password-stdin -u me",
            "sort --key 2 file",
            "echo sk-learn",
            "gpg --export-secret-keys",
            "curl https://example.com/path?q=1",
            "echo MONKEY",
            "ls -- --password",
            "echo 'eyJ not a jwt'",
        ];
        for input in cases {
            assert_eq!(text(input), input, "{input}");
        }
    }

    #[test]
    fn a_blank_is_an_ascii_blank_as_in_the_shell() {
        // A no-break space does not end a shell word, so it does not end the value either.
        assert_eq!(text("TOKEN=abc\u{a0}def run"), "TOKEN=*** run");
        assert_eq!(text("tool --password\u{a0}x"), "tool --password\u{a0}x");
        assert_eq!(text("Authorization: Bearer\u{2003}abc"), "Authorization: ***");
        // Non-ASCII letters are not word characters: a token after one is still found.
        assert_eq!(text("éghp_abcdefghijklmnopqrstuvwxyz0123"), "éghp_***");
    }

    #[test]
    fn escapes_controls_before_masking() {
        // An escaped newline is not a blank: the value runs on, and more is masked rather than less.
        assert_eq!(line("echo \x1b[31m TOKEN=abc\ndone"), "echo \\x1b[31m TOKEN=***");
        let argv: Vec<OsString> = ["curl", "-H", "Authorization: Bearer s3cr3t", "https://u:p@h/"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(super::argv(&argv), "curl -H 'Authorization: Bearer ***' https://u:***@h/");
    }
}
