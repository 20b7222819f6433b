//! The knowledge files compiled into the binary. Every file in `policies/programs/` must be
//! listed here; a test checks it.

/// `(file name, text)` of each built-in knowledge file.
pub(super) const FILES: &[(&str, &str)] = &[
    ("binutils.toml", include_str!("../../../policies/programs/binutils.toml")),
    ("build.toml", include_str!("../../../policies/programs/build.toml")),
    ("c.toml", include_str!("../../../policies/programs/c.toml")),
    ("containers.toml", include_str!("../../../policies/programs/containers.toml")),
    ("coreutils.toml", include_str!("../../../policies/programs/coreutils.toml")),
    ("files.toml", include_str!("../../../policies/programs/files.toml")),
    ("gate.toml", include_str!("../../../policies/programs/gate.toml")),
    ("git-more.toml", include_str!("../../../policies/programs/git-more.toml")),
    ("git.toml", include_str!("../../../policies/programs/git.toml")),
    ("go.toml", include_str!("../../../policies/programs/go.toml")),
    ("java.toml", include_str!("../../../policies/programs/java.toml")),
    ("node.toml", include_str!("../../../policies/programs/node.toml")),
    ("python.toml", include_str!("../../../policies/programs/python.toml")),
    ("rust.toml", include_str!("../../../policies/programs/rust.toml")),
    ("system.toml", include_str!("../../../policies/programs/system.toml")),
    ("text.toml", include_str!("../../../policies/programs/text.toml")),
    ("wrappers.toml", include_str!("../../../policies/programs/wrappers.toml")),
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_in_the_directory_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/programs");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = super::FILES.iter().map(|(name, _)| name.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "add each file of policies/programs/ to src/policy/programs/embedded.rs");
    }

    #[test]
    fn every_embedded_file_compiles_without_errors() {
        let (_, errors) = super::super::embedded_knowledge();
        assert!(errors.is_empty(), "{}", errors.iter().map(|e| format!("{e}\n")).collect::<String>());
    }
}
