"""Figure 6: reward models inferred from samples of the learned ring12 policy. A: each model's
inferred reward (affinely aligned) against the true reward over the visited states, coloured by
spike count; B: r^2 per model; C: KL divergence (true || predicted) of the spike-count response for
each of ring12's three changes; D: P(K) under the changes, true against each model's prediction
(docs/figures.md)."""
import common

np, plt, d, meta = common.open_figure()
settings = meta["settings"]
models, reward, kls, counts = common.tables(np, d, "models.csv", "reward.csv", "predictions.csv", "spike_count.csv")
M = len(models["model"])
names = [settings["model_%d" % k] for k in range(M)]
P = int(kls["prediction"].max()) + 1
pred_names = [settings["prediction_%d" % p] for p in range(P)]

fig, axes = plt.subplots(2, max(M, 3), figsize=(14, 8))
for k in range(M):
    ax = axes[0, k]
    sel = reward["model"] == k
    sc = ax.scatter(reward["true_reward"][sel] + 0.03 * (reward["K"][sel] - 4), reward["inferred_aligned"][sel],
                    s=4 + 40 * np.sqrt(reward["frequency"][sel] / reward["frequency"][sel].max()),
                    c=reward["K"][sel], cmap="viridis", alpha=0.7)
    common.panel(ax, "true reward (jittered by K)", "inferred reward (aligned)",
                 "%s: r^2 = %.3f over %d states" % (names[k], models["r2"][k], models["compared_states"][k]),
                 letter="A" if k == 0 else None)
fig.colorbar(sc, ax=axes[0, M - 1], label="spike count K")
ax = axes[1, 0]
ax.bar(np.arange(M), models["r2"], color="C0")
ax.set_xticks(np.arange(M))
ax.set_xticklabels(names)
ax.set_ylim(0, 1.05)
common.panel(ax, "reward model", "r^2 over the visited states", "inferred vs true reward", letter="B")
ax = axes[1, 1]
w = 0.8 / max(P, 1)
for p in range(P):
    sel = kls["prediction"] == p
    ax.bar(kls["model"][sel] + (p - (P - 1) / 2) * w, kls["kl_spike_count"][sel], w, label=pred_names[p])
ax.set_xticks(np.arange(M))
ax.set_xticklabels(names)
ax.set_yscale("log")
common.panel(ax, "reward model", "KL(true || predicted) of P(K)", "predictions of the changed settings", letter="C",
             legend=dict(fontsize=8))
ax = axes[1, 2]
for p in range(P):
    ref = (counts["model"] == -1) & (counts["prediction"] == p)
    line, = ax.plot(counts["K"][ref], counts["p"][ref], "-", lw=2.5, alpha=0.5, label="%s: true" % pred_names[p])
    for k in range(M):
        sel = (counts["model"] == k) & (counts["prediction"] == p)
        ax.plot(counts["K"][sel], counts["p"][sel], ["o", "s", "^", "v"][k % 4], ms=4, color=line.get_color(),
                label="%s: %s" % (pred_names[p], names[k]) if p == 0 else None)
common.panel(ax, "spike count K", "P(K)", "responses: true (lines) and predicted (markers)", letter="D",
             legend=dict(fontsize=6))
for k in range(M, axes.shape[1]):
    axes[0, k].axis("off")
fig.suptitle(meta["title"] + (" (quick settings)" if settings.get("quick") == "true" else ""))
fig.tight_layout()
common.save(fig, d, "6")
