//! Preset scenarios: the scenario files in `data/presets/` at the root of the repository,
//! embedded at build time so that the service and the command line carry them.
//!
//! Each file is a plain scenario that `casualty generate --config` accepts as it is. A preset's
//! id is its file name without `.json`.

use serde_json::Value;

use crate::scenario::{parse_scenario_value, CommandLineOverrides, Request, ScenarioError};

/// A preset scenario.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The id: lowercase words joined by hyphens, also the file name without `.json`.
    pub id: &'static str,
    /// The scenario file's text.
    pub document: &'static str,
}

macro_rules! preset {
    ($id:literal) => {
        Preset { id: $id, document: include_str!(concat!("../../../data/presets/", $id, ".json")) }
    };
}

/// Every preset, ordered by id. A test checks that this lists every file in `data/presets/`.
pub const PRESETS: &[Preset] = &[
    preset!("arctic-operation"),
    preset!("cbrn-incident"),
    preset!("maritime-operation"),
    preset!("mass-casualty-drill"),
    preset!("nato-article5-defence"),
    preset!("peacekeeping"),
    preset!("training-exercise"),
    preset!("urban-assault"),
];

/// Returns the preset with this id.
pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| preset.id == id)
}

impl Preset {
    /// Returns the scenario as a JSON value.
    ///
    /// # Panics
    /// Never for the shipped files, which a test parses.
    pub fn scenario(&self) -> Value {
        serde_json::from_str(self.document).expect("a preset file is valid JSON")
    }

    /// Returns the scenario's `name`.
    pub fn name(&self) -> String {
        self.text_field("name")
    }

    /// Returns the scenario's `description`.
    pub fn description(&self) -> String {
        self.text_field("description")
    }

    /// Parses the scenario as `casualty generate --config` does.
    ///
    /// # Errors
    /// The scenario is invalid, which a test rules out for the shipped files.
    pub fn parse(&self, overrides: CommandLineOverrides) -> Result<Request, ScenarioError> {
        parse_scenario_value(&self.scenario(), overrides)
    }

    fn text_field(&self, key: &str) -> String {
        self.scenario().get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;
    use crate::engine::Generator;

    #[test]
    fn presets_list_every_file() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/presets");
        let files: BTreeSet<String> = std::fs::read_dir(&folder)
            .expect("the presets folder exists")
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let listed: BTreeSet<String> = PRESETS.iter().map(|preset| format!("{}.json", preset.id)).collect();
        assert_eq!(files, listed, "PRESETS lists exactly the files in data/presets");
        assert!(PRESETS.len() >= 8, "at least eight presets");
        assert!(PRESETS.windows(2).all(|pair| pair[0].id < pair[1].id), "PRESETS is ordered by id");
    }

    #[test]
    fn presets_are_valid_scenarios() {
        for preset in PRESETS {
            let request = preset.parse(CommandLineOverrides::default()).unwrap_or_else(|error| panic!("preset {} is invalid: {error}", preset.id));
            assert!(!preset.name().is_empty(), "preset {} has a name", preset.id);
            assert!(preset.description().len() > 40, "preset {} has a description", preset.id);
            assert_eq!(request.scenario.name, preset.name());
        }
    }

    #[test]
    fn presets_generate_patients() {
        for preset in PRESETS {
            let request = preset.parse(CommandLineOverrides::default()).unwrap();
            let generator = Generator::new(&request.scenario);
            let count = request.scenario.count;
            for index in (0..count).step_by((count / 300).max(1) as usize) {
                let patient = generator.patient(index);
                assert_eq!(patient.sequence, index, "preset {}", preset.id);
            }
        }
    }

    #[test]
    fn find_returns_preset_by_id() {
        assert_eq!(find("peacekeeping").map(|preset| preset.id), Some("peacekeeping"));
        assert!(find("no-such-preset").is_none());
    }
}
