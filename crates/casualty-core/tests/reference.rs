//! Tests of the embedded reference data, the default model parameters and their documentation
//! in `docs/model.md`.

use std::collections::HashSet;

use casualty_core::engine::check_model_against_reference;
use casualty_core::model::ModelParameters;
use casualty_core::reference::{Name, ReferenceData};

/// The 32 NATO members, by ISO 3166-1 alpha-3 code, sorted.
const NATO: [&str; 32] = [
    "ALB", "BEL", "BGR", "CAN", "CZE", "DEU", "DNK", "ESP", "EST", "FIN", "FRA", "GBR", "GRC", "HRV", "HUN", "ISL", "ITA", "LTU", "LUX", "LVA",
    "MKD", "MNE", "NLD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "SWE", "TUR", "USA",
];
/// Minimum number of distinct names in each list.
const MIN_NAMES: usize = 50;

fn distinct(names: &[Name]) -> usize {
    names.iter().map(|n| n.native.as_str()).collect::<HashSet<_>>().len()
}

#[test]
fn reference_data_loads() {
    let reference = ReferenceData::get();
    assert!(!reference.terms.is_empty(), "no terminology");
    assert!(!reference.conditions.is_empty(), "no diagnoses");
    assert!(!reference.treatments.is_empty(), "no procedures");
    assert!(!reference.ranks.is_empty(), "no ranks");
    assert!(std::ptr::eq(reference, ReferenceData::get()), "the data is parsed once and shared");
}

#[test]
fn nations_are_nato_members() {
    let codes = ReferenceData::get().nation_codes();
    assert_eq!(codes, NATO.to_vec(), "nations in nations.csv");
}

#[test]
fn nations_have_enough_names() {
    for nation in &ReferenceData::get().nations {
        let lists = [
            ("male given", &nation.names.male_given),
            ("female given", &nation.names.female_given),
            ("male family", &nation.names.male_family),
            ("female family", &nation.names.female_family),
        ];
        for (what, list) in lists {
            let count = distinct(list);
            assert!(count >= MIN_NAMES, "{}: {count} distinct {what} names, expected at least {MIN_NAMES}", nation.iso3);
        }
    }
}

#[test]
fn latin_names_are_ascii() {
    for nation in &ReferenceData::get().nations {
        let names = [&nation.names.male_given, &nation.names.female_given, &nation.names.male_family, &nation.names.female_family];
        for name in names.into_iter().flatten() {
            if let Some(latin) = &name.latin {
                assert!(latin.is_ascii(), "{}: transliteration {latin:?} of {} is not ASCII", nation.iso3, name.native);
                assert!(!latin.is_empty(), "{}: empty transliteration of {}", nation.iso3, name.native);
            }
        }
    }
}

#[test]
fn nation_blood_groups_sum() {
    for nation in &ReferenceData::get().nations {
        let total: f64 = nation.blood.iter().sum();
        assert!((total - 100.0).abs() < 0.05, "{}: blood groups sum to {total}", nation.iso3);
        assert!((0.0..=1.0).contains(&nation.female_share), "{}: female share {}", nation.iso3, nation.female_share);
    }
}

#[test]
fn default_model_valid() {
    let model = ModelParameters::defaults();
    assert_eq!(model.validate(), Vec::new(), "problems in data/model.toml");
    assert_eq!(check_model_against_reference(&model), Ok(()), "names in data/model.toml unknown to the reference data");
}

#[test]
fn model_keys_are_leaves() {
    let model = ModelParameters::defaults();
    let keys = model.keys();
    assert!(keys.contains(&"death.logistic_slope".to_string()), "death.logistic_slope missing from {} keys", keys.len());
    assert!(keys.contains(&"evacuation.poi_median_minutes.T1".to_string()), "evacuation.poi_median_minutes.T1 missing");
    let unique: HashSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "keys repeat");
}

fn model_doc() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/model.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("failed to read {}: {e}", path.display()))
}

#[test]
fn model_doc_lists_every_key() {
    let doc = model_doc();
    let missing: Vec<String> = ModelParameters::defaults().keys().into_iter().filter(|key| !doc.contains(&format!("`{key}`"))).collect();
    assert!(missing.is_empty(), "{} model parameters missing from docs/model.md: {}", missing.len(), missing.join(", "));
}

#[test]
fn model_doc_defaults_match() {
    // Each parameter has a table row `| `key` | default | ...`; the default must be the value in
    // data/model.toml, written as one number or as a comma-separated list.
    let doc = model_doc();
    let model = serde_json::to_value(ModelParameters::defaults()).expect("parameters serialize");
    for key in ModelParameters::defaults().keys() {
        let prefix = format!("| `{key}` |");
        let Some(row) = doc.lines().find(|line| line.starts_with(&prefix)) else {
            panic!("docs/model.md has no table row for {key}");
        };
        let cell = row[prefix.len()..].split('|').next().unwrap_or("").trim();
        let documented: Vec<f64> = cell.split(',').map(|x| x.trim().parse::<f64>().unwrap_or(f64::NAN)).collect();
        let value = model.pointer(&format!("/{}", key.replace('.', "/"))).expect("every key names a value");
        let actual: Vec<f64> = match value {
            serde_json::Value::Array(items) => items.iter().filter_map(serde_json::Value::as_f64).collect(),
            other => other.as_f64().into_iter().collect(),
        };
        let same = documented.len() == actual.len() && documented.iter().zip(&actual).all(|(d, a)| (d - a).abs() <= 1e-9 * a.abs().max(1.0));
        assert!(same, "docs/model.md gives {key} = {cell}, data/model.toml has {actual:?}");
    }
}
