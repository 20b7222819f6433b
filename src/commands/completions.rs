//! gate completions (placeholder).

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {}

pub fn run(_args: CompletionsArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented")
}
