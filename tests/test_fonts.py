"""Korean that renders: a plot of a Korean lab draws Hangul, not boxes ("tofu").

* The font the kit relies on (NanumGothic from the ``koreanize-matplotlib`` wheel) has a glyph for
  every Hangul character of every Korean lab (catalogs) and of the kit's and grader's messages;
* a figure from a Korean lab's plot helper (``labkit.plots``) with a Korean title, rendered to PNG
  with Agg, raises no "Glyph … missing" warning, and, pixel by pixel, no Hangul character in it is
  drawn as the box a missing glyph becomes — the same check, without the font, does see boxes;
* the same figure renders in the grading sandbox (bubblewrap: only the kit's environment visible);
* with no Hangul font at all, the kit labels plots in English.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from labkit import fonts

ROOT = Path(__file__).resolve().parent.parent
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
NO_HANGUL = ["DejaVu Sans"]  # matplotlib's own font: draws a Hangul syllable as the block's box
LAB = "lab20_mnist_softmax"  # an MNIST lab: its plots come from labkit.plots


def _korean_texts() -> str:
    """Every translated text of the course: the labs' catalogs and the kit's/grader's, if any."""
    from babel.messages.pofile import read_po

    text = []
    for path in [*ROOT.glob("solutions/*/locale/ko.po"), *ROOT.glob("kit/labkit/locale/ko/LC_MESSAGES/*.po")]:
        with path.open("rb") as handle:
            text += [str(m.string) for m in read_po(handle) if m.id and m.string]
    for path in ROOT.glob("autograder/locale/ko/LC_MESSAGES/*.po"):
        with path.open("rb") as handle:
            text += [str(m.string) for m in read_po(handle) if m.id and m.string]
    return "".join(text)


def _korean_title() -> str:
    """The first heading of the Korean edition of an MNIST lab."""
    import nbformat

    from autograder.course import student_path

    nb = nbformat.read(student_path(LAB, "ko"), as_version=4)
    heading = next(c.source for c in nb.cells if c.cell_type == "markdown")
    return heading.splitlines()[0].lstrip("# ").strip()


def test_the_kit_ships_a_font_with_every_hangul_character_of_the_course():
    assert fonts.bundled_fonts(), "koreanize-matplotlib (a kit dependency) is not installed"
    found = fonts.hangul_font()
    assert found is not None and Path(found[1]) in fonts.bundled_fonts(), found  # the wheel's, first
    hangul = "".join(sorted(set(HANGUL.findall(_korean_texts()))))
    assert len(hangul) > 300, "expected the Korean catalogs to hold hundreds of distinct syllables"
    assert fonts.missing_glyphs(found[1], hangul) == ""


def _raster(text: str, family: list[str]) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(0.6, 0.6), dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, text, fontsize=24, ha="center", va="center", family=family)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def boxes(text: str, family: list[str]) -> str:
    """The characters of ``text`` that ``family`` draws as a box: exactly like a Hangul syllable
    drawn with a font that has no Hangul at all (matplotlib then draws one box per Unicode block)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        box = _raster("가", NO_HANGUL)
    assert any("missing from font" in str(w.message) for w in caught), "the box is not a missing glyph"
    drawn = {c: _raster(c, family) for c in sorted(set(text))}
    return "".join(c for c, raster in drawn.items() if np.array_equal(raster, box))


class _History:
    def __init__(self):
        self.history = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.4], "accuracy": [0.7, 0.85, 0.9]}


@pytest.fixture
def korean_kit(monkeypatch):
    import matplotlib
    from labkit import i18n

    monkeypatch.setattr(i18n._, "language", "ko")
    with matplotlib.rc_context():
        matplotlib.use("Agg")
        yield


def test_a_korean_lab_plot_renders_hangul_glyphs_not_boxes(korean_kit, tmp_path, monkeypatch):
    import matplotlib
    import matplotlib.pyplot as plt
    from labkit import plots

    title = _korean_title()
    assert HANGUL.search(title), title
    monkeypatch.setattr(plt, "show", lambda: None)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")  # matplotlib's tofu warning
        plots.plot_history(_History(), title=title)
        fig = plt.gcf()
        fig.savefig(tmp_path / "curves.png")
        drawn = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
        plt.close(fig)
    assert title in drawn and (tmp_path / "curves.png").stat().st_size > 10_000
    family = list(matplotlib.rcParams["font.family"])
    assert fonts.hangul_font()[0] in family  # labkit.plots set up the Hangul font itself
    hangul = "".join(sorted(set(HANGUL.findall("".join(drawn)))))
    assert len(hangul) >= 5, hangul
    assert boxes(hangul, family) == "", "Hangul drawn as boxes"
    rasters = {_raster(c, family).tobytes() for c in hangul}
    assert len(rasters) == len(hangul), "two different syllables look the same: not their glyphs"
    # the check sees boxes where they are: matplotlib's default font has no Hangul
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert boxes(hangul, NO_HANGUL) == hangul


def test_without_any_hangul_font_plots_speak_english(monkeypatch):
    monkeypatch.setattr(fonts, "hangul_font", lambda: None)
    assert fonts.plot_language("ko") == "en" and fonts.prepare("ko") == "en"
    assert fonts.use_hangul_font() is None
    assert fonts.label("Learning curves", "ko") == "Learning curves"
    assert fonts.plot_language("en") == "en"


_SANDBOXED = r"""
import json, sys, warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from labkit import fonts, i18n, plots
i18n._.language = "ko"
plt.show = lambda: None
warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")

class History:
    history = {"loss": [0.9, 0.5], "val_loss": [1.0, 0.6], "accuracy": [0.7, 0.9]}

plots.plot_history(History(), title=sys.argv[1])
fig = plt.gcf()
fig.savefig("/tmp/curves.png")
print(json.dumps({"font": fonts.hangul_font(), "family": list(matplotlib.rcParams["font.family"]),
                  "missing": fonts.missing_glyphs(fonts.hangul_font()[1], sys.argv[1])}))
"""


@pytest.mark.slow
def test_the_same_figure_renders_in_the_grading_sandbox(tmp_path):
    from labkit import sandbox

    if sandbox.bwrap_path() is None or sandbox.probe(timeout=60):
        pytest.skip("no bubblewrap sandbox here")
    tmp_path.chmod(0o711)
    title = _korean_title()
    argv = sandbox.build_command([sys.executable, "-c", _SANDBOXED, title], tmp_path, writable=False)
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["font"] and Path(report["font"][1]) in fonts.bundled_fonts(), report
    assert report["font"][0] in report["family"] and report["missing"] == "", report
