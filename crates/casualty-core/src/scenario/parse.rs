//! Reading a scenario or request body into a validated [`Scenario`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::walker::{self, array, integer, normalise, number, render, string, Errors, Object};
use super::*;
use crate::reference::ReferenceData;
use crate::time::parse_base_date;

/// The text format of a scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// JSON.
    Json,
    /// YAML (1.2, read through `serde_yaml`).
    Yaml,
}

impl InputFormat {
    /// Picks the format from a file name: `.yaml` and `.yml` are YAML, everything else JSON.
    pub fn from_path(path: &std::path::Path) -> InputFormat {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("yaml" | "yml") => InputFormat::Yaml,
            _ => InputFormat::Json,
        }
    }
}

/// Values from the command line that take precedence over the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommandLineOverrides {
    /// `--count`.
    pub count: Option<u64>,
    /// `--seed`.
    pub seed: Option<u64>,
}

/// Keys of a request body that only the generation service reads.
const SERVICE_KEYS: &[&str] = &[
    "output_formats",
    "use_compression",
    "use_encryption",
    "encryption_password",
    "priority",
    "configuration_id",
];

/// Keys that older clients send, with what to use instead.
const LEGACY_KEYS: &[(&str, &str)] = &[
    ("advanced_overrides", "put model parameters in `overrides`, keyed by the dotted names listed in docs/model.md"),
    ("preset_id", "presets are not supported by this version; send the whole scenario inline"),
    ("triage_override", "triage is derived from injury severity and physiology; change its thresholds with `overrides` keys under `triage.`"),
    ("medical_simulation", "the medical model is always on; tune it with `overrides`"),
    ("evacuation_times", "set evacuation and transit times with `overrides` keys under `evacuation.`"),
];

const SCENARIO_KEYS: &[&str] = &[
    "name",
    "description",
    "count",
    "total_patients",
    "seed",
    "base_date",
    "days_of_fighting",
    "injury_distribution",
    "injury_mix",
    "front_configs",
    "facility_configs",
    "warfare_types",
    "intensity",
    "tempo",
    "special_events",
    "environmental_conditions",
    "overrides",
];

/// Parses a scenario or request body from text.
///
/// # Errors
/// Returns every problem found, each with the field path, the value and what is accepted.
pub fn parse_request(text: &str, format: InputFormat, cli: CommandLineOverrides) -> Result<Request, ScenarioError> {
    let document: Value = match format {
        InputFormat::Json => serde_json::from_str(text).map_err(|e| single("(document)", "unparsable JSON", &format!("valid JSON: {e}")))?,
        InputFormat::Yaml => serde_yaml::from_str(text).map_err(|e| single("(document)", "unparsable YAML", &format!("valid YAML: {e}")))?,
    };
    parse_scenario_value(&document, cli)
}

/// Parses an already-decoded JSON document (bare scenario or request body).
///
/// # Errors
/// As [`parse_request`].
pub fn parse_scenario_value(document: &Value, cli: CommandLineOverrides) -> Result<Request, ScenarioError> {
    let mut errors = Errors::default();
    let Some(mut top) = Object::new("", document, &mut errors) else {
        return Err(ScenarioError { errors: errors.list });
    };

    let wrapped = top.has("configuration");
    let mut options = RequestOptions::default();
    let mut outer_count = None;
    let result = if wrapped {
        let (path, inner) = top.take(&["configuration"], &mut errors).unwrap_or(("configuration".into(), &Value::Null));
        if let Some((path, value)) = top.take(&["total_patients"], &mut errors) {
            outer_count = integer(&path, value, 1, MAX_COUNT, &mut errors);
        }
        for key in SERVICE_KEYS {
            if top.has(key) {
                top.mark_used(key);
                options.service_keys.push((*key).to_string());
            }
        }
        reject_legacy(&mut top, &mut errors);
        let mut accepted = vec!["configuration", "total_patients"];
        accepted.extend_from_slice(SERVICE_KEYS);
        top.finish(&accepted, &mut errors);
        match Object::new(&path, inner, &mut errors) {
            Some(inner) => parse_object(inner, outer_count, cli, &mut errors),
            None => None,
        }
    } else {
        parse_object(top, None, cli, &mut errors)
    };

    match result {
        Some(scenario) if errors.list.is_empty() => Ok(Request { scenario, options }),
        _ => Err(ScenarioError { errors: errors.list }),
    }
}

fn single(path: &str, value: &str, expected: &str) -> ScenarioError {
    ScenarioError { errors: vec![FieldError { path: path.into(), value: value.into(), expected: expected.into() }] }
}

fn reject_legacy(object: &mut Object<'_>, errors: &mut Errors) {
    for (key, instead) in LEGACY_KEYS {
        if let Some((path, value)) = object.take(&[key], errors) {
            errors.invalid(&path, value, format!("`{key}` is not supported: {instead}"));
        }
        // A present key with a null value is still a legacy key the client relies on.
        else if object.has(key) {
            errors.push(&object.child(key), "null", format!("`{key}` is not supported: {instead}"));
        }
    }
}

fn parse_object(
    mut object: Object<'_>,
    outer_count: Option<u64>,
    cli: CommandLineOverrides,
    errors: &mut Errors,
) -> Option<Scenario> {
    let reference = ReferenceData::get();
    reject_legacy(&mut object, errors);

    let name = object.take(&["name"], errors).and_then(|(p, v)| string(&p, v, errors)).unwrap_or_else(|| "Unnamed scenario".into());
    let description = object.take(&["description"], errors).and_then(|(p, v)| string(&p, v, errors)).unwrap_or_default();

    // `count` and the inner `total_patients` may both be present; `count` wins.
    let count_field = object.take(&["count"], errors).map(|(p, v)| integer(&p, v, 1, MAX_COUNT, errors));
    let total_field = object.take(&["total_patients"], errors).map(|(p, v)| integer(&p, v, 1, MAX_COUNT, errors));
    let inner_count = match (count_field, total_field) {
        (Some(count), _) => count,
        (None, Some(total)) => total,
        (None, None) => None,
    };
    // The outer option is None after an error; the inner one is None when no count was given.
    let count_given = match cli.count {
        Some(n) if n == 0 || n > MAX_COUNT => {
            errors.push("--count", n.to_string(), format!("a whole number from 1 to {MAX_COUNT}"));
            None
        }
        Some(n) => Some(Some(n)),
        None if count_field.is_some_and(|c| c.is_none()) || total_field.is_some_and(|c| c.is_none()) => None,
        None => Some(outer_count.or(inner_count)),
    };

    let seed = object.take(&["seed"], errors).and_then(|(p, v)| integer(&p, v, 0, u64::MAX, errors));
    let seed = cli.seed.or(seed).unwrap_or(DEFAULT_SEED);

    let base_time = match object.take(&["base_date"], errors) {
        Some((path, value)) => match value.as_str().map(parse_base_date) {
            Some(Ok(t)) => Some(t),
            _ => {
                errors.invalid(&path, value, "a valid calendar date as YYYY-MM-DD, or a UTC time as YYYY-MM-DDTHH:MM[:SS] with an optional Z or +00:00, years 1900 to 2200");
                None
            }
        },
        None => Some(parse_base_date(DEFAULT_BASE_DATE).expect("the default base date is valid")),
    };
    let days = object
        .take(&["days_of_fighting"], errors)
        .and_then(|(p, v)| integer(&p, v, 1, MAX_DAYS as u64, errors))
        .map(|d| d as u32)
        .unwrap_or(DEFAULT_DAYS);

    let injury_distribution = match object.take(&["injury_distribution", "injury_mix"], errors) {
        Some((path, value)) => parse_distribution(&path, value, errors).map(Some),
        // Without a distribution, the warfare types' casualty mix applies (below).
        None => Some(None),
    };

    let fronts = match object.take(&["front_configs"], errors) {
        Some((path, value)) => parse_fronts(&path, value, reference, errors),
        None => Some(default_fronts()),
    };
    let facilities = match object.take(&["facility_configs"], errors) {
        Some((path, value)) => parse_facilities(&path, value, errors),
        None => Some(default_facilities()),
    };
    let warfare_types = match object.take(&["warfare_types"], errors) {
        Some((path, value)) => parse_warfare(&path, value, errors),
        None => Some(vec![(WarfareType::Conventional, 1.0)]),
    };
    let intensity = match object.take(&["intensity"], errors) {
        Some((path, value)) => parse_choice(&path, value, &[("low", Intensity::Low), ("medium", Intensity::Medium), ("high", Intensity::High), ("extreme", Intensity::Extreme)], errors),
        None => Some(Intensity::Medium),
    };
    let tempo = match object.take(&["tempo"], errors) {
        Some((path, value)) => parse_choice(
            &path,
            value,
            &[("sustained", Tempo::Sustained), ("escalating", Tempo::Escalating), ("surge", Tempo::Surge), ("declining", Tempo::Declining), ("intermittent", Tempo::Intermittent)],
            errors,
        ),
        None => Some(Tempo::Sustained),
    };
    let environmental_conditions = match object.take(&["environmental_conditions"], errors) {
        Some((path, value)) => parse_conditions(&path, value, errors),
        None => Some(Vec::new()),
    };

    let (overrides, model) = match object.take(&["overrides"], errors) {
        Some((path, value)) => parse_overrides(&path, value, errors),
        None => (BTreeMap::new(), Some(ModelParameters::defaults())),
    };

    // Troop strengths predict the casualties, which give the count when none is given.
    let force_estimate = match (&fronts, &model, tempo) {
        (Some(fronts), Some(model), Some(tempo)) if fronts.iter().any(|f| f.strength.is_some()) => Some(estimate_force(fronts, model, tempo, days)),
        _ => None,
    };
    let count = match (count_given, &force_estimate) {
        (Some(Some(n)), _) => Some(n),
        (Some(None), Some(estimate)) => {
            let predicted = (estimate.battle + estimate.dnbi).round().max(1.0);
            if predicted > MAX_COUNT as f64 {
                errors.push("front_configs", format!("strengths predicting {predicted} casualties"), format!("strengths and days predicting at most {MAX_COUNT} casualties, or a count"));
                None
            } else {
                Some(predicted as u64)
            }
        }
        (Some(None), None) => Some(DEFAULT_COUNT),
        (None, _) => None,
    };

    let events_given = object.has("special_events");
    let special_events = match (object.take(&["special_events"], errors), count, &model) {
        (Some((path, value)), Some(count), Some(model)) => parse_events(&path, value, count, days, model, errors),
        (None, _, _) => Some(Vec::new()),
        _ => None,
    };

    object.finish(SCENARIO_KEYS, errors);

    let (model, warfare_types) = (model?, warfare_types?);
    let injury_distribution = injury_distribution?.unwrap_or_else(|| {
        let mix = warfare_distribution(&model, &warfare_types);
        match &force_estimate {
            // The rates give the battle share; the warfare types split the rest.
            Some(estimate) if estimate.battle + estimate.dnbi > 0.0 => {
                let battle = estimate.battle / (estimate.battle + estimate.dnbi);
                let dnbi = mix[0] + mix[1];
                let disease = if dnbi > 0.0 { mix[0] / dnbi } else { 0.5 };
                [(1.0 - battle) * disease, (1.0 - battle) * (1.0 - disease), battle]
            }
            _ => mix,
        }
    });
    let (fronts, mut special_events) = (fronts?, special_events?);
    // An event happens at one place: on the busiest front (the first of equals) unless it names one.
    let busiest = fronts.iter().fold(&fronts[0], |best, f| if f.casualty_rate > best.casualty_rate { f } else { best });
    for event in special_events.iter_mut().filter(|e| e.front.is_empty()) {
        event.front = busiest.id.clone();
    }
    let scenario = Scenario {
        name,
        description,
        count: count?,
        seed,
        base_time: base_time?,
        days_of_fighting: days,
        injury_distribution,
        fronts,
        facilities: facilities?,
        warfare_types,
        intensity: intensity?,
        tempo: tempo?,
        special_events,
        environmental_conditions: environmental_conditions?,
        force_estimate,
        model,
        overrides,
    };
    let mut scenario = scenario;
    if !events_given {
        scenario.special_events = warfare_events(&scenario);
    }
    check_scenario(&scenario, errors);
    Some(scenario)
}

/// Predicts the casualties of fronts with troop strengths: each day, the troops in thousands
/// times the daily rates of `forecas`. Battle casualties follow the tempo's day weights, scaled to
/// a mean of 1, so the tempo moves casualties between days without changing the total.
fn estimate_force(fronts: &[Front], model: &ModelParameters, tempo: Tempo, days: u32) -> ForceEstimate {
    let troops: u64 = fronts.iter().filter_map(|f| f.strength).sum();
    let thousands = troops as f64 / 1000.0;
    let weights: Vec<f64> = (0..days as usize).map(|day| crate::schedule::day_weight(model, tempo, day, days)).collect();
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let daily: Vec<DailyEstimate> = weights
        .iter()
        .enumerate()
        .map(|(day, weight)| DailyEstimate {
            day: day as u32 + 1,
            battle: round(thousands * model.forecas.battle_per_1000_per_day * if mean > 0.0 { weight / mean } else { 1.0 }),
            dnbi: round(thousands * model.forecas.dnbi_per_1000_per_day),
        })
        .collect();
    let battle = round(daily.iter().map(|d| d.battle).sum());
    let dnbi = round(daily.iter().map(|d| d.dnbi).sum());
    ForceEstimate { troops, battle, dnbi, daily }
}

/// Returns the casualty mix of the warfare types, for a scenario without `injury_distribution`:
/// the types' percentages (conventional's for a type without one) mixed by weight, as fractions.
fn warfare_distribution(model: &ModelParameters, warfare_types: &[(WarfareType, f64)]) -> [f64; 3] {
    let mut mixed = [0.0; 3];
    for (kind, weight) in warfare_types {
        let table = &model.warfare.injury_distribution;
        let Some(mix) = table.get(kind.as_str()).or_else(|| table.get(WarfareType::Conventional.as_str())) else {
            continue;
        };
        let total = mix.disease + mix.non_battle + mix.battle;
        for (slot, value) in mixed.iter_mut().zip([mix.disease, mix.non_battle, mix.battle]) {
            *slot += weight * value / total;
        }
    }
    // The type weights sum to 1 and each mix to 100 percent, so the total is about 1.
    let total: f64 = mixed.iter().sum();
    mixed.map(|share| share / total)
}

/// Returns the mass-casualty incidents that the warfare types bring (`warfare.mass_casualty_per_week`),
/// for a scenario that gives no `special_events`. They are spread evenly over the days, at the
/// busiest hour of the battle pattern, on the busiest front, each of the default event size.
fn warfare_events(scenario: &Scenario) -> Vec<SpecialEvent> {
    let model = &scenario.model;
    let per_week = scenario.warfare_mean(|kind| Some(model.warfare.mass_casualty_per_week.get(kind).copied().unwrap_or(0.0)));
    let wanted = (per_week * f64::from(scenario.days_of_fighting) / 7.0).round() as u64;
    let size = ((scenario.count as f64 * model.events.default_size_share).round() as u64).max(model.events.mass_casualty_min_size);
    // Events take their casualties from the battle share first; they may fill at most half of it.
    let battle = (scenario.count as f64 * scenario.injury_distribution[2] / 2.0) as u64;
    let events = if size == 0 { 0 } else { wanted.min(battle / size) };
    let pattern = crate::schedule::battle_pattern(scenario);
    let hour = (0..24).fold(0, |best, h| if pattern[h] > pattern[best] { h } else { best }) as u32;
    let busiest = scenario.fronts.iter().fold(&scenario.fronts[0], |best, f| if f.casualty_rate > best.casualty_rate { f } else { best });
    (0..events)
        .map(|i| SpecialEvent {
            kind: EventKind::MassCasualty,
            day: 1 + ((i as f64 + 0.5) * f64::from(scenario.days_of_fighting) / events as f64) as u32,
            hour,
            size,
            front: busiest.id.clone(),
        })
        .collect()
}

/// Checks that need several fields at once.
fn check_scenario(scenario: &Scenario, errors: &mut Errors) {
    let event_total: u64 = scenario.special_events.iter().map(|e| e.size).sum();
    if event_total > scenario.count {
        errors.push(
            "special_events",
            format!("sizes summing to {event_total}"),
            format!("event sizes summing to at most the patient count {}", scenario.count),
        );
    }
    for (i, event) in scenario.special_events.iter().enumerate() {
        if event.day > scenario.days_of_fighting {
            errors.push(
                &format!("special_events[{i}].day"),
                event.day.to_string(),
                format!("a day from 1 to days_of_fighting ({})", scenario.days_of_fighting),
            );
        }
        if !scenario.fronts.iter().any(|f| f.id == event.front) {
            let ids: Vec<&str> = scenario.fronts.iter().map(|f| f.id.as_str()).collect();
            errors.push(&format!("special_events[{i}].front"), format!("\"{}\"", event.front), format!("the id of a front of the scenario: {}", ids.join(", ")));
        }
    }
    // The model's names were checked against the reference data when the overrides were applied.
}

fn parse_distribution(path: &str, value: &Value, errors: &mut Errors) -> Option<[f64; 3]> {
    let Value::Object(map) = value else {
        errors.invalid(path, value, "an object with shares of Disease, Non-Battle Injury and Battle Injury");
        return None;
    };
    let mut shares: [Option<f64>; 3] = [None; 3];
    let mut ok = true;
    for (key, share) in map {
        let child = walker::join(path, key);
        let category = match normalise(key).as_str() {
            "disease" => Category::Disease,
            "non_battle_injury" | "non_battle" | "nbi" => Category::NonBattleInjury,
            "battle_injury" | "battle_trauma" | "battle" | "bi" => Category::BattleInjury,
            _ => {
                errors.invalid(&child, share, format!("unknown category `{key}`; accepted: Disease (DISEASE), Non-Battle Injury (NON_BATTLE), Battle Injury (BATTLE_TRAUMA)"));
                ok = false;
                continue;
            }
        };
        let Some(x) = number(&child, share, 0.0, 100.0, errors) else {
            ok = false;
            continue;
        };
        if shares[category.index()].replace(x).is_some() {
            errors.invalid(&child, share, format!("one share per category; {} is given twice", category.as_str()));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let values = shares.map(|s| s.unwrap_or(0.0));
    let total: f64 = values.iter().sum();
    let near_one = (total - 1.0).abs() <= DISTRIBUTION_TOLERANCE;
    let near_hundred = (total - 100.0).abs() <= 100.0 * DISTRIBUTION_TOLERANCE;
    if !near_one && !near_hundred {
        errors.push(
            path,
            format!("shares summing to {total}"),
            format!("fractions summing to 1 or percentages summing to 100, within {}%", DISTRIBUTION_TOLERANCE * 100.0),
        );
        return None;
    }
    // Within the tolerance the shares are rescaled to sum exactly to 1.
    Some(values.map(|v| v / total))
}

fn default_fronts() -> Vec<Front> {
    let front = |id: &str, name: &str, rate: f64, nations: &[(&str, f64)]| Front {
        id: id.into(),
        name: name.into(),
        casualty_rate: rate,
        strength: None,
        distance_km: FrontDistances::default(),
        nationality_distribution: nations.iter().map(|(code, p)| NationShare { nationality_code: (*code).into(), percentage: *p }).collect(),
    };
    vec![
        front("north", "Northern Front", 40.0, &[("USA", 30.0), ("DEU", 20.0), ("POL", 20.0), ("LTU", 10.0), ("LVA", 10.0), ("EST", 10.0)]),
        front("central", "Central Front", 35.0, &[("USA", 25.0), ("GBR", 20.0), ("FRA", 20.0), ("CAN", 15.0), ("NLD", 10.0), ("BEL", 10.0)]),
        front("south", "Southern Front", 25.0, &[("ITA", 25.0), ("ESP", 20.0), ("TUR", 20.0), ("GRC", 15.0), ("ROU", 10.0), ("BGR", 10.0)]),
    ]
}

fn parse_fronts(path: &str, value: &Value, reference: &ReferenceData, errors: &mut Errors) -> Option<Vec<Front>> {
    let items = array(path, value, errors)?;
    if items.is_empty() || items.len() > MAX_FRONTS {
        errors.push(path, format!("{} fronts", items.len()), format!("from 1 to {MAX_FRONTS} fronts"));
        return None;
    }
    let mut fronts = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let Some(mut object) = Object::new(&item_path, item, errors) else {
            ok = false;
            continue;
        };
        let id = object.take(&["id"], errors).and_then(|(p, v)| match v {
            Value::Number(n) => Some(n.to_string()),
            _ => string(&p, v, errors),
        });
        let name = object.take(&["name"], errors).and_then(|(p, v)| string(&p, v, errors));
        let rate_given = object.take(&["casualty_rate"], errors);
        let strength = match object.take(&["strength"], errors) {
            Some((p, v)) if rate_given.is_some() => {
                errors.invalid(&p, v, "either casualty_rate or strength on a front, not both");
                None
            }
            Some((p, v)) => match integer(&p, v, 1, MAX_STRENGTH, errors) {
                Some(troops) => Some(Some(troops)),
                None => None,
            },
            None => Some(None),
        };
        // A front's troop strength is its weight: every front has the same rates per 1,000.
        let rate = match (rate_given, strength) {
            (_, None) => None,
            (_, Some(Some(troops))) => Some(troops as f64),
            (Some((p, v)), Some(None)) => number(&p, v, 0.0, 1e9, errors),
            (None, Some(None)) => Some(1.0),
        };
        let strength = strength.flatten();
        let distance_km = match object.take(&["distance_km"], errors) {
            Some((p, v)) => parse_distances(&p, v, errors),
            None => Some(FrontDistances::default()),
        };
        let nations = match object.take(&["nationality_distribution"], errors) {
            Some((p, v)) => parse_nations(&p, v, reference, errors),
            None => {
                errors.push(&object.child("nationality_distribution"), "missing", "a list of {nationality_code, percentage} summing to 100");
                None
            }
        };
        object.finish(&["id", "name", "casualty_rate", "strength", "distance_km", "nationality_distribution"], errors);
        match (rate, nations, distance_km) {
            (Some(rate), Some(nations), Some(distance_km)) => {
                let id = id.unwrap_or_else(|| format!("front-{}", i + 1));
                let name = name.unwrap_or_else(|| id.clone());
                if fronts.iter().any(|f: &Front| f.id == id) {
                    errors.push(&format!("{item_path}.id"), format!("\"{id}\""), "an id not used by another front");
                    ok = false;
                }
                fronts.push(Front { id, name, casualty_rate: rate, strength, distance_km, nationality_distribution: nations });
            }
            _ => ok = false,
        }
    }
    let with_strength = fronts.iter().filter(|f| f.strength.is_some()).count();
    if ok && with_strength > 0 && with_strength < fronts.len() {
        errors.push(path, format!("{with_strength} of {} fronts with a strength", fronts.len()), "a strength on every front, or on none");
        ok = false;
    }
    if ok && fronts.iter().map(|f| f.casualty_rate).sum::<f64>() <= 0.0 {
        errors.push(path, "casualty rates summing to 0", "at least one front with a casualty_rate above 0");
        ok = false;
    }
    ok.then_some(fronts)
}

fn parse_nations(path: &str, value: &Value, reference: &ReferenceData, errors: &mut Errors) -> Option<Vec<NationShare>> {
    // Besides the list form, accept a map from code to percentage, which some clients send.
    let pairs: Vec<(String, String, &Value, String)> = match value {
        Value::Array(items) if !items.is_empty() => {
            let mut pairs = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                let mut object = Object::new(&item_path, item, errors)?;
                let code = object.take(&["nationality_code", "nationality", "code"], errors);
                let share = object.take(&["percentage", "share"], errors);
                object.finish(&["nationality_code", "percentage"], errors);
                match (code, share) {
                    (Some((cp, code)), Some((sp, share))) => {
                        let code = string(&cp, code, errors)?;
                        pairs.push((cp, code, share, sp));
                    }
                    _ => {
                        errors.push(&item_path, render(item), "an object with nationality_code and percentage");
                        return None;
                    }
                }
            }
            pairs
        }
        Value::Object(map) if !map.is_empty() => map.iter().map(|(code, share)| {
            let p = walker::join(path, code);
            (p.clone(), code.clone(), share, p)
        }).collect(),
        other => {
            errors.invalid(path, other, "a non-empty list of {nationality_code, percentage}");
            return None;
        }
    };
    let mut nations = Vec::new();
    let mut ok = true;
    for (code_path, code, share, share_path) in pairs {
        let upper = code.trim().to_ascii_uppercase();
        if reference.nation(&upper).is_none() {
            errors.push(&code_path, format!("\"{code}\""), format!("the ISO 3166-1 alpha-3 code of a NATO member: {}", reference.nation_codes().join(", ")));
            ok = false;
        }
        let Some(percentage) = number(&share_path, share, 0.0, 100.0, errors) else {
            ok = false;
            continue;
        };
        if nations.iter().any(|n: &NationShare| n.nationality_code == upper) {
            errors.push(&code_path, format!("\"{code}\""), "each nation once per front");
            ok = false;
        }
        nations.push(NationShare { nationality_code: upper, percentage });
    }
    let total: f64 = nations.iter().map(|n| n.percentage).sum();
    if ok && (total - 100.0).abs() > 100.0 * DISTRIBUTION_TOLERANCE {
        errors.push(path, format!("percentages summing to {total}"), format!("percentages summing to 100 within {}", 100.0 * DISTRIBUTION_TOLERANCE));
        ok = false;
    }
    ok.then_some(nations)
}

/// Reads a front's `distance_km`: `{"Role2": 25, "Role3": 90}`, either key optional.
fn parse_distances(path: &str, value: &Value, errors: &mut Errors) -> Option<FrontDistances> {
    let mut object = Object::new(path, value, errors)?;
    let mut ok = true;
    let mut read = |names: &[&'static str], errors: &mut Errors| match object.take(names, errors) {
        Some((p, v)) => {
            let km = number(&p, v, 0.1, 10_000.0, errors);
            ok &= km.is_some();
            km
        }
        None => None,
    };
    let role2 = read(&["Role2"], errors);
    let role3 = read(&["Role3"], errors);
    object.finish(&["Role2", "Role3"], errors);
    ok.then_some(FrontDistances { role2, role3 })
}

fn default_facilities() -> Vec<Facility> {
    let names = ["Point of injury", "Role 1", "Role 2", "Role 3", "Role 4"];
    Role::ALL.iter().zip(names).map(|(&role, name)| Facility { role, name: name.into(), capacity: None, kia_rate: None, rtd_rate: None }).collect()
}

fn parse_role(name: &str) -> Option<Role> {
    match normalise(name).replace('_', "").as_str() {
        "poi" | "pointofinjury" | "role0" | "r0" => Some(Role::Poi),
        "r1" | "role1" => Some(Role::Role1),
        "r2" | "role2" => Some(Role::Role2),
        "r3" | "role3" => Some(Role::Role3),
        "r4" | "role4" => Some(Role::Role4),
        _ => None,
    }
}

fn parse_facilities(path: &str, value: &Value, errors: &mut Errors) -> Option<Vec<Facility>> {
    let items = array(path, value, errors)?;
    let mut facilities = default_facilities();
    let mut seen = [false; 5];
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let Some(mut object) = Object::new(&item_path, item, errors) else {
            ok = false;
            continue;
        };
        let role = match object.take(&["id", "role"], errors) {
            Some((p, v)) => match v.as_str().and_then(parse_role) {
                Some(role) => Some(role),
                None => {
                    errors.invalid(&p, v, "a role of the evacuation chain: POI, R1, R2, R3 or R4 (also Role1 ... Role4)");
                    None
                }
            },
            None => {
                errors.push(&object.child("id"), "missing", "a role of the evacuation chain: POI, R1, R2, R3 or R4");
                None
            }
        };
        let name = object.take(&["name"], errors).and_then(|(p, v)| string(&p, v, errors));
        let capacity = object.take(&["capacity"], errors).map(|(p, v)| integer(&p, v, 1, u32::MAX as u64, errors));
        let kia_rate = object.take(&["kia_rate"], errors).map(|(p, v)| number(&p, v, 0.0, 1.0, errors));
        let rtd_rate = object.take(&["rtd_rate"], errors).map(|(p, v)| number(&p, v, 0.0, 1.0, errors));
        object.finish(&["id", "name", "capacity", "kia_rate", "rtd_rate"], errors);
        let Some(role) = role else {
            ok = false;
            continue;
        };
        if std::mem::replace(&mut seen[role.index()], true) {
            errors.push(&item_path, render(item), format!("one entry per role; {} appears twice", role.as_str()));
            ok = false;
            continue;
        }
        if let Some(Some(_)) = capacity {
            let reason = match role {
                Role::Poi => Some("no capacity at the point of injury: casualties wait for beds at Role 1 to Role 3"),
                Role::Role4 => Some("no capacity for Role 4: the home nation's hospitals are modelled without a queue; beds are set for Role 1 to Role 3"),
                _ => None,
            };
            if let Some(reason) = reason {
                errors.push(&format!("{item_path}.capacity"), render(&item["capacity"]), reason);
                ok = false;
            }
        }
        if let Some(Some(_)) = rtd_rate {
            let reason = match role {
                Role::Poi => Some("no rtd_rate at the point of injury: casualties return to duty from a treatment facility (Role 1 to Role 3)"),
                Role::Role4 => Some("no rtd_rate for Role 4: casualties who reach Role 4 remain there (final status Remains_Role4)"),
                _ => None,
            };
            if let Some(reason) = reason {
                errors.push(&format!("{item_path}.rtd_rate"), render(&item["rtd_rate"]), reason);
                ok = false;
            }
        }
        let facility = &mut facilities[role.index()];
        if let Some(name) = name {
            facility.name = name;
        }
        match capacity {
            Some(Some(c)) => facility.capacity = Some(c as u32),
            Some(None) => ok = false,
            None => {}
        }
        match kia_rate {
            Some(Some(r)) => facility.kia_rate = Some(r),
            Some(None) => ok = false,
            None => {}
        }
        match rtd_rate {
            Some(Some(r)) => facility.rtd_rate = Some(r),
            Some(None) => ok = false,
            None => {}
        }
    }
    ok.then_some(facilities)
}

/// Reads `{"a": true, "b": false}`, `{"a": 0.6, "b": 0.4}` or `["a", "b"]` into weights.
fn parse_weighted_set<'a, T: Copy>(
    path: &str,
    value: &Value,
    names: &[(&'a str, T)],
    errors: &mut Errors,
) -> Option<Vec<(T, f64)>> {
    let accepted = names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let lookup = |key: &str| names.iter().find(|(n, _)| *n == normalise(key)).map(|(_, t)| *t);
    let mut result = Vec::new();
    let mut ok = true;
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let child = walker::join(path, key);
                let Some(item) = lookup(key) else {
                    errors.invalid(&child, v, format!("unknown name `{key}`; accepted: {accepted}"));
                    ok = false;
                    continue;
                };
                let weight = match v {
                    Value::Bool(true) => 1.0,
                    Value::Bool(false) => 0.0,
                    Value::Number(_) => match number(&child, v, 0.0, 1e6, errors) {
                        Some(w) => w,
                        None => {
                            ok = false;
                            continue;
                        }
                    },
                    other => {
                        errors.invalid(&child, other, "true, false or a weight of 0 or more");
                        ok = false;
                        continue;
                    }
                };
                if weight > 0.0 {
                    result.push((item, weight));
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let child = format!("{path}[{i}]");
                match v.as_str().and_then(lookup) {
                    Some(item) => result.push((item, 1.0)),
                    None => {
                        errors.invalid(&child, v, format!("one of: {accepted}"));
                        ok = false;
                    }
                }
            }
        }
        other => {
            errors.invalid(path, other, format!("an object of names to true/false or weights, or a list of names; names: {accepted}"));
            return None;
        }
    }
    ok.then_some(result)
}

fn parse_warfare(path: &str, value: &Value, errors: &mut Errors) -> Option<Vec<(WarfareType, f64)>> {
    let names: Vec<(&str, WarfareType)> = WarfareType::ALL.iter().map(|w| (w.as_str(), *w)).collect();
    let mut weights = parse_weighted_set(path, value, &names, errors)?;
    weights.sort_by_key(|(w, _)| *w);
    weights.dedup_by(|a, b| {
        let same = a.0 == b.0;
        if same {
            b.1 += a.1;
        }
        same
    });
    if weights.is_empty() {
        weights.push((WarfareType::Conventional, 1.0));
    }
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    Some(weights.into_iter().map(|(t, w)| (t, w / total)).collect())
}

fn parse_conditions(path: &str, value: &Value, errors: &mut Errors) -> Option<Vec<Condition>> {
    let names: Vec<(&str, Condition)> = Condition::ALL.iter().map(|c| (c.as_str(), *c)).collect();
    let weights = parse_weighted_set(path, value, &names, errors)?;
    let mut conditions: Vec<Condition> = weights.into_iter().map(|(c, _)| c).collect();
    conditions.sort();
    conditions.dedup();
    Some(conditions)
}

fn parse_choice<T: Copy>(path: &str, value: &Value, names: &[(&str, T)], errors: &mut Errors) -> Option<T> {
    let accepted = names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let lookup = |key: &str| names.iter().find(|(n, _)| *n == normalise(key)).map(|(_, t)| *t);
    let found = match value {
        Value::String(s) => lookup(s),
        // The boolean-map form: exactly one entry set to true.
        Value::Object(map) => {
            let on: Vec<&String> = map.iter().filter(|(_, v)| **v == Value::Bool(true)).map(|(k, _)| k).collect();
            let all_bool = map.values().all(Value::is_boolean);
            match on.as_slice() {
                [one] if all_bool => lookup(one),
                _ => None,
            }
        }
        _ => None,
    };
    if found.is_none() {
        errors.invalid(path, value, format!("one of {accepted}, as a string or as an object with exactly one true entry"));
    }
    found
}

fn parse_events(path: &str, value: &Value, count: u64, days: u32, model: &ModelParameters, errors: &mut Errors) -> Option<Vec<SpecialEvent>> {
    let kinds = [("mass_casualty", EventKind::MassCasualty), ("major_offensive", EventKind::MajorOffensive), ("ambush", EventKind::Ambush)];
    let accepted = "mass_casualty, major_offensive, ambush";
    let default_size = ((count as f64 * model.events.default_size_share).round() as u64).max(1);
    match value {
        // The boolean form: each kind switched on gets a documented default moment and size.
        Value::Object(_) => {
            let on = parse_weighted_set(path, value, &kinds, errors)?;
            // With very small counts the default sizes are shrunk so the events fit the count.
            let fitting = if on.is_empty() { default_size } else { default_size.min(count / on.len() as u64) };
            if fitting == 0 {
                errors.invalid(path, value, format!("at most {count} events switched on, one casualty each at least, for a count of {count}"));
                return None;
            }
            let default_size = fitting;
            let mut events: Vec<SpecialEvent> = on
                .into_iter()
                .map(|(kind, _)| {
                    let (day, hour) = match kind {
                        EventKind::Ambush => ((days / 3).max(1), 6),
                        EventKind::MassCasualty => (days.div_ceil(2), 10),
                        EventKind::MajorOffensive => ((days * 2 / 3).max(1), 5),
                    };
                    SpecialEvent { kind, day, hour, size: default_size, front: String::new() }
                })
                .collect();
            events.sort_by_key(|e| (e.day, e.hour));
            Some(events)
        }
        Value::Array(items) => {
            let mut events = Vec::new();
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                let Some(mut object) = Object::new(&item_path, item, errors) else {
                    ok = false;
                    continue;
                };
                let kind = match object.take(&["type", "kind"], errors) {
                    Some((p, v)) => {
                        let found = v.as_str().and_then(|s| kinds.iter().find(|(n, _)| *n == normalise(s)).map(|(_, k)| *k));
                        if found.is_none() {
                            errors.invalid(&p, v, format!("one of {accepted}"));
                        }
                        found
                    }
                    None => {
                        errors.push(&object.child("type"), "missing", format!("one of {accepted}"));
                        None
                    }
                };
                let day = match object.take(&["day"], errors) {
                    Some((p, v)) => integer(&p, v, 1, MAX_DAYS as u64, errors).map(|d| d as u32),
                    None => Some(days.div_ceil(2)),
                };
                let hour = match object.take(&["hour"], errors) {
                    Some((p, v)) => integer(&p, v, 0, 23, errors).map(|h| h as u32),
                    None => Some(12),
                };
                let size = match object.take(&["size", "casualties"], errors) {
                    Some((p, v)) => integer(&p, v, 1, MAX_COUNT, errors),
                    None => Some(default_size),
                };
                // An empty front is filled in with the busiest front once the fronts are known.
                let front = match object.take(&["front"], errors) {
                    Some((p, v)) => match v {
                        Value::Number(n) => Some(n.to_string()),
                        _ => string(&p, v, errors),
                    },
                    None => Some(String::new()),
                };
                object.finish(&["type", "day", "hour", "size", "front"], errors);
                match (kind, day, hour, size, front) {
                    (Some(kind), Some(day), Some(hour), Some(size), Some(front)) => events.push(SpecialEvent { kind, day, hour, size, front }),
                    _ => ok = false,
                }
            }
            ok.then_some(events)
        }
        other => {
            errors.invalid(path, other, "an object of event kinds to true/false, or a list of {type, day, hour, size}");
            None
        }
    }
}

fn parse_overrides(path: &str, value: &Value, errors: &mut Errors) -> (BTreeMap<String, Value>, Option<ModelParameters>) {
    let Value::Object(map) = value else {
        errors.invalid(path, value, "an object of dotted parameter names (listed in docs/model.md) to values");
        return (BTreeMap::new(), None);
    };
    let overrides: BTreeMap<String, Value> = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    match ModelParameters::defaults().with_overrides(&overrides) {
        Ok(model) => (overrides, Some(model)),
        Err(problems) => {
            for problem in problems {
                let field = if problem.key.is_empty() { path.to_string() } else { walker::join(path, &problem.key) };
                errors.push(&field, problem.value, problem.expected);
            }
            (overrides, None)
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
