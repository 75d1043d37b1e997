"""Figure 3: inverse RL from T recorded steps of count8: r^2 of the inferred reward and the KL
divergences of the predictions against T (mean and s.e.m. over the repeats; docs/figures.md)."""
import common

np, plt, d, meta = common.open_figure()
settings = meta["settings"]
s, p, raw = common.tables(np, d, "samples.csv", "predictions.csv", "samples_raw.csv")

fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
ax = axes[0]
ax.semilogx(raw["T"], raw["r2"], ".", color="gray", alpha=0.5, label="repeats")
ax.errorbar(s["T"], s["r2_mean"], yerr=s["r2_sem"], fmt="o-", color="k", capsize=3, label="mean +- s.e.m.")
common.panel(ax, "recorded steps T", "r^2 (inferred vs true reward)", "%s repeats per T" % settings["repeats"], letter="A", legend=dict())
for j, (column, title) in enumerate([("kl_spike_count", "KL of P(K|x)"), ("kl_stationary", "KL of the stationary distribution")]):
    ax = axes[j + 1]
    for k in range(int(p["prediction"].max()) + 1):
        sel = p["prediction"] == k
        ax.errorbar(p["T"][sel], p[column + "_mean"][sel], yerr=p[column + "_sem"][sel], fmt="o-", capsize=3,
                    label=settings["prediction_%d" % k])
    ax.set_xscale("log")
    ax.set_yscale("log")
    common.panel(ax, "recorded steps T", title + " (true || predicted)", "predictions from the inferred reward", letter="BC"[j], legend=dict(fontsize=8))
fig.suptitle(meta["title"])
fig.tight_layout()
common.save(fig, d, "3")
