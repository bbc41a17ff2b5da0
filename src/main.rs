//! The `mdsim` command line.

use clap::{Parser, Subcommand};
use mdsim::run::{run, RunOptions};
use mdsim::single_point;
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
    Check { input: PathBuf },
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
    match cli.command {
        Command::Run {
            input,
            output,
            threads,
        } => {
            if threads == 0 {
                anyhow::bail!("--threads must be at least 1");
            }
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build_global()?;
            let setup = mdsim_io::load(&input)?;
            run(setup, &RunOptions { output, threads })?;
        }
        Command::Energy { input, output } => {
            let setup = mdsim_io::load(&input)?;
            single_point::energy(setup, output.as_deref())?;
        }
        Command::Check { input } => {
            let setup = mdsim_io::load(&input)?;
            mdsim::run::validate(&setup)?;
            single_point::check(&setup);
        }
    }
    Ok(())
}
