//! LAMMPS dumps read as LAMMPS writes them. The fixtures (tests/fixtures/lammps-dump, with
//! the LAMMPS input that made them) are one run of a charged melt in a triclinic box, dumped
//! four ways: `element xu yu zu vx vy vz` (units and time items, sorted by x), `type x y z
//! ix iy iz` (sorted by z), `type xs ys zs ix iy iz` (descending ids) and `type mass xsu ysu
//! zsu` (in the order two MPI processes own the atoms). All must give the same cell, ids,
//! species and unwrapped positions, to the 6 digits LAMMPS writes (`%g`).

use mdsim_core::Cell;
use mdsim_io::trajectory::{Frame, Positions, ReadOptions, TrajectoryReader, Unwrapper};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lammps-dump")
        .join(name)
}

fn types() -> ReadOptions {
    ReadOptions {
        types: [(1, "Na".to_string()), (2, "Cl".to_string())].into(),
    }
}

/// The options a dump needs: the type map unless it has an `element` column.
fn options_for(dump: &str) -> ReadOptions {
    if dump.contains("element") {
        ReadOptions::default()
    } else {
        types()
    }
}

fn frames(path: &Path, options: &ReadOptions) -> Vec<Frame> {
    let mut r = TrajectoryReader::open(path, options).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().unwrap_or_else(|e| panic!("{e}")) {
        out.push(f);
    }
    out
}

/// The cell of `region box prism 0 2 0 2 0 2 0.5 0.3 0.2` with `lattice fcc 5.0`.
const CELL: [[f64; 3]; 3] = [[10.0, 0.0, 0.0], [2.5, 10.0, 0.0], [1.5, 1.0, 10.0]];

const DUMPS: [&str; 4] = [
    "dump.element-xu-v.lammpstrj",
    "dump.type-x-image.lammpstrj",
    "dump.type-xs-image.lammpstrj",
    "dump.type-xsu.lammpstrj",
];

#[test]
fn every_dump_gives_the_cell_ids_species_and_unwrapped_positions() {
    let all: Vec<Vec<Frame>> = DUMPS
        .iter()
        .map(|d| frames(&fixture(d), &options_for(d)))
        .collect();
    let reference = &all[0];
    assert_eq!(reference.len(), 11);
    for (d, frames) in DUMPS.iter().zip(&all) {
        assert_eq!(frames.len(), 11, "{d}");
        for (k, f) in frames.iter().enumerate() {
            assert_eq!(f.header.step, Some(10 * k as u64), "{d}");
            assert_eq!(f.header.lattice, CELL, "{d}");
            assert_eq!(f.ids, Some((1..=32).collect()), "{d}: ids sorted");
            assert!(
                matches!(f.kind, Positions::Unwrapped(_)),
                "{d}: {:?}",
                f.kind
            );
            let r = &reference[k];
            assert_eq!(f.species, r.species, "{d} frame {k}");
            for (i, (a, b)) in f.positions.iter().zip(&r.positions).enumerate() {
                for c in 0..3 {
                    // %g: 6 significant digits of coordinates up to ~25 Å.
                    assert!(
                        (a[c] - b[c]).abs() < 2e-4,
                        "{d} frame {k} atom {}: {a:?} vs {b:?}",
                        i + 1
                    );
                }
            }
        }
    }
    // Species: 16 Na and 16 Cl (`set type/ratio 2 0.5`).
    let na = reference[0].species.iter().filter(|s| *s == "Na").count();
    assert_eq!((na, 32 - na), (16, 16));
    assert_eq!(
        Cell::new(CELL[0], CELL[1], CELL[2]).unwrap().volume(),
        1000.0
    );
    // Atoms crossed the cell: the unwrapped positions leave it.
    let last = &reference[10];
    let cell = Cell::new(CELL[0], CELL[1], CELL[2]).unwrap();
    let outside = last
        .positions
        .iter()
        .filter(|r| {
            cell.to_fractional(**r)
                .iter()
                .any(|s| !(0.0..1.0).contains(s))
        })
        .count();
    assert!(outside > 5, "{outside} atoms outside the cell");
}

#[test]
fn units_time_velocities_and_masses_are_read() {
    let a = frames(&fixture(DUMPS[0]), &ReadOptions::default());
    for (k, f) in a.iter().enumerate() {
        // ITEM: TIME in ps (ITEM: UNITS metal), timestep 0.002 ps.
        let t = f.header.time_ps.unwrap();
        assert!((t - 0.02 * k as f64).abs() < 1e-12, "{t}");
        assert_eq!(f.velocities.as_ref().map(Vec::len), Some(32));
    }
    // Velocities in Å/ps: the RMS displacement over 10 steps (0.02 ps) divided by the time
    // is the RMS velocity to within the change of velocity over that time (a fs or Å/fs
    // mistake would be a factor 1000).
    let (mut d2, mut v2) = (0.0, 0.0);
    for k in 0..10 {
        let (f0, f1) = (&a[k], &a[k + 1]);
        let (v0, v1) = (
            f0.velocities.as_ref().unwrap(),
            f1.velocities.as_ref().unwrap(),
        );
        for i in 0..32 {
            for c in 0..3 {
                d2 += ((f1.positions[i][c] - f0.positions[i][c]) / 0.02).powi(2);
                v2 += (0.5 * (v0[i][c] + v1[i][c])).powi(2);
            }
        }
    }
    let ratio = (d2 / v2).sqrt();
    assert!((0.8..1.25).contains(&ratio), "{ratio}");
    let d = frames(&fixture(DUMPS[3]), &types());
    let m = d[0].masses.as_ref().unwrap();
    for (s, m) in d[0].species.iter().zip(m) {
        assert_eq!(*m, if s == "Na" { 22.9898 } else { 35.45 });
    }
}

/// The file lists the atoms in no fixed order: the reader's sorting is exercised.
#[test]
fn the_fixtures_are_not_sorted_by_id() {
    for d in DUMPS {
        let text = std::fs::read_to_string(fixture(d)).unwrap();
        let last = text.rsplit("ITEM: ATOMS").next().unwrap();
        let ids: Vec<u64> = last
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(ids.len(), 32);
        assert!(ids.windows(2).any(|w| w[0] > w[1]), "{d}: {ids:?}");
    }
}

/// Positions written wrapped (`x y z` without image flags) are followed across frames and
/// give LAMMPS' own unwrapped positions.
#[test]
fn wrapped_positions_are_unwrapped_as_lammps_does() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture(DUMPS[1])).unwrap();
    let wrapped: String = text
        .lines()
        .map(|l| {
            if l.starts_with("ITEM: ATOMS") {
                "ITEM: ATOMS id type x y z".to_string()
            } else {
                let w: Vec<&str> = l.split_whitespace().collect();
                if w.len() == 8 {
                    w[..5].join(" ")
                } else {
                    l.to_string()
                }
            }
        })
        .map(|l| l + "\n")
        .collect();
    let path = dir.path().join("wrapped.lammpstrj");
    std::fs::write(&path, wrapped).unwrap();
    let frames_w = frames(&path, &types());
    let reference = frames(&fixture(DUMPS[0]), &ReadOptions::default());
    let mut u = Unwrapper::new(Cell::new(CELL[0], CELL[1], CELL[2]).unwrap());
    let mut out = Vec::new();
    for (f, r) in frames_w.iter().zip(&reference) {
        assert_eq!(f.kind, Positions::AsWritten("x y z"));
        u.unwrap(&f.positions, &mut out);
        for (a, b) in out.iter().zip(&r.positions) {
            for c in 0..3 {
                assert!((a[c] - b[c]).abs() < 2e-4, "{a:?} vs {b:?}");
            }
        }
    }
    assert!(u.stats().crossings > 5, "{:?}", u.stats());
    assert!(u.stats().largest_step < 0.25, "{:?}", u.stats());
}

fn dump_error(text: &str, options: &ReadOptions) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.lammpstrj");
    std::fs::write(&path, text).unwrap();
    let mut r = match TrajectoryReader::open(&path, options) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    loop {
        match r.next_frame() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("{text} was read"),
            Err(e) => return e.to_string(),
        }
    }
}

const HEAD: &str =
    "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2\nITEM: BOX BOUNDS pp pp pp\n0 10\n0 10\n0 10\n";

#[test]
fn bad_dumps_are_refused_with_the_line_and_what_to_do() {
    let none = ReadOptions::default();
    let cases: [(String, &ReadOptions, &str); 7] = [
        (
            format!("{HEAD}ITEM: ATOMS id type vx vy vz\n1 1 0 0 0\n2 1 0 0 0\n"),
            &none,
            ":9: `ITEM: ATOMS id type vx vy vz`: no positions",
        ),
        (
            format!("{HEAD}ITEM: ATOMS type xu yu zu\n1 0 0 0\n1 1 1 1\n"),
            &none,
            "no `id` column",
        ),
        (
            format!("{HEAD}ITEM: ATOMS id type xu yu zu\n1 1 0 0 0\n2 1 1 1 1\n"),
            &none,
            "--types 1=Li",
        ),
        (
            format!("{HEAD}ITEM: ATOMS id type xu yu zu\n1 1 0 0 0\n2 3 1 1 1\n"),
            &types(),
            ":11: atom type 3 has no species in --types",
        ),
        (
            format!("{HEAD}ITEM: ATOMS id element xu yu zu\n1 Li 0 0 0\n2 Li 1 1\n3 Li 2 2 2\n"),
            &none,
            ":11: 4 values for the 5 columns",
        ),
        (
            HEAD.replace("pp pp pp", "pp pp fm")
                + "ITEM: ATOMS id element xu yu zu\n1 Li 0 0 0\n2 Li 1 1 1\n",
            &none,
            ":5: boundary `fm`",
        ),
        (
            format!("{HEAD}ITEM: ATOMS id element xu yu zu\n1 Li 0 0 0\n1 Li 1 1 1\n"),
            &none,
            "atom id 1 appears twice",
        ),
    ];
    for (text, options, expected) in &cases {
        let e = dump_error(text, options);
        assert!(e.contains(expected), "expected `{expected}` in: {e}");
        assert!(e.contains("bad.lammpstrj"), "{e}");
    }
}

#[test]
fn a_cut_frame_is_reported_as_truncated() {
    let good = format!("{HEAD}ITEM: ATOMS id element xu yu zu\n1 Li 0 0 0\n2 Li 1 1 1\n");
    for cut in [
        format!(
            "{good}ITEM: TIMESTEP\n10\nITEM: NUMBER OF ATOMS\n2\nITEM: BOX BOUNDS pp pp pp\n0 10\n"
        ),
        format!("{good}{}", good.replace("\n2 Li 1 1 1\n", "\n")),
        format!("{good}{}", good.replace("\n2 Li 1 1 1\n", "\n2 Li 1 1")),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.lammpstrj");
        std::fs::write(&path, &cut).unwrap();
        let mut r = TrajectoryReader::open(&path, &ReadOptions::default()).unwrap();
        assert!(r.next_frame().unwrap().is_some());
        let e = r.next_frame().unwrap_err();
        assert!(e.truncated, "{e}");
        assert_eq!(e.line, Some(12), "{e}");
        assert!(e.to_string().contains("cut short"), "{e}");
    }
}

#[test]
fn general_triclinic_boxes_are_read() {
    let text = "ITEM: TIMESTEP\n5\nITEM: NUMBER OF ATOMS\n1\nITEM: BOX BOUNDS abc origin pp pp pp\n4 0 0 -2\n1 5 0 -3\n0.5 0.25 6 -4\nITEM: ATOMS id element xs ys zs\n1 Li 0.5 0.5 0.5\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("general.lammpstrj");
    std::fs::write(&path, text).unwrap();
    let f = frames(&path, &ReadOptions::default()).remove(0);
    assert_eq!(
        f.header.lattice,
        [[4.0, 0.0, 0.0], [1.0, 5.0, 0.0], [0.5, 0.25, 6.0]]
    );
    // r = origin + (a + b + c)/2.
    assert_eq!(f.positions[0], [0.75, -0.375, -1.0]);
    assert_eq!(f.kind, Positions::AsWritten("xs ys zs"));
}
