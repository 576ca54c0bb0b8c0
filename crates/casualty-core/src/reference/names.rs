//! Given and family names per nation, from `data/names/<ISO3>.csv`.

use super::tables::read_table;

/// A name in the nation's own spelling, with a Latin transliteration for non-Latin scripts.
#[derive(Debug, Clone)]
pub struct Name {
    /// The name as the nation writes it (UTF-8).
    pub native: String,
    /// ASCII transliteration for Greek and Cyrillic names; `None` for Latin-script names.
    pub latin: Option<String>,
}

/// A nation's name lists, split by sex; family names marked `any` appear in both family lists.
#[derive(Debug, Clone, Default)]
pub struct NameLists {
    /// Given names for men.
    pub male_given: Vec<Name>,
    /// Given names for women.
    pub female_given: Vec<Name>,
    /// Family names for men.
    pub male_family: Vec<Name>,
    /// Family names for women.
    pub female_family: Vec<Name>,
}

macro_rules! name_files {
    ($($code:literal),* $(,)?) => {
        /// The embedded names file of a nation.
        fn names_file(iso3: &str) -> Option<&'static str> {
            match iso3 {
                $($code => Some(include_str!(concat!("../../data/names/", $code, ".csv"))),)*
                _ => None,
            }
        }
    };
}

name_files!(
    "ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "ISL", "ITA", "LVA", "LTU",
    "LUX", "MNE", "MKD", "NLD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "TUR", "GBR", "USA",
);

/// Loads a nation's names.
///
/// # Panics
/// If the nation has no names file or the file is malformed: both are build defects.
pub(crate) fn load(iso3: &str) -> NameLists {
    let file = format!("names/{iso3}.csv");
    let text = names_file(iso3).unwrap_or_else(|| panic!("nations.csv lists {iso3} but data/{file} is not embedded"));
    let mut lists = NameLists::default();
    for row in read_table(&file, text) {
        let latin = row.get("latin").filter(|l| !l.is_empty()).cloned();
        let name = Name { native: row["name"].clone(), latin };
        match (row["sex"].as_str(), row["part"].as_str()) {
            ("male", "given") => lists.male_given.push(name),
            ("female", "given") => lists.female_given.push(name),
            ("male", "family") => lists.male_family.push(name),
            ("female", "family") => lists.female_family.push(name),
            ("any", "family") => {
                lists.male_family.push(name.clone());
                lists.female_family.push(name);
            }
            ("any", "given") => {
                lists.male_given.push(name.clone());
                lists.female_given.push(name);
            }
            (sex, part) => panic!("data/{file}: unknown sex `{sex}` or part `{part}`"),
        }
    }
    for (list, what) in [
        (&lists.male_given, "male given"),
        (&lists.female_given, "female given"),
        (&lists.male_family, "male family"),
        (&lists.female_family, "female family"),
    ] {
        assert!(!list.is_empty(), "data/{file}: no {what} names");
    }
    lists
}
