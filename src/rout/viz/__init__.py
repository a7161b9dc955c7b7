"""Seeing a run: plots, the map and its animation, and the HTML report.

    from rout import viz
    runs = [rout.simulate("syria-2024", seed=s) for s in range(1, 6)]
    viz.strength(runs, path="strength.png")   # median and 5-95% band over the seeds
    viz.draw_map(runs[0], day=6)               # a Figure: shows inline in Jupyter
    viz.animate(runs[0], "collapse.gif")       # or .mp4 (ffmpeg), or a folder of PNGs
    viz.write_report(runs, "report.html")
"""

from rout.viz.map import animate, draw_map
from rout.viz.plots import desertion, drivers, falls, morale, strength
from rout.viz.report import render as render_report
from rout.viz.report import simulate_seeds
from rout.viz.report import write as write_report

__all__ = ["animate", "desertion", "draw_map", "drivers", "falls", "morale", "render_report",
           "simulate_seeds", "strength", "write_report"]
