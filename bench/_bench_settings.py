"""The product's settings with the benchmark's URLs: everything the product serves, plus a
hello-world view (`bench/_bench_urls.py`) that only benchmarks mount."""

from mesocare.settings import *  # noqa: F403

ROOT_URLCONF = "_bench_urls"
