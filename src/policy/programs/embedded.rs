//! The knowledge files compiled into the binary. Every file in `policies/programs/` must be
//! listed here; a test checks it.

/// `(file name, text)` of each built-in knowledge file.
pub(super) const FILES: &[(&str, &str)] = &[
    ("coreutils.toml", include_str!("../../../policies/programs/coreutils.toml")),
    ("gate.toml", include_str!("../../../policies/programs/gate.toml")),
    ("git.toml", include_str!("../../../policies/programs/git.toml")),
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
