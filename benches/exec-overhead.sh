#!/usr/bin/env bash
# What `gate exec` adds to starting a command: the allowed path, end to end, against the bare
# command (and against `sudo`, when it is installed). Uses hyperfine (apt-get install hyperfine).
#
#     benches/exec-overhead.sh            # builds the release binary first
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
gate=$PWD/target/$(rustc --print host-tuple)/release/gate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'version = 1\n[settings]\ndefault = "allow"\n' > "$work/allow.toml"
"$gate" exec --db "$work/warm.db" -- true   # create the database once

runs=(
  "true"
  "$gate check -- true"
  "$gate exec --db $work/warm.db -- true"
  "$gate exec --policy $work/allow.toml --db $work/warm.db -- true"
  "$gate exec --db $work/warm.db -c 'git status >/dev/null 2>&1 || true'"
)
command -v sudo >/dev/null && runs+=("sudo -n true")
hyperfine -N --warmup 20 --min-runs 300 --export-markdown "$work/result.md" "${runs[@]}" >/dev/null
cat "$work/result.md"
