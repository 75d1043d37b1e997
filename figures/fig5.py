"""Figure 5: the ring attractor learned by the parametric solver. A: raster excerpts of the learned
policies (one row a sweep of n steps); B: the coupling profile J(d) against ring distance; C: the
bump's circular autocorrelation against lag; D: the exact gain of each learned policy beside the
best pairwise policy and the exact optimum (docs/figures.md)."""
import os

import common

np, plt, d, meta = common.open_figure()
settings = meta["settings"]
gains, profile, drift = common.tables(np, d, "gains.csv", "profile.csv", "drift.csv")
count = int(gains["setting"].max()) + 1
names = [settings["setting_%d" % k] for k in range(count)]

fig = plt.figure(figsize=(14, 7.5))
grid = fig.add_gridspec(2, max(count, 3))
for k in range(count):
    ax = fig.add_subplot(grid[0, k])
    raster = np.load(os.path.join(d, "raster_%d.npy" % k))
    ax.imshow(raster.T, aspect="auto", interpolation="nearest", cmap="Greys", origin="lower")
    common.panel(ax, "sweep", "neuron", "%s (lambda %g)" % (names[k], gains["lambda"][k]),
                 letter="A" if k == 0 else None)
ax = fig.add_subplot(grid[1, 0])
for k in range(count):
    sel = profile["setting"] == k
    ax.errorbar(profile["distance"][sel], profile["J_mean"][sel], yerr=profile["J_sd"][sel], fmt="o-", capsize=3,
                label=names[k])
ax.axhline(0.0, color="gray", lw=0.5)
common.panel(ax, "ring distance d", "coupling J(d) (mean +- s.d.)", "learned couplings", letter="B",
             legend=dict(fontsize=8))
ax = fig.add_subplot(grid[1, 1])
for k in range(count):
    sel = (drift["setting"] == k) & (drift["lag_sweeps"] > 0)
    ax.semilogx(drift["lag_sweeps"][sel], drift["autocorrelation"][sel], ".-", label=names[k])
ax.axhline(0.0, color="gray", lw=0.5)
common.panel(ax, "lag (sweeps)", "<cos(theta(t + lag) - theta(t))>", "drift of the bump position", letter="C",
             legend=dict(fontsize=8))
ax = fig.add_subplot(grid[1, 2])
x = np.arange(count)
w = 0.27
ax.bar(x - w, gains["exact_gain_learned"], w, label="learned (exact gain)")
ax.bar(x, gains["best_quadratic_gain"], w, label="best pairwise policy")
ax.bar(x + w, gains["optimum_gain"], w, label="exact optimum")
ax.set_xticks(x)
ax.set_xticklabels(names, rotation=20, fontsize=8)
common.panel(ax, "", "gain", "approximation gap", letter="D", legend=dict(fontsize=8))
fig.suptitle(meta["title"] + (" (quick settings)" if settings.get("quick") == "true" else ""))
fig.tight_layout()
common.save(fig, d, "5")
