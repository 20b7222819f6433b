//! `sed` scripts: a script whose commands only select, edit the pattern space and print is text.
//! `e`, `w`, `W`, `r`, `R`, `s///e`, `s///w FILE` run commands or touch files; anything this
//! reader does not follow is unknown too.

/// Commands that take no argument and only work on the pattern and hold spaces or print.
const PLAIN: &str = "pPdDnNgGhHxlz=F";

pub(crate) fn judge(script: &str) -> Result<(), String> {
    let mut s = Script { chars: script.chars().collect(), at: 0 };
    loop {
        s.skip(|c| c.is_whitespace() || c == ';');
        let Some(c) = s.peek() else {
            return Ok(());
        };
        if c == '#' {
            s.until_newline();
            continue;
        }
        s.address()?;
        s.skip(char::is_whitespace);
        if s.peek() == Some(',') {
            s.at += 1;
            s.skip(char::is_whitespace);
            if matches!(s.peek(), Some('+' | '~')) {
                s.at += 1;
            }
            s.address()?;
        }
        s.skip(char::is_whitespace);
        while s.peek() == Some('!') {
            s.at += 1;
            s.skip(char::is_whitespace);
        }
        let Some(command) = s.next() else {
            return Err("ends after an address".into());
        };
        match command {
            c if PLAIN.contains(c) => {}
            '{' | '}' => {}
            'q' | 'Q' | 'l' | 'L' => s.skip(|c| c.is_ascii_digit() || c == ' '),
            ':' | 'b' | 't' | 'T' => s.label(),
            'a' | 'i' | 'c' => s.until_newline(),
            's' => s.substitute()?,
            'y' => {
                let delimiter = s.next().ok_or("ends inside y")?;
                s.delimited(delimiter)?;
                s.delimited(delimiter)?;
            }
            'e' => return Err("runs a command (sed's `e`)".into()),
            'w' | 'W' => return Err("writes a file (sed's `w`)".into()),
            'r' | 'R' => return Err("reads a file (sed's `r`)".into()),
            other => return Err(format!("uses sed's `{other}`, which gate does not read")),
        }
    }
}

struct Script {
    chars: Vec<char>,
    at: usize,
}

impl Script {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn skip(&mut self, what: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&what) {
            self.at += 1;
        }
    }

    fn until_newline(&mut self) {
        while let Some(c) = self.next() {
            if c == '\n' {
                break;
            }
            if c == '\\' {
                self.at += 1;
            }
        }
    }

    /// A label runs to a newline or `;`.
    fn label(&mut self) {
        self.skip(|c| c == ' ');
        self.skip(|c| c != '\n' && c != ';' && c != '}');
    }

    /// A line number, `$`, `first~step`, `/regex/` or `\cregexc` (with `I`/`M` flags); or none.
    fn address(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                self.skip(|c| c.is_ascii_digit());
                if self.peek() == Some('~') {
                    self.at += 1;
                    self.skip(|c| c.is_ascii_digit());
                }
            }
            Some('$') => self.at += 1,
            Some('/') => {
                self.at += 1;
                self.delimited('/')?;
                self.skip(|c| c == 'I' || c == 'M');
            }
            Some('\\') => {
                self.at += 1;
                let delimiter = self.next().ok_or("ends inside an address")?;
                self.delimited(delimiter)?;
                self.skip(|c| c == 'I' || c == 'M');
            }
            _ => {}
        }
        Ok(())
    }

    /// Text up to an unescaped `delimiter` (consumed).
    fn delimited(&mut self, delimiter: char) -> Result<(), String> {
        while let Some(c) = self.next() {
            if c == '\\' {
                self.at += 1;
            } else if c == delimiter {
                return Ok(());
            } else if c == '\n' && delimiter != '\n' {
                return Err("has a newline inside a regular expression".into());
            }
        }
        Err("ends inside a regular expression or replacement".into())
    }

    /// `s/regex/replacement/flags`: `e` runs the result, `w FILE` writes it.
    fn substitute(&mut self) -> Result<(), String> {
        let delimiter = self.next().ok_or("ends after s")?;
        if delimiter == '\\' || delimiter == '\n' {
            return Err("uses a delimiter gate does not read".into());
        }
        self.delimited(delimiter)?;
        self.delimited(delimiter)?;
        while let Some(flag) = self.peek() {
            match flag {
                'g' | 'p' | 'i' | 'I' | 'm' | 'M' => self.at += 1,
                c if c.is_ascii_digit() => self.at += 1,
                'e' => return Err("runs the result as a command (s///e)".into()),
                'w' | 'W' => return Err("writes a file (s///w)".into()),
                _ => break,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn print_only_scripts_are_text() {
        let cases = [
            ("10,20p", true),
            ("-n", false),
            ("s/foo/bar/g", true),
            ("s|a|b|", true),
            ("s/a/b/2p", true),
            ("/start/,/end/p", true),
            ("$!d", true),
            ("1~2d", true),
            ("/x/I,+3p", true),
            ("1d;$d", true),
            ("/^#/d\ns/a/b/", true),
            ("y/abc/xyz/", true),
            ("{p;p}", true),
            ("1i\\hello", true),
            ("$a end", true),
            (":a;N;$!ba;s/\\n/ /g", true),
            ("=", true),
            ("5q", true),
            ("e id", false),
            ("1e id", false),
            ("w out.txt", false),
            ("1W /tmp/x", false),
            ("r /etc/passwd", false),
            ("R f", false),
            ("s/a/id/e", false),
            ("s/x/y/w ~/.bashrc", false),
            ("s/x/y/gw f", false),
            ("s/a/b", false),
            ("v", false),
            ("1,3{w f\n}", false),
            ("/a\\/b/p", true),
        ];
        for (script, text) in cases {
            assert_eq!(super::judge(script).is_ok(), text, "{script:?}: {:?}", super::judge(script));
        }
    }
}
