"""Templates, fonts, PDF conversion and atomic file writes shared by label and report.

Without a CJK font, WeasyPrint renders Chinese as empty boxes and raises nothing, so
:func:`cjk_font` (:mod:`pcf.render.fonts`) asks fontconfig (``fc-list :lang=zh``) first and fails loudly.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import threading

import re
from pathlib import Path

import jinja2

from pcf.core.numbers import amount
from pcf.core.shipped import shipped
from pcf.core.errors import RenderError
from pcf.core.files import output_stem, stem_problem
from pcf.render.fonts import cjk_font  # noqa: F401 - output.cjk_font() is what the renderers call
from pcf.render.view import check_finite
from pcf.core.files import write_atomic as files_write_atomic


# A product id becomes a file name: letters, digits and . _ - + ( ) and spaces, CJK allowed.


def file_stem(declaration, issued: bool = False) -> str:
    """File-name stem of a declaration's outputs (:func:`pcf.core.files.output_stem`), checked to be a
    plain file name; every rendering calls it before anything is drawn or written, so it also
    refuses figures that are not finite (:func:`pcf.render.view.check_finite`).

    Parameters
    ----------
    declaration : pcf.declaration.Declaration
    issued : bool
        An issued label drawn (its files are named by its number): the id's length is not checked, so
        that a label issued before the limit is exported again.

    Returns
    -------
    str
        ``<product id>`` or ``<product id>.<scenario>``.

    Raises
    ------
    RenderError
        A figure that is not finite; a product id or scenario name that cannot name a file
        (:func:`pcf.core.files.stem_problem`: characters, length).
    """
    check_finite(declaration)
    result = declaration.result
    pid = result.product.id
    scenario = result.scenario
    problem = stem_problem(pid, None if scenario is None else scenario.name, length=not issued)
    if problem is not None:
        raise RenderError(problem)
    return output_stem({"product": {"id": pid}, "batch": bool(declaration.batch),
                        "scenario": {"name": scenario.name} if scenario is not None else None})


def default_templates_dir() -> Path:
    """Folder of the shipped Jinja2 templates: ``label_templates/`` next to the package
    (installed: ``pcf/_shipped/label_templates``)."""
    return shipped("label_templates")


def environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """Jinja2 environment over the templates folder, autoescape on, undefined names fatal.

    Parameters
    ----------
    templates_dir : Path, optional
        Folder with ``label.svg.j2``, ``label.html.j2``, ``report.html.j2`` and
        ``report.css`` [default: :func:`default_templates_dir`].

    Returns
    -------
    jinja2.Environment
    """
    folder = Path(templates_dir) if templates_dir is not None else default_templates_dir()
    return _environment(str(folder))


@functools.lru_cache(maxsize=8)
def _environment(folder: str) -> jinja2.Environment:
    """One environment per templates folder and process: its compiled templates are reused (Jinja2
    reloads a template whose file changed)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["breakable"] = breakable
    env.tests["english"] = english
    env.filters["amount"] = amount  # a given number (a threshold) as written: 450, not 450.0
    env.filters["svg_data_uri"] = svg_data_uri
    env.filters["svg_url"] = svg_url
    return env


#: Zero-width space: a line-break opportunity that draws nothing and that pdftotext does not
#: print (WeasyPrint 70 ignores ``<wbr>``).
ZWSP = "\u200b"


def breakable(text) -> str:
    """Jinja2 filter ``breakable``: ``text`` with a line-break opportunity after each ``_`` and
    ``/``, so that a key such as ``electricity_cn_national_avg_2023`` wraps at its underscores
    (``electricity_`` / ``cn_national_`` / ``avg_2023``) rather than mid-word (issue 20).

    Parameters
    ----------
    text : str or None
        A key, path or identifier (escaped by autoescape as usual).

    Returns
    -------
    str
        The text with ``ZWSP`` after each ``_`` and ``/`` ("" for None).
    """
    if text is None:
        return ""
    return str(text).replace("_", "_" + ZWSP).replace("/", "/" + ZWSP)


#: Scripts whose text is not English: CJK ideographs and punctuation, kana, hangul, full-width forms.
_NOT_ENGLISH = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def english(text) -> bool:
    """Jinja2 test ``english``: whether a cell's text is English (Latin letters, no CJK), as in
    ``<td{% if c.name is english %} lang="en"{% endif %}>``.

    The report's document language is Chinese (``zh-Hans``), for which WeasyPrint has no
    hyphenation dictionary; in a narrow column a long English word then broke at any letter
    ("polyvinylfluorid / e film", issue 20). Marked English, the cell is hyphenated at the
    syllables of pyphen's English dictionary (CSS ``[lang="en"] { hyphens: auto }`` of
    report.css); a cell with Chinese text keeps the document's language, so its glyphs stay the
    Simplified Chinese ones.

    Parameters
    ----------
    text : str or None
        The cell's text.

    Returns
    -------
    bool
    """
    text = "" if text is None else str(text)
    return bool(re.search(r"[A-Za-z]", text)) and not _NOT_ENGLISH.search(text)


def svg_data_uri(svg: str) -> str:
    """An SVG document as a ``data:image/svg+xml;base64,`` URL (RFC 2397), for ``<img src>``.

    A page shows the label through an image rather than inline: WeasyPrint then reads the SVG with
    ElementTree (C) instead of its HTML parser (Python, character by character), a fifth of a
    label PDF's time (issue 18 part 5); the drawing is the same.
    """
    return "data:image/svg+xml;base64," + base64.b64encode(str(svg).encode("utf-8")).decode("ascii")


#: URL scheme of the SVG documents :func:`html_to_pdf` hands WeasyPrint itself (``svgs=``).
SVG_SCHEME = "pcf-svg"


def svg_url(svg: str) -> str:
    """Jinja2 filter ``svg_url``: the URL an ``<img src>`` shows an SVG document by in a page made with
    ``html_to_pdf(svgs=[svg])``: ``pcf-svg:<SHA-256 of its UTF-8 text>.svg``.

    Unlike :func:`svg_data_uri`, the document stays out of the page: WeasyPrint's HTML parser (Python)
    scans every character of a page for invalid code points and tokenises each attribute, and a label's
    data URL (22 KB) made the label PDF's page 40 times larger and the statement's 5 times: ~6 ms of an
    issued label's CPU (issue 18), with the data URL's decoding.
    """
    return f"{SVG_SCHEME}:{hashlib.sha256(str(svg).encode('utf-8')).hexdigest()}.svg"


def template_folder(env: jinja2.Environment) -> Path:
    """The folder an environment of :func:`environment` loads templates from."""
    return Path(env.loader.searchpath[0])


def render_template(env: jinja2.Environment, name: str, **context) -> str:
    """Render one template to text.

    Raises
    ------
    RenderError
        When the template is missing or fails (message names it and the folder).
    """
    folder = template_folder(env)
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {name!r} not found in {folder}: restore label_templates/ "
                          "from the pcf source (or pass templates_dir=)") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {name!r} in {folder} failed: {exc}; restore it from the "
                          "pcf source") from exc


def read_template_file(env: jinja2.Environment, name: str) -> str:
    """Read a non-template file (a stylesheet) from the templates folder.

    Raises
    ------
    RenderError
        When the file is missing.
    """
    path = template_folder(env) / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"{path} cannot be read ({exc.strerror}): restore label_templates/ "
                          "from the pcf source (or pass templates_dir=)") from exc


_IMPORT_LOCK = threading.Lock()


def import_weasyprint():
    """WeasyPrint, imported once per process; on Linux without ctypes' search for its libraries.

    On import WeasyPrint opens its C libraries (GObject, Pango, HarfBuzz, fontconfig, PangoFT2)
    trying several names for each, the Linux soname (``libpango-1.0.so.0``) among them; cffi hands
    every name it cannot open as it is to ``ctypes.util.find_library``, which on Linux runs
    ``ldconfig -p``, then ``gcc`` and ``ld`` (about twenty processes, 0.2 s of CPU before the first
    PDF of every command). What that search finds on Linux is a soname, which the system's loader
    must then find by itself, as it does for the sonames WeasyPrint's list holds. So on Linux the
    search answers "not found" while WeasyPrint is imported, and WeasyPrint goes on to the next name;
    should the import fail that way (a library under a soname WeasyPrint does not list), it is
    imported again with ctypes' own search.

    Returns
    -------
    module
        ``weasyprint``.
    """
    import sys

    with _IMPORT_LOCK:
        if "weasyprint" in sys.modules:
            import weasyprint

            return weasyprint
        if sys.platform.startswith("linux"):
            _import_unsearched()
        import weasyprint

        return weasyprint


def _import_unsearched() -> None:
    """Import WeasyPrint with ``ctypes.util.find_library`` answering None (:func:`import_weasyprint`);
    after an OSError, what was imported of it is forgotten, to be imported again."""
    import ctypes.util
    import sys

    search = ctypes.util.find_library
    ctypes.util.find_library = _not_searched
    try:
        import weasyprint  # noqa: F401
    except OSError:  # a library only ctypes' search finds: WeasyPrint has printed its advice
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = search


def _not_searched(name: str) -> None:
    """``ctypes.util.find_library`` while WeasyPrint is imported on Linux: not searched."""
    return None


@functools.lru_cache(maxsize=1)
def _font_config():
    """One WeasyPrint font configuration per process: its fontconfig set-up and font cache are
    reused by every PDF (a fresh one per PDF cost a fifth of an issued label's rendering; the
    templates load no web fonts, so nothing document-specific is kept in it)."""
    import_weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


#: Python's garbage collector looks at the youngest objects every this many allocations while
#: WeasyPrint makes a PDF (default 700: a tenth of the NMC811 report's CPU went to collections).
PDF_GC_THRESHOLD = 20000
_GC_LOCK = threading.Lock()
_GC_STATE: dict = {"depth": 0, "threshold": None}


@contextlib.contextmanager
def fewer_collections():
    """Raise the garbage collector's youngest-generation threshold to at least
    :data:`PDF_GC_THRESHOLD` inside the block, and restore it when the last such block (any thread)
    ends. WeasyPrint frees almost everything by reference counting; collections only cost time.
    """
    import gc

    with _GC_LOCK:
        if _GC_STATE["depth"] == 0:
            _GC_STATE["threshold"] = gc.get_threshold()
            gc.set_threshold(max(_GC_STATE["threshold"][0], PDF_GC_THRESHOLD), *_GC_STATE["threshold"][1:])
        _GC_STATE["depth"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["depth"] -= 1
            if _GC_STATE["depth"] == 0:
                gc.set_threshold(*_GC_STATE["threshold"])


#: A document's one ``<style>`` element (no attributes), for :func:`html_to_pdf`'s ``kept_style``.
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


@functools.lru_cache(maxsize=16)
def _stylesheet(css: str, base_url: str):
    """A parsed stylesheet, kept per text and process: WeasyPrint parses a ``<style>`` element and
    compiles its selectors for every document (6 ms of a statement's CPU), though the label's and the
    statement's style is the same text for every label."""
    import weasyprint

    return weasyprint.CSS(string=css, base_url=base_url, font_config=_font_config())


def _kept_style(html: str, base_url: str) -> tuple[str, list]:
    """``html`` without its one ``<style>`` element and that style as a kept stylesheet; unchanged
    (and no stylesheet) when the document has no such element, several, a linked stylesheet or an
    ``!important`` rule. WeasyPrint cascades a stylesheet given to ``write_pdf`` as the user's,
    between its own and the author's: for a document whose only author style is that element and
    its ``style`` attributes (which win over it either way), without ``!important``, the cascade is
    the same (tests/test_weasyfast.py compares the PDFs byte for byte)."""
    found = _STYLE.findall(html)
    if len(found) != 1 or "!important" in found[0] or "<link" in html or html.count("<style") != 1:
        return html, []
    return _STYLE.sub("", html, count=1), [_stylesheet(found[0], base_url)]


@functools.lru_cache(maxsize=1)
def _fetcher_class():
    """:class:`weasyprint.urls.URLFetcher` that answers the :func:`svg_url` of the documents it holds
    (``documents``: URL -> bytes) itself, and hands any other URL to WeasyPrint's fetcher (WeasyPrint's
    documented way to serve resources, "URL Fetchers")."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class Fetcher(URLFetcher):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.documents: dict = {}

        def fetch(self, url, headers=None):
            if not url.startswith(SVG_SCHEME + ":"):
                return super().fetch(url, headers)
            if url not in self.documents:  # a page that names an SVG it was not given: a bug, not a missing image
                raise FatalURLFetchingError(f"{url} names no SVG document given to html_to_pdf(svgs=)")
            return URLFetcherResponse(url, self.documents[url], {"Content-Type": "image/svg+xml"})

    return Fetcher


_FETCHERS = threading.local()


@contextlib.contextmanager
def _fetching(svgs):
    """This thread's fetcher (:func:`_fetcher_class`), holding ``svgs`` inside the block. One a thread: a
    fetcher sets up urllib's handlers when made (0.3 ms), WeasyPrint made one per document."""
    fetcher = getattr(_FETCHERS, "fetcher", None)
    if fetcher is None:
        fetcher = _FETCHERS.fetcher = _fetcher_class()()
    fetcher.documents = {svg_url(svg): str(svg).encode("utf-8") for svg in svgs}
    try:
        yield fetcher
    finally:
        fetcher.documents = {}


def html_to_pdf(html: str, base_url: Path, kept_style: bool = False, images: dict | None = None,
                svgs: tuple | list = ()) -> bytes:
    """Convert an HTML document to PDF bytes with WeasyPrint.

    Parameters
    ----------
    html : str
        The document (page size and margins in its CSS ``@page`` rule).
    base_url : Path
        Folder relative URLs are resolved against.
    kept_style : bool
        Parse the document's ``<style>`` once per process and text (:func:`_kept_style`): for
        the documents made many times with the same style (labels and statements).
    images : dict, optional
        WeasyPrint's image cache (``write_pdf(cache=)``, keyed by URL) to share between documents
        that show the same image: an issued label's PDF and its statement show the same label SVG,
        read and set up once then (its SVG tree is built on its first drawing and kept).
    svgs : sequence of str
        SVG documents the page shows by their :func:`svg_url` (``<img src="{{ svg | svg_url }}">``).

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    RenderError
        When WeasyPrint fails, or the page names an SVG URL not in ``svgs``.
    """
    weasyprint = import_weasyprint()  # imported here: slow to import, and only needed for PDFs

    from weasyprint.urls import FatalURLFetchingError

    from pcf.render import weasyfast

    weasyfast.install()
    try:
        with fewer_collections(), _fetching(svgs) as fetcher:
            html, stylesheets = _kept_style(html, str(base_url)) if kept_style else (html, [])
            return weasyprint.HTML(string=html, base_url=str(base_url), url_fetcher=fetcher).write_pdf(
                stylesheets=stylesheets, font_config=_font_config(), **({} if images is None else {"cache": images}))
    except (Exception, FatalURLFetchingError) as exc:  # WeasyPrint raises many types; report them as one
        raise RenderError(f"WeasyPrint could not render the PDF: {exc}") from exc


def prepare_out_dir(out_dir: Path) -> Path:
    """Create the output folder if missing.

    Raises
    ------
    RenderError
        When it cannot be created or is not a folder.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"output folder {out} cannot be created ({exc.strerror}): "
                          "choose another output folder").about("out_dir") from exc
    return out


def write_atomic(files: dict[Path, bytes]) -> None:
    """Write files atomically with :func:`pcf.core.files.write_atomic`, as a :class:`RenderError` on failure.

    Parameters
    ----------
    files : dict of Path to bytes
        Target path -> content.

    Raises
    ------
    RenderError
        When a file cannot be written.
    """
    try:
        files_write_atomic(files)
    except OSError as exc:
        raise RenderError(f"cannot write {exc.filename or 'output'} ({exc.strerror}): "
                          "check the output folder is writable and has space").about("out_dir") from exc
