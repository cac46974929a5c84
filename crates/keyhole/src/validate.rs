//! `keyhole validate` (being built).

use anyhow::Result;
use clap::Args;

use crate::InputError;

/// The arguments of `keyhole validate`.
#[derive(Args)]
pub(crate) struct ValidateArgs {}

/// Runs `keyhole validate`.
pub(crate) fn run(_args: &ValidateArgs) -> Result<Result<u8, InputError>> {
    Ok(Err(InputError("not built yet".into())))
}
