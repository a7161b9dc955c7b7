"""Seeing a run: plots, the map and its animation, and the HTML report.

    from rout import viz
    runs = [rout.simulate("syria-2024", seed=s) for s in range(1, 6)]
    viz.strength(runs, path="strength.png")   # median and 5-95% band over the seeds
    viz.draw_map(runs[0], day=6)               # a Figure: shows inline in Jupyter
    viz.animate(runs[0], "collapse.gif")       # or .mp4 (ffmpeg), or a folder of PNGs
    viz.write_report(runs, "report.html")

Loaded on first use, so the `rout` command starts without matplotlib.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "map": ["animate", "draw_map"],
        "plots": ["desertion", "drivers", "falls", "morale", "strength"],
        "report": ["render", "simulate_runs", "write"],
    },
)


def write_report(*args, **kwargs):
    """Write the HTML report of one run or several (`rout.viz.report.write`)."""
    from rout.viz.report import write

    return write(*args, **kwargs)


def render_report(*args, **kwargs):
    """The HTML report as a string (`rout.viz.report.render`)."""
    from rout.viz.report import render

    return render(*args, **kwargs)


__all__ = sorted([*__all__, "render_report", "write_report"])
