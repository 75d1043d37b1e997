"""Figure 1: the maze at low and high coding cost: stationary occupancy with the policy's mean
direction, and the reward inferred from the policy (docs/figures.md)."""
import common

np, plt, d, meta = common.open_figure()
num = meta["numbers"]
t = common.table(np, d, "states.csv")
rows, cols = int(num["rows"]), int(num["cols"])
r, c = t["row"].astype(int), t["col"].astype(int)


def grid(values):
    g = np.full((rows, cols), np.nan)
    g[r, c] = values
    return np.ma.masked_invalid(g)


fig, axes = plt.subplots(2, 2, figsize=(9.5, 9))
walls = np.ones((rows, cols))
walls[r, c] = np.nan
for k, sx in enumerate(["low", "high"]):
    ax = axes[k, 0]
    occ = t["occupancy_" + sx]
    im = ax.imshow(grid(np.log10(np.maximum(occ, 1e-12))), cmap="viridis", vmin=-6, vmax=-0.5)
    ax.imshow(np.ma.masked_invalid(walls), cmap="gray_r", vmin=0, vmax=1)
    u = t["p_right_" + sx] - t["p_left_" + sx]
    v = t["p_up_" + sx] - t["p_down_" + sx]
    ax.quiver(c, r, u, v, color="white", scale=22, width=0.004)
    for col, marker, name in [("start", "o", "S"), ("reward", "*", "R")]:
        sel = t[col] > 0
        ax.plot(c[sel], r[sel], marker, color="red", ms=10, mfc="none" if name == "S" else "red")
    ax.set_title("lambda = %g: occupancy (log10) and policy" % num["lambda_" + sx], fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.75)
    common.label(ax, "BC"[k])
    ax.set_xticks([])
    ax.set_yticks([])

    ax = axes[k, 1]
    im = ax.imshow(grid(t["inferred_aligned_" + sx]), cmap="magma")
    ax.imshow(np.ma.masked_invalid(walls), cmap="gray_r", vmin=0, vmax=1)
    sel = t["reward"] > 0
    ax.plot(c[sel], r[sel], "*", color="cyan", ms=10)
    ax.set_title("inferred reward (r^2 = %.6f vs true)" % num["reward_r2_" + sx], fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.75)
    common.label(ax, "DE"[k])
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle(meta["title"])
fig.tight_layout()
common.save(fig, d, "1")
