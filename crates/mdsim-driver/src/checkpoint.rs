//! Checkpoints: everything a run needs to continue bit for bit (DESIGN.md §9), in
//! `checkpoint.bin` of the run folder, the one before kept as `checkpoint.prev.bin`.
//!
//! Every part with state owns one serialisable struct used for both saving and loading
//! (STYLE.md §2, after GROMACS' `doCheckpointData` and OpenMM's `createCheckpoint`): the
//! engine's [`EngineState`] (positions, velocities, forces, image counters, cell, the
//! neighbour list's reference positions), the stage loop's [`LoopState`] (step, stage,
//! thermostat chain, bath energy), each observer's [`Saved`] state, and the [`RunRecord`] of
//! what results.json says about the run's start. No random stream is used after step 0, so
//! there is no RNG state to keep.
//!
//! File layout (integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8  | magic `MDSIMCKP` |
//! | 4  | format version ([`FORMAT_VERSION`]) |
//! | 8  | payload length |
//! | 32 | SHA-256 of the payload |
//! | …  | payload: [`Header`] then [`Body`], postcard encoding |
//!
//! The header comes first so that a checkpoint of another mdsim version or input is refused
//! with a clear message before the rest is decoded.

use crate::observer::{Observer, Saved};
use crate::output::{sync_dir, write_synced};
use crate::provenance::{file_sha256, sha256_hex};
use crate::report::MinimizationOut;
use anyhow::{anyhow, Context, Result};
use mdsim_core::engine::EngineState;
use mdsim_core::{Engine, NoseHooverChain};
use mdsim_io::Setup;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

/// The current checkpoint of a run folder.
pub const FILE: &str = "checkpoint.bin";
/// The checkpoint before it, kept until a new one is complete.
pub const PREVIOUS: &str = "checkpoint.prev.bin";
/// A checkpoint being written.
const TEMPORARY: &str = "checkpoint.bin.tmp";

const MAGIC: &[u8; 8] = b"MDSIMCKP";
/// Version of the file layout and of the encoded structs; raise it when either changes.
pub const FORMAT_VERSION: u32 = 2;
const PREFIX_LEN: usize = 8 + 4 + 8 + 32;

/// What a checkpoint belongs to, checked before the rest is read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub mdsim_version: String,
    /// SHA-256 of the input file's text.
    pub input_sha256: String,
    pub potential_sha256: Option<String>,
    pub structure_sha256: Option<String>,
    /// The step the checkpoint was taken after.
    pub step: u64,
}

impl Header {
    /// The header of checkpoints of `setup`'s run at `step`.
    pub fn of(setup: &Setup, step: u64) -> Result<Self> {
        Ok(Self {
            mdsim_version: env!("CARGO_PKG_VERSION").into(),
            input_sha256: sha256_hex(setup.text.as_bytes()),
            potential_sha256: file_sha256(setup.force_field_path.as_deref())?,
            structure_sha256: file_sha256(setup.structure_path.as_deref())?,
            step,
        })
    }

    /// Why a checkpoint with this header cannot continue the run of `setup` (whose header is
    /// `expected`), if it cannot.
    fn mismatch(&self, expected: &Header, setup: &Setup) -> Option<String> {
        if self.mdsim_version != expected.mdsim_version {
            return Some(format!(
                "it was written by mdsim {}, this is mdsim {}; a run continues bit for bit only with the version that started it: use that version, or start a new run",
                self.mdsim_version, expected.mdsim_version
            ));
        }
        if self.input_sha256 != expected.input_sha256 {
            return Some(format!(
                "it belongs to another input (SHA-256 {}…), not to {} ({}…)",
                &self.input_sha256[..12.min(self.input_sha256.len())],
                setup.path.display(),
                &expected.input_sha256[..12]
            ));
        }
        let changed = |what: &str, path: &Option<PathBuf>| {
            format!(
                "the {what} file {} is not the one the run started with (SHA-256 differs)",
                path.as_deref()
                    .map_or("?".into(), |p| p.display().to_string())
            )
        };
        if self.potential_sha256 != expected.potential_sha256 {
            return Some(changed("potential", &setup.force_field_path));
        }
        if self.structure_sha256 != expected.structure_sha256 {
            return Some(changed("structure", &setup.structure_path));
        }
        None
    }
}

/// Where the stage loop stands: its own checkpoint state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoopState {
    /// Steps done since the start of the run.
    pub step: u64,
    /// Index of the current stage in the input's `stages`.
    pub stage: usize,
    /// Steps done in the current stage.
    pub stage_step: u64,
    /// Energy the thermostat chains of the finished stages took out (eV).
    pub bath_energy: f64,
    /// The current stage's Nosé–Hoover chain (`None` in NVE, and before the stage starts).
    pub thermostat: Option<NoseHooverChain>,
}

impl LoopState {
    /// Before the first step.
    pub fn start() -> Self {
        Self {
            step: 0,
            stage: 0,
            stage_step: 0,
            bath_energy: 0.0,
            thermostat: None,
        }
    }
}

/// What results.json says about the start of the run, carried over restarts so that a
/// continued run reports the same.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunRecord {
    /// The input file as given when the run started.
    pub input_file: String,
    pub warnings: Vec<String>,
    pub minimization: Option<MinimizationOut>,
}

/// Everything after the header.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Body {
    pub run: RunRecord,
    pub position: LoopState,
    pub engine: EngineState,
    /// One entry per observer, in the order of [`crate::observers::standard`].
    pub observers: Vec<Option<Saved>>,
}

/// A whole checkpoint.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub header: Header,
    pub body: Body,
}

impl Checkpoint {
    /// The file's bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut payload = postcard::to_stdvec(&self.header)?;
        payload.extend(postcard::to_stdvec(&self.body)?);
        let mut bytes = Vec::with_capacity(PREFIX_LEN + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&Sha256::digest(&payload));
        bytes.extend(payload);
        Ok(bytes)
    }

    /// Reads the bytes of a checkpoint file, checking its header against `expected` (the
    /// header of the run to continue) before decoding the rest. The error is the reason it
    /// cannot be used, as a sentence.
    pub fn decode(bytes: &[u8], expected: &Header, setup: &Setup) -> Result<Self, String> {
        let payload = payload(bytes)?;
        let (header, rest) = postcard::take_from_bytes::<Header>(payload)
            .map_err(|e| format!("its header cannot be decoded ({e})"))?;
        if let Some(why) = header.mismatch(expected, setup) {
            return Err(why);
        }
        let body: Body =
            postcard::from_bytes(rest).map_err(|e| format!("it cannot be decoded ({e})"))?;
        if body.position.step != header.step {
            return Err("its header and contents disagree on the step".into());
        }
        Ok(Self { header, body })
    }
}

/// The payload of a checkpoint file, after checking magic, format, length and checksum.
fn payload(bytes: &[u8]) -> Result<&[u8], String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(if MAGIC.starts_with(bytes) {
            format!("it is truncated ({} bytes)", bytes.len())
        } else {
            "it is not an mdsim checkpoint".into()
        });
    }
    if bytes.len() < PREFIX_LEN {
        return Err(format!(
            "it is truncated ({} bytes, shorter than the {PREFIX_LEN}-byte header)",
            bytes.len()
        ));
    }
    let format = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if format != FORMAT_VERSION {
        return Err(format!(
            "it has checkpoint format {format}; mdsim {} reads format {FORMAT_VERSION}",
            env!("CARGO_PKG_VERSION")
        ));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or_default());
    let payload = &bytes[PREFIX_LEN..];
    if (payload.len() as u64) < len {
        return Err(format!(
            "it is truncated ({} of {len} bytes of contents): its write was cut off",
            payload.len()
        ));
    }
    if payload.len() as u64 > len {
        return Err(format!(
            "it has {} stray bytes after its end",
            payload.len() as u64 - len
        ));
    }
    if Sha256::digest(payload).as_slice() != &bytes[20..52] {
        return Err("it is corrupt: its SHA-256 checksum does not match its contents".into());
    }
    Ok(payload)
}

/// Writes `cp` as the run folder's checkpoint, atomically: to a temporary file, synced to
/// disk, then the current checkpoint becomes the previous one and the new one takes its
/// name. At every moment a complete checkpoint exists (see [`load`]).
pub fn write(dir: &Path, cp: &Checkpoint) -> Result<()> {
    let bytes = cp.encode().context("cannot encode the checkpoint")?;
    let (tmp, current, previous) = (dir.join(TEMPORARY), dir.join(FILE), dir.join(PREVIOUS));
    write_synced(&tmp, &bytes)?;
    if current.exists() {
        fs::rename(&current, &previous).with_context(|| {
            format!(
                "{}: cannot keep the previous checkpoint",
                previous.display()
            )
        })?;
    }
    fs::rename(&tmp, &current).with_context(|| format!("{}: cannot write", current.display()))?;
    sync_dir(&current)
}

/// The checkpoint to continue the run of `setup` in `dir` from: `checkpoint.bin`, or
/// `checkpoint.prev.bin` when a stop while replacing the first left only that one. A
/// checkpoint that cannot be used is refused, naming the file and the reason; nothing in
/// the folder is changed.
pub fn load(dir: &Path, setup: &Setup) -> Result<(Checkpoint, PathBuf)> {
    let expected = Header::of(setup, 0)?;
    let (current, previous) = (dir.join(FILE), dir.join(PREVIOUS));
    let read = |path: &Path| -> Result<Checkpoint> {
        let bytes = fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        Checkpoint::decode(&bytes, &expected, setup).map_err(|why| {
            anyhow!(
                "{}: cannot continue from this checkpoint: {why}",
                path.display()
            )
        })
    };
    if current.exists() {
        return match read(&current) {
            Ok(cp) => Ok((cp, current)),
            Err(e) if previous.exists() => Err(e.context(format!(
                "the previous checkpoint {} is kept: to continue from it instead, move {} aside",
                previous.display(),
                current.display()
            ))),
            Err(e) => Err(e),
        };
    }
    if previous.exists() {
        eprintln!(
            "note: {} is missing (the run stopped while replacing it); continuing from {}",
            current.display(),
            previous.display()
        );
        return Ok((read(&previous)?, previous));
    }
    anyhow::bail!(
        "{}: no checkpoint ({FILE}) to continue from; is this the folder of an mdsim run?",
        dir.display()
    )
}

/// When the loop writes checkpoints, and what goes into them besides the state.
pub struct Checkpoints {
    dir: PathBuf,
    /// Steps between checkpoints; 0 = only at the start and the end.
    every: u64,
    last_step: u64,
    header: Header,
    run: RunRecord,
}

impl Checkpoints {
    pub fn new(setup: &Setup, dir: &Path, run: RunRecord) -> Result<Self> {
        Ok(Self {
            dir: dir.to_path_buf(),
            every: setup.input.output.checkpoint_every,
            last_step: setup.total_steps(),
            header: Header::of(setup, 0)?,
            run,
        })
    }

    /// Whether a checkpoint is due after `step` (the start, every `checkpoint_every` steps,
    /// the end).
    pub fn due(&self, step: u64) -> bool {
        step == 0 || step == self.last_step || (self.every > 0 && step.is_multiple_of(self.every))
    }

    /// Writes the checkpoint of the state after `at.step` (every observer has seen it).
    pub fn save(
        &self,
        engine: &Engine,
        observers: &mut [Box<dyn Observer>],
        at: &LoopState,
    ) -> Result<()> {
        let observers = observers
            .iter_mut()
            .map(|o| o.save())
            .collect::<Result<Vec<_>>>()?;
        let cp = Checkpoint {
            header: Header {
                step: at.step,
                ..self.header.clone()
            },
            body: Body {
                run: self.run.clone(),
                position: at.clone(),
                engine: engine.state(),
                observers,
            },
        };
        write(&self.dir, &cp)
    }

    /// What results.json says about the start of the run.
    pub fn run_record(&self) -> &RunRecord {
        &self.run
    }
}
