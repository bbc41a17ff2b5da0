//! The crystal builder on γ-Li3PO4, β-Li3PO4 and the (Li3PO4)0.75(Li4SiO4)0.25 model
//! (MATERIALS.md §2), and its error messages.

use mdsim_core::Cell;
use mdsim_io::crystal::{build, write_extxyz, CrystalInput, Structure, SymmetryOperation};

/// γ-Li3PO4, Pnma, Wang et al. 1995 (as in `inputs/li3po4-gamma.ron`, repeat changed per test).
const GAMMA: &str = r#"(
    cell: (10.4612, 6.1113, 4.9208, 90.0, 90.0, 90.0),
    symmetry: [
        "x, y, z", "-x, -y, -z", "-x+1/2, -y, z+1/2", "x+1/2, y, -z+1/2",
        "x+1/2, -y+1/2, -z+1/2", "-x+1/2, y+1/2, z+1/2", "-x, y+1/2, -z", "x, -y+1/2, z",
    ],
    sites: [
        (label: "Li1", species: "Li", at: (0.1627, 0.5016, 0.6992)),
        (label: "Li2", species: "Li", at: (0.4246, 0.7500, 0.7955)),
        (label: "P1",  species: "P",  at: (0.4115, 0.2500, 0.6921)),
        (label: "O1",  species: "O",  at: (0.3418, 0.0441, 0.7946)),
        (label: "O2",  species: "O",  at: (0.0503, 0.2500, 0.7072)),
        (label: "O3",  species: "O",  at: (0.0896, 0.7500, 0.8777)),
    ],
    repeat: (2, 4, 5),
)"#;

/// β-Li3PO4, Pmn2₁, Keffer et al. 1967.
const BETA: &str = r#"(
    cell: (6.115, 5.2394, 4.8554, 90.0, 90.0, 90.0),
    symmetry: ["x, y, z", "x+1/2, -y, z+1/2", "-x, y, z", "-x+1/2, -y, z+1/2"],
    sites: [
        (label: "Li1", species: "Li", at: (0.24810, 0.32770, 0.98600)),
        (label: "Li2", species: "Li", at: (0.5, 0.84280, 0.98930)),
        (label: "P",   species: "P",  at: (0.0, 0.82430, 0.0)),
        (label: "O1",  species: "O",  at: (0.20777, 0.68676, 0.89610)),
        (label: "O2",  species: "O",  at: (0.0, 0.10520, 0.90040)),
        (label: "O3",  species: "O",  at: (0.5, 0.18140, 0.81720)),
    ],
    repeat: (1, 1, 1),
)"#;

/// (Li3PO4)0.75(Li4SiO4)0.25, Deng et al. 2015 (as in `inputs/lpso-0.75.ron`).
const LPSO: &str = r#"(
    cell: (10.52587, 6.11525, 4.97031, 90.0, 90.0, 90.0),
    symmetry: [
        "x, y, z", "-x, -y, -z", "-x+1/2, -y, z+1/2", "x+1/2, y, -z+1/2",
        "x+1/2, -y+1/2, -z+1/2", "-x+1/2, y+1/2, z+1/2", "-x, y+1/2, -z", "x, -y+1/2, z",
    ],
    sites: [
        (label: "Li1", species: "Li", at: (0.1627, 0.5016, 0.6992)),
        (label: "Li2", species: "Li", at: (0.4246, 0.7500, 0.7955)),
        (label: "P1",  species: "P",  at: (0.4115, 0.2500, 0.6921)),
        (label: "O1",  species: "O",  at: (0.3418, 0.0441, 0.7946)),
        (label: "O2",  species: "O",  at: (0.0503, 0.2500, 0.7072)),
        (label: "O3",  species: "O",  at: (0.0896, 0.7500, 0.8777)),
    ],
    repeat: (3, 5, 6),
    substitute: [
        (site: "P1", species: "Si", count: 90),
    ],
    interstitials: [
        (
            compensates: 0,
            species: "Li",
            sites: [
                (label: "Li5", at: (0.7356, 0.2500, 0.4118)),
                (label: "Li4", at: (0.6143, 0.2500, 0.3652)),
                (label: "Li0", at: (0.5515, 0.9786, 0.9286)),
            ],
            min_distance: {"Li": 1.6, "O": 1.7, "P": 2.5, "Si": 2.5},
        ),
    ],
)"#;

fn parse(text: &str) -> CrystalInput {
    ron::from_str(text).unwrap_or_else(|e| panic!("{e}"))
}

fn with_repeat(text: &str, repeat: (usize, usize, usize)) -> CrystalInput {
    let mut input = parse(text);
    input.repeat = repeat;
    input
}

fn dist(cell: &Cell, a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = cell.minimum_image([a[0] - b[0], a[1] - b[1], a[2] - b[2]]);
    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
}

/// For each atom of species `from`, its distances to all atoms of species `to`, sorted.
fn neighbour_distances(s: &Structure, from: &str, to: &str) -> Vec<Vec<f64>> {
    (0..s.len())
        .filter(|&i| s.species[i] == from)
        .map(|i| {
            let mut d: Vec<f64> = (0..s.len())
                .filter(|&j| j != i && s.species[j] == to)
                .map(|j| dist(&s.cell, s.positions[i], s.positions[j]))
                .collect();
            d.sort_by(f64::total_cmp);
            d
        })
        .collect()
}

/// Closest distance between any atom of `a` and any atom of `b`.
fn closest(s: &Structure, a: &str, b: &str) -> f64 {
    neighbour_distances(s, a, b)
        .iter()
        .map(|d| d[0])
        .fold(f64::INFINITY, f64::min)
}

/// Range (min, max) of the `k` nearest `to` neighbours over all `from` atoms.
fn shell_range(s: &Structure, from: &str, to: &str, k: usize) -> (f64, f64) {
    let all = neighbour_distances(s, from, to);
    let lo = all.iter().map(|d| d[0]).fold(f64::INFINITY, f64::min);
    let hi = all.iter().map(|d| d[k - 1]).fold(0.0, f64::max);
    (lo, hi)
}

#[test]
fn gamma_li3po4_unit_cell_has_32_atoms() {
    let s = build(&with_repeat(GAMMA, (1, 1, 1)), 1).unwrap();
    assert_eq!(s.len(), 32);
    assert_eq!(s.count_species("Li"), 12);
    assert_eq!(s.count_species("P"), 4);
    assert_eq!(s.count_species("O"), 16);
    assert_eq!(s.count_label("Li1"), 8);
    assert_eq!(s.count_label("Li2"), 4);
    assert_eq!(s.count_label("O1"), 8);
    assert_eq!(s.species_names(), vec!["Li", "P", "O"]);
    // Order: sites in order, images of a site together.
    let labels: Vec<&str> = s.labels.iter().map(String::as_str).collect();
    assert_eq!(&labels[..8], &["Li1"; 8]);
    assert_eq!(&labels[8..12], &["Li2"; 4]);
    assert_eq!(&labels[12..16], &["P1"; 4]);
    assert!(s.substituted.is_empty() && s.insertions.is_empty());
}

#[test]
fn gamma_li3po4_bond_lengths() {
    // 2×2×3 so that minimum images are unique well beyond the first shells.
    let s = build(&with_repeat(GAMMA, (2, 2, 3)), 1).unwrap();
    assert_eq!(s.len(), 32 * 12);
    let po = neighbour_distances(&s, "P", "O");
    for d in &po {
        // Four O at 1.534–1.547 Å, the next much farther.
        assert!(d[0] > 1.5335 && d[3] < 1.5475, "P–O {:?}", &d[..5]);
        assert!(d[4] > 3.0);
    }
    let (po_lo, po_hi) = shell_range(&s, "P", "O", 4);
    let (lio_lo, lio_hi) = shell_range(&s, "Li", "O", 4);
    let li_o = neighbour_distances(&s, "Li", "O");
    for d in &li_o {
        // LiO4 tetrahedra: four O at 1.913–2.043 Å, then nothing closer than 2.9 Å.
        assert!(d[0] > 1.9125 && d[3] < 2.0435, "Li–O {:?}", &d[..5]);
        assert!(d[4] > 2.9, "Li–O {:?}", &d[..6]);
    }
    println!("γ-Li3PO4: P–O {po_lo:.4}–{po_hi:.4} Å, Li–O (4 nearest) {lio_lo:.4}–{lio_hi:.4} Å");
    println!(
        "γ-Li3PO4 closest: Li–Li {:.4}, Li–P {:.4}, P–P {:.4}, O–O {:.4} Å",
        closest(&s, "Li", "Li"),
        closest(&s, "Li", "P"),
        closest(&s, "P", "P"),
        closest(&s, "O", "O")
    );
}

#[test]
fn gamma_li3po4_input_is_wide_enough_for_a_10_angstrom_cutoff() {
    let s = build(&parse(GAMMA), 1).unwrap();
    assert_eq!(s.len(), 32 * 40);
    let w = s.cell.perpendicular_widths();
    assert!(w.iter().all(|&x| x >= 20.0), "{w:?}");
}

#[test]
fn beta_li3po4_has_16_atoms() {
    let s = build(&parse(BETA), 1).unwrap();
    assert_eq!(s.len(), 16);
    assert_eq!(s.count_species("Li"), 6);
    assert_eq!(s.count_species("P"), 2);
    assert_eq!(s.count_species("O"), 8);
    let s = build(&with_repeat(BETA, (2, 2, 2)), 1).unwrap();
    let (lo, hi) = shell_range(&s, "P", "O", 4);
    assert!(lo > 1.54 && hi < 1.55, "β P–O {lo}–{hi}");
    let (li_lo, li_hi) = shell_range(&s, "Li", "O", 4);
    println!("β-Li3PO4: P–O {lo:.4}–{hi:.4} Å, Li–O (4 nearest) {li_lo:.4}–{li_hi:.4} Å");
}

fn charge(species: &str) -> f64 {
    match species {
        "Li" => 0.6,
        "P" => 3.0,
        "Si" => 2.4,
        "O" => -1.2,
        other => panic!("unexpected species {other}"),
    }
}

#[test]
fn lpso_model_has_2970_atoms_and_is_neutral() {
    let input = parse(LPSO);
    let s = build(&input, 2015).unwrap();
    assert_eq!(s.len(), 2970);
    assert_eq!(s.count_species("Li"), 1170);
    assert_eq!(s.count_species("P"), 270);
    assert_eq!(s.count_species("Si"), 90);
    assert_eq!(s.count_species("O"), 1440);
    let q: f64 = s.species.iter().map(|x| charge(x)).sum();
    assert!(q.abs() < 1e-9, "net charge {q}");

    // The lattice atoms first (90 cells × 32), then the 90 inserted Li.
    assert_eq!(s.substituted.len(), 90);
    assert!(s
        .substituted
        .iter()
        .all(|&i| i < 2880 && s.species[i] == "Si"));
    assert!(s.substituted.iter().all(|&i| s.labels[i] == "P1"));
    assert_eq!(s.insertions.len(), 90);
    for (k, ins) in s.insertions.iter().enumerate() {
        assert_eq!(ins.atom, 2880 + k);
        assert_eq!(s.species[ins.atom], "Li");
        assert_eq!(s.species[ins.compensates], "Si");
        let d = dist(&s.cell, s.positions[ins.atom], s.positions[ins.compensates]);
        assert!((d - ins.distance).abs() < 1e-9);
    }
    // Each Si is compensated once.
    let mut comp: Vec<usize> = s.insertions.iter().map(|i| i.compensates).collect();
    comp.sort_unstable();
    assert_eq!(comp, s.substituted);

    // Positions inside the cell.
    for x in &s.positions {
        let f = s.cell.to_fractional(*x);
        assert!(f.iter().all(|v| (-1e-12..1.0).contains(v)), "{f:?}");
    }

    // No inserted atom closer than the minimum distances to any other atom.
    let min_distance = &input.interstitials[0].min_distance;
    for ins in &s.insertions {
        for j in 0..s.len() {
            if j == ins.atom {
                continue;
            }
            let d = dist(&s.cell, s.positions[ins.atom], s.positions[j]);
            assert!(d >= min_distance[&s.species[j]], "{d} to {}", s.species[j]);
        }
    }

    // Per family, and distances to report.
    let families: Vec<(String, usize)> = ["Li5", "Li4", "Li0"]
        .iter()
        .map(|l| (l.to_string(), s.count_label(l)))
        .collect();
    assert_eq!(families.iter().map(|f| f.1).sum::<usize>(), 90);
    let d_ins: Vec<f64> = s.insertions.iter().map(|i| i.distance).collect();
    let (dmin, dmax) = d_ins
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &d| (a.min(d), b.max(d)));
    let li_li = closest(&s, "Li", "Li");
    let li_o = closest(&s, "Li", "O");
    let si_o = closest(&s, "Si", "O");
    let (si_o_lo, si_o_hi) = shell_range(&s, "Si", "O", 4);
    // Closest distance from the inserted atoms to atoms j with `keep(j)`.
    let from_inserted = |keep: &dyn Fn(usize) -> bool| -> f64 {
        let mut best = f64::INFINITY;
        for ins in &s.insertions {
            for j in (0..s.len()).filter(|&j| j != ins.atom && keep(j)) {
                best = best.min(dist(&s.cell, s.positions[ins.atom], s.positions[j]));
            }
        }
        best
    };
    println!("lpso-0.75 (seed 2015): interstitials per family {families:?}");
    println!("  inserted Li – its Si: {dmin:.4}–{dmax:.4} Å");
    println!("  closest Li–Li {li_li:.4} Å, Li–O {li_o:.4} Å, Si–O {si_o:.4} Å (Si–O 4 nearest {si_o_lo:.4}–{si_o_hi:.4} Å)");
    println!(
        "  inserted Li: closest lattice Li {:.4} Å, O {:.4} Å, P {:.4} Å, Si {:.4} Å, other inserted Li {:.4} Å",
        from_inserted(&|j| j < 2880 && s.species[j] == "Li"),
        from_inserted(&|j| s.species[j] == "O"),
        from_inserted(&|j| s.species[j] == "P"),
        from_inserted(&|j| s.species[j] == "Si"),
        from_inserted(&|j| j >= 2880),
    );
    let w = s.cell.perpendicular_widths();
    println!("  supercell {:.3} × {:.3} × {:.3} Å", w[0], w[1], w[2]);
    // Si per unit cell: 1 on average, placed at random (not one in each cell).
    let per_cell: Vec<usize> = (0..90)
        .map(|c| s.substituted.iter().filter(|&&i| i / 32 == c).count())
        .collect();
    let mut hist = [0usize; 5];
    for n in per_cell {
        hist[n] += 1;
    }
    println!("  unit cells with 0, 1, 2, 3, 4 Si: {hist:?}");
}

/// Regression (found by tests/fuzz_input.rs): a supercell of 58,000 atoms with interstitials
/// made the builder compare every candidate site with every atom (10⁹ distances, minutes);
/// now each candidate looks at the atoms of the nearby unit cells only.
#[test]
fn large_supercells_with_interstitials_build() {
    let mut input = with_repeat(LPSO, (3, 100, 6));
    input.substitute[0].count = 1800;
    let s = build(&input, 2015).unwrap();
    assert_eq!(s.len(), 1800 * 32 + 1800);
    assert_eq!(s.insertions.len(), 1800);
    let q: f64 = s.species.iter().map(|x| charge(x)).sum();
    assert!(q.abs() < 1e-6, "net charge {q}");
    for ins in &s.insertions {
        assert!(ins.distance < 3.0, "{ins:?}");
    }
}

#[test]
fn lpso_model_is_reproducible() {
    let input = parse(LPSO);
    let a = build(&input, 2015).unwrap();
    let b = build(&input, 2015).unwrap();
    assert_eq!(a, b);
    let c = build(&input, 2016).unwrap();
    assert_ne!(a.substituted, c.substituted);
    assert_ne!(a.positions, c.positions);
    // The use of the random stream is part of the contract: a given seed gives these sites
    // with every version of mdsim (rand_chacha's ChaCha20, seed_from_u64, stream 1).
    assert_eq!(
        &a.substituted[..6],
        &[15, 45, 109, 175, 204, 205],
        "the random choice of substituted sites changed"
    );
}

#[test]
fn extxyz_round_trips() {
    let s = build(&with_repeat(GAMMA, (1, 1, 1)), 1).unwrap();
    let text = write_extxyz(&s);
    let f = mdsim_io::xyz::parse(&text).unwrap();
    assert_eq!(f.species, s.species);
    assert_eq!(f.lattice, s.lattice());
    for (p, q) in f.positions.iter().zip(&s.positions) {
        for k in 0..3 {
            assert!((p[k] - q[k]).abs() < 1e-7);
        }
    }
}

#[test]
fn symmetry_operations_parse_in_the_usual_forms() {
    let op = SymmetryOperation::parse("-x+1/2, y+1/2, z+1/2").unwrap();
    assert_eq!(op.rotation, [[-1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    assert_eq!(op.translation, [0.5, 0.5, 0.5]);
    assert_eq!(
        SymmetryOperation::parse("1/2-X,-Y , +z+0.5").unwrap(),
        SymmetryOperation::parse("-x+1/2,-y,z+1/2").unwrap()
    );
    let hex = SymmetryOperation::parse("x-y, x, z+1/6").unwrap();
    assert_eq!(hex.rotation, [[1, -1, 0], [1, 0, 0], [0, 0, 1]]);
    assert_eq!(hex.to_string(), "x-y, x, z+1/6");
    assert_eq!(op.to_string(), "-x+1/2, y+1/2, z+1/2");
    // Negative translations are wrapped into [0, 1).
    let w = SymmetryOperation::parse("x-1/4, y, z").unwrap();
    assert_eq!(w.translation, [0.75, 0.0, 0.0]);
    for bad in [
        "x+1/2,,z",
        "x, y",
        "x, y, z, x",
        "x+, y, z",
        "x, 2y, z",
        "x, y, w",
    ] {
        assert!(SymmetryOperation::parse(bad).is_err(), "{bad}");
    }
    assert!(SymmetryOperation::parse("x, y, 1/2")
        .unwrap_err()
        .contains("determinant 0"));
    assert!(SymmetryOperation::parse("x, y, z+1/0")
        .unwrap_err()
        .contains("division by zero"));
}

#[test]
fn empty_symmetry_means_p1() {
    let mut input = parse(GAMMA);
    input.symmetry.clear();
    input.repeat = (1, 1, 2);
    let s = build(&input, 1).unwrap();
    assert_eq!(s.len(), 12);
}

#[test]
fn unknown_fields_are_rejected() {
    let text = LPSO.replace("count: 90", "cuont: 90");
    assert!(ron::from_str::<CrystalInput>(&text).is_err());
}

fn field_of(input: &CrystalInput) -> (String, String) {
    let e = build(input, 7).expect_err("should fail");
    (e.field, e.message)
}

#[test]
fn errors_name_the_field() {
    // Cell lengths and angles.
    let mut i = parse(GAMMA);
    i.cell.1 = -6.0;
    assert_eq!(field_of(&i).0, "cell");
    let mut i = parse(GAMMA);
    i.cell.5 = 180.0;
    assert_eq!(field_of(&i).0, "cell");
    let mut i = parse(GAMMA);
    i.cell.3 = 30.0;
    i.cell.4 = 30.0;
    i.cell.5 = 100.0; // α + β < γ: no such cell
    let (f, m) = field_of(&i);
    assert_eq!(f, "cell");
    assert!(m.contains("do not make a cell"), "{m}");

    // Repeats.
    let mut i = parse(GAMMA);
    i.repeat = (2, 0, 1);
    assert_eq!(field_of(&i).0, "repeat");

    // Symmetry operations.
    let mut i = parse(GAMMA);
    i.symmetry[3] = "x+1/2,,z".into();
    let (f, m) = field_of(&i);
    assert_eq!(f, "symmetry[3]");
    assert!(m.starts_with("cannot read `x+1/2,,z`"), "{m}");
    let mut i = parse(GAMMA);
    i.symmetry[4] = "x+1/2, -y+1/2, -z".into(); // a typo: not a group any more
    let (f, m) = field_of(&i);
    assert_eq!(f, "symmetry");
    assert!(m.contains("do not form a group"), "{m}");
    let mut i = parse(GAMMA);
    i.symmetry[5] = "x, y, z+1".into(); // the identity again
    assert_eq!(field_of(&i).0, "symmetry[5]");

    // Sites.
    let mut i = parse(GAMMA);
    i.sites[3].label = "Li1".into();
    assert_eq!(field_of(&i).0, "sites[3].label");
    let mut i = parse(GAMMA);
    i.sites[2].at.1 = 0.2501; // a special position given with a rounded coordinate
    let (f, m) = field_of(&i);
    assert_eq!(f, "sites[2]");
    assert!(m.contains("special position"), "{m}");
    let mut i = parse(GAMMA);
    i.sites[1].at.0 = f64::NAN;
    assert_eq!(field_of(&i).0, "sites[1].at");

    // Substitutions.
    let mut i = parse(LPSO);
    i.substitute[0].site = "P2".into();
    let (f, m) = field_of(&i);
    assert_eq!(f, "substitute[0].site");
    assert!(m.contains("Li1, Li2, P1, O1, O2, O3"), "{m}");
    let mut i = parse(LPSO);
    i.substitute[0].count = 361;
    let (f, m) = field_of(&i);
    assert_eq!(f, "substitute[0].count");
    assert!(m.contains("only 360"), "{m}");
    // A second rule on the same site only sees what the first left.
    let mut i = parse(LPSO);
    let mut second = i.substitute[0].clone();
    second.count = 271;
    i.substitute.push(second);
    let (f, m) = field_of(&i);
    assert_eq!(f, "substitute[1].count");
    assert!(m.contains("only 270"), "{m}");

    // Interstitials.
    let mut i = parse(LPSO);
    i.interstitials[0].compensates = 1;
    assert_eq!(field_of(&i).0, "interstitials[0].compensates");
    let mut i = parse(LPSO);
    i.interstitials[0].min_distance.remove("Si");
    let (f, m) = field_of(&i);
    assert_eq!(f, "interstitials[0].min_distance");
    assert!(m.contains("Si"), "{m}");
    let mut i = parse(LPSO);
    i.interstitials[0].min_distance.insert("O".into(), -1.0);
    assert_eq!(field_of(&i).0, "interstitials[0].min_distance[\"O\"]");
    let mut i = parse(LPSO);
    i.interstitials[0].sites[1].at.2 = f64::INFINITY;
    assert_eq!(field_of(&i).0, "interstitials[0].sites[1].at");
    // Only the Li4 sites: each lies 0.9 Å from a lattice Li, so none is usable.
    let mut i = parse(LPSO);
    i.interstitials[0].sites.retain(|c| c.label == "Li4");
    let (f, m) = field_of(&i);
    assert_eq!(f, "interstitials[0]");
    assert!(m.contains("placed only 0 of 90 Li"), "{m}");
    // Only the Li0 sites: each lies 1.34 Å from a lattice Li, so none is usable either.
    let mut i = parse(LPSO);
    i.interstitials[0].sites.retain(|c| c.label == "Li0");
    let (f, m) = field_of(&i);
    assert_eq!(f, "interstitials[0]");
    assert!(m.contains("placed only 0 of 90 Li"), "{m}");
}

#[test]
fn unfillable_interstitials_say_how_many_were_placed() {
    // Two A atoms become B; one candidate site per cell; the second B finds it taken.
    let text = r#"(
        cell: (5.0, 5.0, 5.0, 90.0, 90.0, 90.0),
        sites: [
            (label: "A1", species: "A", at: (0.0, 0.0, 0.0)),
            (label: "A2", species: "A", at: (0.5, 0.5, 0.5)),
            (label: "X1", species: "X", at: (0.5, 0.0, 0.0)),
        ],
        repeat: (1, 1, 1),
        substitute: [(site: "A1", species: "B", count: 1), (site: "A2", species: "B", count: 1)],
        interstitials: [
            (compensates: 0, species: "C", sites: [(label: "i", at: (0.25, 0.25, 0.25))],
             min_distance: {"A": 1.0, "B": 1.0, "C": 1.0, "X": 1.0}),
            (compensates: 1, species: "C", sites: [(label: "i", at: (0.25, 0.25, 0.25))],
             min_distance: {"A": 1.0, "B": 1.0, "C": 1.0, "X": 1.0}),
        ],
    )"#;
    let input = parse(text);
    let e = build(&input, 1).unwrap_err();
    assert_eq!(e.field, "interstitials[1]");
    assert!(e.message.contains("placed only 0 of 1 C"), "{}", e.message);
    // With a second candidate, both are placed, each at its closest free site.
    let mut input = parse(text);
    input.interstitials[1]
        .sites
        .push(mdsim_io::crystal::CandidateInput {
            label: "j".into(),
            at: (0.75, 0.75, 0.75),
        });
    let s = build(&input, 1).unwrap();
    assert_eq!(s.len(), 5);
    assert_eq!(s.labels[3..], ["i".to_string(), "j".to_string()]);
    assert_eq!(s.insertions[0].compensates, 0);
    assert_eq!(s.insertions[1].compensates, 1);
    // Several substituted atoms of one rule: 2×1×1 cells, 2 A1 → B, one candidate per cell
    // too close to the other candidate: only one can be placed.
    let mut input = parse(text);
    input.repeat = (2, 1, 1);
    input.substitute = vec![mdsim_io::crystal::SubstitutionInput {
        site: "A1".into(),
        species: "B".into(),
        count: 2,
    }];
    input.interstitials.truncate(1);
    input.interstitials[0].min_distance.insert("C".into(), 6.0);
    let e = build(&input, 1).unwrap_err();
    assert_eq!(e.field, "interstitials[0]");
    assert!(e.message.contains("placed only 1 of 2 C"), "{}", e.message);
}
