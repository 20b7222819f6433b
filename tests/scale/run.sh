#!/usr/bin/env bash
# Evidence at scale for the audit log (issue 8), in release builds:
#  1. the full-size twins of the scale tests, which `cargo test` runs at reduced size:
#     25,000 entries from 4 concurrent `gate exec` writers (plain, signing a checkpoint every
#     1,000 entries, killed with SIGKILL 4,000 times), 1,000,000 entries appended one by one
#     and in batches (verified at 20k, 60k, 100k, 150k, 200k, 500k, 800k, 1M), 20,000 entries
#     of 1 byte to 200 KB, random appends through four interior b-tree levels;
#  2. the README's speed claim: `gate audit verify` on the 1,000,000-entry log that
#     examples/audit_bench builds, timed with hyperfine (10 runs) and its peak memory taken
#     with /usr/bin/time -v.
# Usage: tests/scale/run.sh [tests|speed]   (both when no argument is given)
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}

if [[ $what == all || $what == tests ]]; then
  echo "== full-size scale tests (release)"
  cargo test --release --test integration audit_scale -- --ignored --test-threads 1 --nocapture
  cargo test --release --lib audit::property_tests -- --ignored --nocapture
fi

if [[ $what == all || $what == speed ]]; then
  echo "== verify 1,000,000 entries"
  cargo build --release --bin gate --example audit_bench
  release=target/$(rustc --print host-tuple)/release
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  big=$dir/big.db
  "$release/examples/audit_bench" "$big" 1000000
  ls -l "$big"
  $release/gate audit verify --db "$big" --json
  $release/gate audit verify --db "$big" --json | grep -q '"intact":true,.*"notices":\[\]'
  if command -v hyperfine >/dev/null; then
    hyperfine --warmup 1 --runs 10 "$release/gate audit verify --db $big"
  else
    for _ in 1 2 3; do /usr/bin/time -f "%e s" $release/gate audit verify --db "$big" >/dev/null; done
  fi
  /usr/bin/time -v $release/gate audit verify --db "$big" 2>&1 >/dev/null |
    grep -E "Elapsed|Maximum resident|User time|System time"
fi
