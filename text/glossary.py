"""A small Finnish/Swedish/English glossary of event words, for matching translated titles.

Each concept lists word stems (lower case, diacritics folded: ä→a, ö→o, å→a) in the three
languages. A title token that starts with a stem, or a compound that contains one, stands for
the concept, so "Rekrytointimessut", "Rekryteringsmässa" and "Recruitment fair" all become
{recruit, fair}. Stems shorter than five letters only match at the start of a token, so "ura"
(career) does not fire inside "kuraattori".

The list is deliberately about the events this project collects (job fairs, CV clinics,
mentoring calls, language courses, meetups); it is not a dictionary.
"""

from __future__ import annotations

from typing import Final


def words(text: str) -> frozenset[str]:
    """A word list written as one block of text."""
    return frozenset(text.split())


CONCEPTS: Final[dict[str, tuple[str, ...]]] = {
    "recruit": ("rekry", "rekrytoin", "recruit", "rekryter", "hiring", "palkkaa"),
    "fair": ("messu", "massa", "massor", "fair", "expo", "tori", "torget", "market", "marknad"),
    "jobs": ("tyopaik", "tyopaikat", "jobs", "job", "jobb", "arbetsplats", "vacanc", "avoimet"),
    "jobsearch": ("tyonha", "jobbsok", "arbetssok", "jobseek", "jobsearch", "jobhunt", "search"),
    "employer": ("tyonanta", "arbetsgiv", "employer"),
    "work": ("tyo", "tyoelam", "arbet", "work", "employ", "tyollis", "sysselsat", "tyoskentel"),
    "subsidy": ("tuki", "subvention", "subsid", "bidrag"),
    "prepare": ("valmistau", "forbered", "prepar"),
    "career": ("ura", "urapaiv", "uravalm", "karriar", "career"),
    "cv": ("cv", "ansioluet", "meritforteck", "resume", "curricul"),
    "clinic": ("klinik", "clinic", "sparr", "paja"),
    "workshop": ("tyopaja", "verkstad", "workshop", "workshops"),
    "mentor": ("mentor", "mentee", "adept", "buddy", "kummi", "fadder"),
    "program": ("ohjelma", "program"),
    "call": ("haku", "hakemu", "hakuaika", "ansokan", "ansokning", "applica", "apply", "call"),
    "open": ("auki", "avoin", "oppen", "open"),
    "course": ("kurssi", "kurs", "course", "opinto", "studie", "study"),
    "training": ("koulutu", "utbildning", "training", "traning", "valmennu", "coaching"),
    "finnish": ("suomi", "suome", "suomala", "suomenk", "finsk", "finnish", "finland", "finlan"),
    "swedish": ("ruotsi", "svensk", "swedish"),
    "english": ("englan", "engelsk", "english"),
    "language": ("kieli", "kiele", "sprak", "language", "kielikaver", "tandem"),
    "cafe": ("kahvila", "kafe", "cafe", "cafeet", "fika", "kahvi", "coffee", "kaffe"),
    "beginner": ("alkeet", "alkeis", "aloittel", "nyborjar", "beginner", "basic", "perustee"),
    "network": ("verkost", "natverk", "network", "networking", "mingel", "mingle"),
    "meetup": ("meetup", "tapaami", "traff", "treff", "meeting", "meet", "kohtaami", "mote"),
    "info": (
        "info",
        "tiedotus",
        "tietoisku",
        "information",
        "briefing",
        "esittely",
        "presentat",
    ),
    "session": ("sessio", "session", "tillfalle"),
    "seminar": ("seminaari", "seminari", "seminar"),
    "webinar": ("webinaari", "webinari", "webinar", "verkkoluen"),
    "lecture": ("luento", "forelasn", "lecture", "talk", "puheenvuoro"),
    "panel": ("paneeli", "panel"),
    "immigrant": (
        "maahanmuut",
        "invandr",
        "immigra",
        "migrant",
        "kotoutu",
        "integrat",
        "nyanland",
        "inflytt",
    ),
    "international": (
        "kansainv",
        "internation",
        "ulkomaal",
        "ulkomai",
        "expat",
        "newcomer",
        "abroad",
        "foreign",
        "utlandsk",
        "utland",
    ),
    "women": ("nais", "kvinn", "women", "woman"),
    "youth": ("nuor", "unga", "ungdom", "youth", "young"),
    "student": ("opiskelij", "student", "studerand"),
    "graduate": (
        "akadem",
        "graduat",
        "alumn",
        "korkeakoulutet",
        "vastavalmist",
        "nyutexamin",
    ),
    "entrepreneur": (
        "yrittaj",
        "yritys",
        "yrityk",
        "foretag",
        "entrepren",
        "startup",
        "business",
        "compan",
        "founder",
        "perustaj",
        "grundare",
    ),
    "pitch": ("pitch", "pitchaus", "pitching"),
    "volunteer": ("vapaaehto", "volontar", "frivillig", "volunteer", "talkoo"),
    "degree": (
        "tutkinto",
        "tutkinno",
        "tutkintoj",
        "examina",
        "examen",
        "qualificat",
        "degree",
        "diploma",
        "tunnustam",
        "erkann",
        "recogni",
    ),
    "interview": ("haastatt", "intervju", "interview"),
    "salary": ("palka", "palkka", "lon", "lone", "salary", "salari", "wage", "pay"),
    "negotiation": ("neuvottel", "forhandl", "negotiat"),
    "linkedin": ("linkedin",),
    "skills": (
        "osaami",
        "osaaj",
        "kompetens",
        "skill",
        "taito",
        "talent",
        "talang",
        "proffs",
        "ammattilai",
        "professional",
        "expert",
        "asiantunt",
    ),
    "summerjob": ("kesatyo", "sommarjobb", "summerjob", "summer"),
    "internship": ("harjoittel", "praktik", "internship", "trainee"),
    "health": (
        "sote",
        "terveyd",
        "hoito",
        "hoitaj",
        "halso",
        "vard",
        "health",
        "nurs",
        "care",
        "sosiaali",
        "social",
    ),
    "ict": ("ict", "it", "ohjelmoin", "koodau", "programmer", "coding", "software", "data"),
    "engineering": ("insinoor", "ingenjor", "engineer", "tekniikka", "teknik", "tech"),
    "logistics": ("logistii", "logistik", "logistic", "kuljetu", "transport"),
    "construction": ("rakennu", "rakenta", "bygg", "construct"),
    "hospitality": ("ravintol", "restaurang", "restaurant", "matkail", "turism", "touris"),
    "teaching": ("opettaj", "larar", "teacher", "teaching", "kasvatu", "education"),
    "sales": ("myynti", "forsalj", "sales", "asiakaspalv", "kundtjanst", "customer"),
    "day": ("paiva", "dag", "dagen", "day"),
    "evening": ("ilta", "kvall", "evening", "night", "afterwork", "after"),
    "morning": ("aamu", "morgon", "morning", "aamiai", "frukost", "breakfast"),
    "week": ("viikko", "vecka", "week"),
    "spring": ("kevat", "spring"),
    "autumn": ("syksy", "host", "autumn", "fall"),
    "welcome": ("tervetul", "valkomm", "welcome"),
    "online": ("online", "verkko", "etana", "remote", "virtual"),
    "guidance": ("neuvont", "ohjau", "radgivn", "vagledn", "guidance", "advice", "counsel"),
    "event": ("tapahtum", "tilaisuu", "evenemang", "event"),
    "basics": ("abc", "perus", "grund", "basics", "intro", "johdanto", "introduk"),
    "how": ("miten", "kuinka", "millai", "hur", "how"),
}

# Four-letter stems that may also end a compound, where Finnish and Swedish put the head word:
# "verkostoitumis|ilta", "työnhaku|paja", "nybörjar|kurs", "språk|kafé".
TAIL_STEMS: Final[frozenset[str]] = words("ilta paja kurs tuki info kafe cafe fika mote")

# Words that carry no meaning for matching, in the three languages (diacritics folded).
STOPWORDS: Final[frozenset[str]] = words(
    """
    ja sekä seka tai eli kun jos etta ole on ovat se ne han me te he sinun sinulle meille
    ja to for of in on at the a an and or with by from your you our we us is are be as into
    och eller for av med till om en ett den det de pa vid fran din ditt dig oss vi ar som
    ilmainen maksuton gratis free uusi ny nya nytt new
    ala alan alalla alalle inom bli become becoming get osa part del
    """
)

# Words that say what kind of event it is, or its status: a title prefix made only of these
# ("Webinaari:", "Seminar |", "Rekrytointitapahtuma –", "PERUTTU:") is dropped before comparing.
PREFIX_CONCEPTS: Final[frozenset[str]] = frozenset(
    {
        "recruit",
        "fair",
        "event",
        "seminar",
        "webinar",
        "workshop",
        "lecture",
        "info",
        "course",
        "training",
        "meetup",
        "online",
        "network",
        "clinic",
        "panel",
        "session",
    }
)

# What an event is about, beyond its kind: concepts of one family can stand for each other in
# a translation ("immigrants" / "internationals", "IT" / "tech"), concepts of two families
# cannot. Two titles that each name a family the other lacks ("palkkatuki" / "yrittäjyys",
# "for Swedish speakers" / "for internationals") are about different things. Kind and
# general words (fair, evening, work, employer, jobs ...) belong to no family: a translation
# often adds or drops them.
TOPIC_FAMILIES: Final[dict[str, str]] = {
    "cv": "cv",
    "linkedin": "linkedin",
    "interview": "interview",
    "salary": "salary",
    "negotiation": "negotiation",
    "subsidy": "subsidy",
    "entrepreneur": "entrepreneur",
    "pitch": "entrepreneur",
    "mentor": "mentor",
    "internship": "internship",
    "summerjob": "summerjob",
    "volunteer": "volunteer",
    "degree": "degree",
    "finnish": "finnish",
    "swedish": "swedish",
    "english": "english",
    "language": "language",  # implied by the three above (dedupe.keys)
    "ict": "tech",
    "engineering": "tech",
    "logistics": "logistics",
    "construction": "construction",
    "hospitality": "hospitality",
    "teaching": "teaching",
    "sales": "sales",
    "health": "health",
    "immigrant": "newcomer",
    "international": "newcomer",
    "women": "women",
    "youth": "young",
    "student": "young",
    "graduate": "young",
}
NAMED_LANGUAGES: Final = frozenset({"finnish", "swedish", "english"})
