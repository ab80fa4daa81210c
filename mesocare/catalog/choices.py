from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IngredientKind(models.TextChoices):
    DRUG = "drug", _("Drug")
    VITAMIN = "vitamin", _("Vitamin")
    AMINO_ACID = "amino_acid", _("Amino acid")
    MINERAL = "mineral", _("Mineral")
    POLYMER = "polymer", _("Polymer")
    BOTANICAL = "botanical", _("Botanical")
    ANAESTHETIC = "anaesthetic", _("Local anaesthetic")
    VASOCONSTRICTOR = "vasoconstrictor", _("Vasoconstrictor")
    OTHER = "other", _("Other")


class ProductForm(models.TextChoices):
    SOLUTION = "solution", _("Solution")
    GEL = "gel", _("Gel")
    SUSPENSION = "suspension", _("Suspension")


class VialKind(models.TextChoices):
    SINGLE_DOSE = "single_dose", _("Single-dose vial")
    MULTI_DOSE = "multi_dose", _("Multi-dose vial")


class ConcentrationUnit(models.TextChoices):
    MG_PER_ML = "mg/mL", "mg/mL"
    PERCENT = "%", "%"
    IU_PER_ML = "IU/mL", "IU/mL"
    MCG_PER_ML = "mcg/mL", "mcg/mL"


class Technique(models.TextChoices):
    NAPPAGE = "nappage", _("Nappage")
    PAPULE = "papule", _("Papule")
    POINT_BY_POINT = "point_by_point", _("Point by point")
    LINEAR_RETROGRADE = "linear_retrograde", _("Linear retrograde")
    EPIDERMAL = "epidermal", _("Epidermal")
    MESOGUN = "mesogun", _("Mesogun")


class InstructionKind(models.TextChoices):
    PRE_CARE = "pre_care", _("Pre-care")
    AFTERCARE = "aftercare", _("Aftercare")


class EvidenceLevel(models.TextChoices):
    LABEL = "label", _("Product label")
    RCT = "rct", _("Randomised trial")
    CASE_SERIES = "case_series", _("Case series")
    PRACTICE = "practice", _("Clinical practice")


class ZoneRegion(models.TextChoices):
    FACE = "face", _("Face")
    NECK = "neck", _("Neck")
    BODY = "body", _("Body")
    SCALP = "scalp", _("Scalp")
    LIMB = "limb", _("Limb")


class ProductRole(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("product role", "Active")
    ANAESTHETIC = "anaesthetic", _("Anaesthetic")
    DILUENT = "diluent", _("Diluent")
