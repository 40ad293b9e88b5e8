"""The CJK font the labels and reports are drawn with, asked of fontconfig (``fc-list :lang=zh``).

Without a CJK font WeasyPrint draws Chinese as empty boxes and raises nothing, so every rendering
asks :func:`cjk_font` first and fails loudly. A module of its own, without Jinja2, WeasyPrint or
the views: ``pcf issue FOLDER`` checks the font in the issuing process, which draws nothing
(:mod:`pcf.registry.bulk`), and :mod:`pcf.render.output` serves it to the renderers.
"""

from __future__ import annotations

import shutil
import subprocess

from pcf.core.errors import RenderError

#: CJK font families in order of preference; the first one installed is used.
PREFERRED_CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
]

_FONT_HELP = ("install a Chinese font: Debian/Ubuntu `apt-get install fonts-noto-cjk` "
              "(or fonts-wqy-zenhei), Fedora `dnf install google-noto-sans-cjk-fonts`, "
              "then check with `fc-list :lang=zh`")


#: fc-list's answer once it listed a font: asked once per process (every label and report asks;
#: a font installed later is seen by the next command); an empty answer is asked again.
_FC_LIST: list[str] = []


def _fc_list() -> str:
    """Output of ``fc-list :lang=zh family`` (one family list per line)."""
    if _FC_LIST:
        return _FC_LIST[0]
    found = _fc_list_once()
    if found.strip():
        _FC_LIST.append(found)
    return found


def _fc_list_once() -> str:
    """Run ``fc-list :lang=zh family``."""
    exe = shutil.which("fc-list")
    if exe is None:
        raise RenderError(f"fontconfig's fc-list was not found, so no CJK font can be checked: "
                          f"install fontconfig and {_FONT_HELP}")
    try:
        done = subprocess.run([exe, ":lang=zh", "family"], capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RenderError(f"fc-list failed ({exc}): {_FONT_HELP}") from exc
    return done.stdout


def cjk_font() -> str:
    """Name the CJK font family the label and report are rendered with.

    Returns
    -------
    str
        The first of :data:`PREFERRED_CJK_FONTS` that fontconfig knows, else the first
        family fontconfig lists for ``:lang=zh``.

    Raises
    ------
    RenderError
        When fontconfig lists no font covering Chinese (Chinese would render as boxes).
    """
    families: list[str] = []
    for line in _fc_list().splitlines():
        families.extend(f.strip() for f in line.split(",") if f.strip())
    if not families:
        raise RenderError(f"no CJK font found, Chinese text would render as boxes: {_FONT_HELP}")
    for name in PREFERRED_CJK_FONTS:
        if name in families:
            return name
    return sorted(families)[0]
