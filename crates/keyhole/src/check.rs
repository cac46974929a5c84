//! `keyhole check` (being built).

use anyhow::Result;
use clap::Args;

use crate::InputError;

/// The arguments of `keyhole check`.
#[derive(Args)]
pub(crate) struct CheckArgs {}

/// Runs `keyhole check`.
pub(crate) fn run(_args: &CheckArgs) -> Result<Result<u8, InputError>> {
    Ok(Err(InputError("not built yet".into())))
}
