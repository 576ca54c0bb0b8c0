//! Every warfare type, intensity, tempo, special event and environmental condition moves the
//! output the way a planner expects, by at least the minimum effect that `docs/model.md` gives
//! under "Minimum effects", with the reason for each size.

mod common;

use casualty_core::engine::Generator;
use casualty_core::record::{EventType, FinalStatus, Triage};
use casualty_core::scenario::{Category, Role};
use common::scenario;
use serde_json::{json, Value};

const COUNT: u64 = 12_000;
const DAYS: i64 = 9;
const SEED: u64 = 41;

/// What the tests measure of one patient.
struct Casualty {
    category: Category,
    mechanism: String,
    /// Seconds from the start of the operation to the injury.
    offset: i64,
    iss: u16,
    event_id: Option<String>,
    mass_casualty: bool,
    /// Minutes from injury to arrival at Role 1 and at Role 2, for those who arrive.
    to_role1: Option<f64>,
    to_role2: Option<f64>,
    /// Minutes from arrival at Role 2 to leaving it (onwards, back to duty or dead): the wait
    /// for a bed and the stay.
    at_role2: Option<f64>,
    died_of_wounds: bool,
    front: String,
    triage: Triage,
}

impl Casualty {
    fn battle(&self) -> bool {
        self.category == Category::BattleInjury
    }

    fn hour(&self) -> i64 {
        self.offset.rem_euclid(86_400) / 3600
    }

    fn day(&self) -> i64 {
        self.offset / 86_400
    }
}

/// Builds the test scenario: 9 days, battle-heavy, with `changes` merged in (a null removes a key).
fn document(changes: Value) -> Value {
    let mut document = json!({
        "count": COUNT,
        "seed": SEED,
        "days_of_fighting": DAYS,
        "injury_distribution": {"Disease": 20, "Non-Battle Injury": 20, "Battle Injury": 60}
    });
    for (key, value) in changes.as_object().expect("changes are an object") {
        if value.is_null() {
            document.as_object_mut().unwrap().remove(key);
        } else {
            document[key] = value.clone();
        }
    }
    document
}

fn generate(changes: Value) -> Vec<Casualty> {
    let scenario = scenario(document(changes));
    let generator = Generator::new(&scenario);
    (0..scenario.count)
        .map(|index| {
            let patient = generator.patient(index);
            let injury = patient.injury_timestamp.0;
            let timeline = &patient.movement_timeline;
            let arrival = |role: Role| {
                let event = timeline.iter().find(|e| e.event_type == EventType::Arrival && e.facility == role);
                event.map(|e| (e.timestamp.0 - injury) as f64 / 60.0)
            };
            let at_role2 = timeline.iter().position(|e| e.event_type == EventType::Arrival && e.facility == Role::Role2).and_then(|i| {
                let next = timeline.get(i + 1)?;
                Some((next.timestamp.0 - timeline[i].timestamp.0) as f64 / 60.0)
            });
            Casualty {
                category: patient.injury_type,
                mechanism: patient.mechanism.id.to_string(),
                offset: injury - scenario.base_time,
                iss: patient.iss,
                event_id: patient.event_id.clone(),
                mass_casualty: patient.mass_casualty,
                to_role1: arrival(Role::Role1),
                to_role2: arrival(Role::Role2),
                at_role2,
                died_of_wounds: patient.final_status == FinalStatus::Dow,
                front: patient.front.to_string(),
                triage: patient.triage_category,
            }
        })
        .collect()
}

/// Computes the share of `selected` among the casualties that pass `among`.
fn share(casualties: &[Casualty], among: impl Fn(&Casualty) -> bool, selected: impl Fn(&Casualty) -> bool) -> f64 {
    let pool: Vec<&Casualty> = casualties.iter().filter(|c| among(c)).collect();
    assert!(!pool.is_empty(), "no casualties to measure");
    pool.iter().filter(|c| selected(c)).count() as f64 / pool.len() as f64
}

fn mechanism_share(casualties: &[Casualty], category: Category, mechanisms: &[&str]) -> f64 {
    share(casualties, |c| c.category == category, |c| mechanisms.contains(&c.mechanism.as_str()))
}

fn median(mut values: Vec<f64>) -> f64 {
    assert!(!values.is_empty(), "no values for a median");
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Median minutes from injury to Role 2 among the casualties who reach it.
fn time_to_role2(casualties: &[Casualty]) -> f64 {
    median(casualties.iter().filter_map(|c| c.to_role2).collect())
}

fn conditions(names: &[&str]) -> Value {
    json!({ "environmental_conditions": names })
}

fn warfare(name: &str) -> Value {
    json!({ "warfare_types": [name] })
}

#[test]
fn conventional_is_the_default_profile() {
    let plain = scenario(document(json!({})));
    let conventional = scenario(document(warfare("conventional")));
    let (a, b) = (Generator::new(&plain), Generator::new(&conventional));
    for index in (0..COUNT).step_by(97) {
        let left = serde_json::to_string(&a.patient(index)).unwrap();
        let right = serde_json::to_string(&b.patient(index)).unwrap();
        assert_eq!(left, right, "patient {index} differs under explicit conventional warfare");
    }
}

#[test]
fn artillery_raises_explosive_share() {
    let base = mechanism_share(&generate(json!({})), Category::BattleInjury, &["explosive"]);
    let artillery = mechanism_share(&generate(warfare("artillery")), Category::BattleInjury, &["explosive"]);
    assert!(artillery >= base + 0.08, "explosive share {artillery:.3} under artillery, {base:.3} without");
}

#[test]
fn urban_raises_gunshot_share() {
    let base = mechanism_share(&generate(json!({})), Category::BattleInjury, &["gunshot"]);
    let urban = mechanism_share(&generate(warfare("urban")), Category::BattleInjury, &["gunshot"]);
    assert!(urban >= base + 0.10, "gunshot share {urban:.3} under urban warfare, {base:.3} without");
}

#[test]
fn guerrilla_moves_casualties_to_night() {
    let night = |c: &Casualty| c.hour() >= 18 || c.hour() < 6;
    let base = share(&generate(json!({})), Casualty::battle, night);
    let guerrilla = share(&generate(warfare("guerrilla")), Casualty::battle, night);
    assert!(guerrilla >= base + 0.08, "night share {guerrilla:.3} under guerrilla warfare, {base:.3} without");
}

#[test]
fn drone_moves_casualties_to_daylight() {
    let daylight = |c: &Casualty| (7..18).contains(&c.hour());
    let base = share(&generate(json!({})), Casualty::battle, daylight);
    let drone = share(&generate(warfare("drone")), Casualty::battle, daylight);
    assert!(drone >= base + 0.15, "daylight share {drone:.3} under drone warfare, {base:.3} without");
}

#[test]
fn naval_brings_burns_and_immersion() {
    let mechanisms = ["burn", "immersion"];
    let base = mechanism_share(&generate(json!({})), Category::BattleInjury, &mechanisms);
    let naval_casualties = generate(warfare("naval"));
    let naval = mechanism_share(&naval_casualties, Category::BattleInjury, &mechanisms);
    assert!(base < 0.05, "burns and immersion without naval warfare: {base:.3}");
    assert!(naval >= 0.15, "burns and immersion under naval warfare: {naval:.3}");
    let immersion = mechanism_share(&naval_casualties, Category::BattleInjury, &["immersion"]);
    assert!(immersion >= 0.02, "immersion under naval warfare: {immersion:.3}");
}

#[test]
fn cbrn_makes_chemical_the_main_mechanism() {
    let chemical = mechanism_share(&generate(warfare("cbrn")), Category::BattleInjury, &["chemical"]);
    assert!(chemical > 0.5, "chemical share of battle casualties under CBRN: {chemical:.3}");
}

#[test]
fn peacekeeping_has_few_battle_casualties() {
    let base = share(&generate(json!({"injury_distribution": null})), |_| true, Casualty::battle);
    let peacekeeping = share(&generate(json!({"injury_distribution": null, "warfare_types": ["peacekeeping"]})), |_| true, Casualty::battle);
    assert!((0.13..=0.17).contains(&base), "battle share of the conventional mix: {base:.3}");
    assert!(peacekeeping <= 0.05, "battle share under peacekeeping: {peacekeeping:.3}");
}

/// Share of battle casualties with an ISS of 16 or more.
fn major_trauma(intensity: &str) -> f64 {
    share(&generate(json!({ "intensity": intensity })), Casualty::battle, |c| c.iss >= 16)
}

#[test]
fn intensity_orders_severity() {
    let low = major_trauma("low");
    let medium = major_trauma("medium");
    let high = major_trauma("high");
    let extreme = major_trauma("extreme");
    assert!(low <= 0.95 * medium, "ISS 16+ share: low {low:.3}, medium {medium:.3}");
    assert!(high >= 1.05 * medium, "ISS 16+ share: high {high:.3}, medium {medium:.3}");
    assert!(extreme >= 1.05 * high, "ISS 16+ share: extreme {extreme:.3}, high {high:.3}");
}

/// Battle casualties outside events per day of the operation.
fn battle_per_day(tempo: &str) -> Vec<f64> {
    let mut days = vec![0.0; DAYS as usize];
    for casualty in generate(json!({ "tempo": tempo })) {
        if casualty.battle() && casualty.event_id.is_none() {
            days[casualty.day() as usize] += 1.0;
        }
    }
    days
}

/// Totals of the first, middle and last thirds of the days.
fn thirds(days: &[f64]) -> [f64; 3] {
    let third = days.len() / 3;
    [days[..third].iter().sum(), days[third..2 * third].iter().sum(), days[2 * third..].iter().sum()]
}

#[test]
fn sustained_tempo_keeps_days_level() {
    let days = battle_per_day("sustained");
    let mean = days.iter().sum::<f64>() / days.len() as f64;
    for (day, count) in days.iter().enumerate() {
        assert!((count - mean).abs() <= 0.1 * mean, "day {day} has {count} battle casualties, the mean is {mean}");
    }
}

#[test]
fn escalating_tempo_fills_last_third() {
    let [first, _, last] = thirds(&battle_per_day("escalating"));
    assert!(last >= 1.5 * first, "battle casualties: first third {first}, last third {last}");

    let everyone = generate(json!({ "tempo": "escalating" }));
    let first_all = everyone.iter().filter(|c| c.day() < DAYS / 3).count();
    let last_all = everyone.iter().filter(|c| c.day() >= DAYS - DAYS / 3).count();
    assert!(last_all > first_all, "all casualties: first third {first_all}, last third {last_all}");
}

#[test]
fn declining_tempo_fills_first_third() {
    let [first, _, last] = thirds(&battle_per_day("declining"));
    assert!(first >= 1.5 * last, "battle casualties: first third {first}, last third {last}");
}

#[test]
fn surge_tempo_peaks_in_middle() {
    let [first, middle, last] = thirds(&battle_per_day("surge"));
    assert!(middle >= 1.5 * (first + last) / 2.0, "battle casualties by third: {first}, {middle}, {last}");
}

#[test]
fn intermittent_tempo_alternates_days() {
    let days = battle_per_day("intermittent");
    let high: Vec<f64> = days.iter().enumerate().filter(|(d, _)| d % 3 == 0).map(|(_, c)| *c).collect();
    let low: Vec<f64> = days.iter().enumerate().filter(|(d, _)| d % 3 != 0).map(|(_, c)| *c).collect();
    let high_mean = high.iter().sum::<f64>() / high.len() as f64;
    let low_mean = low.iter().sum::<f64>() / low.len() as f64;
    assert!(high_mean >= 2.0 * low_mean, "mean battle casualties: high days {high_mean}, other days {low_mean}");
}

/// Checks that an event's casualties share one id, start within `window` seconds of its start and
/// reach Role 1 later than the other battle casualties by at least `slower`.
fn check_cluster(kind: &str, day: i64, hour: i64, size: u64, window: i64, slower: f64) {
    let casualties = generate(json!({ "special_events": [{ "type": kind, "day": day, "hour": hour, "size": size }] }));
    let start = (day - 1) * 86_400 + hour * 3600;
    let cluster: Vec<&Casualty> = casualties.iter().filter(|c| c.event_id.is_some()).collect();
    assert_eq!(cluster.len() as u64, size, "{kind}: every event casualty carries the event id");
    let id = format!("EVT-001-{kind}");
    for casualty in &cluster {
        assert_eq!(casualty.event_id.as_deref(), Some(id.as_str()), "{kind}: one event id");
        assert!(casualty.mass_casualty, "{kind}: flagged as a mass-casualty incident");
        assert!(casualty.battle(), "{kind}: event casualties are battle injuries");
        let since = casualty.offset - start;
        assert!((0..window).contains(&since), "{kind}: a casualty {since} s after the start, outside {window} s");
    }
    let event_time = median(cluster.iter().filter_map(|c| c.to_role1).collect());
    let other_time = median(casualties.iter().filter(|c| c.battle() && c.event_id.is_none()).filter_map(|c| c.to_role1).collect());
    assert!(event_time >= slower * other_time, "{kind}: median minutes to Role 1 {event_time:.1} in the event, {other_time:.1} outside it");
}

#[test]
fn mass_casualty_cluster_within_hour() {
    check_cluster("mass_casualty", 4, 6, 300, 3600, 1.5);
}

#[test]
fn ambush_cluster_within_twenty_minutes() {
    check_cluster("ambush", 2, 20, 100, 20 * 60, 1.25);
}

#[test]
fn major_offensive_doubles_its_hours() {
    let (day, hour) = (5, 5);
    let start = (day - 1) * 86_400 + hour * 3600;
    let in_window = |casualties: &[Casualty]| casualties.iter().filter(|c| c.battle() && (start..start + 12 * 3600).contains(&c.offset)).count();
    let base = in_window(&generate(json!({})));
    let offensive = in_window(&generate(json!({ "special_events": [{ "type": "major_offensive", "day": day, "hour": hour, "size": 1000 }] })));
    assert!(offensive >= 2 * base, "battle casualties in the 12 hours: {offensive} with the offensive, {base} without");
}

/// Checks that `condition` raises the median time to Role 2 by at least `minutes`.
fn check_slower(condition: &str, minutes: f64) {
    let base = time_to_role2(&generate(json!({})));
    let slowed = time_to_role2(&generate(conditions(&[condition])));
    assert!(slowed >= base + minutes, "{condition}: median minutes to Role 2 {slowed:.1}, {base:.1} without");
}

#[test]
fn rain_slows_evacuation() {
    check_slower("rain", 10.0);
}

#[test]
fn fog_slows_evacuation() {
    check_slower("fog", 30.0);
}

#[test]
fn storm_slows_evacuation() {
    check_slower("storm", 30.0);
}

#[test]
fn extreme_heat_doubles_heat_illness() {
    let base = mechanism_share(&generate(json!({})), Category::NonBattleInjury, &["heat"]);
    let hot = mechanism_share(&generate(conditions(&["extreme_heat"])), Category::NonBattleInjury, &["heat"]);
    assert!(hot >= 2.0 * base, "heat illness among non-battle injuries: {hot:.3} in extreme heat, {base:.3} without");
}

#[test]
fn extreme_cold_doubles_cold_injury() {
    let base = mechanism_share(&generate(json!({})), Category::NonBattleInjury, &["cold"]);
    let cold = mechanism_share(&generate(conditions(&["extreme_cold"])), Category::NonBattleInjury, &["cold"]);
    assert!(cold >= 2.0 * base, "cold injury among non-battle injuries: {cold:.3} in extreme cold, {base:.3} without");
}

/// Checks that `condition` multiplies the share of `mechanism` in `category` by at least `factor`
/// and raises the median time to Role 2 by at least `minutes`.
fn check_condition(condition: &str, category: Category, mechanism: &str, factor: f64, minutes: f64) {
    let base = generate(json!({}));
    let changed = generate(conditions(&[condition]));
    let (before, after) = (mechanism_share(&base, category, &[mechanism]), mechanism_share(&changed, category, &[mechanism]));
    assert!(after >= factor * before, "{condition}: {mechanism} share {after:.4}, {before:.4} without");
    let (base_time, changed_time) = (time_to_role2(&base), time_to_role2(&changed));
    assert!(changed_time >= base_time + minutes, "{condition}: median minutes to Role 2 {changed_time:.1}, {base_time:.1} without");
}

#[test]
fn dust_storm_raises_eye_disease() {
    check_condition("dust_storm", Category::Disease, "eye", 1.5, 20.0);
}

#[test]
fn night_operations_raise_vehicle_accidents() {
    check_condition("night_operations", Category::NonBattleInjury, "motor_vehicle", 1.2, 10.0);
}

#[test]
fn mountainous_terrain_raises_falls() {
    check_condition("mountainous_terrain", Category::NonBattleInjury, "fall", 1.3, 20.0);
}

#[test]
fn urban_debris_raises_crush_injuries() {
    check_condition("urban_debris", Category::NonBattleInjury, "machinery_crush", 1.2, 15.0);
}

#[test]
fn troop_strength_sets_count_and_fronts() {
    let scenario = scenario(json!({
        "seed": SEED,
        "days_of_fighting": 10,
        "front_configs": [
            {"id": "north", "strength": 120_000, "nationality_distribution": {"POL": 100}},
            {"id": "south", "strength": 80_000, "nationality_distribution": {"ROU": 100}}
        ]
    }));
    assert_eq!(scenario.count, 8980, "200,000 troops for 10 days at 2.45 + 2.04 per 1,000 per day");
    let generator = Generator::new(&scenario);
    let patients: Vec<(String, Category)> = (0..scenario.count).map(|i| generator.patient(i)).map(|p| (p.front.to_string(), p.injury_type)).collect();
    let north = patients.iter().filter(|(front, _)| front == "north").count() as f64 / patients.len() as f64;
    let battle = patients.iter().filter(|(_, category)| *category == Category::BattleInjury).count() as f64 / patients.len() as f64;
    assert!((north - 0.6).abs() < 0.03, "north holds 60% of the troops and has {north:.3} of the casualties");
    assert!((battle - 2.45 / 4.49).abs() < 0.03, "battle share {battle:.3} against the predicted {:.3}", 2.45 / 4.49);
}

/// Median minutes at Role 2 (wait and stay) of the casualties that `among` selects.
fn time_at_role2<'c>(casualties: impl Iterator<Item = &'c Casualty>) -> f64 {
    median(casualties.filter_map(|c| c.at_role2).collect())
}

/// Share of battle casualties that died of wounds among those `among` selects.
fn dow_share<'c>(casualties: impl Iterator<Item = &'c Casualty>) -> f64 {
    let battle: Vec<&Casualty> = casualties.filter(|c| c.battle()).collect();
    assert!(!battle.is_empty(), "no battle casualties to measure");
    battle.iter().filter(|c| c.died_of_wounds).count() as f64 / battle.len() as f64
}

#[test]
fn mass_casualty_event_makes_its_front_wait() {
    // The event happens on the busiest front, `north`, whose Role 1 and Role 2 it fills.
    let (day, hour) = (4, 6);
    let start = (day - 1) * 86_400 + hour * 3600;
    let base = generate(json!({}));
    let event = generate(json!({ "special_events": [{ "type": "mass_casualty", "day": day, "hour": hour, "size": 600 }] }));
    let behind = |c: &&Casualty| c.event_id.is_none() && c.front == "north" && (start..start + 12 * 3600).contains(&c.offset);
    let (waited, usual) = (time_at_role2(event.iter().filter(behind)), time_at_role2(base.iter().filter(behind)));
    assert!(waited >= usual + 60.0, "median minutes at Role 2 of the others on the front in the 12 hours after the event: {waited:.0}, {usual:.0} without it");
    let window = |c: &&Casualty| c.front == "north" && (start..start + 24 * 3600).contains(&c.offset);
    let (dow, usual_dow) = (dow_share(event.iter().filter(window)), dow_share(base.iter().filter(window)));
    assert!(dow >= 1.5 * usual_dow, "died of wounds among battle casualties on the front in the 24 hours from the event: {dow:.3}, {usual_dow:.3} without it");
    // Fronts that the event does not touch keep their times.
    let elsewhere = |c: &&Casualty| c.front == "south" && (start..start + 12 * 3600).contains(&c.offset);
    let (other, other_usual) = (time_at_role2(event.iter().filter(elsewhere)), time_at_role2(base.iter().filter(elsewhere)));
    assert!(other <= other_usual + 30.0, "median minutes at Role 2 on the southern front: {other:.0} with the event on the northern front, {other_usual:.0} without");
}

#[test]
fn fewer_beds_make_casualties_wait() {
    let base = generate(json!({}));
    let scarce = generate(json!({ "facility_configs": [{ "id": "R2", "capacity": 25 }] }));
    let (waited, usual) = (time_at_role2(scarce.iter()), time_at_role2(base.iter()));
    assert!(waited >= usual + 120.0, "median minutes at Role 2: {waited:.0} with 25 beds per Role 2, {usual:.0} with beds sized to the load");
    let (dow, usual_dow) = (dow_share(scarce.iter()), dow_share(base.iter()));
    assert!(dow >= 1.5 * usual_dow, "died of wounds among battle casualties: {dow:.3} with 25 beds, {usual_dow:.3} with beds sized to the load");
}

#[test]
fn default_beds_follow_the_load_and_given_beds_are_kept() {
    let small = scenario(document(json!({})));
    let generator = Generator::new(&small);
    assert!(generator.beds(Role::Role2).iter().all(|&b| b >= 50), "Role 2 beds {:?}: at least the minimum of 50", generator.beds(Role::Role2));
    let large = scenario(document(json!({ "count": 1_000_000 })));
    let role2 = Generator::new(&large).beds(Role::Role2);
    assert!(role2[0] > 1_000, "Role 2 beds for a million casualties: {role2:?}");
    let given = scenario(document(json!({ "facility_configs": [{ "id": "R1", "capacity": 7 }, { "id": "R3", "capacity": 90 }] })));
    let generator = Generator::new(&given);
    assert_eq!(generator.beds(Role::Role1), vec![7, 7, 7], "given Role 1 beds, one facility per front");
    assert_eq!(generator.beds(Role::Role3), vec![90], "given Role 3 beds, one theatre facility");
}

#[test]
fn distance_lengthens_evacuation() {
    let front = |km: Option<f64>| {
        let mut front = json!({ "id": "only", "nationality_distribution": { "USA": 100 } });
        if let Some(km) = km {
            front["distance_km"] = json!({ "Role2": km });
        }
        json!({ "front_configs": [front] })
    };
    let near = time_to_role2(&generate(front(None)));
    let far = time_to_role2(&generate(front(Some(120.0))));
    assert!(far >= near + 30.0, "median minutes to Role 2: {far:.0} at 120 km, {near:.0} at the default 40 km");
}

#[test]
fn mass_casualty_triage_marks_more_expectant() {
    let casualties = generate(json!({ "special_events": [{ "type": "mass_casualty", "day": 4, "hour": 6, "size": 1500 }] }));
    let expectant = |event: bool| share(&casualties, |c| c.battle() && c.event_id.is_some() == event, |c| c.triage == Triage::T4);
    let (in_event, outside) = (expectant(true), expectant(false));
    assert!(in_event >= 1.5 * outside, "expectant share of battle casualties: {in_event:.3} in the mass-casualty event, {outside:.3} outside it");
}

#[test]
fn warfare_types_bring_mass_casualty_events() {
    for (kind, expected) in [("artillery", 1), ("cbrn", 1), ("conventional", 0)] {
        let casualties = generate(json!({ "warfare_types": [kind], "days_of_fighting": 14 }));
        let mut ids: Vec<&str> = casualties.iter().filter_map(|c| c.event_id.as_deref()).collect();
        ids.dedup();
        let events = ids.len();
        assert!(events >= 2 * expected && (expected > 0 || events == 0), "{kind}: {events} events in 14 days");
        assert!(casualties.iter().filter(|c| c.event_id.is_some()).all(|c| c.mass_casualty), "{kind}: its events are mass-casualty incidents");
    }
    let none = generate(json!({ "warfare_types": ["artillery"], "special_events": [] }));
    assert!(none.iter().all(|c| c.event_id.is_none()), "an empty special_events list switches the warfare events off");
}
