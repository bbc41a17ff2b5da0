//! The `mdsim` command line.

mod divergence_cli;

use clap::{Parser, Subcommand};
use mdsim_driver::{run, single_point, RunOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "mdsim",
    version,
    about = "Molecular dynamics with reproducible ionic-conductivity estimates"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a simulation.
    Run {
        input: PathBuf,
        /// Output folder (must be new or empty); default runs/<input name>[-N].
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Worker threads; results are bitwise identical for any count.
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
    /// Energy by component, pressure and forces of the input structure.
    Energy {
        input: PathBuf,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Validate an input and print what would be run.
    Check {
        input: PathBuf,
    },
    Divergence(divergence_cli::DivergenceArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    let threads = match cli.command {
        Command::Run { threads, .. } => threads,
        Command::Divergence(ref a) => a.threads,
        _ => 1,
    };
    if threads == 0 {
        anyhow::bail!("--threads must be at least 1");
    }
    // Everything runs on a pool of exactly `threads` workers (rayon's global pool is never
    // started), so parallel loops start without a hand-off between threads at every step.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    pool.install(|| match cli.command {
        Command::Run {
            input,
            output,
            threads,
        } => {
            let setup = load(&input)?;
            run(setup, &RunOptions { output, threads }).map(|_| ())
        }
        Command::Energy { input, output } => {
            let setup = load(&input)?;
            single_point::energy(setup, output.as_deref())
        }
        Command::Check { input } => {
            let setup = load(&input)?;
            mdsim_driver::validate(&setup)?;
            single_point::check(&setup);
            Ok(())
        }
        Command::Divergence(args) => divergence_cli::execute(args),
    })
}

/// Loads an input and prints its warnings.
fn load(input: &std::path::Path) -> anyhow::Result<mdsim_io::Setup> {
    let setup = mdsim_io::load(input)?;
    for w in &setup.warnings {
        eprintln!("warning: {w}");
    }
    Ok(setup)
}
