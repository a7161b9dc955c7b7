"""The colours of the states (the model's registry, used by the plots, the report and the
dashboard) stay apart for the eye: no two closer than MIN_DELTA_E in CIELAB, and no two
closer than MIN_DELTA_E_CVD as seen with protanopia, deuteranopia or tritanopia
(simulated with the full-severity matrices of Machado, Oliveira and Fernandes 2009)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from rout.model.registry import STATES
from rout.web.app import LEFT_COLOUR

MIN_DELTA_E = 20.0  # CIE76: about 2.3 is a just-noticeable difference; 20 reads as distinct
MIN_DELTA_E_CVD = 15.0
# linear-RGB matrices of Machado et al. (2009), severity 1
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}

# sRGB (D65) to CIE XYZ, and the D65 white point
XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                [0.2126729, 0.7151522, 0.0721750],
                [0.0193339, 0.1191920, 0.9503041]])
WHITE = np.array([0.95047, 1.0, 1.08883])


def lab(colour: str, vision: str | None = None) -> np.ndarray:
    """CIELAB (L*, a*, b*) of a colour given as matplotlib reads it, as seen with normal
    vision or with one of CVD."""
    c = np.asarray(to_rgb(colour))
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    if vision is not None:
        linear = np.clip(np.asarray(CVD[vision]) @ linear, 0.0, 1.0)
    t = XYZ @ linear / WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_lab_is_the_textbook_conversion():
    assert np.allclose(lab("#ffffff"), [100, 0, 0], atol=0.01)
    assert np.allclose(lab("#000000"), [0, 0, 0], atol=0.01)
    assert np.allclose(lab("#ff0000"), [53.24, 80.09, 67.20], atol=0.05)


def test_no_two_states_are_closer_than_the_set_distance():
    colours = {s.name: s.colour for s in STATES} | {"left (dashboard)": LEFT_COLOUR}
    close = [(a, b, round(float(np.linalg.norm(lab(colours[a]) - lab(colours[b]))), 1))
             for a, b in itertools.combinations(colours, 2)
             if np.linalg.norm(lab(colours[a]) - lab(colours[b])) < MIN_DELTA_E]
    assert close == []


@pytest.mark.parametrize("vision", list(CVD))
def test_no_two_states_are_confused_with_colour_blindness(vision):
    colours = {s.name: s.colour for s in STATES} | {"left (dashboard)": LEFT_COLOUR}
    close = [(a, b) for a, b in itertools.combinations(colours, 2)
             if np.linalg.norm(lab(colours[a], vision) - lab(colours[b], vision))
             < MIN_DELTA_E_CVD]
    assert close == []


def test_the_simulation_confuses_what_colour_blind_readers_confuse():
    # red and green, far apart for normal vision, come close with deuteranopia
    assert np.linalg.norm(lab("#CC3311") - lab("#228833")) > 50
    near = np.linalg.norm(lab("#CC3311", "deuteranopia") - lab("#228833", "deuteranopia"))
    assert near < 25


def test_every_state_has_a_colour_of_its_own():
    colours = [s.colour.lower() for s in STATES]
    assert len(set(colours)) == len(colours)
