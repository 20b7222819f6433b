//! Checking the chat channels, `type = "slack"` and `type = "teams"`: the keys each takes, their
//! secrets (`env:`/`file:` only, a Teams workflow URL included, since its query string is its
//! signature), and the Slack user ids of `[[people]]`.

use std::path::Path;

use toml::Spanned;

use super::raw::{Checker, RawChannel, Text};
use super::{ChannelKind, SLACK_API, Slack, secret};
use crate::webhook::Webhook;

/// Every key a channel entry may have, with its value's presence.
fn keys(channel: &RawChannel) -> [(&'static str, Option<std::ops::Range<usize>>); 10] {
    let span = |text: &Option<Text>| text.as_ref().map(|t| t.span());
    [
        ("url", span(&channel.url)),
        ("secret", span(&channel.secret)),
        ("token", span(&channel.token)),
        ("bot_token", span(&channel.bot_token)),
        ("signing_secret", span(&channel.signing_secret)),
        ("app_token", span(&channel.app_token)),
        ("channel", span(&channel.channel)),
        ("api_url", span(&channel.api_url)),
        ("dm_approvers", channel.dm_approvers.as_ref().map(|b| b.span())),
        ("match_email", channel.match_email.as_ref().map(|b| b.span())),
    ]
}

/// Reports every key that a channel of type `kind` does not take.
pub(super) fn only(checker: &mut Checker, channel: &RawChannel, kind: &str, allowed: &[&str]) {
    for (key, span) in keys(channel) {
        if let Some(span) = span.filter(|_| !allowed.contains(&key)) {
            checker.error(
                span,
                format!("a {kind} channel does not take `{key}` (it takes {})", allowed.join(", ")),
            );
        }
    }
}

fn required<'a>(
    checker: &mut Checker,
    raw: &Spanned<RawChannel>,
    text: &'a Option<Text>,
    what: &str,
) -> Option<&'a Text> {
    if text.is_none() {
        checker.error(raw.span(), what.to_string());
    }
    text.as_ref()
}

pub(super) fn slack(checker: &mut Checker, raw: &Spanned<RawChannel>, base: &Path) -> Option<ChannelKind> {
    let channel = raw.get_ref();
    only(
        checker,
        channel,
        "slack",
        &["bot_token", "signing_secret", "app_token", "channel", "api_url", "dm_approvers", "match_email"],
    );
    let bot = required(checker, raw, &channel.bot_token, "a slack channel needs `bot_token` (xoxb-…)");
    let signing = required(checker, raw, &channel.signing_secret, "a slack channel needs `signing_secret`");
    let bot_token = bot.and_then(|text| secret(checker, text, base));
    let signing_secret = signing.and_then(|text| secret(checker, text, base));
    let app_token = channel.app_token.as_ref().map(|text| secret(checker, text, base));
    let dm_approvers = channel.dm_approvers.as_ref().is_some_and(|flag| *flag.get_ref());
    let conversation = channel.channel.as_ref().map(|text| {
        let id = text.get_ref();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            checker
                .error(text.span(), format!("`channel` {id:?} is not a Slack channel id like \"C0123OPS\""));
        }
        id.clone()
    });
    if conversation.is_none() && !dm_approvers {
        checker.error(raw.span(), "a slack channel needs `channel` (a channel id), or `dm_approvers = true`");
    }
    let api_url = match &channel.api_url {
        Some(text) => {
            let url = text.get_ref().trim_end_matches('/').to_string();
            if !reqwest::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                checker.error(text.span(), format!("`api_url` {url:?} is not an http:// or https:// URL"));
            }
            url
        }
        None => SLACK_API.to_string(),
    };
    Some(ChannelKind::Slack(Slack {
        bot_token: bot_token?,
        signing_secret: signing_secret?,
        app_token: match app_token {
            Some(token) => Some(token?),
            None => None,
        },
        channel: conversation,
        api_url,
        dm_approvers,
        match_email: channel.match_email.as_ref().is_some_and(|flag| *flag.get_ref()),
    }))
}

pub(super) fn teams(checker: &mut Checker, raw: &Spanned<RawChannel>, base: &Path) -> Option<ChannelKind> {
    let channel = raw.get_ref();
    only(checker, channel, "teams", &["url"]);
    let text = required(checker, raw, &channel.url, "a teams channel needs `url` (the workflow's URL)")?;
    if !text.get_ref().starts_with("env:") && !text.get_ref().starts_with("file:") {
        checker.error(
            text.span(),
            "the workflow URL is a secret (its `sig` lets anyone post): write env:NAME or file:PATH",
        );
        return None;
    }
    let url = secret(checker, text, base)?;
    match Webhook::parse(url.expose()) {
        Ok(url) => Some(ChannelKind::Teams { url }),
        Err(_) => {
            checker.error(text.span(), "the workflow URL read from here is not an http:// or https:// URL");
            None
        }
    }
}

/// `U…`/`W…`, optionally after `T…/`: Slack's user and workspace ids.
pub(super) fn check_slack_user(checker: &mut Checker, text: &Text) {
    let id = |s: &str, first: &[char]| {
        s.len() >= 2
            && s.starts_with(first)
            && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    let valid = match text.get_ref().split_once('/') {
        Some((team, user)) => id(team, &['T', 'E']) && id(user, &['U', 'W']),
        None => id(text.get_ref(), &['U', 'W']),
    };
    if !valid {
        checker.error(
            text.span(),
            format!(
                "`slack` {:?} is not a Slack user id: \"U0123ABCD\", or \"T0123ABCD/U0123ABCD\" for one workspace",
                text.get_ref()
            ),
        );
    }
}
