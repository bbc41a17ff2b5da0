//! The `mdsim` command line.

mod divergence_cli;

use clap::{Parser, Subcommand};
use mdsim_driver::interrupt::{self, Interrupted};
use mdsim_driver::{resume, run, single_point, RunOptions};
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
    /// Run a simulation. Ctrl-C or SIGTERM writes a checkpoint and stops (a second one
    /// stops at once); `mdsim resume` continues.
    Run {
        input: PathBuf,
        /// Output folder (must be new or empty); default runs/<input name>[-N].
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Worker threads; results are bitwise identical for any count.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Continue the interrupted run of INPUT in this folder from its last checkpoint,
        /// bit for bit, instead of starting a new one.
        #[arg(long, value_name = "DIR", conflicts_with = "output")]
        restart: Option<PathBuf>,
        /// Write a checkpoint and stop after this step (counted from the start of the run),
        /// e.g. to fit a job's time limit; `mdsim resume` continues.
        #[arg(long, value_name = "STEP")]
        stop_after: Option<u64>,
    },
    /// Continue an interrupted run in its folder from its last checkpoint, bit for bit
    /// (the input is read from DIR/input.ron).
    Resume {
        dir: PathBuf,
        /// Worker threads (may differ from the run's start: results do not depend on it).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Write a checkpoint and stop after this step (counted from the start of the run).
        #[arg(long, value_name = "STEP")]
        stop_after: Option<u64>,
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
    /// Recompute the conductivity estimates of finished runs from their stored data
    /// (another fit window; several runs of one system combined as replicas). Prints a
    /// summary; the full results go to --output as JSON.
    Analyze {
        /// Run folders (each with conductivity_data.json).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Start of the MSD fit window, ps (with --fit-end-ps; default: automatic).
        #[arg(long, requires = "fit_end_ps")]
        fit_start_ps: Option<f64>,
        #[arg(long, requires = "fit_start_ps")]
        fit_end_ps: Option<f64>,
        /// Relative error the "how much longer" advice aims at (default 0.1).
        #[arg(long)]
        target_error: Option<f64>,
        /// Transport charges the runs must have been made with, e.g. Li=1,P=5,O=-2.
        #[arg(long, value_parser = parse_charges)]
        charges: Option<std::collections::BTreeMap<String, f64>>,
        /// Write the results as JSON here (a new file).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// `Li=1,P=5,O=-2` → a species → charge map.
fn parse_charges(s: &str) -> Result<std::collections::BTreeMap<String, f64>, String> {
    s.split(',')
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("`{kv}`: expected SPECIES=CHARGE, e.g. Li=1"))?;
            let q: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("`{kv}`: the charge `{v}` is not a number"))?;
            Ok((k.trim().to_string(), q))
        })
        .collect()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<Interrupted>() {
            Some(i) => {
                eprintln!("{i}");
                ExitCode::from(i.exit_code())
            }
            None => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    let threads = match cli.command {
        Command::Run {
            threads,
            stop_after,
            ..
        }
        | Command::Resume {
            threads,
            stop_after,
            ..
        } => {
            interrupt::install_signal_handlers()?;
            if let Some(step) = stop_after {
                interrupt::stop_after(step);
            }
            threads
        }
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
            restart: None,
            ..
        } => {
            let setup = load(&input, mdsim_io::Purpose::Run)?;
            run(setup, &RunOptions { output, threads }).map(|_| ())
        }
        Command::Run {
            input,
            threads,
            restart: Some(dir),
            ..
        } => {
            let setup = load(&input, mdsim_io::Purpose::Run)?;
            resume(setup, &dir, threads).map(|_| ())
        }
        Command::Resume { dir, threads, .. } => {
            let setup = mdsim_io::load_run_folder(&dir)?;
            print_warnings(&setup);
            resume(setup, &dir, threads).map(|_| ())
        }
        Command::Energy { input, output } => {
            let setup = load(&input, mdsim_io::Purpose::SinglePoint)?;
            single_point::energy(setup, output.as_deref())
        }
        Command::Check { input } => {
            let setup = load(&input, mdsim_io::Purpose::Run)?;
            mdsim_driver::validate(&setup)?;
            single_point::check(&setup);
            Ok(())
        }
        Command::Divergence(args) => divergence_cli::execute(args),
        Command::Analyze {
            dirs,
            fit_start_ps,
            fit_end_ps,
            target_error,
            charges,
            output,
        } => {
            let opts = mdsim_driver::analyze::AnalyzeOptions {
                fit_window_ps: fit_start_ps.zip(fit_end_ps),
                target_relative_error: target_error,
                charges,
            };
            let a = mdsim_driver::analyze::analyze(&dirs, &opts)?;
            mdsim_driver::analyze::print_summary(&a);
            match output {
                Some(path) => mdsim_driver::analyze::write_json(&a, &path),
                None => Ok(()),
            }
        }
    })
}

/// Loads an input for `purpose` and prints its warnings.
fn load(input: &std::path::Path, purpose: mdsim_io::Purpose) -> anyhow::Result<mdsim_io::Setup> {
    let setup = mdsim_io::load_for(input, purpose)?;
    print_warnings(&setup);
    Ok(setup)
}

fn print_warnings(setup: &mdsim_io::Setup) {
    for w in &setup.warnings {
        eprintln!("warning: {w}");
    }
}
