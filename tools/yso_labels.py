"""Write text/data/yso_categories.json: the YSO concepts behind the category and audience
lexicon, with their fi/sv/en preferred labels as YSO gives them.

Usage: python tools/yso_labels.py YSO-FI.tsv YSO-SV.tsv YSO-EN.tsv
The three files are YSO's label lists in Annif's subject-vocabulary TSV format (``<URI>`` tab
label, one concept a line; the National Library of Finland publishes them for YSO 2019.3
Cicero). Only the concepts named below are kept. YSO is © the National Library of Finland,
SeCo and TSK, licensed CC BY 4.0 (docs/sources.md, "Categories and audiences").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

YSO = "http://www.yso.fi/onto/yso/"
OUT = Path(__file__).resolve().parent.parent / "text" / "data" / "yso_categories.json"

# YSO concept -> (kind, value of store.vocab); see docs/sources.md for why each is there.
# Not p4892 messut (trade fairs): alone it names any fair, and "Messukeskus" is a venue; fairs
# are read from the project's own compounds (työmessut, rekrytointimessut, jobbmässa).
CONCEPTS = {
    "p478": ("category", "job-fair"),  # rekrytointi
    "p9270": ("category", "course"),  # kurssit
    "p84": ("category", "course"),  # koulutus
    "p3734": ("category", "course"),  # valmennus
    "p6622": ("category", "course"),  # verkkokurssit
    "p15465": ("category", "course"),  # kielikurssit
    "p6266": ("category", "course"),  # täydennyskoulutus
    "p300": ("category", "course"),  # aikuiskoulutus
    "p4160": ("category", "course"),  # työvoimakoulutus
    "p20694": ("category", "course"),  # työvalmennus
    "p298": ("category", "mentoring"),  # mentorointi
    "p3050": ("category", "volunteering"),  # vapaaehtoistyö
    "p20390": ("category", "volunteering"),  # vapaaehtoiset
    "p6904": ("category", "volunteering"),  # talkoot
    "p7765": ("category", "seminar"),  # seminaarit
    "p15875": ("category", "seminar"),  # luennot
    "p38203": ("category", "seminar"),  # konferenssit
    "p12644": ("category", "seminar"),  # esitelmät
    "p14615": ("category", "seminar"),  # paneelit
    "p28463": ("category", "webinar"),  # verkkoseminaarit
    "p20000": ("category", "networking"),  # verkostoituminen
    "p18105": ("category", "networking"),  # keskusteluryhmät
    "p19245": ("category", "workshop"),  # työpajat
    "p6165": ("audience", "immigrants"),  # maahanmuuttajat
    "p16991": ("audience", "women"),  # naiset
    "p16486": ("audience", "students"),  # opiskelijat
    "p11617": ("audience", "youth"),  # nuoret
    "p15979": ("audience", "youth"),  # nuoret aikuiset
    "p7708": ("audience", "unemployed"),  # työttömät
    "p9607": ("audience", "unemployed"),  # työnhakijat
    "p1178": ("audience", "entrepreneurs"),  # yrittäjät
    "p28114": ("audience", "entrepreneurs"),  # startup-yritykset
    "p3868": ("audience", "international"),  # kansainvälisyys
    "p6456": ("audience", "international"),  # ulkomaalaiset
}


def read_labels(path: Path) -> dict[str, str]:
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        uri, _, label = line.partition("\t")
        uri = uri.strip("<>")
        if uri.startswith(YSO) and uri[len(YSO) :] in CONCEPTS:
            labels[uri[len(YSO) :]] = label.strip()
    return labels


def main(fi: str, sv: str, en: str) -> None:
    by_language = {lang: read_labels(Path(p)) for lang, p in (("fi", fi), ("sv", sv), ("en", en))}
    concepts = []
    for key, (kind, value) in CONCEPTS.items():
        labels = {lang: found[key] for lang, found in by_language.items() if key in found}
        concepts.append({"uri": YSO + key, kind: value, "labels": labels})
    data = {
        "source": "YSO, General Finnish Ontology, release 2019.3 Cicero: preferred labels",
        "licence": "CC BY 4.0, © National Library of Finland, SeCo and TSK",
        "concepts": concepts,
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
