from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "mesocare.assessments"
    verbose_name = "Assessments"
