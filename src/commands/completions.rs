//! `gate completions`: print a shell completion script.

/// Print the completion script for a shell.
///
/// Examples:
///   gate completions bash > /etc/bash_completion.d/gate
///   gate completions zsh > "${fpath[1]}/_gate"
///   gate completions fish > ~/.config/fish/completions/gate.fish
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct CompletionsArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<i32> {
    use clap::CommandFactory;
    let mut command = crate::Cli::command();
    clap_complete::generate(args.shell, &mut command, "gate", &mut std::io::stdout());
    Ok(crate::exit_code::SUCCESS)
}
