"""Where the data shipped with mcunets lives: templates/, boards/ and firmware/.

In a source checkout (or an editable install) they are the folders at the top of the repository;
in an installed wheel they are mcunets/_templates, mcunets/_boards and mcunets/_firmware.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_NAMES = ("templates", "boards", "firmware")


def resource_dir(name: str) -> Path:
    """Return the directory holding the shipped ``templates``, ``boards`` or ``firmware``."""
    if name not in _NAMES:
        raise ValueError(f"unknown resource {name!r}; expected one of {', '.join(_NAMES)}")
    installed = _PACKAGE / f"_{name}"
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"mcunets is missing its {name}/ folder; reinstall the package")


def template_env():
    """The Jinja environment of templates/ (names relative to it); an undefined variable is an error."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False)
