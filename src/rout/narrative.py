"""Tracked soldiers' paths told in plain words, hour by hour."""

from __future__ import annotations

import pandas as pd

from rout.model.results import date_of

MOVES = {
    ("on_duty", "on_leave"): "went on leave",
    ("on_leave", "on_duty"): "answered the recall and went back to his unit",
    ("on_leave", "absent"): "ignored the recall and stayed away",
    ("on_duty", "deserting"): "deserted and set off home",
    ("deserting", "on_duty"): "was stopped at a checkpoint and sent back to his unit",
    ("deserting", "jailed"): "was stopped at a checkpoint and jailed",
    ("deserting", "deserted"): "got past the last checkpoint and reached home",
    ("on_duty", "deserted"): "deserted and, meeting no checkpoint, reached home",
    ("on_leave", "deserted"): "deserted from leave",
    ("on_duty", "fled"): "abandoned his post and fled",
    ("on_duty", "captured"): "was captured when his position fell",
    ("on_duty", "killed"): "was killed in the fighting",
    ("on_duty", "jailed"): "was seized as he tried to leave and jailed",
    ("absent", "jailed"): "was fetched from home by the military police and jailed",
}


def tell(tracked: pd.DataFrame, soldier: int, scenario, bribe_price: float) -> str:
    """The story of one tracked soldier: his start, then every turn worth telling."""
    rows = tracked[tracked["soldier"] == soldier].sort_values("step")
    if rows.empty:
        raise KeyError(f"soldier {soldier} is not tracked; tracked: "
                       f"{sorted(tracked['soldier'].unique().tolist())}")
    lines = []

    def say(row, text: str) -> None:
        when = date_of(scenario, row.day)
        stamp = f"{when:%d %b} " if when else ""
        hour = int(round(row.day * 24)) % 24
        lines.append(f"day {row.day:5.2f} ({stamp}{hour:02d}:00)  {text}")

    first = rows.iloc[0]
    rank = {"nco": "NCO"}.get(first["rank"], first["rank"])
    article = "an" if rank[0] in "AEIOUaeiou" or rank == "NCO" else "a"
    say(first, f"{article} {rank} at {first['place']}, {first['state'].replace('_', ' ')}, "
               f"savings {first['savings']:,.0f} {scenario.army.currency}, "
               f"effort {first['effort']:.2f}")
    prev = first
    for row in rows.iloc[1:].itertuples():
        if row.state != prev.state:
            text = MOVES.get((prev.state, row.state), f"became {row.state.replace('_', ' ')}")
            if (prev.state, row.state) == ("on_duty", "on_leave") and \
                    prev.savings - row.savings >= bribe_price - 1e-3:
                text = (f"paid his commander {bribe_price:,.0f} {scenario.army.currency} "
                        "for leave")
            say(row, text)
        elif row.state == "on_duty":
            if prev.effort > 0.3 >= row.effort:
                held = row.net_wish < 0 < row.net_wish + row.net_risk
                why = ("he wants out but fear of punishment holds him: he fires into nothing"
                       if held else "his heart is not in it")
                say(row, f"effort fell to {row.effort:.2f}: {why}")
            elif prev.effort < 0.6 <= row.effort:
                say(row, f"took heart, effort {row.effort:.2f}")
            if row.friends_gone > prev.friends_gone:
                say(row, f"a friend left ({row.friends_gone:.0%} of his friends gone)")
            for mark in (0.25, 0.5, 0.75):
                if prev.unit_gone < mark <= row.unit_gone:
                    say(row, f"{mark:.0%} of his unit has gone")
            if prev.officers_fled == 0 < row.officers_fled:
                say(row, "officers above him fled")
            if prev.danger < 0.3 <= row.danger:
                say(row, f"the enemy is close (danger {row.danger:.2f})")
        if row.state not in ("on_duty", "on_leave"):
            pass
        elif row.credibility < prev.credibility - 0.05:
            say(row, f"stopped believing the promises (credibility {prev.credibility:.2f} -> "
                     f"{row.credibility:.2f})")
        elif row.credibility > prev.credibility + 0.05:
            say(row, f"the promised help came (credibility {row.credibility:.2f})")
        prev = row
    return "\n".join(lines)
