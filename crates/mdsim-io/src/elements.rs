//! Chemical elements: symbols and the standard atomic masses ASE uses, for reading files
//! written by ASE and other tools (extended XYZ `Z` and `momenta` columns, CIF type symbols).

/// Element symbols by atomic number; index 0 is ASE's placeholder `X`.
pub const SYMBOLS: [&str; 119] = [
    "X", "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S",
    "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge",
    "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd",
    "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd",
    "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg",
    "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm",
    "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn",
    "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
];

/// Standard atomic masses (amu) by atomic number, as ASE's `ase.data.atomic_masses`
/// (IUPAC 2016 standard atomic weights, `atomic_masses_iupac2016`; the mass number of the
/// most stable isotope for elements without a standard weight). Index 0 (`X`) is 1.0.
/// ASE divides `momenta` by these masses when a file has no `masses` column.
pub const ASE_MASSES: [f64; 119] = [
    1.0,
    1.008,
    4.002602,
    6.94,
    9.0121831,
    10.81,
    12.011,
    14.007,
    15.999,
    18.998403163,
    20.1797,
    22.98976928,
    24.305,
    26.9815385,
    28.085,
    30.973761998,
    32.06,
    35.45,
    39.948,
    39.0983,
    40.078,
    44.955908,
    47.867,
    50.9415,
    51.9961,
    54.938044,
    55.845,
    58.933194,
    58.6934,
    63.546,
    65.38,
    69.723,
    72.63,
    74.921595,
    78.971,
    79.904,
    83.798,
    85.4678,
    87.62,
    88.90584,
    91.224,
    92.90637,
    95.95,
    97.90721,
    101.07,
    102.9055,
    106.42,
    107.8682,
    112.414,
    114.818,
    118.71,
    121.76,
    127.6,
    126.90447,
    131.293,
    132.90545196,
    137.327,
    138.90547,
    140.116,
    140.90766,
    144.242,
    144.91276,
    150.36,
    151.964,
    157.25,
    158.92535,
    162.5,
    164.93033,
    167.259,
    168.93422,
    173.054,
    174.9668,
    178.49,
    180.94788,
    183.84,
    186.207,
    190.23,
    192.217,
    195.084,
    196.966569,
    200.592,
    204.38,
    207.2,
    208.9804,
    208.98243,
    209.98715,
    222.01758,
    223.01974,
    226.02541,
    227.02775,
    232.0377,
    231.03588,
    238.02891,
    237.04817,
    244.06421,
    243.06138,
    247.07035,
    247.07031,
    251.07959,
    252.083,
    257.09511,
    258.09843,
    259.101,
    262.11,
    267.122,
    268.126,
    271.134,
    270.133,
    269.1338,
    278.156,
    281.165,
    281.166,
    285.177,
    286.182,
    289.19,
    289.194,
    293.204,
    293.208,
    294.214,
];

/// The atomic number of an element symbol (exact case: `"Li"`, not `"LI"`), if it is one.
pub fn atomic_number(symbol: &str) -> Option<usize> {
    SYMBOLS
        .iter()
        .skip(1)
        .position(|&s| s == symbol)
        .map(|z| z + 1)
}

/// The element a label or type symbol starts with: `"Li1"`, `"Li+"`, `"Li1+"` → `"Li"`;
/// `"O2-"`, `"O1"` → `"O"`; `"Ow"` → `"O"` only when `"Ow"` is not itself an element.
/// Two letters are preferred when they form an element (`"Si4+"` → `"Si"`, not `"S"`);
/// the first letter is matched without regard to case (`"li+"` → `"Li"`). `None` when
/// the text does not start with an element symbol.
pub fn element_prefix(text: &str) -> Option<&'static str> {
    let letters: Vec<char> = text
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let first = letters.first()?.to_ascii_uppercase();
    let candidate = |s: String| SYMBOLS.iter().skip(1).find(|&&e| e == s).copied();
    if let Some(&second) = letters.get(1) {
        let two = format!("{first}{}", second.to_ascii_lowercase());
        if let Some(e) = candidate(two) {
            return Some(e);
        }
    }
    candidate(first.to_string())
}

/// The usual formal oxidation state of an element in the ionic conductors mdsim is for
/// (e.g. Li +1, P +5, Si +4, O −2, S −2 as in sulfides, F −1), 0 for noble gases; `None` for
/// elements whose state varies too much to guess (transition metals, C, N, …): give those
/// as `transport.conductivity.charges`.
pub fn formal_charge(symbol: &str) -> Option<f64> {
    let q = match symbol {
        "He" | "Ne" | "Ar" | "Kr" | "Xe" | "Rn" => 0.0,
        "H" | "Li" | "Na" | "K" | "Rb" | "Cs" | "Ag" => 1.0,
        "Be" | "Mg" | "Ca" | "Sr" | "Ba" | "Zn" => 2.0,
        "B" | "Al" | "Ga" | "In" | "Sc" | "Y" | "La" => 3.0,
        "Si" | "Ge" | "Ti" | "Zr" | "Hf" => 4.0,
        "P" | "As" | "Nb" | "Ta" => 5.0,
        "O" | "S" | "Se" | "Te" => -2.0,
        "F" | "Cl" | "Br" | "I" => -1.0,
        _ => return None,
    };
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_masses_line_up() {
        assert_eq!(atomic_number("Li"), Some(3));
        assert_eq!(atomic_number("Ar"), Some(18));
        assert_eq!(atomic_number("X"), None);
        assert_eq!(ASE_MASSES[18], 39.948);
        assert_eq!(ASE_MASSES[8], 15.999);
        assert_eq!(SYMBOLS[118], "Og");
    }

    #[test]
    fn element_prefix_reads_labels_and_oxidation_states() {
        for (text, element) in [
            ("Li1", "Li"),
            ("Li+", "Li"),
            ("Li1+", "Li"),
            ("O2-", "O"),
            ("Si4+", "Si"),
            ("P5+", "P"),
            ("li", "Li"),
            ("Ow", "O"),
        ] {
            assert_eq!(element_prefix(text), Some(element), "{text}");
        }
        assert_eq!(element_prefix("1Li"), None);
        assert_eq!(element_prefix("Q"), None);
    }
}
