from django.db import models
from django.utils.translation import gettext_lazy as _


class MeasurementKind(models.TextChoices):
    CIRCUMFERENCE = "circumference", _("Circumference")
    WEIGHT = "weight", _("Weight")
    SKINFOLD = "skinfold", _("Skinfold")


class Unit(models.TextChoices):
    CM = "cm", "cm"
    KG = "kg", "kg"
    MM = "mm", "mm"


KIND_UNITS = {
    MeasurementKind.CIRCUMFERENCE: Unit.CM,
    MeasurementKind.WEIGHT: Unit.KG,
    MeasurementKind.SKINFOLD: Unit.MM,
}


class Landmark(models.TextChoices):
    """Where the tape goes: re-measure at the same landmark and distance."""

    WAIST_UMBILICUS = "waist_umbilicus", _("Waist at the umbilicus")
    WAIST_MIDPOINT = "waist_midpoint", _("Waist midway between lowest rib and iliac crest")
    HIPS_MAX = "hips_max", _("Hips at maximum gluteal protrusion")
    THIGH_LEFT = "thigh_left", _("Left thigh, distance above the patella")
    THIGH_RIGHT = "thigh_right", _("Right thigh, distance above the patella")
    THIGH_LEFT_GLUTEAL = "thigh_left_gluteal", _("Left thigh, distance below the gluteal fold")
    THIGH_RIGHT_GLUTEAL = "thigh_right_gluteal", _("Right thigh, distance below the gluteal fold")
    ARM_LEFT = "arm_left", _("Left upper arm, acromion–olecranon midpoint")
    ARM_RIGHT = "arm_right", _("Right upper arm, acromion–olecranon midpoint")
    ABDOMEN = "abdomen", _("Abdomen (skinfold / ultrasound point)")
    SUBMENTAL = "submental", _("Submental")
    OTHER = "other", _("Other (describe in notes)")


# Landmarks measured at a recorded distance from a bony or skin reference.
DISTANCE_LANDMARKS = frozenset(
    {
        Landmark.THIGH_LEFT,
        Landmark.THIGH_RIGHT,
        Landmark.THIGH_LEFT_GLUTEAL,
        Landmark.THIGH_RIGHT_GLUTEAL,
    }
)


class ViewAngle(models.TextChoices):
    FRONT = "front", _("Front")
    LEFT_45 = "left_45", _("Left 45°")
    LEFT_90 = "left_90", _("Left 90°")
    RIGHT_45 = "right_45", _("Right 45°")
    RIGHT_90 = "right_90", _("Right 90°")
    BACK = "back", _("Back")


class PhotoSource(models.TextChoices):
    STAFF = "staff", _("Taken by staff")
    PATIENT = "patient", _("Sent by the patient")
