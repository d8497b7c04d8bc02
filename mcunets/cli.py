"""The ``mcunets`` command line: thin commands over the Python API.

Expected problems (bad input, a model that does not fit, no PlatformIO platform) are raised by the
library as :class:`mcunets.errors.McunetsError` and printed here as one line, with the error's exit code.
"""

from __future__ import annotations

import json
import sys

import click

from mcunets import __version__
from mcunets.errors import McunetsError


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except McunetsError as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(e.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcunets")
def cli():
    """Train tiny CNNs, quantize them to int8 and run them on microcontrollers."""


@cli.command()
@click.option("--alpha", type=float, default=0.25, show_default=True, help="Width multiplier α.")
@click.option("--resolution", type=int, default=96, show_default=True, help="Input height and width.")
@click.option("--channels", type=click.Choice(["1", "3"]), default="3", show_default=True)
@click.option("--classes", type=int, default=10, show_default=True)
@click.option("--arch", "archs", multiple=True, help="Only these architectures (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def zoo(alpha, resolution, channels, classes, archs, as_json):
    """Every architecture at the given α and resolution: params, MACs, int8 bytes, TFLM arena, ops."""
    from mcunets import zoo as zoo_lib
    from mcunets.report import format_table

    names = list(archs) or list(zoo_lib.ARCHITECTURES)
    unknown = [a for a in names if a not in zoo_lib.ARCHITECTURES]
    if unknown:
        raise click.BadParameter(
            f"unknown architecture {unknown[0]!r}; choose from {', '.join(zoo_lib.ARCHITECTURES)}",
            param_hint="--arch",
        )
    rows = []
    for name in names:
        summary = zoo_lib.summarize(
            name, alpha=alpha, resolution=resolution, channels=int(channels), classes=classes
        )
        rows.append(summary)
        if not as_json:
            click.echo(f"  {name}: done", err=True)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    click.echo(
        format_table(
            ["arch", "params", "MACs", "int8 bytes", "TFLM arena", "ops"],
            [
                [r.arch, f"{r.params:,}", f"{r.macs:,}", f"{r.tflite_bytes:,}",
                 f"{r.tflm_arena_bytes:,}", " ".join(r.ops)]
                for r in rows
            ],
        )
    )


def main():
    cli(prog_name="mcunets")


if __name__ == "__main__":
    main()
