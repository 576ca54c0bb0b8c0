//! Steps 2 to 4: mechanism, diagnoses with body regions, severity scores, physiology and triage.

use super::{weights_in_order, Generator};
use crate::random::{Cumulative, Stream};
use crate::record::{Coded, Injury, Triage};
use crate::reference::{Hemorrhage, IssRegion, ReferenceData, Tags};
use crate::scenario::{Category, Scenario};

/// SNOMED CT qualifiers for the side of a limb or eye.
const LEFT: &str = "7771000";
const RIGHT: &str = "24028007";
/// Diagnoses used for unsurvivable (AIS 6) wounds: traumatic brain injury and chest injury.
const UNSURVIVABLE_HEAD: &str = "127295002";
const UNSURVIVABLE_CHEST: &str = "262525000";

/// Bits of the tags the engine tests by name.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TagBits {
    pub(crate) shock: Tags,
    pub(crate) airway_compromise: Tags,
    pub(crate) hypoxia: Tags,
    pub(crate) bleeding: Tags,
    pub(crate) tourniquet: Tags,
    pub(crate) pain: Tags,
    pub(crate) tbi: Tags,
    pub(crate) chest: Tags,
    pub(crate) tension_pneumothorax: Tags,
    pub(crate) limb: Tags,
    pub(crate) fever: Tags,
    pub(crate) heat: Tags,
    pub(crate) hypothermia: Tags,
    pub(crate) dehydration: Tags,
    pub(crate) poisoning: Tags,
    pub(crate) major_burn: Tags,
    pub(crate) no_return_to_duty: Tags,
}

impl TagBits {
    fn new(reference: &ReferenceData) -> TagBits {
        let bit = |name: &str| reference.tag(name).unwrap_or_else(|| panic!("tag {name} is used by the engine but no table defines it"));
        TagBits {
            shock: bit("shock"),
            airway_compromise: bit("airway_compromise"),
            hypoxia: bit("hypoxia"),
            bleeding: bit("bleeding"),
            tourniquet: bit("tourniquet"),
            pain: bit("pain"),
            tbi: bit("tbi"),
            chest: bit("chest"),
            tension_pneumothorax: bit("tension_pneumothorax"),
            limb: bit("limb"),
            fever: bit("fever"),
            heat: bit("heat"),
            hypothermia: bit("hypothermia"),
            dehydration: bit("dehydration"),
            poisoning: bit("poisoning"),
            major_burn: bit("major_burn"),
            no_return_to_duty: bit("no_return_to_duty"),
        }
    }
}

/// A weighted choice among condition rows.
#[derive(Debug, Clone, Default)]
struct Choice {
    rows: Vec<usize>,
    table: Cumulative,
}

impl Choice {
    fn new(rows: Vec<usize>, reference: &ReferenceData) -> Choice {
        let table = Cumulative::new(rows.iter().map(|&r| reference.conditions[r].weight));
        Choice { rows, table }
    }
}

/// Weight tables for one scenario.
pub(crate) struct Tables {
    mechanisms: [(Vec<usize>, Cumulative); 3],
    regions: (Vec<usize>, Cumulative),
    by_mechanism: Vec<Choice>,
    by_mechanism_region: Vec<Vec<Choice>>,
    pub(crate) tags: TagBits,
    explosive: Option<usize>,
    gunshot: Option<usize>,
    head_region: usize,
    thorax_region: usize,
}

impl Tables {
    pub(crate) fn new(scenario: &Scenario, reference: &ReferenceData) -> Tables {
        let model = &scenario.model;
        let mechanisms = Category::ALL.map(|category| {
            let table = match category {
                Category::BattleInjury => &model.mechanism_weights.battle,
                Category::NonBattleInjury => &model.mechanism_weights.non_battle,
                Category::Disease => &model.mechanism_weights.disease,
            };
            let (indexes, names): (Vec<usize>, Vec<&str>) = reference.mechanisms_of(category).map(|(i, m)| (i, m.id.as_str())).unzip();
            let mut weights = weights_in_order(names.iter().copied(), table);
            for (name, weight) in names.iter().zip(weights.iter_mut()) {
                *weight *= multiplier(scenario, name);
            }
            (indexes, Cumulative::new(weights))
        });

        let region_ids: Vec<usize> = model.battle_region_weights.keys().filter_map(|r| reference.region_index(r)).collect();
        let region_weights = Cumulative::new(region_ids.iter().map(|&r| {
            let region = reference.regions[r].id.as_str();
            let multiplier = scenario.warfare_mean(|kind| model.warfare.region_multiplier.get(kind).and_then(|t| t.get(region)).copied());
            model.battle_region_weights[region] * multiplier
        }));

        let by_mechanism = (0..reference.mechanisms.len())
            .map(|m| Choice::new((0..reference.conditions.len()).filter(|&c| reference.conditions[c].mechanisms.contains(&m)).collect(), reference))
            .collect();
        let by_mechanism_region = (0..reference.mechanisms.len())
            .map(|m| {
                (0..reference.regions.len())
                    .map(|r| {
                        let rows = (0..reference.conditions.len())
                            .filter(|&c| reference.conditions[c].mechanisms.contains(&m) && reference.conditions[c].region == r)
                            .collect();
                        Choice::new(rows, reference)
                    })
                    .collect()
            })
            .collect();

        Tables {
            mechanisms,
            regions: (region_ids, region_weights),
            by_mechanism,
            by_mechanism_region,
            tags: TagBits::new(reference),
            explosive: reference.mechanism_index("explosive"),
            gunshot: reference.mechanism_index("gunshot"),
            head_region: reference.region_index("head").expect("regions.csv has head"),
            thorax_region: reference.region_index("thorax").expect("regions.csv has thorax"),
        }
    }
}

/// Product of the warfare and condition multipliers that apply to a mechanism.
fn multiplier(scenario: &Scenario, mechanism: &str) -> f64 {
    let model = &scenario.model;
    let warfare = scenario.warfare_mean(|kind| model.warfare.mechanism_multiplier.get(kind).and_then(|t| t.get(mechanism)).copied());
    let conditions: f64 = scenario
        .environmental_conditions
        .iter()
        .map(|c| model.conditions.mechanism_multiplier.get(c.as_str()).and_then(|t| t.get(mechanism)).copied().unwrap_or(1.0))
        .product();
    warfare * conditions
}

/// Vital signs at one moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Physiology {
    pub(crate) heart_rate: f64,
    pub(crate) systolic: f64,
    pub(crate) respiratory_rate: f64,
    pub(crate) spo2: f64,
    pub(crate) gcs: f64,
    pub(crate) temperature: f64,
}

/// Everything steps 2 to 4 decide.
pub(crate) struct Injuries<'g> {
    pub(crate) mechanism: usize,
    pub(crate) records: Vec<Injury<'g>>,
    pub(crate) iss: u16,
    pub(crate) niss: u16,
    pub(crate) head_ais: u8,
    pub(crate) max_ais: u8,
    pub(crate) unsurvivable: bool,
    pub(crate) hemorrhage: Hemorrhage,
    pub(crate) tags: Tags,
    pub(crate) triage: Triage,
    /// Physiology at the point of injury before any care.
    pub(crate) initial: Physiology,
    /// Physiology of a healthy service member of this person, the target of recovery.
    pub(crate) baseline: Physiology,
}

struct Wound {
    row: Option<usize>,
    code: &'static str,
    region: usize,
    ais: u8,
    hemorrhage: Hemorrhage,
    tags: Tags,
}

impl Tables {
    /// Draws the injuries of one casualty. `mass_casualty` marks a casualty of a mass-casualty
    /// event, triaged under its stricter expectant threshold.
    pub(crate) fn injure<'g>(&self, generator: &'g Generator<'_>, category: Category, mass_casualty: bool, rng: &mut Stream) -> Injuries<'g> {
        let reference = generator.reference;
        let model = generator.model;
        let (indexes, table) = &self.mechanisms[category.index()];
        let mechanism = if table.is_empty() { indexes[0] } else { indexes[rng.pick(table)] };

        // Number of diagnoses.
        let extra = match category {
            Category::BattleInjury if Some(mechanism) == self.explosive => model.wounds.extra_wound_probability_explosive,
            Category::BattleInjury if Some(mechanism) == self.gunshot => model.wounds.extra_wound_probability_gunshot,
            Category::BattleInjury => model.wounds.extra_wound_probability_other_battle,
            Category::NonBattleInjury => model.wounds.extra_wound_probability_non_battle,
            Category::Disease => model.wounds.extra_wound_probability_disease,
        };
        let warfare = if category == Category::BattleInjury { generator.warfare_extra_wounds } else { 1.0 };
        let extra = (extra * generator.intensity * warfare).min(0.95);
        let mut wanted = 1;
        while wanted < model.wounds.max_wounds && rng.chance(extra) {
            wanted += 1;
        }

        let mut wounds: Vec<Wound> = Vec::with_capacity(wanted as usize);
        let unsurvivable_p = if Some(mechanism) == self.explosive {
            model.severity.unsurvivable_probability_explosive
        } else if Some(mechanism) == self.gunshot {
            model.severity.unsurvivable_probability_gunshot
        } else {
            0.0
        };
        let unsurvivable = category == Category::BattleInjury && rng.chance(unsurvivable_p);
        if unsurvivable {
            let head = rng.chance(model.severity.unsurvivable_head_share);
            let (code, region) = if head { (UNSURVIVABLE_HEAD, self.head_region) } else { (UNSURVIVABLE_CHEST, self.thorax_region) };
            let tags = if head { self.tags.tbi } else { Tags(self.tags.chest.0 | self.tags.bleeding.0) };
            wounds.push(Wound { row: None, code, region, ais: 6, hemorrhage: if head { Hemorrhage::Major } else { Hemorrhage::Massive }, tags });
        }

        let warfare = if category == Category::BattleInjury { generator.warfare_severity } else { 1.0 };
        let step = (model.severity.ais_step_probability * generator.intensity * warfare).min(0.95);
        let mut attempts = 0;
        while wounds.len() < wanted as usize && attempts < wanted * 4 {
            attempts += 1;
            let choice = if reference.mechanisms[mechanism].region_first {
                let region = self.regions.0[rng.pick(&self.regions.1)];
                let choice = &self.by_mechanism_region[mechanism][region];
                if choice.rows.is_empty() {
                    &self.by_mechanism[mechanism]
                } else {
                    choice
                }
            } else {
                &self.by_mechanism[mechanism]
            };
            if choice.rows.is_empty() || choice.table.is_empty() {
                break;
            }
            let row_index = choice.rows[rng.pick(&choice.table)];
            let row = &reference.conditions[row_index];
            // One diagnosis per code: a second fragment wound to the same place is the same diagnosis.
            if wounds.iter().any(|w| w.row == Some(row_index) || w.code == row.code) {
                continue;
            }
            let mut ais = row.ais_min;
            while ais < row.ais_max && rng.chance(step) {
                ais += 1;
            }
            // Bleeding is the row's at its highest AIS and one class less below it.
            let hemorrhage = if ais >= row.ais_max {
                row.hemorrhage
            } else {
                match row.hemorrhage {
                    Hemorrhage::Massive => Hemorrhage::Major,
                    Hemorrhage::Major => Hemorrhage::Minor,
                    _ => Hemorrhage::None,
                }
            };
            let code = reference.terms.get_key_value(&row.code).expect("checked at load").0.as_str();
            wounds.push(Wound { row: Some(row_index), code, region: row.region, ais, hemorrhage, tags: row.tags });
        }
        // The primary diagnosis is the most severe one.
        wounds.sort_by(|a, b| b.ais.cmp(&a.ais));

        let scores = score(&wounds, reference);
        let max_ais = wounds.iter().map(|w| w.ais).max().unwrap_or(1);
        let head_ais = wounds.iter().filter(|w| w.tags.contains(self.tags.tbi)).map(|w| w.ais).max().unwrap_or(0);
        let hemorrhage = wounds.iter().map(|w| w.hemorrhage).max().unwrap_or(Hemorrhage::None);
        let mut tags = Tags::default();
        for wound in &wounds {
            tags.insert(wound.tags);
        }

        let healthy = &model.physiology;
        let mut draw = |v: crate::model::MeanSd| rng.normal(v.mean, v.sd);
        // Healthy values stay inside the adult reference ranges, so that no healthy tail value
        // alone can cross a triage threshold.
        let baseline = Physiology {
            heart_rate: draw(healthy.heart_rate).clamp(50.0, 100.0),
            systolic: draw(healthy.systolic_bp).clamp(100.0, 150.0),
            respiratory_rate: draw(healthy.respiratory_rate).clamp(12.0, 20.0),
            spo2: draw(healthy.spo2).clamp(95.0, 100.0),
            gcs: 15.0,
            temperature: draw(healthy.temperature).clamp(36.1, 37.5),
        };
        let initial = clamp(physiology(baseline, model, &wounds, hemorrhage, head_ais, tags, &self.tags, rng));

        if hemorrhage >= Hemorrhage::Major {
            tags.insert(self.tags.bleeding);
        }
        let limb_massive = wounds.iter().any(|w| w.hemorrhage == Hemorrhage::Massive && w.tags.contains(self.tags.limb));
        if limb_massive {
            tags.insert(self.tags.tourniquet);
        }
        if initial.systolic < 90.0 {
            tags.insert(self.tags.shock);
        }
        if initial.gcs <= 8.0 {
            tags.insert(self.tags.airway_compromise);
        }
        if initial.spo2 < 92.0 {
            tags.insert(self.tags.hypoxia);
        }
        if max_ais >= 2 && category != Category::Disease && initial.gcs > 8.0 {
            tags.insert(self.tags.pain);
        }

        let t = &model.triage;
        let expectant_niss = if mass_casualty { t.mass_casualty_expectant_niss.min(t.expectant_niss) } else { t.expectant_niss };
        let triage = if u32::from(scores.1) >= expectant_niss || (initial.gcs <= 3.0 && head_ais >= 5) {
            Triage::T4
        } else if u32::from(max_ais) >= t.immediate_min_ais
            || initial.systolic < t.immediate_max_systolic_mmhg
            || initial.respiratory_rate < t.immediate_min_respiratory_rate
            || initial.respiratory_rate > t.immediate_max_respiratory_rate
            || initial.gcs <= t.immediate_max_gcs as f64
            || initial.spo2 < t.immediate_min_spo2_percent
        {
            Triage::T1
        } else if u32::from(scores.1) >= t.delayed_min_niss || max_ais >= 3 {
            Triage::T2
        } else {
            Triage::T3
        };

        let records = wounds
            .iter()
            .map(|w| {
                let term = reference.term(w.code);
                let region = &reference.regions[w.region];
                let body_site = region.body_site.as_deref().map(|code| {
                    let site = reference.term(code);
                    Coded { code: &site.code, display: &site.display }
                });
                let laterality = region.lateral.then(|| {
                    let side = reference.term(if rng.chance(0.5) { LEFT } else { RIGHT });
                    Coded { code: &side.code, display: &side.display }
                });
                Injury { code: &term.code, display: &term.display, body_region: &region.id, body_site, laterality, ais: w.ais, hemorrhage: w.hemorrhage }
            })
            .collect();

        Injuries {
            mechanism,
            records,
            iss: scores.0,
            niss: scores.1,
            head_ais,
            max_ais,
            unsurvivable,
            hemorrhage,
            tags,
            triage,
            initial,
            baseline,
        }
    }
}

/// ISS and NISS. Any AIS 6 sets both to 75, by the scores' definitions.
fn score(wounds: &[Wound], reference: &ReferenceData) -> (u16, u16) {
    if wounds.iter().any(|w| w.ais >= 6) {
        return (75, 75);
    }
    let mut by_region: Vec<(IssRegion, u8)> = Vec::new();
    for wound in wounds {
        let region = reference.regions[wound.region].iss_region;
        match by_region.iter_mut().find(|(r, _)| *r == region) {
            Some(entry) => entry.1 = entry.1.max(wound.ais),
            None => by_region.push((region, wound.ais)),
        }
    }
    let mut highest: Vec<u16> = by_region.iter().map(|(_, a)| u16::from(*a)).collect();
    highest.sort_unstable_by(|a, b| b.cmp(a));
    let iss = highest.iter().take(3).map(|a| a * a).sum();
    let mut all: Vec<u16> = wounds.iter().map(|w| u16::from(w.ais)).collect();
    all.sort_unstable_by(|a, b| b.cmp(a));
    let niss = all.iter().take(3).map(|a| a * a).sum();
    (iss, niss)
}

/// Physiology after the injury, before care.
#[allow(clippy::too_many_arguments)]
fn physiology(
    base: Physiology,
    model: &crate::model::ModelParameters,
    wounds: &[Wound],
    hemorrhage: Hemorrhage,
    head_ais: u8,
    tags: Tags,
    bits: &TagBits,
    rng: &mut Stream,
) -> Physiology {
    let mut p = base;
    let hr = model.physiology.hemorrhage_heart_rate.get(hemorrhage);
    let sbp = model.physiology.hemorrhage_systolic_bp.get(hemorrhage);
    p.heart_rate += hr * (0.75 + 0.5 * rng.uniform());
    p.systolic += sbp * (0.75 + 0.5 * rng.uniform());
    if head_ais >= 2 {
        // GCS falls with the severity of the brain injury.
        let drop = match head_ais {
            2 => rng.between(0, 2),
            3 => rng.between(1, 4),
            4 => rng.between(4, 7),
            5 => rng.between(7, 11),
            _ => 12,
        };
        p.gcs -= drop as f64;
    }
    let chest_ais = wounds.iter().filter(|w| w.tags.contains(bits.chest)).map(|w| w.ais).max().unwrap_or(0);
    if chest_ais >= 3 {
        p.respiratory_rate += 8.0 + 4.0 * (chest_ais - 3) as f64 + 4.0 * rng.uniform();
        p.spo2 -= 4.0 + 3.0 * (chest_ais - 3) as f64 + 3.0 * rng.uniform();
    }
    if tags.contains(bits.tension_pneumothorax) {
        p.spo2 -= 8.0;
        p.respiratory_rate += 8.0;
        p.systolic -= 20.0;
        p.heart_rate += 20.0;
    }
    let max_ais = wounds.iter().map(|w| w.ais).max().unwrap_or(1);
    if tags.contains(bits.fever) {
        p.temperature = rng.normal(38.4 + 0.3 * max_ais as f64, 0.3);
        p.heart_rate += 12.0;
    }
    if tags.contains(bits.heat) {
        p.temperature = rng.normal(38.0 + 0.8 * max_ais as f64, 0.3);
        p.heart_rate += 15.0;
        p.gcs -= if max_ais >= 4 { rng.between(3, 6) as f64 } else { 0.0 };
    }
    if tags.contains(bits.hypothermia) {
        p.temperature = rng.normal(35.5 - 1.0 * max_ais as f64, 0.4);
        p.heart_rate -= 10.0;
    }
    if tags.contains(bits.dehydration) {
        p.heart_rate += 10.0;
        p.systolic -= 8.0;
    }
    if tags.contains(bits.poisoning) {
        p.spo2 -= 4.0 + 2.0 * max_ais as f64;
        p.respiratory_rate += 6.0;
        p.gcs -= (max_ais as f64 - 1.0).max(0.0);
    }
    if tags.contains(bits.major_burn) {
        p.heart_rate += 10.0 * max_ais as f64 / 2.0;
    }
    if max_ais >= 2 {
        // Pain and stress raise the heart and breathing rates a little.
        p.heart_rate += 4.0 * max_ais as f64;
        p.respiratory_rate += 1.0 * max_ais as f64;
    }
    p
}

/// Keeps vital signs within what the body can show.
pub(crate) fn clamp(p: Physiology) -> Physiology {
    Physiology {
        heart_rate: p.heart_rate.clamp(35.0, 190.0),
        systolic: p.systolic.clamp(40.0, 200.0),
        respiratory_rate: p.respiratory_rate.clamp(4.0, 50.0),
        spo2: p.spo2.clamp(60.0, 100.0),
        gcs: p.gcs.clamp(3.0, 15.0).round(),
        temperature: p.temperature.clamp(30.0, 42.5),
    }
}
