//! The approval page's HTML: one request, who is looking, and (for an approver who may decide)
//! the form. No script, no external resource; every value passes [`text`] (control characters
//! escaped, then HTML-escaped), so a command cannot inject markup or disguise itself.

use std::fmt::Write;

use crate::approval::wire::{RequestView, State};
use crate::display::escape_controls;

/// Escapes the five characters that matter in HTML text and in quoted attributes.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text made safe for the page: controls shown as escapes, then HTML-escaped.
pub fn text(untrusted: &str) -> String {
    html(&escape_controls(untrusted))
}

/// A field the broker escaped already (`RequestView`'s command, cwd, user, parent, rule,
/// reason): any control character left is escaped all the same, but backslashes are not doubled
/// again; then HTML-escaped.
pub fn escaped(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for c in field.chars() {
        match c {
            '\\' => out.push(c),
            c => out.push_str(&escape_controls(c.encode_utf8(&mut [0; 4]))),
        }
    }
    html(&out)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:46rem;padding:1rem;\
line-height:1.4;color:#111;background:#fff}h1{font-size:1.3rem}pre{white-space:pre-wrap;word-break:break-all;\
background:#f3f3f3;padding:.6rem;border-radius:4px;margin:.2rem 0}dl{display:grid;grid-template-columns:\
max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}.bar{display:flex;\
gap:1rem;justify-content:space-between;align-items:center;border-bottom:1px solid #ddd;padding-bottom:.5rem}\
.notice{padding:.6rem;border-radius:4px;background:#eef;margin:1rem 0}.refused{background:#fee}\
.state{font-weight:700}textarea{width:100%;box-sizing:border-box;min-height:4rem}button{font-size:1rem;\
padding:.5rem 1.2rem;margin:.5rem .5rem 0 0}.approve{background:#1a7f37;color:#fff;border:0}\
.deny{background:#cf222e;color:#fff;border:0}@media(max-width:30rem){dl{grid-template-columns:1fr}}";

/// A whole document around `body`.
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"same-origin\"><title>{}</title><style>{STYLE}</style></head>\
<body>{body}</body></html>\n",
        text(title)
    )
}

/// A page with one message and an optional link.
pub fn message(title: &str, message: &str, link: Option<(&str, &str)>) -> String {
    let link = link.map(|(href, label)| format!("<p><a href=\"{}\">{}</a></p>", html(href), text(label)));
    document(
        title,
        &format!(
            "<h1>{}</h1><p id=\"message\">{}</p>{}",
            text(title),
            text(message),
            link.unwrap_or_default()
        ),
    )
}

/// Who is looking at the page.
pub enum Viewer<'a> {
    /// Not signed in: the link that starts a sign-in and comes back here.
    Anonymous {
        sign_in: &'a str,
    },
    SignedIn {
        person: &'a str,
        login: &'a str,
        logout_csrf: &'a str,
    },
}

/// What a signed-in viewer may do with this request.
pub enum Decide<'a> {
    /// The form, with its CSRF token.
    Form { csrf: &'a str },
    /// Why not: shown in place of the buttons.
    Not(&'a str),
}

pub struct Request<'a> {
    /// As approvers see it: secrets masked.
    pub view: &'a RequestView,
    /// The exact command, only for a signed-in viewer.
    pub full_command: Option<&'a str>,
    pub viewer: Viewer<'a>,
    pub decide: Option<Decide<'a>>,
    /// The result of a decision just posted: (refused?, text).
    pub notice: Option<(bool, &'a str)>,
    /// Unix seconds.
    pub now: i64,
}

/// "4m 10s left", or "expired".
pub fn time_left(deadline: i64, now: i64) -> String {
    let left = deadline - now;
    if left <= 0 {
        return "expired".into();
    }
    let (h, m, s) = (left / 3600, left % 3600 / 60, left % 60);
    match (h, m) {
        (0, 0) => format!("{s}s left"),
        (0, _) => format!("{m}m {s}s left"),
        _ => format!("{h}h {m}m left"),
    }
}

pub fn request(page: &Request) -> String {
    let view = page.view;
    let mut body = String::new();
    body.push_str("<div class=\"bar\"><strong>gate</strong>");
    match &page.viewer {
        Viewer::Anonymous { sign_in } => {
            let _ = write!(body, "<a id=\"sign-in\" href=\"{}\">Sign in to decide</a>", html(sign_in));
        }
        Viewer::SignedIn { person, login, logout_csrf } => {
            let _ = write!(
                body,
                "<form method=\"post\" action=\"/auth/logout\"><span id=\"signed-in\">Signed in as {} ({})</span> \
<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"next\" value=\"/r/{}\">\
<button type=\"submit\">Sign out</button></form>",
                text(person),
                text(login),
                html(logout_csrf),
                html(&view.id)
            );
        }
    }
    body.push_str("</div>");
    let state = view.state.as_str();
    let _ = write!(body, "<h1>Approval request <code>{}</code></h1>", text(&view.id[..view.id.len().min(8)]));
    if let Some((refused, notice)) = page.notice {
        let class = if refused { "notice refused" } else { "notice" };
        let _ = write!(body, "<p id=\"result\" class=\"{class}\">{}</p>", text(notice));
    }
    let _ = write!(body, "<p>Command:</p><pre id=\"command\">{}</pre>", escaped(&view.command));
    match page.full_command {
        Some(full) => {
            let _ = write!(
                body,
                "<details id=\"full\"><summary>show the exact command</summary><pre id=\"full-command\">{}</pre></details>",
                escaped(full)
            );
        }
        None => body.push_str("<p><small>Secrets in the command are hidden until you sign in.</small></p>"),
    }
    let approvals = view
        .approvals
        .iter()
        .map(|signer| match &signer.comment {
            Some(comment) => {
                format!("{} via {}: {}", text(&signer.person), text(&signer.channel), text(comment))
            }
            None => format!("{} via {}", text(&signer.person), text(&signer.channel)),
        })
        .collect::<Vec<_>>();
    let counted = if view.state == State::Denied { 0 } else { view.approvals.len() };
    let rows = [
        ("State", format!("<span id=\"state\" class=\"state\">{state}</span>")),
        ("Rule", view.rule.as_deref().map(escaped).unwrap_or_else(|| "(the policy&#39;s default)".into())),
        ("Reason", escaped(&view.reason)),
        ("Host", text(&view.host)),
        ("User", escaped(&view.user)),
        ("Directory", escaped(&view.cwd)),
        ("Asked by", view.parent.as_deref().map(escaped).unwrap_or_else(|| "(unknown)".into())),
        ("Asked at", text(&view.created)),
        (
            "Time left",
            if view.state == State::Pending { text(&time_left(view.deadline, page.now)) } else { "-".into() },
        ),
        (
            "Approvals",
            format!(
                "<span id=\"approvals\">{counted} of {}</span>{}",
                view.quorum,
                if approvals.is_empty() { String::new() } else { format!("<br>{}", approvals.join("<br>")) }
            ),
        ),
    ];
    body.push_str("<dl>");
    for (name, value) in rows {
        let _ = write!(body, "<dt>{name}</dt><dd>{value}</dd>");
    }
    body.push_str("</dl>");
    match &page.decide {
        Some(Decide::Form { csrf }) => {
            let _ = write!(
                body,
                "<form id=\"decide\" method=\"post\" action=\"/r/{}/decide\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<label for=\"comment\">Comment (optional)</label><textarea id=\"comment\" name=\"comment\" maxlength=\"1000\"></textarea>\
<button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
<button class=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
                html(&view.id),
                html(csrf)
            );
        }
        Some(Decide::Not(why)) => {
            let _ = write!(body, "<p id=\"cannot-decide\" class=\"notice\">{}</p>", text(why));
        }
        None => {}
    }
    document(&format!("gate: {state} request"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_table() {
        let cases = [
            ("plain", "plain"),
            ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
            ("a & b", "a &amp; b"),
            ("\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"),
            ("echo \x1b[31mred", "echo \\x1b[31mred"),
            ("line\nbreak\ttab", "line\\nbreak\\ttab"),
            ("rm -rf /\u{202e}txt.exe", "rm -rf /\\u{202e}txt.exe"),
            ("back\\slash", "back\\\\slash"),
            ("<\x07>", "&lt;\\x07&gt;"),
            ("&lt;", "&amp;lt;"),
        ];
        for (input, expected) in cases {
            assert_eq!(text(input), expected, "{input:?}");
        }
        // Fields the broker escaped already keep their single backslashes; a raw control left
        // in one is escaped all the same.
        let already = [
            ("echo a\\nb", "echo a\\nb"),
            ("<b>\\x1b", "&lt;b&gt;\\x1b"),
            ("raw\x1bescape", "raw\\x1bescape"),
            ("bidi\u{202e}", "bidi\\u{202e}"),
        ];
        for (input, expected) in already {
            assert_eq!(escaped(input), expected, "{input:?}");
        }
    }

    #[test]
    fn time_left_reads_well() {
        let cases = [
            (100, 100, "expired"),
            (100, 150, "expired"),
            (145, 100, "45s left"),
            (350, 100, "4m 10s left"),
            (7400, 100, "2h 1m left"),
        ];
        for (deadline, now, expected) in cases {
            assert_eq!(time_left(deadline, now), expected);
        }
    }
}
