"""Figure 4: efficient coding of y(x) = [4 or more of 7 pixels on] by 7 neurons: tuning curves,
the posterior p(y = 1 | K), I(y; sigma) against lambda beside independent neurons, the loop's
convergence, the inferred reward against log p(y | sigma), and the cell types at J0 = 0.4
(docs/figures.md)."""
import common

np, plt, d, meta = common.open_figure()
num = meta["numbers"]

fig, axes = plt.subplots(2, 4, figsize=(17, 8))
ax = axes[0, 0]
t = common.table(np, d, "tuning.csv")
cmap = plt.get_cmap("viridis")
for k in range(7):
    s = (t["others_active"] == k) & (t["mass"] > 1e-6)
    ax.plot(t["pixels_on"][s], t["p_spike"][s], "o-", color=cmap(k / 6), label="%d others" % k)
common.panel(ax, "pixels on", "P(spike | pixels, others active)", "tuning curves (population)", letter="C", legend=dict(fontsize=7))

ax = axes[0, 1]
p = common.table(np, d, "posterior.csv")
ax.plot(p["K"], p["p_y_plus"], "o-k")
ax.set_ylim(0, 1)
common.panel(ax, "spike count K", "p(y = 1 | K)", "posterior of the feature", letter="D")

ax = axes[0, 2]
i = common.table(np, d, "information.csv")
ax.plot(i["lambda"], i["information"], "o-", color="k", label="optimised network")
ax.plot(i["lambda"], i["independent_information"], "s--", color="gray", label="independent neurons")
ax.plot([num["lambda"]], [num["information"]], "o", ms=14, mfc="none", mec="red", label="lambda %.3g" % num["lambda"])
common.panel(ax, "coding cost weight lambda", "I(y; sigma) (nats)", "information about y", letter="E", legend=dict(fontsize=8))

ax = axes[0, 3]
l = common.table(np, d, "loop.csv")
ax.semilogy(l["iteration"], l["reward_change"], "o-k")
common.panel(ax, "solve", "max |log p(y|sigma) - r|", "loop: %d solves, final change %.1e" % (num["loop_iterations"], num["loop_final_change"]))

ax = axes[1, 0]
rc = common.table(np, d, "reward_by_count.csv")
for y, colour in [(-1, "tab:blue"), (1, "tab:red")]:
    s = rc["y"] == y
    ax.plot(rc["K"][s], rc["inferred_aligned"][s], "-", color=colour, lw=2, label="inferred, y = %+d" % y)
    ax.plot(rc["K"][s], rc["log_posterior"][s], "o", mfc="none", color=colour, ms=9, label="log p(y|sigma), y = %+d" % y)
common.panel(ax, "spike count K", "reward", "inferred reward vs log posterior", letter="G", legend=dict(fontsize=7))

ax = axes[1, 1]
rw = common.table(np, d, "reward.csv")
s = rw["stationary"] > 1e-9
for y, colour in [(-1, "tab:blue"), (1, "tab:red")]:
    sel = s & (rw["y"] == y)
    ax.plot(rw["log_posterior"][sel], rw["inferred_aligned"][sel], ".", ms=2, color=colour, label="y = %+d" % y)
lo, hi = np.nanmin(rw["log_posterior"][s]), np.nanmax(rw["log_posterior"][s])
ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
common.panel(ax, "log p(y(x) | sigma)", "inferred reward (affine fit)", "all states with mass > 1e-9: r^2 = %.9f" % num["reward_r2"], legend=dict(fontsize=8))

ax = axes[1, 2]
c = common.table(np, d, "cell_tuning.csv")
for bias, style in [(0.0, "--"), (num["high_bias"], "-")]:
    for n in range(7):
        s = (c["bias"] == bias) & (c["neuron"] == n)
        ax.plot(c["pixels_on"][s], c["p_spike"][s], style, color=cmap(n / 6), lw=1.5 if style == "-" else 0.8)
common.panel(ax, "pixels on", "P(spike | pixels on)", "per neuron: J0 = 0 (dashed), J0 = %g (solid)" % num["high_bias"], letter="H")

ax = axes[1, 3]
r = common.table(np, d, "rates.csv")
for k, bias in enumerate([0.0, num["high_bias"]]):
    s = r["bias"] == bias
    ax.bar(r["neuron"][s] + (k - 0.5) * 0.38, r["rate"][s], width=0.38,
           label="J0 = %g (lambda %.4g)" % (bias, num["lambda"] if k == 0 else num["high_bias_lambda"]))
common.panel(ax, "neuron", "firing rate P(sigma_i = +1)", "firing rates", legend=dict(fontsize=8))
fig.suptitle(meta["title"])
fig.tight_layout()
common.save(fig, d, "4")
