//! The `mdsim` command line.

mod divergence_cli;

use clap::{Parser, Subcommand};
use mdsim_driver::interrupt::{self, Interrupted};
use mdsim_driver::{resume, run, single_point, RunOptions};
use std::collections::BTreeMap;
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
    /// (another fit window; several runs of one system combined as replicas), or compute
    /// them from a trajectory of another engine (--trajectory: a LAMMPS dump or extended
    /// XYZ). Prints a summary; the full results go to --output as JSON.
    Analyze(AnalyzeArgs),
}

#[derive(clap::Args)]
struct AnalyzeArgs {
    /// Run folders (each with conductivity_data.json).
    #[arg(required_unless_present = "trajectory", conflicts_with = "trajectory")]
    dirs: Vec<PathBuf>,
    /// A trajectory to analyse instead of run folders: a LAMMPS text dump (dump custom with
    /// id, element or type, xu yu zu or x y z ix iy iz, optionally vx vy vz) or extended XYZ
    /// (ASE, OVITO, mdsim). Repeat it for replicas of one system.
    #[arg(long, value_name = "FILE")]
    trajectory: Vec<PathBuf>,
    /// MD time step of the trajectory, ps: a frame's time is its step number (LAMMPS
    /// `ITEM: TIMESTEP`, extended XYZ `Step=`) times this.
    #[arg(long, value_name = "PS", requires = "trajectory")]
    timestep_ps: Option<f64>,
    /// Time between the trajectory's frames, ps (for files without step numbers, such as
    /// ASE's extended XYZ); instead of --timestep-ps.
    #[arg(
        long,
        value_name = "PS",
        requires = "trajectory",
        conflicts_with = "timestep_ps"
    )]
    frame_interval_ps: Option<f64>,
    /// Temperature of the trajectory's run, K (σ is computed at it).
    #[arg(long, value_name = "K", requires = "trajectory")]
    temperature: Option<f64>,
    /// Transport charges, e.g. Li=1,P=5,O=-2. With --trajectory: species not named take
    /// their formal oxidation state. With run folders: the charges the runs must have
    /// been made with (a check).
    #[arg(long, value_parser = parse_charges)]
    charges: Option<BTreeMap<String, f64>>,
    /// Diffusing species whose tracer MSD gives σ_tr, e.g. Li (default: the lightest
    /// species with a transport charge).
    #[arg(long, value_delimiter = ',', requires = "trajectory")]
    diffusing: Option<Vec<String>>,
    /// Reference frame of the tracer displacements (default: the framework's centre of
    /// charge).
    #[arg(long, value_enum, requires = "trajectory")]
    frame: Option<FrameArg>,
    /// Species of LAMMPS atom types, e.g. 1=Li,2=P,3=O, for dumps without an `element`
    /// column.
    #[arg(long, value_parser = parse_types, requires = "trajectory")]
    types: Option<BTreeMap<u32, String>>,
    /// Independent blocks for the error bars (default 5).
    #[arg(long, requires = "trajectory")]
    blocks: Option<usize>,
    /// The trajectory's positions are unwrapped: use them as written, without following
    /// the atoms across the cell (only for files that do not say so themselves).
    #[arg(long, requires = "trajectory")]
    unwrapped: bool,
    /// Start of the MSD fit window, ps (with --fit-end-ps; default: automatic).
    #[arg(long, requires = "fit_end_ps")]
    fit_start_ps: Option<f64>,
    #[arg(long, requires = "fit_start_ps")]
    fit_end_ps: Option<f64>,
    /// Relative error the "how much longer" advice aims at (default 0.1).
    #[arg(long)]
    target_error: Option<f64>,
    /// Write the results as JSON here (a new file).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// `--frame` of `mdsim analyze --trajectory`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FrameArg {
    /// The centre of transport charge of the framework (all non-diffusing atoms).
    CentreOfCharge,
    /// The centre of mass of the framework.
    CentreOfMass,
    /// No correction.
    Lab,
}

/// `Li=1,P=5,O=-2` → a species → charge map.
fn parse_charges(s: &str) -> Result<BTreeMap<String, f64>, String> {
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

/// `1=Li,2=P` → a LAMMPS type → species map.
fn parse_types(s: &str) -> Result<BTreeMap<u32, String>, String> {
    s.split(',')
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("`{kv}`: expected TYPE=SPECIES, e.g. 1=Li"))?;
            let t: u32 = k.trim().parse().map_err(|_| {
                format!("`{kv}`: the type `{k}` is not a LAMMPS atom type (1, 2, …)")
            })?;
            Ok((t, v.trim().to_string()))
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
        Command::Analyze(args) => analyze(args),
    })
}

fn analyze(a: AnalyzeArgs) -> anyhow::Result<()> {
    use mdsim_driver::analyze;
    let analysis = if a.trajectory.is_empty() {
        let opts = analyze::AnalyzeOptions {
            fit_window_ps: a.fit_start_ps.zip(a.fit_end_ps),
            target_relative_error: a.target_error,
            charges: a.charges,
        };
        analyze::analyze(&a.dirs, &opts)?
    } else {
        analyze::analyze_trajectories(&a.trajectory, &trajectory_options(&a)?)?
    };
    analyze::print_summary(&analysis);
    match a.output {
        Some(path) => analyze::write_json(&analysis, &path),
        None => Ok(()),
    }
}

/// The settings of `mdsim analyze --trajectory`.
fn trajectory_options(
    a: &AnalyzeArgs,
) -> anyhow::Result<mdsim_driver::analyze_trajectory::TrajectoryOptions> {
    use mdsim_driver::analyze_trajectory::{FrameTime, TrajectoryOptions};
    use mdsim_io::input::{ConductivityInput, FrameInput};
    let time = match (a.timestep_ps, a.frame_interval_ps) {
        (Some(dt), None) => FrameTime::MdTimestep(dt),
        (None, Some(dt)) => FrameTime::FrameInterval(dt),
        _ => anyhow::bail!(
            "--trajectory needs --timestep-ps (the MD time step; frame times from their step numbers) or --frame-interval-ps (the time between frames)"
        ),
    };
    let Some(temperature_k) = a.temperature else {
        anyhow::bail!("--trajectory needs --temperature, the temperature of the run in K");
    };
    let defaults = ConductivityInput::default();
    Ok(TrajectoryOptions {
        time,
        temperature_k,
        settings: ConductivityInput {
            charges: a.charges.clone().unwrap_or_default(),
            diffusing: a.diffusing.clone(),
            frame: match a.frame {
                None | Some(FrameArg::CentreOfCharge) => FrameInput::FrameworkCentreOfCharge,
                Some(FrameArg::CentreOfMass) => FrameInput::FrameworkCentreOfMass,
                Some(FrameArg::Lab) => FrameInput::Lab,
            },
            blocks: a.blocks.unwrap_or(defaults.blocks),
            fit_start_ps: a.fit_start_ps,
            fit_end_ps: a.fit_end_ps,
            target_relative_error: a.target_error.unwrap_or(defaults.target_relative_error),
        },
        types: a.types.clone().unwrap_or_default(),
        assume_unwrapped: a.unwrapped,
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
