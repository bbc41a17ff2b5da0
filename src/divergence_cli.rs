//! Arguments of `mdsim divergence`.

use clap::Args;
use mdsim_driver::divergence::{self, compare, DivergenceOptions};
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Twin trajectories from perturbed positions: separation vs time, largest Lyapunov exponent, decorrelation time; or --compare two runs' trajectories",
    arg_required_else_help = true
)]
pub struct DivergenceArgs {
    /// The input whose stages the reference and its twins run.
    #[arg(required_unless_present = "compare")]
    input: Option<PathBuf>,
    /// Compare the trajectory files of two run folders (or two files) frame by frame.
    #[arg(long, num_args = 2, value_names = ["RUN_A", "RUN_B"], conflicts_with = "input")]
    compare: Option<Vec<PathBuf>>,
    /// Output folder (must be new or empty); default runs/<input name>-divergence[-N].
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Worker threads; results are bitwise identical for any count.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Displacement of one atom per twin, Å.
    #[arg(long, default_value_t = 1e-10)]
    perturbation: f64,
    /// Number of twins.
    #[arg(long, default_value_t = 8)]
    twins: usize,
    /// Time between the branch points of successive twins, ps (0: all at once) [default: 2, or 0 with --transport].
    #[arg(long)]
    stagger: Option<f64>,
    /// How long each twin is followed, ps [default: 20, or the whole production with --transport].
    #[arg(long)]
    follow: Option<f64>,
    /// Stage (name or 1-based number) at whose start the first twin branches [default: the first production stage].
    #[arg(long)]
    branch_stage: Option<String>,
    /// Seed of the perturbations (atoms and directions) [default: the input's seed].
    #[arg(long)]
    seed: Option<u64>,
    /// Every member also runs the input's transport observers over the whole production, and the twins' estimates are compared.
    #[arg(long)]
    transport: bool,
}

pub fn execute(a: DivergenceArgs) -> anyhow::Result<()> {
    if let Some(runs) = a.compare {
        let report = compare::compare_runs(&runs[0], &runs[1])?;
        report.print();
        return Ok(());
    }
    let Some(input) = a.input else {
        anyhow::bail!("give an input file, or --compare RUN_A RUN_B");
    };
    let setup = crate::load(&input, mdsim_io::Purpose::Run)?;
    let opts = DivergenceOptions {
        output: a.output,
        threads: a.threads,
        perturbation: a.perturbation,
        twins: a.twins,
        stagger_ps: a.stagger.unwrap_or(if a.transport { 0.0 } else { 2.0 }),
        follow_ps: a.follow,
        branch_stage: a.branch_stage,
        seed: a.seed,
        transport: a.transport,
    };
    divergence::divergence(setup, &opts).map(|_| ())
}
