//! gate exec (placeholder).

#[derive(Debug, clap::Args)]
pub struct ExecArgs {}

pub fn run(_args: ExecArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented")
}
