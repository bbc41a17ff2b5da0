//! The crate's error type: every user-reachable failure is a value, never a panic.

use thiserror::Error;

/// What can go wrong when accumulating or estimating transport quantities.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TransportError {
    /// Settings that cannot work (zero blocks, blocks shorter than the longest lag, …).
    #[error("invalid transport settings: {0}")]
    Config(String),

    /// The run is too short for the blocks asked for.
    #[error("{0}")]
    RunTooShort(String),

    /// A sample did not have one vector per tracked particle.
    #[error("a sample has {got} vectors but the accumulator tracks {expected}")]
    WrongLength { expected: usize, got: usize },

    /// More samples were pushed than announced at construction (block boundaries are fixed
    /// from the announced count).
    #[error(
        "all {n_samples} announced samples were already pushed; the sample count is fixed at \
         construction because it fixes the block boundaries"
    )]
    TooManySamples { n_samples: usize },

    /// The fit window holds fewer than two sampled lags.
    #[error(
        "fit window {start_ps} ps .. {end_ps} ps contains {n_points} sampled lag(s); at least 2 \
         are needed (widen the window or sample more often)"
    )]
    WindowTooShort {
        start_ps: f64,
        end_ps: f64,
        n_points: usize,
    },

    /// Fewer than two independent blocks have data over the requested lags, so no error bar
    /// can be given.
    #[error(
        "only {n_blocks} block(s) have data up to lag {lag_ps} ps; at least 2 are needed for an \
         error bar (run longer, use fewer blocks, or shorten the window)"
    )]
    TooFewBlocks { n_blocks: usize, lag_ps: f64 },

    /// A group index outside `0..n_groups`.
    #[error("group {group} is out of range (n_groups = {n_groups})")]
    GroupOutOfRange { group: usize, n_groups: usize },

    /// A group without members was asked for an estimate.
    #[error("group {group} has no tracked particles")]
    EmptyGroup { group: usize },

    /// Bad input to the radial distribution function accumulator.
    #[error("RDF: {0}")]
    Rdf(String),
}
