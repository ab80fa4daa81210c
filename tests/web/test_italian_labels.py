"""Issue 18, bug 6: every label a person reads from data or choices has its Italian. Walks every
choice of every model field and every `TextChoices` of the project, and every text of every
severity scale (name, instructions, items, anchors, bands); a label whose Italian is the same
word (units, "Gel", "Nappage", "SMS"…) is listed here on purpose. Plus worked examples of the
words that mean different things (msgctxt) and of the alerts written again in Italian."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

import mesocare
from mesocare.core.scales import all_scales
from mesocare.web.alert_text import check_in_text, finding_reason
from mesocare.web.labels import band_label, scale_text

# The same in Italian: units, encodings, product forms and techniques known by their name,
# channels, and the languages, each named in its own language.
SAME_IN_ITALIAN = {
    "%",
    "mg/mL",
    "IU/mL",
    "mcg/mL",
    "cm",
    "kg",
    "mm",
    "UTF-8",
    "UTF-16",
    "ISO-8859-1 (Latin-1)",
    "Gel",
    "Nappage",
    "Mesogun",
    "Cannula",
    "Email",
    "SMS",
    "No",
    "Password",
    "English",
    "Italiano",
    # FHIR Bulk Data export levels: the specification's own codes, read through the API only
    "system",
    "patient",
    "group",
}
# Scale texts that are the same in Italian: percentages of the MASI area item.
SCALE_TEXTS_SAME = {"0%", "<10%", "10-29%", "30-49%", "50-69%", "70-89%", "90-100%"}


def _choice_classes() -> list[type[models.Choices]]:
    found: dict[str, type[models.Choices]] = {}
    for module in pkgutil.walk_packages(mesocare.__path__, "mesocare."):
        if not module.name.endswith(".choices"):
            continue
        loaded = importlib.import_module(module.name)
        for obj in vars(loaded).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, models.Choices)
                and obj.__module__ == loaded.__name__
            ):
                found[f"{obj.__module__}.{obj.__name__}"] = obj
    return list(found.values())


def _untranslated(labels: dict[str, object], same: set[str]) -> list[str]:
    missing = []
    for where, label in labels.items():
        with translation.override("en"):
            english = str(label)
        with translation.override("it"):
            italian = str(label)
        if italian == english and english not in same:
            missing.append(f"{where}: {english}")
    return sorted(missing)


def test_every_choice_has_an_italian_label() -> None:
    labels: dict[str, object] = {}
    for choices in _choice_classes():
        for member in choices:
            labels[f"{choices.__name__}.{member.value}"] = member.label
    for model in apps.get_models():
        if not model.__module__.startswith("mesocare"):
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or ():
                labels[f"{model._meta.label}.{field.name}={value}"] = label
    assert len(labels) > 200
    assert _untranslated(labels, SAME_IN_ITALIAN) == []


def test_every_scale_text_has_an_italian_translation() -> None:
    texts: dict[str, str] = {}
    bands: dict[str, str] = {}
    for scale in all_scales():
        texts[f"{scale.id} name"] = scale.name
        texts[f"{scale.id} description"] = scale.description
        for item in scale.items:
            texts[f"{scale.id}.{item.key}"] = item.label
            for value, anchor in item.anchors:
                texts[f"{scale.id}.{item.key}={value}"] = anchor
        for band in scale.bands:
            bands[f"{scale.id} band {band.code}"] = band.label
    missing = []
    for where, text in texts.items():
        with translation.override("it"):
            if scale_text(text) == text and text not in SCALE_TEXTS_SAME:
                missing.append(f"{where}: {text}")
    for where, text in bands.items():
        with translation.override("it"):
            if band_label(text) == text:
                missing.append(f"{where}: {text}")
    assert missing == []


@pytest.mark.parametrize(
    ("context_word", "italian"),
    [
        (("scale", "None"), "Nessuna"),
        (("severity band", "Moderate"), "Moderata"),
        (("scale", "Mild"), "Modesta"),  # MASI darkness: one step above "slight"
        (("severity band", "Mild"), "Lieve"),
        (("body map view", "Back"), "Retro"),
        (("check-in level", "moderate"), "moderato"),
    ],
)
def test_words_with_two_meanings_take_the_translation_of_their_context(
    context_word: tuple[str, str], italian: str
) -> None:
    from django.utils.translation import pgettext

    context, word = context_word
    with translation.override("it"):
        assert pgettext(context, word) == italian
    with translation.override("en"):
        assert pgettext(context, word) == word


def test_a_check_in_alert_reads_in_italian() -> None:
    findings = [
        {"kind": "pain", "grade": 3, "reason": "pain 7/10"},
        {"kind": "swelling", "grade": 2, "reason": "swelling: moderate"},
        {"kind": "infection_sign", "grade": 3, "reason": "warmth, fever"},
        {"kind": "necrosis", "grade": 3, "reason": "skin white, grey or mottled"},
    ]
    with translation.override("it"):
        text = check_in_text("Marta Verdi", findings)
    assert text.startswith("Marta Verdi ha segnalato dopo la seduta: ")
    assert "grado 3 (dolore 7/10)" in text
    assert "(gonfiore: moderato)" in text
    assert "(calore, febbre)" in text
    assert "(cute bianca, grigia o marezzata)" in text
    for english in ("reported after the session", "grade", "pain 7/10", "warmth", "fever"):
        assert english not in text
    with translation.override("en"):
        assert "(swelling: moderate)" in check_in_text("Marta Verdi", findings)


def test_an_unknown_reason_is_shown_as_stored() -> None:
    with translation.override("it"):
        assert finding_reason("something new") == "something new"


@pytest.mark.parametrize(
    ("english", "italian"),
    [
        (
            "target band 'mild' reached (improved by 6 points, 50.0%): propose completion",
            "fascia obiettivo Lieve raggiunta (migliorato di 6 punti, 50%): "
            "proporre la conclusione",
        ),
        (
            "all 6 planned sessions done (unchanged); no response: consider another protocol "
            "rather than more sessions",
            "tutte le 6 sedute previste eseguite (invariato); nessuna risposta: valutare un "
            "altro protocollo anziché altre sedute",
        ),
        (
            "1 of 6 sessions done; response is judged from session 3",
            "1 sedute eseguite su 6; la risposta si valuta dalla seduta 3",
        ),
        (
            "improved by 1 points, 8.3%: continue the course",
            "migliorato di 1 punto, 8,3%: proseguire il ciclo",
        ),
        (
            "worse after 4 sessions (worse by 2.5 points, -20.8%): consider stopping the course "
            "or switching protocol",
            "peggiorato dopo 4 sedute (peggiorato di 2,5 punti, -20,8%): valutare di "
            "interrompere il ciclo o cambiare protocollo",
        ),
        ("Course booked.", "Ciclo prenotato."),
        ("the patient moved abroad", "the patient moved abroad"),
    ],
)
@pytest.mark.django_db
def test_a_review_reason_reads_in_italian(english: str, italian: str) -> None:
    from mesocare.web.review_text import review_reason

    with translation.override("it"):
        assert review_reason(english, "hexsel-css") == italian
