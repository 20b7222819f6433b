//! gate audit (placeholder).

#[derive(Debug, clap::Args)]
pub struct AuditArgs {}

pub fn run(_args: AuditArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented")
}
