//! The compiled policy, kept between runs: parsing and compiling TOML is most of what a large
//! policy costs (10,000 rules: tens of milliseconds), reading back the compiled form a fraction.
//!
//! One file per policy in `$XDG_CACHE_HOME/gate` (`~/.cache/gate`), named by a key: the SHA-256
//! of this build's fingerprint (a hash of gate's sources, made by `build.rs`), the home `~`
//! stands for, and each layer's name, place (base or project) and bytes. The file starts with a
//! line naming its key and the XXH3-64 of the compiled form that follows (a check against a file
//! cut short or damaged on disk: whoever can write this folder can write the policy itself, and a
//! checksum over 800 KB of a large policy's form costs a fraction of a SHA-256; XXH3 also needs
//! no CPU feature probe at run time, where CRC-32's cost ~40 µs on this VM). It is read only when
//! both match; anything else (another build's file, a foreign or corrupt one, a form that does
//! not decode) is ignored and the policy compiled from its files, as without a cache: a bad
//! cache costs time, never a looser policy. Files are written whole under a temporary name and
//! renamed, so a reader never sees half of one. The folder is one of gate's own files, which no
//! judged command may write (see `effects::own`).

use super::Policy;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub(crate) mod fingerprint {
    include!(concat!(env!("OUT_DIR"), "/fingerprint.rs"));
}

/// The first word of a cache file, with the format's version.
const MAGIC: &str = "gate-policy-cache v6";
/// A compiled policy not written for this long is removed when another is stored.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
/// What keys the built-in default's text (a NUL byte: no policy text holds one).
const BUILTIN_MARK: &[u8] = b"\0the built-in default of this build";
/// A cache file larger than this is not read (the largest policy gate reads is 16 MiB of TOML).
const MAX_BYTES: u64 = 256 << 20;

/// The checksum of a compiled form, as its header line names it.
fn checksum(body: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(body))
}

/// A policy layer as the cache key is made from it: text in memory, or a file to read.
#[derive(Clone, Copy)]
pub(super) enum Layer<'a> {
    Text(&'a str),
    File(&'a Path),
}

/// The SHA-256 a cache entry is named by: each field prefixed with its length, so that no two
/// lists of fields hash alike.
struct Key(Sha256);

impl Key {
    fn new(home: &str) -> Key {
        let mut key = Key(Sha256::new());
        key.field(fingerprint::BUILD.as_bytes());
        key.field(home.as_bytes());
        key
    }

    fn layer(&mut self, name: &str, project: bool) {
        self.field(name.as_bytes());
        self.field(if project { b"project" } else { b"base" });
    }

    /// A layer's text. The built-in default is this build's, which the fingerprint already
    /// covers: it stands for itself by a mark, not by 22 KB hashed on every run.
    fn text(&mut self, text: &str) {
        if std::ptr::eq(text, super::BUILTIN_DEFAULT) || text == super::BUILTIN_DEFAULT {
            self.field(BUILTIN_MARK);
        } else {
            self.field(text.as_bytes());
        }
    }

    fn field(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    /// A file's bytes as one field, read in 64 KiB pieces. None for anything the layer's reader
    /// would refuse (not a regular file, too large) or a file whose length changes meanwhile.
    fn file(&mut self, path: &Path) -> Option<()> {
        use std::io::Read;
        let (file, len) = super::open_policy_file(path).ok()?;
        self.0.update(len.to_be_bytes());
        let mut pieces = std::io::BufReader::with_capacity(64 << 10, file.take(len + 1));
        let hashed = std::io::copy(&mut pieces, &mut self.0).ok()?;
        (hashed == len).then_some(())
    }

    fn finish(self, dir: &Path) -> Cache {
        let key = super::hex(&self.0.finalize());
        Cache { path: dir.join(format!("policy-{key}")), key }
    }
}

/// Where one policy's compiled form is kept.
pub(super) struct Cache {
    path: PathBuf,
    key: String,
}

impl Cache {
    /// The cache entry for these layers (`(name, text, is the project layer)`), in gate's
    /// cache folder; none in unit tests, which load policies with made-up homes.
    pub fn for_layers(home: &str, layers: &[(&str, &str, bool)]) -> Option<Cache> {
        if cfg!(test) {
            return None;
        }
        Some(Cache::in_dir(&crate::paths::cache_dir()?.join("gate"), home, layers))
    }

    pub fn in_dir(dir: &Path, home: &str, layers: &[(&str, &str, bool)]) -> Cache {
        let mut key = Key::new(home);
        for (name, text, project) in layers {
            key.layer(name, *project);
            key.text(text);
        }
        key.finish(dir)
    }

    /// The same entry as [`Cache::for_layers`] would find once the layers are read, hashed from
    /// the files in pieces instead: a run that finds its policy here never holds a copy of the
    /// TOML (770 KB for 10,000 rules, ~190 fresh pages). None when a file cannot be read so; the
    /// caller then reads the layers whole, and reports what is wrong with them.
    pub fn for_layer_files(home: &str, layers: &[(impl AsRef<str>, Layer, bool)]) -> Option<Cache> {
        if cfg!(test) {
            return None;
        }
        Cache::in_dir_from_files(&crate::paths::cache_dir()?.join("gate"), home, layers)
    }

    pub fn in_dir_from_files(
        dir: &Path,
        home: &str,
        layers: &[(impl AsRef<str>, Layer, bool)],
    ) -> Option<Cache> {
        let mut key = Key::new(home);
        for (name, layer, project) in layers {
            key.layer(name.as_ref(), *project);
            match layer {
                Layer::Text(text) => key.text(text),
                Layer::File(path) => key.file(path)?,
            }
        }
        Some(key.finish(dir))
    }

    /// The policy kept here, if there is one and it is whole and this build's.
    pub fn load(&self) -> Option<Policy> {
        let bytes = super::encoded::Encoded::map(&std::fs::File::open(&self.path).ok()?).ok()?;
        // Checked on the mapping, which knows the length already (mapping costs no reading).
        if bytes.len() as u64 > MAX_BYTES {
            return None;
        }
        let newline = bytes.iter().position(|byte| *byte == b'\n')?;
        let (header, body) = (std::str::from_utf8(&bytes[..newline]).ok()?, &bytes[newline + 1..]);
        let mut words = header.split(' ');
        let magic = [words.next()?, words.next()?].join(" ");
        let (key, digest) = (words.next()?, words.next()?);
        if magic != MAGIC || key != self.key || words.next().is_some() {
            return None;
        }
        if checksum(body) != digest {
            return None;
        }
        let (mut policy, rest) = postcard::take_from_bytes::<Policy>(body).ok()?;
        let sections_start = bytes.len() - rest.len();
        let (by_program, paths_start) =
            super::index::ProgramIndex::decode_from(bytes.clone(), sections_start)?;
        let (paths, rules_start) = super::sections::Deferred::decode_from(bytes.clone(), paths_start)?;
        let (rules, end) = super::rules::Rules::decode_from(bytes.clone(), rules_start)?;
        if end != bytes.len() {
            return None;
        }
        (policy.by_program, policy.paths, policy.rules) = (by_program, paths, rules);
        Some(policy)
    }

    /// Keeps `policy` here, for the next run. A cache that cannot be written costs the next
    /// run time only: errors are ignored.
    pub fn store(&self, policy: &Policy) {
        if self.write(policy).is_ok() {
            self.forget_stale();
        }
    }

    /// Removes the compiled policies and knowledge nobody has written for [`STALE_AFTER`]: every
    /// build and every edit of a policy makes a new file, and only a store (rare) pays for the
    /// sweep.
    fn forget_stale(&self) {
        let Some(dir) = self.path.parent() else { return };
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let now = std::time::SystemTime::now();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // The compiled knowledge of old builds too (see `programs::compiled`).
            let stale = (name.starts_with("policy-") || name.starts_with("knowledge-"))
                && entry
                    .metadata()
                    .and_then(|meta| meta.modified())
                    .is_ok_and(|modified| now.duration_since(modified).is_ok_and(|age| age > STALE_AFTER));
            if stale && entry.path() != self.path {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn write(&self, policy: &Policy) -> std::io::Result<()> {
        let mut body = postcard::to_stdvec(policy).map_err(std::io::Error::other)?;
        policy.by_program.encode_into(&mut body).map_err(std::io::Error::other)?;
        policy.paths.encode_into(&mut body).map_err(std::io::Error::other)?;
        policy.rules.encode_into(&mut body).map_err(std::io::Error::other)?;
        let header = format!("{MAGIC} {} {}\n", self.key, checksum(&body));
        write_whole(&self.path, &[header.as_bytes(), &body])
    }
}

/// Writes a cache file whole (see [`crate::files::replace`]), readable by this user only, in
/// gate's cache folder (0700, made if missing). Not fsynced: a file lost in a crash is compiled
/// again.
pub(crate) fn write_whole(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    crate::files::replace(path, parts, crate::files::Mode::AtMost(0o600), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "/home/u";

    fn layers(text: &str) -> Vec<(&str, &str, bool)> {
        vec![("/etc/gate/policy.toml", text, false)]
    }

    fn policy(text: &str) -> Policy {
        Policy::compile_layers(&layers(text), HOME).unwrap()
    }

    /// Every field of two policies alike (as JSON values, whose maps are sorted), rules too.
    fn same(a: &Policy, b: &Policy) -> bool {
        serde_json::to_value(a).unwrap() == serde_json::to_value(b).unwrap()
            && format!("{:?}", a.rules) == format!("{:?}", b.rules)
            && a.by_program.positions("tool") == b.by_program.positions("tool")
            && format!("{:?}", a.paths) == format!("{:?}", b.paths)
    }

    const TEXT: &str = r#"version = 1
extends = "builtin"
[settings]
default = "deny"
[[rules]]
id = "mine"
decision = "allow"
match = ["tool sub"]
args = ["~/x/*"]
[[programs]]
name = "tool"
flags = ["-v"]
"#;

    #[test]
    fn the_key_streamed_from_files_is_the_key_of_their_text() {
        let dir = tempfile::tempdir().unwrap();
        let (system, project) = (dir.path().join("system.toml"), dir.path().join("project.toml"));
        // Larger than one 64 KiB piece, so that the pieces are joined as one field.
        let long = format!("{TEXT}{}", "# padding\n".repeat(10_000));
        std::fs::write(&system, &long).unwrap();
        std::fs::write(&project, TEXT).unwrap();
        let (system_name, project_name) = (system.display().to_string(), project.display().to_string());
        let read = Cache::in_dir(
            dir.path(),
            HOME,
            &[("(built-in default)", TEXT, false), (&system_name, &long, false), (&project_name, TEXT, true)],
        );
        let streamed = Cache::in_dir_from_files(
            dir.path(),
            HOME,
            &[
                ("(built-in default)", Layer::Text(TEXT), false),
                (&system_name, Layer::File(&system), false),
                (&project_name, Layer::File(&project), true),
            ],
        )
        .unwrap();
        assert_eq!(streamed.key, read.key);
        assert_eq!(streamed.path, read.path);

        // What the layer's reader would refuse gives no key: the caller reads the layers and says why.
        let missing = dir.path().join("missing.toml");
        for path in [dir.path(), missing.as_path()] {
            assert!(Cache::in_dir_from_files(dir.path(), HOME, &[("x", Layer::File(path), false)]).is_none());
        }
    }

    #[test]
    fn a_stored_policy_loads_as_it_was_compiled() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::in_dir(dir.path(), HOME, &layers(TEXT));
        assert!(cache.load().is_none(), "nothing stored yet");
        let compiled = policy(TEXT);
        cache.store(&compiled);
        let loaded = cache.load().expect("the stored policy");
        assert!(same(&loaded, &compiled));
    }

    #[test]
    fn another_key_home_or_build_is_another_file() {
        let dir = tempfile::tempdir().unwrap();
        let one = Cache::in_dir(dir.path(), HOME, &layers(TEXT));
        for other in [
            Cache::in_dir(dir.path(), "/home/v", &layers(TEXT)),
            Cache::in_dir(dir.path(), HOME, &layers(&TEXT.replace("deny", "ask"))),
            Cache::in_dir(dir.path(), HOME, &[("/etc/gate/policy.toml", TEXT, true)]),
            Cache::in_dir(dir.path(), HOME, &[("/other.toml", TEXT, false)]),
        ] {
            assert_ne!(one.path, other.path);
        }
        // The built-in default is keyed by a mark, whether given as itself or as a copy; a text
        // one byte off it is keyed by its bytes.
        let builtin = super::super::BUILTIN_DEFAULT;
        let copy = builtin.to_string();
        let marked = Cache::in_dir(dir.path(), HOME, &[("(built-in default)", builtin, false)]);
        assert_eq!(
            marked.path,
            Cache::in_dir(dir.path(), HOME, &[("(built-in default)", &copy, false)]).path
        );
        let from_files = Cache::in_dir_from_files(
            dir.path(),
            HOME,
            &[("(built-in default)", Layer::Text(builtin), false)],
        );
        assert_eq!(marked.path, from_files.unwrap().path);
        let edited = format!("{builtin}\n");
        assert_ne!(
            marked.path,
            Cache::in_dir(dir.path(), HOME, &[("(built-in default)", &edited, false)]).path
        );
    }

    /// A cache that is not exactly what this build wrote for these files is never read: a
    /// corrupt, truncated or foreign file, or one whose header was rewritten to fit.
    #[test]
    fn a_bad_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::in_dir(dir.path(), HOME, &layers(TEXT));
        // A looser policy stored under another policy's key, then moved into place.
        let loose =
            Cache::in_dir(dir.path(), HOME, &layers("version = 1\n[settings]\ndefault = \"allow\"\n"));
        loose.store(&policy("version = 1\n[settings]\ndefault = \"allow\"\n"));
        std::fs::rename(&loose.path, &cache.path).unwrap();
        assert!(cache.load().is_none(), "a foreign file");
        cache.store(&policy(TEXT));
        let good = std::fs::read(&cache.path).unwrap();
        let newline = good.iter().position(|b| *b == b'\n').unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("truncated", good[..good.len() - 10].to_vec()),
            ("a byte of the body flipped", {
                let mut bytes = good.clone();
                bytes[newline + 20] ^= 1;
                bytes
            }),
            ("the body of a looser policy under this header", {
                let mut bytes = good[..=newline].to_vec();
                bytes.extend(
                    postcard::to_stdvec(&policy("version = 1\n[settings]\ndefault = \"allow\"\n")).unwrap(),
                );
                bytes
            }),
            ("not a compiled policy, with a matching digest", {
                let body = b"\xff\xff not a policy";
                let key = &cache.key;
                let mut bytes = format!("{MAGIC} {key} {}\n", checksum(body)).into_bytes();
                bytes.extend(body);
                bytes
            }),
            ("another format version", {
                let mut bytes = b"gate-policy-cache v5".to_vec();
                bytes.extend(&good[MAGIC.len()..]);
                bytes
            }),
        ];
        for (what, bytes) in cases {
            std::fs::write(&cache.path, &bytes).unwrap();
            assert!(cache.load().is_none(), "{what}");
        }
        std::fs::write(&cache.path, &good).unwrap();
        assert!(cache.load().is_some());
    }

    /// Runs `judge` in a project folder of the test home, with nothing on PATH of note.
    fn in_project<T>(judge: impl FnOnce(&super::super::Context) -> T) -> T {
        let resolver = super::super::Resolver::new(Some("/usr/bin:/bin".into()));
        judge(&super::super::Context {
            home: HOME,
            cwd: Path::new("/home/u/project"),
            env: &|_| None,
            resolver: &resolver,
            project: Some(Path::new("/home/u/project")),
            own: &Default::default(),
        })
    }

    /// Many rules over the built-in policy, some with `flags` and `args`, and commands that name
    /// each kind of program: the policy read back (its rules decoded one by one as commands name
    /// them) judges every command as the policy compiled from its files, and passes its tests.
    #[test]
    fn a_policy_read_back_judges_as_compiled() {
        let mut text = String::from("version = 1\nextends = \"builtin\"\n");
        for i in 0..300 {
            let decision = ["allow", "ask", "deny"][i % 3];
            text += &format!(
                "[[rules]]\nid = \"r{i}\"\ndecision = \"{decision}\"\nmatch = [\"tool{} sub{}\"]\n",
                i % 75,
                i % 7
            );
            if i % 5 == 0 {
                text += "flags = [\"-f\", \"--force\"]\nargs = [\"/*\", \"~/.ssh/*\"]\n";
            }
        }
        text += "[[rules]]\nid = \"any-x\"\ndecision = \"deny\"\nargs = [\"/x/**\"]\n";
        let layers = [("/home/u/.config/gate/policy.toml", text.as_str(), false)];
        let compiled = Policy::compile_layers(&layers, HOME).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::in_dir(dir.path(), HOME, &layers);
        cache.store(&compiled);
        let loaded = cache.load().expect("the stored policy");

        let judge = |policy: &Policy, line: &str| {
            in_project(|context| {
                let judged = policy.classify(&crate::shell::analyze_line(line), context);
                (judged.decision, judged.rule, judged.reason)
            })
        };
        let mut lines: Vec<String> = (0..80)
            .flat_map(|i| {
                [
                    format!("tool{i} sub{}", i % 7),
                    format!("tool{i} sub{} -f /etc", (i + 3) % 7),
                    format!("tool{i} sub{} --force ~/.ssh/id", i % 7),
                ]
            })
            .collect();
        lines.extend(
            ["git status", "rm -rf /", "cat ~/.ssh/id_rsa", "ls /x/y", "$cmd -f /", "echo hi > ~/.bashrc"]
                .map(String::from),
        );
        for line in &lines {
            assert_eq!(judge(&loaded, line), judge(&compiled, line), "{line}");
        }
        let failures = in_project(|context| loaded.run_tests(context));
        assert!(failures.is_empty(), "{failures:?}");
    }

    /// Path classes that do not decode deny every command with a path to judge, saying why; a
    /// command with none (`git status`) never reads them.
    #[test]
    fn path_classes_that_do_not_decode_deny_what_they_would_judge() {
        let mut policy = policy(TEXT);
        policy.paths = super::super::sections::Deferred::default();
        let judge =
            |line: &str| in_project(|context| policy.classify(&crate::shell::analyze_line(line), context));
        let judged = judge("cat notes.txt");
        assert_eq!(
            (judged.decision, judged.rule.as_deref()),
            (super::super::Decision::Deny, Some("gate:cache"))
        );
        assert!(judged.reason.contains("do not decode"), "{}", judged.reason);
        let judged = judge("git status");
        assert_eq!(judged.decision, super::super::Decision::Allow, "{}", judged.reason);
    }

    #[test]
    fn storing_forgets_files_not_written_for_a_month() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("policy-old");
        let old_knowledge = dir.path().join("knowledge-0.0.1-old");
        let recent = dir.path().join("policy-recent");
        let other = dir.path().join("notes");
        for path in [&old, &old_knowledge, &recent, &other] {
            std::fs::write(path, "x").unwrap();
        }
        let month_ago = std::time::SystemTime::now() - STALE_AFTER - std::time::Duration::from_secs(60);
        for path in [&old, &old_knowledge, &other] {
            std::fs::File::options().write(true).open(path).unwrap().set_modified(month_ago).unwrap();
        }
        Cache::in_dir(dir.path(), HOME, &layers(TEXT)).store(&policy(TEXT));
        assert!(!old.exists() && !old_knowledge.exists() && recent.exists() && other.exists());
    }
}
