//! Code system URIs, our own identifier and tag systems, and the fixed codes the FHIR format
//! writes, each with its source.
//!
//! SNOMED CT and LOINC codes come from `crates/casualty-core/data/terminology.csv`, which records
//! where each was verified. Codes of HL7 code systems were checked against the FHIR R4 (4.0.1)
//! value sets that the npm package `fhir` 4.12.0 ships in `profiles/valuesets.json`, unless a
//! comment names another source.

use casualty_core::scenario::Role;

use super::datatypes::Coding;

/// SNOMED CT.
pub(crate) const SNOMED_CT: &str = "http://snomed.info/sct";
/// LOINC.
pub(crate) const LOINC: &str = "http://loinc.org";
/// UCUM, for units of quantities.
pub(crate) const UCUM: &str = "http://unitsofmeasure.org";
/// ISO 3166 country codes. The FHIR R4 value set `iso3166-1-3` takes its 3-letter codes from this
/// system (http://hl7.org/fhir/ValueSet/iso3166-1-3).
pub(crate) const ISO_3166: &str = "urn:iso:std:iso:3166";
/// HL7 v3 ReligiousAffiliation, the system of the record's religion codes.
pub(crate) const RELIGIOUS_AFFILIATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ReligiousAffiliation";
/// The FHIR system for identifiers whose value is a URI, such as `urn:uuid:...`.
pub(crate) const URI_IDENTIFIER: &str = "urn:ietf:rfc:3986";

/// Identifier system of the service numbers the generator makes up. It is `urn:uuid:` followed by
/// the UUID v5 of the name `fhir/service-number` in the generator's namespace (the UUID v5 of
/// `casualty.generator` in the DNS namespace), because the project owns no domain to put an
/// `https://` system under. Service numbers are random, so two casualties can share one.
pub(crate) const SERVICE_NUMBER_SYSTEM: &str = "urn:uuid:673b3524-8435-56a4-b5d6-9a9bbf411b00";
/// Tag system of `Bundle.meta.tag`, whose codes are `name=value` pairs of run metadata. Made the
/// same way as [`SERVICE_NUMBER_SYSTEM`], from the name `fhir/run-tag`.
pub(crate) const RUN_TAG_SYSTEM: &str = "urn:uuid:d1cdced7-ca48-54bb-873e-6002dad5757d";

/// Extension for a patient's nationality, FHIR R4 (http://hl7.org/fhir/R4/extension-patient-nationality.html).
pub(crate) const NATIONALITY_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/patient-nationality";
/// Extension for a patient's religion, FHIR R4 (http://hl7.org/fhir/R4/extension-patient-religion.html).
pub(crate) const RELIGION_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/patient-religion";

/// `Condition.clinicalStatus`, because the record has no end of a condition.
pub(crate) const CONDITION_ACTIVE: Coding<'static> = hl7("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active");
/// `Condition.verificationStatus`.
pub(crate) const CONDITION_CONFIRMED: Coding<'static> = hl7("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed");
/// `Condition.category`.
pub(crate) const ENCOUNTER_DIAGNOSIS: Coding<'static> = hl7("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis");

/// `AllergyIntolerance.clinicalStatus`.
pub(crate) const ALLERGY_ACTIVE: Coding<'static> = hl7("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active");
/// `AllergyIntolerance.verificationStatus`.
pub(crate) const ALLERGY_CONFIRMED: Coding<'static> = hl7("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed");

/// Observation category of the vital signs.
pub(crate) const VITAL_SIGNS: Coding<'static> = hl7(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs");
/// Observation category of scored assessments such as the Glasgow Coma Scale.
pub(crate) const SURVEY: Coding<'static> = hl7(OBSERVATION_CATEGORY, "survey", "Survey");
/// Observation category of the blood group.
pub(crate) const LABORATORY: Coding<'static> = hl7(OBSERVATION_CATEGORY, "laboratory", "Laboratory");
const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

/// `Encounter.hospitalization.dischargeDisposition` of a stay that ended with a move to the next
/// role, or with the evacuation from the point of injury.
pub(crate) const TRANSFERRED: Coding<'static> = hl7(DISCHARGE_DISPOSITION, "other-hcf", "Other healthcare facility");
/// Disposition of a stay that ended in death.
pub(crate) const EXPIRED: Coding<'static> = hl7(DISCHARGE_DISPOSITION, "exp", "Expired");
/// Disposition of a stay that ended with a return to duty, which has no code of its own.
pub(crate) const OTHER_DISPOSITION: Coding<'static> = hl7(DISCHARGE_DISPOSITION, "oth", "Other");
const DISCHARGE_DISPOSITION: &str = "http://terminology.hl7.org/CodeSystem/discharge-disposition";

/// HL7 v3 ActCode, the system of `Encounter.class`. Its value set v3-ActEncounterCode
/// (http://terminology.hl7.org/ValueSet/v3-ActEncounterCode) lists the codes below with these
/// displays; `fhir` 4.12.0 does not ship that value set, so it cannot check them.
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// `Encounter.class` of a stay at a role: care in the field at the point of injury, emergency
/// care at Role 1, and inpatient care from Role 2 on, where casualties are admitted to beds.
pub(crate) fn encounter_class(role: Role) -> Coding<'static> {
    match role {
        Role::Poi => hl7(ACT_CODE, "FLD", "field"),
        Role::Role1 => hl7(ACT_CODE, "EMER", "emergency"),
        Role::Role2 | Role::Role3 | Role::Role4 => hl7(ACT_CODE, "IMP", "inpatient encounter"),
    }
}

/// `Condition.severity` from the Abbreviated Injury Scale: 1 (minor) is mild, 2 (moderate) is
/// moderate, and 3 (serious) to 6 (maximal) are severe. The codes are the three of the FHIR value
/// set condition-severity.
pub(crate) fn severity(ais: u8) -> Coding<'static> {
    match ais {
        0 | 1 => snomed("255604002", "Mild (qualifier value)"),
        2 => snomed("6736007", "Moderate (severity modifier) (qualifier value)"),
        _ => snomed("24484000", "Severe (severity modifier) (qualifier value)"),
    }
}

/// SNOMED CT finding of an ABO group as the record spells it (`O`, `A`, `B` or `AB`).
pub(crate) fn abo_group(abo: &str) -> Option<Coding<'static>> {
    match abo {
        "O" => Some(snomed("58460004", "Blood group O")),
        "A" => Some(snomed("112144000", "Blood group A")),
        "B" => Some(snomed("112149005", "Blood group B")),
        "AB" => Some(snomed("165743006", "Blood group AB")),
        _ => None,
    }
}

/// SNOMED CT finding of an RhD type as the record spells it (`positive` or `negative`).
pub(crate) fn rhd_type(rh: &str) -> Option<Coding<'static>> {
    match rh {
        "positive" => Some(snomed("165747007", "RhD positive")),
        "negative" => Some(snomed("165746003", "RhD negative")),
        _ => None,
    }
}

/// `AllergyIntolerance.category` of the SNOMED CT substances the model gives allergies to (the
/// `[allergies]` table of `model.toml`), or `None` for a substance not listed here. Insect venom
/// counts as environment, the FHIR category for anything that is not food, a medication or a
/// biologic.
pub(crate) fn allergy_category(substance: &str) -> Option<&'static str> {
    match substance {
        // Penicillin, sulfonamide, aspirin.
        "764146007" | "387406002" | "387458008" => Some("medication"),
        // Peanut, shellfish.
        "762952008" | "735029006" => Some("food"),
        // Latex, bee venom.
        "111088007" | "288328004" => Some("environment"),
        _ => None,
    }
}

/// LOINC code of one vital sign, with the UCUM unit of its value and the FHIR R4 vital-signs
/// profile it conforms to, if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VitalSign {
    /// Last part of the resource id name, such as `heart-rate`.
    pub(crate) name: &'static str,
    /// LOINC code.
    pub(crate) code: Coding<'static>,
    /// A second, more specific LOINC code of the same measurement.
    pub(crate) specific: Option<Coding<'static>>,
    /// Category of the observation.
    pub(crate) category: Coding<'static>,
    /// UCUM code of the unit.
    pub(crate) unit_code: &'static str,
    /// Human-readable unit.
    pub(crate) unit: &'static str,
    /// Canonical URL of the profile the observation conforms to.
    pub(crate) profile: Option<&'static str>,
}

/// Heart rate, profile `heartrate`: LOINC 8867-4 in `/min`.
pub(crate) const HEART_RATE: VitalSign = VitalSign {
    name: "heart-rate",
    code: loinc("8867-4", "Heart rate"),
    specific: None,
    category: VITAL_SIGNS,
    unit_code: "/min",
    unit: "beats/minute",
    profile: Some("http://hl7.org/fhir/StructureDefinition/heartrate"),
};

/// Systolic blood pressure on its own. The record has no diastolic pressure, and the R4 profile
/// `bp` requires both a systolic and a diastolic component in its panel 85354-9, so the value is
/// a standalone 8480-6 observation. LOINC 8480-6 is in the R4 value set observation-vitalsignresult,
/// so the observation conforms to the base profile `vitalsigns`.
pub(crate) const SYSTOLIC_BP: VitalSign = VitalSign {
    name: "systolic-bp",
    code: loinc("8480-6", "Systolic blood pressure"),
    specific: None,
    category: VITAL_SIGNS,
    unit_code: "mm[Hg]",
    unit: "mmHg",
    profile: Some("http://hl7.org/fhir/StructureDefinition/vitalsigns"),
};

/// Respiratory rate, profile `resprate`: LOINC 9279-1 in `/min`.
pub(crate) const RESPIRATORY_RATE: VitalSign = VitalSign {
    name: "respiratory-rate",
    code: loinc("9279-1", "Respiratory rate"),
    specific: None,
    category: VITAL_SIGNS,
    unit_code: "/min",
    unit: "breaths/minute",
    profile: Some("http://hl7.org/fhir/StructureDefinition/resprate"),
};

/// Oxygen saturation, profile `oxygensat`: LOINC 2708-6 in `%`, with 59408-5 added because field
/// and facility readings are taken by pulse oximetry.
pub(crate) const SPO2: VitalSign = VitalSign {
    name: "spo2",
    code: loinc("2708-6", "Oxygen saturation in Arterial blood"),
    specific: Some(loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")),
    category: VITAL_SIGNS,
    unit_code: "%",
    unit: "%",
    profile: Some("http://hl7.org/fhir/StructureDefinition/oxygensat"),
};

/// Body temperature, profile `bodytemp`: LOINC 8310-5 in `Cel`.
pub(crate) const TEMPERATURE: VitalSign = VitalSign {
    name: "temperature",
    code: loinc("8310-5", "Body temperature"),
    specific: None,
    category: VITAL_SIGNS,
    unit_code: "Cel",
    unit: "C",
    profile: Some("http://hl7.org/fhir/StructureDefinition/bodytemp"),
};

/// Glasgow Coma Scale total, LOINC 9269-2 in `{score}`. It is not a vital sign of the FHIR
/// vital-signs profiles, so it has no profile and the category of scored assessments.
pub(crate) const GCS: VitalSign = VitalSign {
    name: "gcs",
    code: loinc("9269-2", "Glasgow coma score total"),
    specific: None,
    category: SURVEY,
    unit_code: "{score}",
    unit: "{score}",
    profile: None,
};

/// LOINC code of the blood group observation, whose value is the combined ABO and RhD group.
pub(crate) const ABO_AND_RH: Coding<'static> = loinc("882-1", "ABO and Rh group [Type] in Blood");
/// LOINC code of the ABO component of the blood group.
pub(crate) const ABO: Coding<'static> = loinc("883-9", "ABO group [Type] in Blood");
/// LOINC code of the RhD component of the blood group.
pub(crate) const RH: Coding<'static> = loinc("10331-7", "Rh [Type] in Blood");

const fn hl7(system: &'static str, code: &'static str, display: &'static str) -> Coding<'static> {
    Coding { system, code, display: Some(display) }
}

const fn snomed(code: &'static str, display: &'static str) -> Coding<'static> {
    Coding { system: SNOMED_CT, code, display: Some(display) }
}

const fn loinc(code: &'static str, display: &'static str) -> Coding<'static> {
    Coding { system: LOINC, code, display: Some(display) }
}
