//! Default locations: the policy and the audit database, following the XDG base directories.
