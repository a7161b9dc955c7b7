"""Write the tables of docs/ODD.md section 7.20 from the code: every mechanism's
parameters with their defaults, and every mechanism switch.

    .venv/bin/python docs/make_parameters.py

`tests/test_docs.py` checks that the page holds exactly these tables.
"""

from __future__ import annotations

from pathlib import Path

from rout.model.schedule import modules, switches

ODD = Path(__file__).parent / "ODD.md"
PARAMS_START = "below group them by the mechanism that owns them.\n"
PARAMS_END = "Rank attributes (`army.ranks.NAME`"
SWITCHES_START = "Mechanism switches (`mechanisms.NAME: false`), in schedule order:\n"
SWITCHES_END = "## References"


def _default(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def parameter_tables() -> str:
    """One table per mechanism that has parameters, in schedule order."""
    parts = []
    for m in modules():
        fields = m.Params.model_fields
        if not fields:
            continue
        name = m.__name__.rsplit(".", 1)[1]
        rows = "\n".join(f"| `{k}` | {_default(v.default)} | {v.description or ''} |"
                         for k, v in fields.items())
        parts.append(f"\n**{name}** (`rout.model.{name}`)\n\n| parameter | default | meaning |\n"
                     f"|---|---|---|\n{rows}\n")
    return "".join(parts) + "\n"


def switch_table() -> str:
    rows = "\n".join(f"| `{k}` | {v} |" for k, v in switches().items())
    return f"\n| switch | what it does |\n|---|---|\n{rows}\n\n"


def page(text: str) -> str:
    """The ODD with both tables written from the code."""
    a = text.index(PARAMS_START) + len(PARAMS_START)
    b = text.index(PARAMS_END)
    text = text[:a] + parameter_tables() + text[b:]
    a = text.index(SWITCHES_START) + len(SWITCHES_START)
    b = text.index(SWITCHES_END)
    return text[:a] + switch_table() + text[b:]


if __name__ == "__main__":
    ODD.write_text(page(ODD.read_text()))
