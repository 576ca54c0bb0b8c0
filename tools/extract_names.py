#!/usr/bin/env python3
"""Write the per-nation name lists in crates/casualty-core/data/names/ from Faker.

The generator picks casualty names from these CSV files. This script reads the
person-name lists of Faker 40.63.0 (MIT licence), cleans them, merges the
hand-kept rows in tools/names-manual/<ISO3>.csv, derives female family names
where a language inflects them, adds an ASCII transliteration for Greek and
Cyrillic names, and writes one sorted CSV per NATO nation.

Rerun it after changing this file or a hand-kept input:

    python3 -m venv /path/to/venv
    /path/to/venv/bin/pip install faker==40.63.0
    /path/to/venv/bin/python tools/extract_names.py

The script checks the Faker version because a different release would rewrite
most rows. Output is deterministic: the same inputs give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

FAKER_VERSION = "40.63.0"

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "crates" / "casualty-core" / "data" / "names"
MANUAL_DIR = REPO_ROOT / "tools" / "names-manual"

MIN_GIVEN_PER_SEX = 50
MIN_FAMILY_PER_SEX = 50

# (sex, part, name) with sex in {male, female, any} and part in {given, family}.
Row = tuple[str, str, str]


@dataclass
class Nation:
    iso3: str
    name: str
    locales: list[str]
    # Rule that derives the female form of a male family name. None keeps male rows male.
    female_family_rule: str | None = None
    # Script whose names need the ASCII `latin` column.
    transliteration: str | None = None
    notes: list[str] = field(default_factory=list)


NATIONS = [
    Nation("ALB", "Albania", [], notes=["Faker has no Albanian locale, so all rows are hand-kept."]),
    Nation("BEL", "Belgium", ["nl_BE", "fr_BE"]),
    Nation(
        "BGR",
        "Bulgaria",
        [],
        female_family_rule="bg",
        transliteration="bg",
        notes=[
            "Faker bg_BG was inspected and not used because its lists are dominated by joke and very rare names.",
            "Female family names are derived from the male forms (-ов/-ев/-ин + а, and -ски/-цки to -ска/-цка).",
        ],
    ),
    Nation(
        "CAN",
        "Canada",
        ["en_US", "fr_CA"],
        notes=["Faker 40.63.0 has no en_CA person locale, so en_US stands in for English Canada."],
    ),
    Nation("HRV", "Croatia", ["hr_HR"]),
    Nation("CZE", "Czechia", ["cs_CZ"]),
    Nation("DNK", "Denmark", ["da_DK"]),
    Nation(
        "EST",
        "Estonia",
        ["et_EE"],
        female_family_rule="ru",
        notes=[
            "Faker et_EE mixes Estonian and Russian names. Estonian family names do not inflect (sex 'any').",
            "Female forms of Russian family names are derived (-ov/-ev/-in + a). Other Russian names use 'any'.",
        ],
    ),
    Nation("FIN", "Finland", ["fi_FI"]),
    Nation("FRA", "France", ["fr_FR"]),
    Nation("DEU", "Germany", ["de_DE"]),
    Nation("GRC", "Greece", ["el_GR"], transliteration="el"),
    Nation("HUN", "Hungary", ["hu_HU"]),
    Nation(
        "ISL",
        "Iceland",
        ["is_IS"],
        notes=["Given names come from Faker is_IS. Its patronymic rule is not used (see the hand-kept file)."],
    ),
    Nation("ITA", "Italy", ["it_IT"]),
    Nation("LVA", "Latvia", ["lv_LV"]),
    Nation(
        "LTU",
        "Lithuania",
        ["lt_LT"],
        female_family_rule="lt",
        notes=[
            "Faker lt_LT has one unsexed given-name list, so names are sorted by ending (-as/-is/-ys/-us male, -a/-ė female).",
            "Faker lt_LT lists male family names only, so female forms are the derived married form (-ienė).",
        ],
    ),
    Nation("LUX", "Luxembourg", ["de_LU", "fr_FR"]),
    Nation("MNE", "Montenegro", [], notes=["Faker has no Montenegrin locale, so all rows are hand-kept."]),
    Nation("MKD", "North Macedonia", ["mk_MK"], transliteration="mk"),
    Nation("NLD", "Netherlands", ["nl_NL"]),
    Nation("NOR", "Norway", ["no_NO"]),
    Nation(
        "POL",
        "Poland",
        ["pl_PL"],
        female_family_rule="pl",
        notes=[
            "Female forms of adjectival family names are derived (-ski/-cki/-dzki to -ska/-cka/-dzka, -ny to -na).",
        ],
    ),
    Nation("PRT", "Portugal", ["pt_PT"]),
    Nation("ROU", "Romania", ["ro_RO"]),
    Nation("SVK", "Slovakia", ["sk_SK"]),
    Nation("SVN", "Slovenia", ["sl_SI"]),
    Nation("ESP", "Spain", ["es_ES"]),
    Nation("SWE", "Sweden", ["sv_SE"]),
    Nation("TUR", "Türkiye", ["tr_TR"]),
    Nation("GBR", "United Kingdom", ["en_GB"]),
    Nation("USA", "United States", ["en_US"]),
]

# Lowercase words that may precede the core of a multi-word family name
# ("van der Veen", "De Smet", "Da Silva"). Any other multi-word family name is dropped,
# which removes Faker entries such as "Koch II", "Dussen van" or "Heribert van Laon".
FAMILY_NAME_PARTICLES = {
    "'s", "'t", "d'", "da", "das", "de", "del", "della", "den", "der", "des", "di", "do", "dos", "du",
    "het", "in", "la", "le", "op", "st", "te", "ten", "ter", "uit", "van", "vom", "von", "zu", "zum",
}

# Faker entries that pass the generic checks but are typos.
CORRECTIONS = {
    ("lt_LT", "Vsiliauskas"): "Vasiliauskas",
}

# Faker entries that pass the generic checks but are not present-day family names.
# nl_NL mixes in medieval given names and noble titles ("van Wessex") from a genealogy source.
EXCLUDED_NAMES = {
    "nl_NL": {
        "Alpaidis", "Amalrada", "Billung", "Blewanus", "Breugelensis", "Chrodtrud", "Galenzone", "Glasses",
        "Jdotte", "Jerusalem", "Keltenie", "Oda", "Oemencs", "Olykan", "Saxo", "Slaetsdochter", "Tillmanno",
        "Welf", "Winnrich", "de Marduras", "de Plantard", "den Haag", "der Kijnder", "van Allemanië",
        "van Arnsberg", "van Beaumont", "van Beieren", "van Bentheim", "van Bernicia", "van Boulogne",
        "van Brunswijk", "van Dagsburg", "van de Darnau", "van de Elzas", "van de Noordmark", "van Drenthe",
        "van Egisheim", "van Engeland", "van Este", "van Formbach", "van Hamaland", "van Haspengouw",
        "van Henegouwen", "van Herstal", "van Holland", "van Hostaden", "van Jumiège", "van Laon",
        "van Limburg", "van Luxemburg", "van Maasgouw", "van Metz", "van Nederlotharingen", "van Northeim",
        "van Opper-Lotharingen", "van Orleans", "van Parijs", "van Rheineck", "van Saksen", "van Salm",
        "van Schweinfurt", "van Susa", "van Tours", "van Verdun", "van Vermandois", "van Vlaanderen",
        "van Wessex", "van Westfalen", "van Zwaben",
    },
}

# A name is letters and combining marks, joined by single apostrophes, spaces or hyphens.
NAME_PATTERN = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\- ](?=[^\W\d_]))*['’]?")

# Greek to Latin per ELOT 743, written without accents or macrons so that it stays ASCII.
# Table checked against https://rendszam.guru/romanization/greek.html. Digraphs are
# handled in transliterate_greek before these single letters.
GREEK_LETTERS = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}
# Consonants after which αυ/ευ/ηυ take an f rather than a v (ELOT 743).
GREEK_VOICELESS = set("θκξπστφχψ")

# Bulgarian to Latin per the Streamlined System made mandatory by the 2009 Transliteration Act.
# A word-final "ия" is written "ia" (handled in transliterate_cyrillic). Table checked against
# https://sv.rilpedia.org/wiki/Direkt_system_f%C3%B6r_translitterering_av_bulgariska.
BULGARIAN_LETTERS = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a",
    "ь": "y", "ю": "yu", "я": "ya",
}

# Macedonian to Latin with the diacritic-free digraph convention (gj, kj, zh, ch, sh, dzh) found on
# passports, as described at https://profilbaru.com/en/Romanization_of_Macedonian. The ISO/R 9
# standard writes the same letters with diacritics instead.
MACEDONIAN_LETTERS = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ѓ": "gj", "е": "e", "ж": "zh", "з": "z",
    "ѕ": "dz", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ќ": "kj", "у": "u", "ф": "f", "х": "h",
    "ц": "c", "ч": "ch", "џ": "dzh", "ш": "sh",
}


def transliterate_greek(text: str) -> str:
    """Return the ELOT 743 ASCII form of a Greek name."""
    # Keep the diaeresis (it blocks digraphs such as "αϋ"), drop the acute accent.
    decomposed = unicodedata.normalize("NFD", text.lower())
    word = unicodedata.normalize("NFC", decomposed.replace("\u0301", ""))
    out: list[str] = []
    i = 0
    while i < len(word):
        char = word[i]
        pair = word[i : i + 2]
        following = word[i + 2] if i + 2 < len(word) else ""
        at_word_start = i == 0 or not word[i - 1].isalpha()
        if pair == "ου":
            out.append("ou")
            i += 2
        elif pair in ("αυ", "ευ", "ηυ"):
            base = GREEK_LETTERS[pair[0]]
            voiceless = following == "" or not following.isalpha() or following in GREEK_VOICELESS
            out.append(base + ("f" if voiceless else "v"))
            i += 2
        elif pair == "γγ":
            out.append("ng")
            i += 2
        elif pair == "γξ":
            out.append("nx")
            i += 2
        elif pair == "γχ":
            out.append("nch")
            i += 2
        elif pair == "μπ" and (at_word_start or not following.isalpha()):
            out.append("b")
            i += 2
        elif char in ("ϊ", "ΐ"):
            out.append("i")
            i += 1
        elif char in ("ϋ", "ΰ"):
            out.append("y")
            i += 1
        else:
            out.append(GREEK_LETTERS.get(char, char))
            i += 1
    return capitalise_words("".join(out))


def transliterate_cyrillic(text: str, letters: dict[str, str], final_iya: bool) -> str:
    """Return the ASCII form of a Bulgarian or Macedonian name using `letters`."""
    word = text.lower()
    out: list[str] = []
    for i, char in enumerate(word):
        word_ends = i + 1 == len(word) or not word[i + 1].isalpha()
        if final_iya and char == "я" and word_ends and i > 0 and word[i - 1] == "и":
            out.append("a")
        else:
            out.append(letters.get(char, char))
    return capitalise_words("".join(out))


def capitalise_words(text: str) -> str:
    """Uppercase the first letter after the start, a space or a hyphen."""
    return re.sub(r"(^|[ \-])([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def transliterate(text: str, script: str) -> str:
    if script == "el":
        latin = transliterate_greek(text)
    elif script == "bg":
        latin = transliterate_cyrillic(text, BULGARIAN_LETTERS, final_iya=True)
    elif script == "mk":
        latin = transliterate_cyrillic(text, MACEDONIAN_LETTERS, final_iya=False)
    else:
        raise ValueError(f"unknown transliteration script {script!r}")
    if not latin.isascii():
        raise ValueError(f"transliteration of {text!r} left non-ASCII characters: {latin!r}")
    return latin


def female_form_polish(name: str) -> str | None:
    for male, female in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka"), ("ny", "na")):
        if name.endswith(male):
            return name[: -len(male)] + female
    return None


def female_form_lithuanian(name: str) -> str | None:
    # Married form. Unmarried (-aitė/-ytė/-iūtė) and neutral (-ė) forms also exist.
    for male, female in (("ius", "ienė"), ("us", "uvienė"), ("as", "ienė"), ("is", "ienė"),
                         ("ys", "ienė"), ("ė", "ienė"), ("a", "ienė")):
        if name.endswith(male):
            return name[: -len(male)] + female
    return None


def female_form_bulgarian(name: str) -> str | None:
    if name.endswith(("ов", "ев", "ин")):
        return name + "а"
    if name.endswith(("ски", "цки")):
        return name[:-1] + "а"
    return None


def female_form_russian(name: str) -> str | None:
    # Estonian transliteration of Russian names: Ivanov/Ivanova, Iljin/Iljina, Sokolov/Sokolova.
    if name.endswith(("ov", "ev", "in", "õn")):
        return name + "a"
    return None


FEMALE_FAMILY_RULES: dict[str, Callable[[str], str | None]] = {
    "pl": female_form_polish,
    "lt": female_form_lithuanian,
    "bg": female_form_bulgarian,
    "ru": female_form_russian,
}


def clean_name(raw: str, part: str) -> str | None:
    """Return the normalised name, or None when `raw` is not a usable name."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name or not NAME_PATTERN.fullmatch(name):
        return None
    if len(name) > 1 and name.isupper():
        return None  # Roman numerals and initials such as "VI"
    words = name.split(" ")
    if part == "family" and len(words) > 1:
        if any(word.lower() not in FAMILY_NAME_PARTICLES for word in words[:-1]):
            return None
        # Faker de_LU writes "Da silva", but the core name is always capitalised.
        words[-1] = words[-1][0].upper() + words[-1][1:]
        name = " ".join(words)
    if name[0].islower() and name.split(" ")[0].lower() not in FAMILY_NAME_PARTICLES:
        # Faker sl_SI has a few lowercase entries ("petek"), but names start with a capital.
        name = name[0].upper() + name[1:]
    return name


def as_list(value: object) -> list[str]:
    """Return the names of a Faker list, tuple or weighted OrderedDict."""
    if isinstance(value, dict):
        return list(value.keys())
    return list(value)  # type: ignore[arg-type]


def lithuanian_sex(name: str) -> str:
    if name.endswith(("as", "is", "ys", "us")):
        return "male"
    if name.endswith(("a", "ė")):
        return "female"
    raise ValueError(f"lt_LT given name {name!r} has no recognised male or female ending")


def read_locale(locale: str) -> Iterable[tuple[str, str, str]]:
    """Yield (sex, part, raw name) rows from one Faker person locale."""
    provider = import_module(f"faker.providers.person.{locale}").Provider

    if locale == "lt_LT":
        for name in as_list(provider.first_names):
            yield lithuanian_sex(name), "given", name
    else:
        for sex in ("male", "female"):
            for name in as_list(getattr(provider, f"first_names_{sex}")):
                yield sex, "given", name

    if locale == "is_IS":
        return  # Patronymics come from tools/names-manual/ISL.csv.
    if locale == "pl_PL":
        unisex = as_list(provider.unisex_last_names)
        unisex_set = set(unisex)
        for name in unisex:
            if name.endswith("ny"):
                yield "male", "family", name  # adjectival, so the female -na form is derived
            elif name.endswith("na") and name[:-2] + "ny" in unisex_set:
                yield "female", "family", name
            else:
                yield "any", "family", name
        for name in as_list(provider.male_last_names):
            yield "male", "family", name
        return
    if locale == "lt_LT":
        for name in as_list(provider.last_names):
            yield "male", "family", name  # Faker lists male forms only, so the female forms are derived
        return
    if locale == "et_EE":
        for name in as_list(provider.last_names_est):
            yield "any", "family", name
        for name in as_list(provider.last_names_rus):
            yield "male", "family", name
        return

    male = getattr(provider, "last_names_male", None)
    female = getattr(provider, "last_names_female", None)
    if isinstance(male, (list, tuple, dict)) and isinstance(female, (list, tuple, dict)):
        for name in as_list(male):
            yield "male", "family", name
        for name in as_list(female):
            yield "female", "family", name
        for name in as_list(getattr(provider, "last_names_nonbinary", ())):
            yield "any", "family", name
    else:
        for name in as_list(provider.last_names):
            yield "any", "family", name


@dataclass
class ManualInput:
    path: Path
    comments: list[str]
    rows: list[tuple[str, str, str]]


def read_manual(iso3: str) -> ManualInput | None:
    path = MANUAL_DIR / f"{iso3}.csv"
    if not path.exists():
        return None
    all_lines = path.read_text(encoding="utf-8").splitlines()
    comments = [line.lstrip("#").strip() for line in all_lines if line.startswith("#")]
    lines = [line for line in all_lines if not line.startswith("#")]
    rows = []
    for record in csv.DictReader(lines):
        if record["sex"] not in ("male", "female", "any") or record["part"] not in ("given", "family"):
            raise ValueError(f"{path}: invalid sex or part in row {record}")
        rows.append((record["sex"], record["part"], record["name"]))
    return ManualInput(path, comments, rows)


def build_rows(nation: Nation) -> tuple[list[Row], ManualInput | None]:
    raw_rows: list[tuple[str, str, str, str]] = []
    for locale in nation.locales:
        for sex, part, name in read_locale(locale):
            raw_rows.append((sex, part, CORRECTIONS.get((locale, name), name), locale))
    manual = read_manual(nation.iso3)
    if manual is not None:
        raw_rows.extend((sex, part, name, "manual") for sex, part, name in manual.rows)

    rows: dict[tuple[str, str, str], str] = {}  # (sex, part, casefolded name) -> spelling
    rule = FEMALE_FAMILY_RULES.get(nation.female_family_rule or "")
    for sex, part, raw, source in raw_rows:
        name = clean_name(raw, part)
        if name is None or name in EXCLUDED_NAMES.get(source, ()):
            continue
        if part == "family" and sex == "male" and rule is not None:
            female = rule(name)
            if female is None:
                sex = "any"
            else:
                rows.setdefault(("female", part, female.casefold()), female)
        rows.setdefault((sex, part, name.casefold()), name)

    return sorted((sex, part, name) for (sex, part, _), name in rows.items()), manual


def count_usable(rows: list[Row]) -> dict[str, int]:
    given = {sex: sum(1 for s, p, _ in rows if p == "given" and s == sex) for sex in ("male", "female")}
    family = {
        sex: sum(1 for s, p, _ in rows if p == "family" and s in (sex, "any")) for sex in ("male", "female")
    }
    return {
        "given_male": given["male"],
        "given_female": given["female"],
        "family_male": family["male"],
        "family_female": family["female"],
    }


def render(nation: Nation, rows: list[Row], manual: ManualInput | None) -> str:
    buffer = io.StringIO()
    header = [f"Nation: {nation.iso3} ({nation.name})"]
    if nation.locales:
        header.append(f"Source: Faker {FAKER_VERSION} person providers, locales: {', '.join(nation.locales)}")
        header.append("Licence of Faker data: MIT, Copyright (c) 2012 Daniele Faraglia and the Faker contributors")
    else:
        header.append(f"Source: no Faker {FAKER_VERSION} locale is used, so every row comes from the hand-kept file")
    if manual is not None:
        header.append(f"Hand additions: {manual.path.relative_to(REPO_ROOT).as_posix()}, whose header reads:")
        header.extend(f"  {line}" for line in manual.comments)
    else:
        header.append("Hand additions: none")
    header.extend(nation.notes)
    header.extend([
        "Generated by tools/extract_names.py. Edit that script or the hand-kept file, not this file.",
        "Columns: sex is male, female or any. part is given or family. name is the native spelling.",
        "latin is an ASCII transliteration, set only for Greek and Cyrillic names.",
    ])
    for line in header:
        buffer.write(f"# {line}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["sex", "part", "name", "latin"])
    for sex, part, name in rows:
        latin = transliterate(name, nation.transliteration) if nation.transliteration else ""
        writer.writerow([sex, part, name, latin])
    return buffer.getvalue()


def main() -> int:
    try:
        import faker
    except ImportError:
        print(f"error: faker is not installed; run `pip install faker=={FAKER_VERSION}`", file=sys.stderr)
        return 1
    if faker.VERSION != FAKER_VERSION:
        print(
            f"error: faker {faker.VERSION} is installed but this script expects {FAKER_VERSION}; "
            f"run `pip install faker=={FAKER_VERSION}`",
            file=sys.stderr,
        )
        return 1

    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    failures = []
    for nation in NATIONS:
        rows, manual = build_rows(nation)
        counts = count_usable(rows)
        short = [f"{key}={value}" for key, value in counts.items()
                 if value < (MIN_GIVEN_PER_SEX if key.startswith("given") else MIN_FAMILY_PER_SEX)]
        if short:
            failures.append(f"{nation.iso3}: too few names ({', '.join(short)}); top up tools/names-manual/{nation.iso3}.csv")
        (OUTPUT_DIR / f"{nation.iso3}.csv").write_text(render(nation, rows, manual), encoding="utf-8")
        print(f"{nation.iso3}: " + " ".join(f"{key}={value}" for key, value in counts.items()))
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
