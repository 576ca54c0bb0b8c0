//! Step 7: the person who was hurt: name, sex, age, rank, service, blood group, body size and
//! known allergies.

use super::Generator;
use crate::model::ModelParameters;
use crate::random::{Cumulative, Stream};
use crate::record::{BloodGroup, Coded, PersonName, Service};
use crate::reference::{Nation, ReferenceData, BLOOD_GROUPS};
use crate::time::{civil_from_days, days_from_civil, Timestamp, DAY};

/// Known allergies of one casualty, as SNOMED CT substance codes.
pub(crate) struct Allergies {
    codes: Vec<&'static str>,
}

impl Allergies {
    pub(crate) fn allergic_to(&self, code: &str) -> bool {
        self.codes.contains(&code)
    }
}

/// The person part of a record.
pub(crate) struct Person<'g> {
    pub(crate) name: PersonName<'g>,
    pub(crate) gender: &'static str,
    pub(crate) age: u32,
    pub(crate) date_of_birth: String,
    pub(crate) service: Service<'g>,
    pub(crate) blood_group: BloodGroup<'g>,
    pub(crate) height_cm: f64,
    pub(crate) weight_kg: f64,
    pub(crate) allergies: Vec<Coded<'g>>,
    pub(crate) religion: Option<Coded<'g>>,
}

/// Demographic tables for one scenario.
pub(crate) struct Tables {
    ranks: Cumulative,
    branches: Vec<(&'static str, usize)>,
    branch_table: Cumulative,
    units: Vec<(Vec<usize>, Cumulative)>,
    allergies: Vec<(&'static str, f64)>,
}

impl Tables {
    pub(crate) fn new(model: &ModelParameters, reference: &'static ReferenceData) -> Tables {
        let ranks = Cumulative::new(reference.ranks.iter().map(|r| r.share));
        let branches: Vec<(&'static str, usize)> = model
            .demographics
            .branch_weights
            .keys()
            .map(|name| {
                let title_column = match name.as_str() {
                    "navy" => 1,
                    "air_force" => 2,
                    _ => 0,
                };
                let unit = reference.units.iter().find(|u| &u.branch == name).expect("branch checked against units.csv");
                (unit.branch.as_str(), title_column)
            })
            .collect();
        let branch_table = Cumulative::new(model.demographics.branch_weights.values().copied());
        let units = branches
            .iter()
            .map(|(branch, _)| {
                let rows: Vec<usize> = (0..reference.units.len()).filter(|&i| reference.units[i].branch == *branch).collect();
                let table = Cumulative::new(rows.iter().map(|&i| reference.units[i].weight));
                (rows, table)
            })
            .collect();
        let allergies = model
            .allergies
            .iter()
            .map(|(code, p)| (reference.terms.get_key_value(code).expect("checked against terminology").0.as_str(), *p))
            .collect();
        Tables { ranks, branches, branch_table, units, allergies }
    }

    pub(crate) fn allergies(&self, rng: &mut Stream) -> Allergies {
        let mut codes = Vec::new();
        for &(code, p) in &self.allergies {
            if rng.chance(p) {
                codes.push(code);
            }
        }
        Allergies { codes }
    }

    pub(crate) fn person<'g>(&self, generator: &'g Generator<'_>, nation: &'static Nation, allergies: Allergies, injury_time: i64, rng: &mut Stream) -> Person<'g> {
        let reference = generator.reference;
        let demographics = &generator.model.demographics;
        let female_share = if demographics.female_share >= 0.0 { demographics.female_share } else { nation.female_share };
        let female = rng.chance(female_share);

        let names = &nation.names;
        let (given_list, family_list) = if female { (&names.female_given, &names.female_family) } else { (&names.male_given, &names.male_family) };
        let given = &given_list[rng.between(0, given_list.len() as u32 - 1) as usize];
        let family = &family_list[rng.between(0, family_list.len() as u32 - 1) as usize];

        // Rank first, then an age that fits it, skewed towards the young end of the range.
        let rank = &reference.ranks[rng.pick(&self.ranks)];
        let span = f64::from(rank.max_age - rank.min_age);
        let years = f64::from(rank.min_age) + span * libm::pow(rng.uniform(), demographics.age_skew_exponent);
        let age = (years.floor() as u32).min(rank.max_age);
        let injury_day = injury_time.div_euclid(DAY);
        let (year, month, day) = civil_from_days(injury_day);
        // Born after the same date age + 1 years earlier and on or before it age years earlier,
        // so the age at injury is exactly `age`.
        let anniversary = |years_back: u32| {
            let y = year - i64::from(years_back);
            // 29 February falls back to 28 February in years without it.
            let d = if month == 2 && day == 29 && days_from_civil(y, 3, 1) - days_from_civil(y, 2, 1) == 28 { 28 } else { day };
            days_from_civil(y, i64::from(month), i64::from(d))
        };
        let earliest = anniversary(age + 1) + 1;
        let latest = anniversary(age);
        let birth_day = earliest + i64::from(rng.between(0, (latest - earliest) as u32));

        let branch_index = rng.pick(&self.branch_table);
        let (branch, title_column) = self.branches[branch_index];
        let (unit_rows, unit_table) = &self.units[branch_index];
        let unit = &reference.units[unit_rows[rng.pick(unit_table)]];
        let number = rng.between(1, 40);
        let unit_name = format!("{}{} {} {}", number, ordinal_suffix(number), unit.unit_type, unit.formation);

        let mut service_number = String::with_capacity(nation.service_number_pattern.len());
        for c in nation.service_number_pattern.chars() {
            match c {
                '#' => service_number.push(char::from(b'0' + rng.between(0, 9) as u8)),
                'A' => service_number.push(char::from(b'A' + rng.between(0, 25) as u8)),
                other => service_number.push(other),
            }
        }

        let blood = BLOOD_GROUPS[rng.pick(&Cumulative::new(nation.blood))];
        let blood_term = reference.term(blood.2);

        let sex = if female { 1 } else { 0 };
        let (height_mean, height_sd) = if female {
            (demographics.height_mean_cm.female, demographics.height_sd_cm.female)
        } else {
            (demographics.height_mean_cm.male, demographics.height_sd_cm.male)
        };
        let height = rng.normal(height_mean, height_sd).clamp(145.0, 210.0);
        let bmi = rng.normal(demographics.bmi_mean, demographics.bmi_sd).clamp(17.0, 38.0);
        let weight = bmi * (height / 100.0) * (height / 100.0);

        // Drawn last, so that recording religion or not leaves every other field unchanged.
        let religion = rng.chance(demographics.religion_recorded_share).then(|| {
            let table = Cumulative::new(nation.religions.iter().map(|(_, w)| *w));
            let term = reference.term(&nation.religions[rng.pick(&table)].0);
            Coded { code: &term.code, display: &term.display }
        });

        Person {
            name: PersonName {
                given: &given.native,
                family: &family.native,
                given_latin: given.latin.as_deref(),
                family_latin: family.latin.as_deref(),
            },
            gender: ["male", "female"][sex],
            age,
            date_of_birth: Timestamp(birth_day * DAY).date_string(),
            service: Service {
                branch,
                rank: &rank.code,
                rank_title: &rank.titles[title_column],
                unit: unit_name,
                service_number,
            },
            blood_group: BloodGroup { abo: blood.0, rh: blood.1, code: &blood_term.code, display: &blood_term.display },
            height_cm: (height * 10.0).round() / 10.0,
            weight_kg: (weight * 10.0).round() / 10.0,
            allergies: allergies
                .codes
                .iter()
                .map(|code| {
                    let term = reference.term(code);
                    Coded { code: &term.code, display: &term.display }
                })
                .collect(),
            religion,
        }
    }
}

fn ordinal_suffix(n: u32) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}
