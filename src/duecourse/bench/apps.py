from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "duecourse.bench"
    label = "bench"
    verbose_name = "benchmark"
