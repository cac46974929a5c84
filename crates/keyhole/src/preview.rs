//! `keyhole preview` (being built).

use anyhow::Result;
use clap::Args;

use crate::InputError;

/// The arguments of `keyhole preview`.
#[derive(Args)]
pub(crate) struct PreviewArgs {}

/// Runs `keyhole preview`.
pub(crate) fn run(_args: &PreviewArgs) -> Result<Result<u8, InputError>> {
    Ok(Err(InputError("not built yet".into())))
}
