#!/usr/bin/env bash
# Lists the functions gate's everyday commands run (exec, check, hook: allowed, asked, refused),
# for build.rs to have the linker lay them out together (build/hot-functions.txt). The kernel maps
# a binary's pages around each page it faults in, up to whole page-cache folios: with the hot code
# spread over 10 MB of text, one `gate check` mapped ~8 MB of it; laid out together, ~2 MB.
# Needs valgrind (apt-get install valgrind). Regenerate after a toolchain or dependency upgrade
# (symbol names carry hashes that change with them) and commit the list.
#
#     build/hot-functions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
gate=$PWD/target/$(rustc --print host-tuple)/release/gate
list=$PWD/build/hot-functions.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/repo"
export HOME=$work/home XDG_CACHE_HOME=$work/home/.cache XDG_CONFIG_HOME=$work/home/.config
export GATE_DB=$work/audit.db
unset GATE_POLICY GATE_BROKER_URL
git init -q "$work/repo"
cd "$work/repo"
# valgrind loads itself with LD_PRELOAD, which the built-in policy asks about: the exec runs that
# must start their command use a policy that allows everything, and the built-in runs are asked.
printf 'version = 1\n[settings]\ndefault = "allow"\n' > "$work/allow.toml"
{
  printf 'version = 1\n[settings]\ndefault = "ask"\n'
  for i in $(seq 0 299); do
    printf '[[rules]]\nid = "r%d"\ndecision = "deny"\nmatch = ["tool%d sub"]\nflags = ["-f"]\nargs = ["/*"]\n' "$i" "$((i % 75))"
  done
  printf '[[rules]]\nid = "read"\ndecision = "allow"\nmatch = ["git status"]\n'
} > "$work/rules.toml"
hook='{"session_id":"s","transcript_path":"/dev/null","cwd":"'$work/repo'","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"tool_use_id":"t"}'
runs=(
  "check -- git status"
  "check -c 'git status && rm -rf /tmp/x'"
  "check --json -- cat $HOME/.ssh/id_rsa"
  "check --policy $work/rules.toml -- git status"
  "exec --policy $work/allow.toml -- true"
  "exec --policy $work/allow.toml -c true"
  "exec -- true"
)
# Warm first: the log, its WAL, the compiled-policy caches.
for args in "${runs[@]}"; do eval "\"$gate\" $args" >/dev/null 2>&1 || true; done
n=0
for args in "${runs[@]}"; do
  eval "valgrind --tool=callgrind --demangle=no --callgrind-out-file=$work/cg.$n \"$gate\" $args" \
    >/dev/null 2>&1 || true
  n=$((n + 1))
done
printf '%s' "$hook" | valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.hook" \
  "$gate" hook claude-code >/dev/null 2>&1 || true
{
  # A name valgrind marks as a deeper recursion (`name'2`) is the same function.
  cat "$work"/cg.* | sed -nE "s/^c?fn=\([0-9]+\) (.+)$/\1/p" | sed -E "s/'[0-9]+$//" |
    grep -vE '^\(|^0x'
  # valgrind's CPU is not this one: glibc picks other string function variants on real CPUs.
  nm "$gate" | awk '$2 ~ /[tT]/ && $3 ~ /^__(mem|str|stp|wmem|wcs|raw)/ {print $3}'
} | LC_ALL=C sort -u > "$list"
echo "$(wc -l < "$list") functions in $list"
