"""Static files in production: hashed names (a year in browser caches), compressed by whitenoise.

`mesocare serve --prod` runs `collectstatic` at every start, and brotli at its best ratio is
slow: compressing every copy of every file took about 50 s of CPU. Two kinds of file never
need it, so they are left out:
- the unhashed originals: pages link the hashed names (`{% static %}`); only the 500 page links
  an original (so it renders even when the manifest is broken), and it gets it uncompressed;
- source maps (`.map`, 5 MB in the API docs' bundles): only browser developer tools read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs: Any) -> Compressor:
        skipped = kwargs.get("extensions") or Compressor.SKIP_COMPRESS_EXTENSIONS
        kwargs["extensions"] = (*skipped, "map")
        return Compressor(**kwargs)

    def compress_files(self, paths: Iterable[str]) -> Iterator[tuple[str, str]]:
        hashed = set(self.hashed_files.values())
        return super().compress_files([path for path in paths if path in hashed])  # type: ignore[no-any-return]
