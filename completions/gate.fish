# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_gate_global_optspecs
    string join \n h/help V/version
end

function __fish_gate_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_gate_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_gate_using_subcommand
    set -l cmd (__fish_gate_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c gate -n "__fish_gate_needs_command" -s h -l help -d 'Print help'
complete -c gate -n "__fish_gate_needs_command" -s V -l version -d 'Print version'
complete -c gate -n "__fish_gate_needs_command" -f -a "exec" -d 'Run a command if the policy allows it or a human approves it; record the decision first.'
complete -c gate -n "__fish_gate_needs_command" -f -a "check" -d 'Classify a command without running it: print the decision, the rule that decided and why.'
complete -c gate -n "__fish_gate_needs_command" -f -a "policy" -d 'Check a policy file: report every error, or run its [[tests]]'
complete -c gate -n "__fish_gate_needs_command" -f -a "audit" -d 'Verify, checkpoint and read the audit log'
complete -c gate -n "__fish_gate_needs_command" -f -a "completions" -d 'Print the completion script for a shell.'
complete -c gate -n "__fish_gate_needs_command" -f -a "serve" -d 'Run the approval broker: hold pending requests, let approvers decide, sign the decisions'
complete -c gate -n "__fish_gate_needs_command" -f -a "requests" -d 'List the broker\'s pending requests (with GATE_BROKER_URL and GATE_APPROVER_TOKEN)'
complete -c gate -n "__fish_gate_needs_command" -f -a "approve" -d 'Approve a pending request on the broker (ID: any unique prefix)'
complete -c gate -n "__fish_gate_needs_command" -f -a "deny" -d 'Deny a pending request on the broker (ID: any unique prefix)'
complete -c gate -n "__fish_gate_needs_command" -f -a "hook" -d 'Answer an agent\'s hook: judge its shell command, record, answer in its format'
complete -c gate -n "__fish_gate_needs_command" -f -a "init" -d 'Wire gate into an agent: merge gate\'s hook into its settings file'
complete -c gate -n "__fish_gate_needs_command" -f -a "shell" -d 'A shell for tools that run `$SHELL -c LINE`: judge the line, then run it with bash'
complete -c gate -n "__fish_gate_needs_command" -f -a "mcp" -d 'Serve MCP on stdio: one tool, run_command, that runs a shell line through gate'
complete -c gate -n "__fish_gate_needs_command" -f -a "doctor" -d 'Check gate\'s setup: policy, audit log, key, broker, and each agent\'s hook'
complete -c gate -n "__fish_gate_needs_command" -f -a "prefix" -d 'Claude Code\'s CLAUDE_CODE_SHELL_PREFIX: run COMMAND through gate'
complete -c gate -n "__fish_gate_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand exec" -l policy -d 'The base policy file. Without it: $GATE_POLICY, else /etc/gate/policy.toml and ~/.config/gate/policy.toml stacked (either alone when only one exists), else the built-in default; a layer with `extends = "builtin"` adds to the built-in. A project\'s .gate/policy.toml, found up from the working directory, goes on top of any of these and may only tighten (`gate policy lint` shows the layers in force here)' -r -F
complete -c gate -n "__fish_gate_using_subcommand exec" -l db -d 'The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]' -r -F
complete -c gate -n "__fish_gate_using_subcommand exec" -s c -d 'A shell line, judged as a whole and run with `bash -c`' -r
complete -c gate -n "__fish_gate_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand check" -l policy -d 'The base policy file. Without it: $GATE_POLICY, else /etc/gate/policy.toml and ~/.config/gate/policy.toml stacked (either alone when only one exists), else the built-in default; a layer with `extends = "builtin"` adds to the built-in. A project\'s .gate/policy.toml, found up from the working directory, goes on top of any of these and may only tighten (`gate policy lint` shows the layers in force here)' -r -F
complete -c gate -n "__fish_gate_using_subcommand check" -l db -d 'Accepted so that `check` takes the same arguments as `exec`; check never opens the log' -r -F
complete -c gate -n "__fish_gate_using_subcommand check" -s c -d 'A shell line, judged as a whole and run with `bash -c`' -r
complete -c gate -n "__fish_gate_using_subcommand check" -l json -d 'Print one JSON object'
complete -c gate -n "__fish_gate_using_subcommand check" -l exit-code -d 'Exit with the decision, for scripts: 0 allow, 10 ask, 11 deny'
complete -c gate -n "__fish_gate_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from lint test programs help" -s h -l help -d 'Print help'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from lint test programs help" -f -a "lint" -d 'Report every error in a policy as file:line:col with the line and a caret'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from lint test programs help" -f -a "test" -d 'Run the policy\'s [[tests]] and print each one that fails, with the rule that decided'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from lint test programs help" -f -a "programs" -d 'Print what gate knows about a program\'s options and operands, or list the programs known'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from lint test programs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from lint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from programs" -l policy -d 'The policy file whose [[programs]] to include [default: the policy gate would use]' -r -F
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from programs" -l json -d 'Print JSON'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from programs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "lint" -d 'Report every error in a policy as file:line:col with the line and a caret'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "test" -d 'Run the policy\'s [[tests]] and print each one that fails, with the rule that decided'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "programs" -d 'Print what gate knows about a program\'s options and operands, or list the programs known'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand audit; and not __fish_seen_subcommand_from verify checkpoint key log show export help" -s h -l help -d 'Print help'
complete -c gate -n "__fish_gate_using_subcommand audit; and not __fish_seen_subcommand_from verify checkpoint key log show export help" -f -a "verify" -d 'Prove that no entry was edited, removed, inserted or reordered'
complete -c gate -n "__fish_gate_using_subcommand audit; and not __fish_seen_subcommand_from verify checkpoint key log show export help" -f -a "checkpoint" -d 'Verify the log, then sign a checkpoint of its head (stdout, or --out FILE)'
complete -c gate -n "__fish_gate_using_subcommand audit; and not __fish_seen_subcommand_from verify checkpoint key log show export help" -f -a "key" -d 'Print the public key that verifies this machine\'s checkpoints (made on first use)'
complete -c gate -n "__fish_gate_using_subcommand audit; and not __fish_seen_subcommand_from verify checkpoint key log show export help" -f -a "log" -d 'Show entries, newest last: a table, or JSON lines'
complete -c gate -n "__fish_gate_using_subcommand audit; and not __fish_seen_subcommand_from verify checkpoint key log show export help" -f -a "show" -d 'Show one entry with every field'
complete -c gate -n "__fish_gate_using_subcommand audit; and not __fish_seen_subcommand_from verify checkpoint key log show export help" -f -a "export" -d 'Stream matching entries, oldest first, for a SIEM'
complete -c gate -n "__fish_gate_using_subcommand audit; and not __fish_seen_subcommand_from verify checkpoint key log show export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from verify" -l db -d 'The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]' -r -F
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from verify" -l checkpoint -d 'A signed checkpoint (from `gate audit checkpoint`) the log must still match' -r -F
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from verify" -l key -d 'The public key that signed the checkpoint (from `gate audit key`) [default: the public half of this machine\'s checkpoint key]' -r -F
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from verify" -l broker-key -d 'Also check every broker decision\'s signature with this key (the broker\'s `/v1/key` value, or a file holding it): who approved which exact command' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from verify" -l json -d 'Print one JSON object'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l db -d 'The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]' -r -F
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l out -d 'Write the note to this file (replaced atomically) instead of stdout' -r -F
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l post -d 'Also POST it as JSON to this webhook, so a copy lives where the log\'s writers cannot reach' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from key" -s h -l help -d 'Print help'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from log" -l db -d 'The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]' -r -F
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from log" -s n -l count -d 'How many entries, newest last' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from log" -l since -d 'Only entries at or after this time: RFC 3339, a date, or a duration ago (2h, 7days)' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from log" -l until -d 'Only entries before this time (same forms as --since)' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from log" -l decision -d 'Only decisions with this policy decision or verdict' -r -f -a "allow\t''
ask\t''
deny\t''
allowed\t''
denied\t''
approved\t''
rejected\t''
timed-out\t''
no-approver\t''
approval-failed\t''"
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from log" -l rule -d 'Only decisions made by this rule' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from log" -l user -d 'Only requests by this user' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from log" -l json -d 'One JSON object per line'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from show" -l db -d 'The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]' -r -F
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from show" -l json -d 'One JSON object'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from export" -l db -d 'The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]' -r -F
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from export" -l format -r -f -a "jsonl\t'One JSON object per line, as `gate audit log --json`'
csv\t'RFC 4180 CSV with a header row; argv as its JSON text'"
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from export" -l since -d 'Only entries at or after this time: RFC 3339, a date, or a duration ago (2h, 7days)' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from export" -l until -d 'Only entries before this time (same forms as --since)' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from export" -l decision -d 'Only decisions with this policy decision or verdict' -r -f -a "allow\t''
ask\t''
deny\t''
allowed\t''
denied\t''
approved\t''
rejected\t''
timed-out\t''
no-approver\t''
approval-failed\t''"
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from export" -l rule -d 'Only decisions made by this rule' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from export" -l user -d 'Only requests by this user' -r
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Prove that no entry was edited, removed, inserted or reordered'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "checkpoint" -d 'Verify the log, then sign a checkpoint of its head (stdout, or --out FILE)'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "key" -d 'Print the public key that verifies this machine\'s checkpoints (made on first use)'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "log" -d 'Show entries, newest last: a table, or JSON lines'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one entry with every field'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "export" -d 'Stream matching entries, oldest first, for a SIEM'
complete -c gate -n "__fish_gate_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand serve" -l config -d 'The broker\'s configuration file (see examples/broker.toml)' -r -F
complete -c gate -n "__fish_gate_using_subcommand serve" -l check -d 'Only check the configuration: report every error as file:line:col, exit 0 or 1'
complete -c gate -n "__fish_gate_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand requests" -l broker -d 'The broker\'s URL [default: $GATE_BROKER_URL]' -r
complete -c gate -n "__fish_gate_using_subcommand requests" -l all -d 'Every request, not only the pending ones'
complete -c gate -n "__fish_gate_using_subcommand requests" -l json -d 'Print the broker\'s JSON'
complete -c gate -n "__fish_gate_using_subcommand requests" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand approve" -l comment -d 'Why: kept in the signed decision and the audit log' -r
complete -c gate -n "__fish_gate_using_subcommand approve" -l as -d 'The person decided for (integration tokens only)' -r
complete -c gate -n "__fish_gate_using_subcommand approve" -l broker -d 'The broker\'s URL [default: $GATE_BROKER_URL]' -r
complete -c gate -n "__fish_gate_using_subcommand approve" -l yes -d 'Do not ask for confirmation (refused when stdin is not a terminal, unless the token is an integration\'s)'
complete -c gate -n "__fish_gate_using_subcommand approve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand deny" -l comment -d 'Why: kept in the signed decision and the audit log' -r
complete -c gate -n "__fish_gate_using_subcommand deny" -l as -d 'The person decided for (integration tokens only)' -r
complete -c gate -n "__fish_gate_using_subcommand deny" -l broker -d 'The broker\'s URL [default: $GATE_BROKER_URL]' -r
complete -c gate -n "__fish_gate_using_subcommand deny" -l yes -d 'Do not ask for confirmation (refused when stdin is not a terminal, unless the token is an integration\'s)'
complete -c gate -n "__fish_gate_using_subcommand deny" -s h -l help -d 'Print help'
complete -c gate -n "__fish_gate_using_subcommand hook" -l policy -d 'The base policy file. Without it: $GATE_POLICY, else /etc/gate/policy.toml and ~/.config/gate/policy.toml stacked (either alone when only one exists), else the built-in default; a layer with `extends = "builtin"` adds to the built-in. A project\'s .gate/policy.toml, found up from the working directory, goes on top of any of these and may only tighten (`gate policy lint` shows the layers in force here)' -r -F
complete -c gate -n "__fish_gate_using_subcommand hook" -l db -d 'The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]' -r -F
complete -c gate -n "__fish_gate_using_subcommand hook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand init" -l project -d 'This project\'s settings (in the current directory)'
complete -c gate -n "__fish_gate_using_subcommand init" -l user -d 'The user\'s settings, for every project (the default)'
complete -c gate -n "__fish_gate_using_subcommand init" -l dry-run -d 'Show what would change, change nothing'
complete -c gate -n "__fish_gate_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand shell" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand mcp" -l policy -d 'The base policy file. Without it: $GATE_POLICY, else /etc/gate/policy.toml and ~/.config/gate/policy.toml stacked (either alone when only one exists), else the built-in default; a layer with `extends = "builtin"` adds to the built-in. A project\'s .gate/policy.toml, found up from the working directory, goes on top of any of these and may only tighten (`gate policy lint` shows the layers in force here)' -r -F
complete -c gate -n "__fish_gate_using_subcommand mcp" -l db -d 'The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]' -r -F
complete -c gate -n "__fish_gate_using_subcommand mcp" -l max-output -d 'The most bytes of stdout, and of stderr, returned for one command' -r
complete -c gate -n "__fish_gate_using_subcommand mcp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand doctor" -l db -d 'The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]' -r -F
complete -c gate -n "__fish_gate_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand prefix" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "exec" -d 'Run a command if the policy allows it or a human approves it; record the decision first.'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "check" -d 'Classify a command without running it: print the decision, the rule that decided and why.'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "policy" -d 'Check a policy file: report every error, or run its [[tests]]'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "audit" -d 'Verify, checkpoint and read the audit log'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "completions" -d 'Print the completion script for a shell.'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "serve" -d 'Run the approval broker: hold pending requests, let approvers decide, sign the decisions'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "requests" -d 'List the broker\'s pending requests (with GATE_BROKER_URL and GATE_APPROVER_TOKEN)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "approve" -d 'Approve a pending request on the broker (ID: any unique prefix)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "deny" -d 'Deny a pending request on the broker (ID: any unique prefix)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "hook" -d 'Answer an agent\'s hook: judge its shell command, record, answer in its format'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "init" -d 'Wire gate into an agent: merge gate\'s hook into its settings file'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "shell" -d 'A shell for tools that run `$SHELL -c LINE`: judge the line, then run it with bash'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "mcp" -d 'Serve MCP on stdio: one tool, run_command, that runs a shell line through gate'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "doctor" -d 'Check gate\'s setup: policy, audit log, key, broker, and each agent\'s hook'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "prefix" -d 'Claude Code\'s CLAUDE_CODE_SHELL_PREFIX: run COMMAND through gate'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from exec check policy audit completions serve requests approve deny hook init shell mcp doctor prefix help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "lint" -d 'Report every error in a policy as file:line:col with the line and a caret'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "test" -d 'Run the policy\'s [[tests]] and print each one that fails, with the rule that decided'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "programs" -d 'Print what gate knows about a program\'s options and operands, or list the programs known'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify" -d 'Prove that no entry was edited, removed, inserted or reordered'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "checkpoint" -d 'Verify the log, then sign a checkpoint of its head (stdout, or --out FILE)'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "key" -d 'Print the public key that verifies this machine\'s checkpoints (made on first use)'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "log" -d 'Show entries, newest last: a table, or JSON lines'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "show" -d 'Show one entry with every field'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "export" -d 'Stream matching entries, oldest first, for a SIEM'
