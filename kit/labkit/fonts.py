"""Hangul in plots: a font that has the glyphs, or English text where no such font exists.

matplotlib's default font, DejaVu Sans, has no Hangul: a Korean title comes out as empty boxes
("tofu") with a warning ``Glyph … missing from font(s) DejaVu Sans``. The kit relies on
NanumGothic, shipped by the ``koreanize-matplotlib`` wheel (a kit dependency, so it is there on a
student's machine, in CI and in the grading sandbox alike). The kit reads the font *files* and
never imports that package: its import needs ``distutils`` (gone in Python 3.12) and rewrites
matplotlib's settings as a side effect. Without the wheel, a Hangul font of the system is used
(Noto Sans CJK, Nanum, Malgun Gothic, Apple SD Gothic Neo …); with none at all, ``plot_language``
says ``"en"`` and the kit's plots label themselves in English.

``prepare()`` is what a plot helper calls first: in a Korean edition it makes matplotlib's font
list DejaVu Sans, then the Hangul font (a list of families makes matplotlib fall back glyph by
glyph: Latin, digits and math symbols look as in the English edition, Hangul comes from the
Hangul font) and returns the language to label the plot in. A student's own Korean titles then
render too.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

BUNDLE = "koreanize_matplotlib"  # the wheel with NanumGothic (read as files, never imported)
SAMPLE = "가각한글힣"  # Hangul a font must draw to count (first and last syllables of the block)
SYSTEM_FONTS = (
    "NanumGothic",
    "Noto Sans CJK KR",
    "Noto Sans KR",
    "Source Han Sans KR",
    "Malgun Gothic",
    "Apple SD Gothic Neo",
    "AppleGothic",
    "NanumBarunGothic",
    "UnDotum",
    "Baekmuk Gulim",
)
FALLBACK = "DejaVu Sans"  # matplotlib's own font: Latin, Greek, math symbols


def bundled_fonts() -> list[Path]:
    """The font files of the ``koreanize-matplotlib`` wheel (none where it is not installed)."""
    try:
        spec = importlib.util.find_spec(BUNDLE)  # finds the package without running its code
    except (ImportError, ValueError):
        return []
    folders = list(spec.submodule_search_locations or []) if spec else []
    return sorted(p for folder in folders for p in (Path(folder) / "fonts").glob("*.ttf"))


def missing_glyphs(path: str | Path, text: str) -> str:
    """The characters of ``text`` the font file at ``path`` has no glyph for."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(path))
    return "".join(sorted({c for c in text if not c.isspace() and font.get_char_index(ord(c)) == 0}))


@cache
def hangul_font() -> tuple[str, str] | None:
    """``(family, file)`` of a font that draws Hangul, registered with matplotlib; None if none."""
    from matplotlib import font_manager

    candidates = []
    for path in bundled_fonts():
        font_manager.fontManager.addfont(str(path))
        candidates.append((font_manager.FontProperties(fname=str(path)).get_name(), str(path)))
    by_name = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    candidates += [(name, by_name[name]) for name in SYSTEM_FONTS if name in by_name]
    for name, fname in candidates:
        if not missing_glyphs(fname, SAMPLE):
            return name, fname
    return None


def current_language() -> str:
    """The kit's language in this kernel (``Lab(..., language=…)`` sets it)."""
    from labkit import i18n

    return getattr(i18n._, "language", i18n.DEFAULT)


def use_hangul_font() -> str | None:
    """Make matplotlib draw Hangul from now on; returns the font's family (None: no such font)."""
    found = hangul_font()
    if found is None:
        return None
    import matplotlib

    name = found[0]
    families = [f for f in matplotlib.rcParams["font.family"] if f not in (name, FALLBACK)]
    matplotlib.rcParams["font.family"] = [FALLBACK, name, *families]
    return name


def plot_language(language: str | None = None) -> str:
    """The language a plot can be labelled in: the kit's, unless it needs a font that is missing."""
    language = language or current_language()
    if language == "ko" and hangul_font() is None:
        return "en"
    return language


def prepare(language: str | None = None) -> str:
    """Call before drawing: sets up the font ``language`` needs; returns the language to use."""
    language = plot_language(language)
    if language == "ko":
        use_hangul_font()
    return language


def label(message: str, language: str | None = None) -> str:
    """A kit message (``labkit`` catalog) for a plot, in the language the plot can be drawn in:
    the kit's, or English where no installed font draws it."""
    from labkit import i18n

    return i18n._(message, plot_language(language))
