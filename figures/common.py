"""Shared helpers of the plotting scripts: `netrl figure NAME --out DIR` runs
/usr/bin/python3 figures/figNAME.py DIR after writing the figure's data into DIR (docs/figures.md).
The scripts only read the data the engine wrote; they compute nothing but what is drawn."""
import json
import os
import sys

# Exit status that tells netrl that matplotlib (or numpy) is missing.
MISSING_MATPLOTLIB = 3


def start():
    """Returns (numpy, pyplot) with the non-interactive Agg backend, or exits with status 3."""
    try:
        import numpy
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
    except ImportError as e:
        print("netrl figure: cannot import matplotlib/numpy (%s); install Debian python3-matplotlib" % e,
              file=sys.stderr)
        sys.exit(MISSING_MATPLOTLIB)
    return numpy, pyplot


def data_dir():
    if len(sys.argv) != 2:
        print("usage: %s DATA_DIR" % os.path.basename(sys.argv[0]), file=sys.stderr)
        sys.exit(2)
    return sys.argv[1]


def figure_json(directory):
    with open(os.path.join(directory, "figure.json")) as f:
        return json.load(f)


def table(numpy, directory, name):
    """A CSV written by netrl as a structured array (columns by name)."""
    return numpy.genfromtxt(os.path.join(directory, name), delimiter=",", names=True)


def open_figure():
    """(numpy, pyplot, the data directory, figure.json) for a script run as figNAME.py DATA_DIR."""
    numpy, pyplot = start()
    directory = data_dir()
    return numpy, pyplot, directory, figure_json(directory)


def tables(numpy, directory, *names):
    """The CSVs `names` as structured arrays, in order."""
    return [table(numpy, directory, name) for name in names]


def save(fig, directory, name):
    """Writes DIR/figNAME.png atomically (a temporary name, then a rename)."""
    path = os.path.join(directory, "fig%s.png" % name)
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def label(ax, letter):
    ax.text(-0.14, 1.04, letter, transform=ax.transAxes, fontsize=13, fontweight="bold", va="bottom")


def panel(ax, xlabel, ylabel, title, letter=None, legend=None):
    """Axis labels, a small title, the legend (keyword arguments of ax.legend, or None for no
    legend) and the panel letter."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if legend is not None:
        ax.legend(**legend)
    if letter:
        label(ax, letter)
