"""Figure 2: the count8 network: tuning curves, P(K|x), the inferred reward and the predictions for
changed input statistics and a removed cell (docs/figures.md)."""
import common

np, plt, d, meta = common.open_figure()
num, settings = meta["numbers"], meta["settings"]
xname = {0: "x = -1", 1: "x = +1"}
colours = {0: "tab:blue", 1: "tab:red"}

fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
ax = axes[0, 0]
t = common.table(np, d, "tuning.csv")
for x in (0, 1):
    s = t["x"] == x
    ax.plot(t["others_active"][s], t["p_spike"][s], "o-", color=colours[x], label=xname[x])
common.panel(ax, "other neurons active", "P(spike | x, others)", "tuning curves (population)", letter="B", legend=dict())

ax = axes[0, 1]
k = common.table(np, d, "spike_count.csv")
for x in (0, 1):
    s = k["x"] == x
    ax.bar(k["K"][s] + (x - 0.5) * 0.38, k["p"][s], width=0.38, color=colours[x], label=xname[x])
common.panel(ax, "spike count K", "P(K | x)", "response (gain %.6f)" % num["gain"], letter="C", legend=dict())

ax = axes[0, 2]
rw = common.table(np, d, "reward.csv")
for x in (0, 1):
    s = rw["x"] == x
    ax.plot(rw["K"][s] + (x - 0.5) * 0.15, rw["inferred_aligned"][s], ".", color=colours[x], alpha=0.5,
            label="inferred, " + xname[x])
    ks = np.arange(0, 9)
    true = [rw["true_reward"][s & (rw["K"] == kk)][0] for kk in ks]
    ax.plot(ks, true, "s", mfc="none", color="k" if x == 0 else "gray", ms=9, label="true, " + xname[x])
common.panel(ax, "spike count K", "reward (inferred: affine fit)", "inferred reward, r^2 = %.9f" % num["reward_r2"], letter="D", legend=dict(fontsize=7))

p = common.table(np, d, "predictions.csv")
for j in range(3):
    ax = axes[1, j]
    key = "prediction_%d" % j
    if key + "_kl_spike_count" not in num:
        ax.set_title("%s: failed" % settings.get(key, key), fontsize=10)
        continue
    for x in (0, 1):
        ref = (p["prediction"] == j) & (p["response"] == 0) & (p["x"] == x)
        pred = (p["prediction"] == j) & (p["response"] == 1) & (p["x"] == x)
        ax.bar(p["K"][ref] + (x - 0.5) * 0.38, p["p"][ref], width=0.38, color=colours[x], alpha=0.35,
               label="true reward, " + xname[x])
        ax.plot(p["K"][pred] + (x - 0.5) * 0.38, p["p"][pred], "o", color=colours[x],
                label="predicted, " + xname[x])
    common.panel(ax, "spike count K", "P(K | x)", "%s: KL = %.2e" % (settings[key], num[key + "_kl_spike_count"]))
    if j == 0:
        ax.legend(fontsize=7)
    common.label(ax, "EFG"[j])
fig.suptitle(meta["title"])
fig.tight_layout()
common.save(fig, d, "2")
