"""The mutual-information pairing rule (Landy et al. section III): estimators, a data set only
the information rule can pair, the Gaussian limit, and Ising hierarchies near ``T_c``.

Units, each cached on its own:

- ``plugin`` (one sample size ``m``): ``n_rep`` samples of the exact ``4 x 4`` Ising
  distribution at ``T_c`` (:func:`rgnotes.information.exact.enumerate_ising`); the errors of the
  plug-in estimates of ``H(Y)`` and ``I(Y; x_N)``, ``Y = s_0 + s_1``, without and with the
  Miller-Madow correction, against the exact values.
- ``ksg`` (one ``m``): ``n_rep`` errors of the KSG estimate for a Gaussian pair of
  correlation ``ksg_rho`` and for ``y = x + u`` with uniform ``x, u`` (``I = 1/2`` exactly).
- ``hidden`` (one data kind, ``"square"`` or ``"abs"``,
  :func:`rgnotes.information.examples.hidden_partners`): the fraction of the true pairs that
  each pairing rule finds, the partners' largest ``|correlation|`` and mean information, and
  (for ``"square"``) the columns of one hidden pair, for a drawing.
- ``exact`` (one temperature): on the ``4 x 4`` lattice, the Gaussian and the restricted
  relevance estimates of all 120 pairs against the exact ``I(X^c; Y)``
  (:func:`rgnotes.coarse.information_rule.exact_terms`): mean relative error, Spearman rank
  correlation, and the exact relevance of neighbour and other pairs.
- ``tradeoff``: Ising configurations of size ``L`` at ``tradeoff_T``; for every ``beta`` the
  greedy pairing of ``H(Y) - beta I(X^c; Y)`` (plug-in, Gaussian relevance), its total
  compression and relevance and its fraction of lattice-neighbour pairs.
- ``gaussian``: a Gaussian lattice field (:func:`rgnotes.simulators.gaussian.field_covariance`)
  with shuffled variables; the fraction of the information rule's pairs (three variants, every
  ``gauss_beta``) that the max-correlation and the greedy linear rule also choose; the
  second-order formula of ``R^2`` on a weakly coupled matrix.
- ``correlations`` (one temperature): mean correlation of nearest-neighbour and of the most
  distant spins of the ``L x L`` Ising lattice.
- ``ising`` (one pairing rule of :data:`RULES`, one temperature): the whole hierarchy's
  mean-variance exponent, the fraction of level-1 pairs that are lattice neighbours, and near
  ``T_c`` the cluster labels of level :data:`CLUSTER_LEVEL`.
- ``timing`` (one number of variables ``d``): seconds of one pairing step by the
  max-correlation and by the information rule. Timings depend on the machine and its load:
  they are never verified.

Study-wide (:func:`finish`): ``H(Y)`` of a neighbour and of a distant pair from their
correlations, and the spread of the rules' exponents at each temperature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from scipy.stats import spearmanr

from rgnotes import plotting
from rgnotes.coarse import coarse_grain, pair, pair_from_correlation
from rgnotes.coarse import information_rule as rule
from rgnotes.coarse.correlation import correlation_matrix
from rgnotes.coarse.lattice import are_neighbours, cluster_image
from rgnotes.coarse.matching import greedy_matching
from rgnotes.information import (
    entropy,
    enumerate_ising,
    exact_entropy,
    exact_mutual_information,
    gaussian_mi,
    ksg_mi,
    mutual_information,
)
from rgnotes.information.exact import spin_pair_sum_entropy
from rgnotes.information.examples import hidden_partners
from rgnotes.metrics import mean_variance_exponent, spins_to_binary
from rgnotes.simulators import gaussian, ising
from rgnotes.simulators.ising_exact import T_C
from rgnotes.stats import best_seconds
from rgnotes.studies.core import Arrays, Study, Unit, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The pairing rules compared on Ising hierarchies: name -> options of ``coarse_grain``.
RULES: dict[str, dict] = {
    "correlation": dict(method="correlation"),
    "greedy": dict(method="greedy"),
    "info, beta 0": dict(method="information", estimator="plugin", beta=0.0),
    "info, beta 1": dict(method="information", estimator="plugin", beta=1.0),
    "lost, beta 0": dict(method="information", estimator="plugin", beta=0.0,
                         compression="loss"),
}
#: Rules whose clusters are kept near T_c (for drawings), and the level kept (16 spins).
CLUSTER_RULES = ("greedy", "info, beta 1")
CLUSTER_LEVEL = 4
#: Linear rules of the hidden-partner test, then the information rule.
HIDDEN_METHODS = ("correlation", "stepwise", "greedy", "information")
#: Variants of the information rule on Gaussian data: name -> options.
GAUSS_VARIANTS: dict[str, dict] = {
    "I(X;Y), optimal noise": dict(),
    "I(X;Y), noise 1": dict(noise=1.0),
    "information lost": dict(compression="loss"),
}
#: Linear rules the Gaussian variants are compared with.
GAUSS_LINEAR = ("correlation", "greedy")
#: Plug-in estimates of the estimator test: (quantity, correction).
PLUGIN_ESTIMATES = ("H plain", "H Miller-Madow", "I plain", "I Miller-Madow")
#: The 4 x 4 test: merged pair (spins 0, 1) and the three spins of x_N.
PAIR, GROUP = (0, 1), (2, 4, 5)


@dataclass(frozen=True)
class Params:
    """Parameters of the information study.

    Attributes:
        plugin_sizes: sample sizes of the plug-in test on the exact 4 x 4 distribution.
        ksg_sizes: sample sizes of the KSG test.
        n_rep: replicates per sample size.
        m_hidden, n_pairs: samples and hidden pairs of the hidden-partner test.
        exact_T: temperatures (J/k_B) of the exact 4 x 4 relevance test.
        L: Ising lattice size of the trade-off and the hierarchies.
        n_samples: Ising configurations per temperature.
        temperatures: of the hierarchies (J/k_B), ascending.
        betas: of the trade-off curve.
        field_L, field_mass: Gaussian lattice field of the Gaussian-limit test.
        gauss_betas: betas of the Gaussian-limit test.
        timing_d: numbers of variables timed.
        seed: of every random stream (each unit derives its own).
        tradeoff_T: temperature of the trade-off curve (J/k_B).
        ksg_rho: correlation of the Gaussian pair of the KSG test.
        timing_m: samples of the timed data.
    """

    plugin_sizes: tuple[int, ...]
    ksg_sizes: tuple[int, ...]
    n_rep: int
    m_hidden: int
    n_pairs: int
    exact_T: tuple[float, ...]
    L: int
    n_samples: int
    temperatures: tuple[float, ...]
    betas: tuple[float, ...]
    field_L: int
    field_mass: float
    gauss_betas: tuple[float, ...]
    timing_d: tuple[int, ...]
    seed: int
    tradeoff_T: float = 2.5
    ksg_rho: float = 0.6
    timing_m: int = 2000


def _betas(n: int) -> tuple[float, ...]:
    return tuple(float(b) for b in np.round(np.linspace(0, 1, n), 2))


PRESETS = {
    "quick": Params(plugin_sizes=(100, 300, 1000, 3000), ksg_sizes=(250, 500, 1000, 2000, 4000),
                    n_rep=20, m_hidden=2000, n_pairs=16, exact_T=(2.0, 2.269, 3.0), L=16,
                    n_samples=2000, temperatures=(1.75, 2.25, 2.75, 4.0), betas=_betas(11),
                    field_L=16, field_mass=0.3, gauss_betas=(0.0, 0.1, 0.3, 1.0, 2.0, 5.0,
                                                             20.0, 100.0),
                    timing_d=(64, 128, 256), seed=5),
    "full": Params(plugin_sizes=(100, 300, 1000, 3000, 10000),
                   ksg_sizes=(250, 500, 1000, 2000, 4000, 8000, 16000), n_rep=50,
                   m_hidden=8000, n_pairs=32, exact_T=(1.5, 2.0, 2.269, 2.5, 3.0), L=32,
                   n_samples=8192,
                   temperatures=(1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0),
                   betas=_betas(21), field_L=32, field_mass=0.3,
                   gauss_betas=(0.0, 0.03, 0.1, 0.3, 1.0, 2.0, 5.0, 20.0, 100.0),
                   timing_d=(64, 128, 256, 512, 1024), seed=5),
}


def near_tc(temperatures) -> float:
    """The temperature of ``temperatures`` nearest the exact ``T_c``."""
    return float(min(temperatures, key=lambda t: abs(t - T_C)))


def units(p: Params) -> list[Unit]:
    """Estimator tests, hidden partners, exact 4 x 4 relevance, trade-off, Gaussian limit,
    Ising correlations and hierarchies, then the timings."""
    s = p.seed
    out: list[Unit] = [dict(kind="plugin", m=m, n_rep=p.n_rep, seed=s) for m in p.plugin_sizes]
    out += [dict(kind="ksg", m=m, n_rep=p.n_rep, rho=p.ksg_rho, seed=s) for m in p.ksg_sizes]
    out += [dict(kind="hidden", data=k, m=p.m_hidden, n_pairs=p.n_pairs, seed=s)
            for k in ("square", "abs")]
    out += [dict(kind="exact", T=T) for T in p.exact_T]
    ising_ = dict(L=p.L, n_samples=p.n_samples, seed=s)
    out.append(dict(kind="tradeoff", T=p.tradeoff_T, betas=list(p.betas), **ising_))
    out.append(dict(kind="gaussian", field_L=p.field_L, mass=p.field_mass,
                    betas=list(p.gauss_betas), seed=s))
    out += [dict(kind="correlations", T=T, **ising_) for T in p.temperatures]
    t_near = near_tc(p.temperatures)
    out += [dict(kind="ising", rule=r, options=RULES[r], T=T, **ising_,
                 cluster_level=CLUSTER_LEVEL if (T == t_near and r in CLUSTER_RULES) else -1)
            for r in RULES for T in p.temperatures]
    out += [dict(kind="timing", d=d, m=p.timing_m, seed=s) for d in p.timing_d]
    return out


def _ising_spins(u: Unit) -> np.ndarray:
    run = ising.simulate(u["L"], float(u["T"]), u["n_samples"], seed=u["seed"], progress=False)
    return run.spins.reshape(u["n_samples"], -1).astype(float)


def _plugin(u: Unit) -> Arrays:
    states, prob = enumerate_ising(4, 2.269)
    y_all = states[:, PAIR[0]] + states[:, PAIR[1]]
    group = list(GROUP)
    exact_h = exact_entropy(prob, y_all)
    exact_i = exact_mutual_information(prob, y_all, states[:, group])
    rng = np.random.default_rng([u["seed"], u["m"]])
    err = np.empty((u["n_rep"], len(PLUGIN_ESTIMATES)))
    for r in range(u["n_rep"]):  # a few dozen replicates
        S = states[rng.choice(len(prob), u["m"], p=prob)]
        y = S[:, PAIR[0]] + S[:, PAIR[1]]
        err[r] = [entropy(y, None) - exact_h, entropy(y) - exact_h,
                  mutual_information(y, S[:, group], None) - exact_i,
                  mutual_information(y, S[:, group]) - exact_i]
    return dict(plugin_error=err, exact_h=exact_h, exact_i=exact_i)


def _ksg(u: Unit) -> Arrays:
    rng = np.random.default_rng([u["seed"], u["m"], 1])
    m, rho = u["m"], u["rho"]
    true_g = float(gaussian_mi(rho))
    err = np.empty((2, u["n_rep"]))
    for r in range(u["n_rep"]):  # a few dozen replicates
        X = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], m)
        err[0, r] = ksg_mi(X[:, 0], X[:, 1]) - true_g
        x = rng.uniform(size=m)  # y = x + U(0, 1): I = 1/2 nat exactly
        err[1, r] = ksg_mi(x, x + rng.uniform(size=m)) - 0.5
    return dict(ksg_error=err, ksg_exact=true_g)


def _hidden(u: Unit) -> Arrays:
    kind = u["data"]
    X, true = hidden_partners(u["m"], u["n_pairs"], kind, seed=u["seed"])
    true_set = {tuple(p) for p in true}
    corr = np.corrcoef(X.T)[true[:, 0], true[:, 1]]
    if kind == "square":
        mi = [ksg_mi(X[:, a], X[:, b]) for a, b in true]
    else:
        mi = [mutual_information(X[:, a], X[:, b]) for a, b in true]
    estimator = "binned" if kind == "square" else "plugin"
    found = []
    for method in HIDDEN_METHODS:
        kw = dict(estimator=estimator, beta=1.0) if method == "information" else {}
        got = {tuple(p) for p in pair(X, method, **kw)}
        found.append(len(got & true_set) / len(true_set))
    out = dict(found=np.array(found), max_abs_corr=np.abs(corr).max(), mean_mi=np.mean(mi))
    if kind == "square":  # one hidden pair as (x, y = x^2 + noise)
        a, b = true[0]
        xa, xb = X[:, a], X[:, b]
        if np.corrcoef(xa**2, xb)[0, 1] < np.corrcoef(xb**2, xa)[0, 1]:
            xa, xb = xb, xa
        out["example"] = np.column_stack([xa, xb]).astype(np.float32)
    return out


def _exact(u: Unit) -> Arrays:
    states, prob = enumerate_ising(4, u["T"])
    ex = rule.exact_terms(states, prob)
    iu = np.triu_indices(16, 1)
    true_rel = ex["relevance"][iu]
    err, rank = [], []
    for name in ("relevance_gaussian", "relevance_neighbours"):
        est = ex[name][iu]
        err.append(((est - true_rel) / true_rel).mean())
        rank.append(spearmanr(est, true_rel).statistic)
    near = are_neighbours(iu[0], iu[1], (4, 4))
    return dict(relevance_error=np.array(err), relevance_rank=np.array(rank),
                exact_relevance=np.array([true_rel[near].mean(), true_rel[~near].mean()]))


def _tradeoff(u: Unit) -> Arrays:
    L = u["L"]
    terms = rule.information_terms(_ising_spins(u), estimator="plugin", beta=0.0)
    curve = np.empty((len(u["betas"]), 3))
    for i, beta in enumerate(u["betas"]):  # the terms are computed once
        p = greedy_matching(terms.compression - beta * terms.relevance)
        a, b = p[:, 0], p[:, 1]
        curve[i] = (terms.compression[a, b].sum(), terms.relevance[a, b].sum(),
                    are_neighbours(a, b, (L, L)).mean())
    return dict(tradeoff=curve)


def _gaussian(u: Unit) -> Arrays:
    rng = np.random.default_rng([u["seed"], u["field_L"], 2])
    C = gaussian.field_covariance((u["field_L"], u["field_L"]), u["mass"])
    sd = np.sqrt(np.diag(C))
    perm = rng.permutation(C.shape[0])
    M = (C / np.outer(sd, sd))[np.ix_(perm, perm)]
    linear = [{tuple(p) for p in pair_from_correlation(M, m)} for m in GAUSS_LINEAR]
    agree = np.empty((len(GAUSS_VARIANTS), len(u["betas"]), len(GAUSS_LINEAR)))
    for i, kw in enumerate(GAUSS_VARIANTS.values()):
        for j, beta in enumerate(u["betas"]):
            got = {tuple(p) for p in pair_from_correlation(M, "information", beta=float(beta),
                                                           **kw)}
            agree[i, j] = [len(got & ref) / len(ref) for ref in linear]
    weak = np.eye(8) + 0.02 * rng.standard_normal((8, 8))
    weak = (weak + weak.T) / 2
    np.fill_diagonal(weak, 1.0)
    Cw = weak - np.eye(8)
    r2_formula = 0.5 * ((Cw[0] + Cw[1])[2:] ** 2).sum()
    return dict(agree=agree, r2_weak=rule.conditional_r2(weak)[0, 1], r2_formula=r2_formula)


def neighbour_and_far_pairs(L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper-triangle site pairs ``(i, j)`` of the periodic ``L x L`` lattice and two masks
    over them: nearest neighbours, and the most distant pairs (``L/2`` apart along both
    axes)."""
    iu = np.triu_indices(L * L, 1)
    near = are_neighbours(iu[0], iu[1], (L, L))
    dr = np.abs(iu[0] // L - iu[1] // L)
    dc = np.abs(iu[0] % L - iu[1] % L)
    far = (np.minimum(dr, L - dr) == L // 2) & (np.minimum(dc, L - dc) == L // 2)
    return np.stack(iu), near, far


def _correlations(u: Unit) -> Arrays:
    iu, near, far = neighbour_and_far_pairs(u["L"])
    c = correlation_matrix(_ising_spins(u))[iu[0], iu[1]]
    return dict(rho_nn=c[near].mean(), rho_far=c[far].mean())


def _ising(u: Unit) -> Arrays:
    L = u["L"]
    S = _ising_spins(u)
    h = coarse_grain(S, **u["options"], progress=False)  # the unit itself is cached
    p1 = h.levels[1].pairs
    out = dict(exponent=mean_variance_exponent(spins_to_binary(S), h)[0],
               neighbours=are_neighbours(p1[:, 0], p1[:, 1], (L, L)).mean())
    if u["cluster_level"] >= 0:
        out["clusters"] = h.levels[u["cluster_level"]].labels
    return out


def _timing(u: Unit) -> Arrays:
    rng = np.random.default_rng([u["seed"], u["d"], 3])
    m, d = u["m"], u["d"]
    X = np.sign(rng.standard_normal((m, 1)) + rng.standard_normal((m, d)))
    return dict(seconds=np.array([best_seconds(lambda: pair(X, "correlation"))[1],
                                  best_seconds(lambda: pair(X, "information",
                                                            estimator="plugin"))[1]]))


_COMPUTE = {"plugin": _plugin, "ksg": _ksg, "hidden": _hidden, "exact": _exact,
            "tradeoff": _tradeoff, "gaussian": _gaussian, "correlations": _correlations,
            "ising": _ising, "timing": _timing}


def compute(u: Unit) -> Arrays:
    """One unit's arrays (see the module docstring)."""
    return _COMPUTE[u["kind"]](u)


def to_dataset(u: Unit, a: Arrays) -> xr.Dataset:
    """The unit's arrays with their coordinates (``m``, ``T``, ``rule``, ``beta``, ...)."""
    kind = u["kind"]
    if kind == "plugin":
        ds = xr.Dataset({"plugin_error": (("replicate", "estimate"), a["plugin_error"])},
                        coords={"estimate": list(PLUGIN_ESTIMATES)}).expand_dims(m_plugin=[u["m"]])
        return ds.assign(exact_h=a["exact_h"], exact_i=a["exact_i"])
    if kind == "ksg":
        ds = xr.Dataset({"ksg_error": (("case", "replicate"), a["ksg_error"])},
                        coords={"case": ["Gaussian", "uniform sum"]})
        return ds.expand_dims(m_ksg=[u["m"]]).assign(ksg_exact=a["ksg_exact"])
    if kind == "hidden":
        v = {"found": (("pairing",), a["found"]), "max_abs_corr": ((), a["max_abs_corr"]),
             "mean_mi": ((), a["mean_mi"])}
        ds = xr.Dataset(v, coords={"pairing": list(HIDDEN_METHODS)}).expand_dims(data=[u["data"]])
        if "example" in a:
            ds = ds.assign(example=(("sample", "xy"), a["example"])).assign_coords(xy=["x", "y"])
        return ds
    if kind == "exact":
        v = {"relevance_error": (("estimate_rel",), a["relevance_error"]),
             "relevance_rank": (("estimate_rel",), a["relevance_rank"]),
             "exact_relevance": (("pairs",), a["exact_relevance"])}
        coords = {"estimate_rel": ["gaussian", "neighbours"], "pairs": ["neighbours", "others"]}
        return xr.Dataset(v, coords=coords).expand_dims(T_exact=[u["T"]])
    if kind == "tradeoff":
        c = a["tradeoff"]
        return xr.Dataset({"tradeoff_compression": (("beta",), c[:, 0]),
                           "tradeoff_relevance": (("beta",), c[:, 1]),
                           "tradeoff_neighbours": (("beta",), c[:, 2])},
                          coords={"beta": u["betas"]})
    if kind == "gaussian":
        return xr.Dataset({"agree": (("variant", "gauss_beta", "linear"), a["agree"]),
                           "r2_weak": a["r2_weak"], "r2_formula": a["r2_formula"]},
                          coords={"variant": list(GAUSS_VARIANTS), "gauss_beta": u["betas"],
                                  "linear": list(GAUSS_LINEAR)})
    if kind == "correlations":
        return xr.Dataset({"rho_nn": a["rho_nn"], "rho_far": a["rho_far"]}).expand_dims(T=[u["T"]])
    if kind == "ising":
        ds = xr.Dataset({"exponent": a["exponent"], "neighbours": a["neighbours"]})
        ds = ds.expand_dims(rule=[u["rule"]], T=[u["T"]])
        if "clusters" in a:  # only near T_c: a dimension of its own, no T
            ds = ds.assign(clusters=xr.DataArray(a["clusters"], dims=("site",)).expand_dims(
                cluster_rule=[u["rule"]]))
        return ds
    return xr.Dataset({"seconds": (("timed",), a["seconds"])},
                      coords={"timed": ["correlation", "information (plug-in)"]}
                      ).expand_dims(d=[u["d"]])


_ATTRS = {
    "plugin_error": ("nats", "plug-in estimate minus the exact value, per replicate (4x4 "
                     "Ising at T_c; Y = s_0 + s_1, N = 3 neighbouring spins)"),
    "exact_h": ("nats", "exact H(Y) on the 4x4 lattice at T_c"),
    "exact_i": ("nats", "exact I(Y; x_N) on the 4x4 lattice at T_c"),
    "ksg_error": ("nats", "KSG estimate (k = 3) minus the exact information, per replicate"),
    "ksg_exact": ("nats", "exact information of the Gaussian pair"),
    "found": ("", "fraction of the hidden pairs that the rule pairs"),
    "max_abs_corr": ("", "largest |sample correlation| of hidden partners"),
    "mean_mi": ("nats", "mean estimated information of hidden partners (KSG or plug-in)"),
    "example": ("", "one hidden pair of the continuous data set, columns x and y = x^2 + noise"),
    "relevance_error": ("", "mean relative error of the relevance estimate over the 120 pairs"),
    "relevance_rank": ("", "Spearman rank correlation of the estimate with the exact relevance"),
    "exact_relevance": ("nats", "mean exact I(X^c; Y) of neighbour and of other pairs"),
    "tradeoff_compression": ("nats", "total H(Y) of the pairing chosen at beta"),
    "tradeoff_relevance": ("nats", "total Gaussian relevance of the pairing chosen at beta"),
    "tradeoff_neighbours": ("", "fraction of the chosen pairs that are lattice neighbours"),
    "agree": ("", "fraction of the information rule's pairs the linear rule also chooses"),
    "r2_weak": ("", "R^2 of pair (0, 1) of a weakly coupled 8x8 correlation matrix"),
    "r2_formula": ("", "second-order formula 1/2 sum_c (C_0c + C_1c)^2 of the same R^2"),
    "rho_nn": ("", "mean correlation of nearest-neighbour spins"),
    "rho_far": ("", "mean correlation of spins L/2 apart along both axes"),
    "exponent": ("", "mean-variance exponent of the rule's hierarchy"),
    "neighbours": ("", "fraction of level-1 pairs that are lattice neighbours"),
    "clusters": ("", f"cluster of each site (row-major) at level {CLUSTER_LEVEL}, at the "
                 "temperature nearest T_c (attribute T_near)"),
    "seconds": ("s", "wall time of one pairing step (timing: depends on the machine's load)"),
    "h_nn": ("nats", "H(s_a + s_b) of unbiased spins at the neighbour correlation"),
    "h_far": ("nats", "H(s_a + s_b) of unbiased spins at the distant-pair correlation"),
    "exponent_spread": ("", "largest minus smallest exponent of the rules at each T"),
}


def finish(p: Params, ds: xr.Dataset) -> xr.Dataset:
    """``H(Y)`` of neighbour and distant spin pairs, the spread of the rules' exponents."""
    ds = ds.assign(h_nn=(("T",), spin_pair_sum_entropy(ds["rho_nn"].values)),
                   h_far=(("T",), spin_pair_sum_entropy(ds["rho_far"].values)),
                   exponent_spread=ds["exponent"].max("rule") - ds["exponent"].min("rule"))
    describe(ds, _ATTRS)
    ds["T"].attrs.update(units="J/k_B", long_name="temperature of the L x L Ising data")
    ds["T_exact"].attrs.update(units="J/k_B", long_name="temperature of the 4x4 lattice")
    ds.attrs.update(title="The mutual-information pairing rule (Landy et al. section III)",
                    L=p.L, tradeoff_T=p.tradeoff_T, T_near=near_tc(p.temperatures),
                    ksg_rho=p.ksg_rho)
    return ds


def verify_units(p: Params) -> list[Unit]:
    """The smallest plug-in and KSG tests, both hidden-partner sets, the exact test nearest
    T_c, and the max-correlation hierarchy at the highest temperature (no timings)."""
    t_near4 = near_tc(p.exact_T)
    picks = []
    for u in units(p):
        k = u["kind"]
        if (k == "plugin" and u["m"] == p.plugin_sizes[0]) \
                or (k == "ksg" and u["m"] == p.ksg_sizes[0]) or k == "hidden" \
                or (k == "exact" and u["T"] == t_near4) \
                or (k == "ising" and u["rule"] == "correlation"
                    and u["T"] == p.temperatures[-1]):
            picks.append(u)
    return picks


def summary(p: Params) -> str:
    """The sizes of a result, for the page's provenance box."""
    return (f"estimators with {p.n_rep} replicates up to m = {p.plugin_sizes[-1]:,} (plug-in) "
            f"and {p.ksg_sizes[-1]:,} (KSG); {p.n_pairs} hidden pairs in {p.m_hidden:,} "
            f"samples; Ising L = {p.L} ({p.L ** 2:,} spins), {p.n_samples:,} configurations at "
            f"{len(p.temperatures)} temperatures, {len(RULES)} pairing rules; a Gaussian field "
            f"of {p.field_L ** 2:,} variables")


STUDY = Study(name="information", version=1,
              description="mutual-information pairing: estimators, hidden partners, Gaussian "
                          "limit, Ising rules",
              presets=PRESETS, units=units, compute=compute, to_dataset=to_dataset,
              finish=finish, verify_units=verify_units, summary=summary, rtol=1e-6)


# ---- the chapter's figures: each draws one Dataset on the axes it is given -----------------

def plot_estimators(ds: xr.Dataset, axes: list[Axes]) -> None:
    """Bias against samples m, with the spread over replicates as bars. Left: the plug-in
    mutual information without (open) and with (filled) the Miller-Madow correction. Right:
    the KSG estimator for each test case."""
    left, right = axes
    curves = [(left, ds["plugin_error"].sel(estimate=e), e) for e in ("I plain", "I Miller-Madow")]
    curves += [(right, ds["ksg_error"].sel(case=c), c) for c in ds["case"].values]
    for i, (ax, e, label) in enumerate(curves):
        ax.errorbar(e[e.dims[0]], e.mean("replicate"), e.std("replicate", ddof=1), capsize=2,
                    label=str(label), mfc="white" if label == "I plain" else None,
                    **plotting.series(i % 2))
    for ax, ylabel in ((left, "bias of I (nats)"), (right, "KSG bias (nats)")):
        ax.axhline(0, color="k", lw=0.7)
        ax.set(xscale="log", xlabel="samples m", ylabel=ylabel)
        ax.legend()


def plot_hidden(ds: xr.Dataset, axes: list[Axes]) -> None:
    """Left: the example hidden pair (dependent, uncorrelated). Right: the fraction of the
    true pairs each rule finds on the continuous and the discrete data set (hatched)."""
    left, right = axes
    x, y = ds["example"].sel(xy="x").values, ds["example"].sel(xy="y").values
    left.plot(x, y, ".", ms=2, alpha=0.5, color=plotting.COLORS[0])
    left.set(xlabel="x", ylabel="y", title=f"corr = {np.corrcoef(x, y)[0, 1]:.3f}")
    names = {"square": "x, x^2 (continuous)", "abs": "x, |x| (discrete)"}
    n = ds.sizes["pairing"]
    for i, (data, label) in enumerate(names.items()):
        right.bar(np.arange(n) + (i - 0.5) * 0.38, ds["found"].sel(data=data), 0.38,
                  color=plotting.COLORS[i], hatch="//" if i else None, edgecolor="k",
                  label=label)
    right.set_xticks(np.arange(n), ds["pairing"].values)
    right.set(ylabel="true pairs found", ylim=(0, 1.05))
    right.legend()


def plot_tradeoff(ds: xr.Dataset, axes: list[Axes]) -> None:
    """Left: total relevance against total compression of the pairing chosen at each beta
    (colour bar). Right: the fraction of those pairs that are lattice neighbours."""
    left, right = axes
    comp, rel, beta = ds["tradeoff_compression"], ds["tradeoff_relevance"], ds["beta"]
    points = left.scatter(comp, rel, c=beta, cmap=plotting.CMAP, s=20, edgecolors="k",
                          linewidths=0.4)
    left.plot(comp, rel, "-", color="0.6", lw=0.8, zorder=0)
    left.figure.colorbar(points, ax=left, label="beta")
    left.set(xlabel="compression  sum H(Y)  (nats)", ylabel="relevance  sum I(X^c; Y)  (nats)")
    right.plot(beta, ds["tradeoff_neighbours"], **plotting.series(0))
    right.set(xlabel="beta", ylabel="neighbour pairs", ylim=(-0.05, 1.05))


def plot_gaussian(ds: xr.Dataset, axes: list[Axes]) -> None:
    """The fraction of the information rule's pairs that each linear rule (one panel each)
    also chooses, against beta, for every variant of the objective."""
    for ax, linear in zip(axes, ds["linear"].values, strict=True):
        for i, variant in enumerate(ds["variant"].values):
            ax.plot(ds["gauss_beta"] + 0.01, ds["agree"].sel(variant=variant, linear=linear),
                    label=str(variant), **plotting.series(i))
        ax.set(xscale="log", xlabel="beta + 0.01", title=f"agreement with '{linear}'")
    axes[0].set_ylabel("fraction of the same pairs")
    axes[0].legend()


def plot_ising(ds: xr.Dataset, exponent_ax: Axes, neighbour_ax: Axes,
               cluster_axes: list[Axes]) -> None:
    """Exponent and level-1 neighbour fraction against T for every rule (dotted: the
    nearest-neighbour correlation, dashed: that of the most distant spins, grey: 1/3 and
    T_c), and the stored clusters near T_c, one rule per axes of ``cluster_axes``."""
    for i, rule_name in enumerate(ds["rule"].values):
        style = plotting.series(i)
        exponent_ax.plot(ds["T"], ds["exponent"].sel(rule=rule_name), label=str(rule_name),
                         **style)
        neighbour_ax.plot(ds["T"], ds["neighbours"].sel(rule=rule_name), **style)
    neighbour_ax.plot(ds["T"], ds["rho_nn"], "k:", ds["T"], ds["rho_far"], "k--")
    neighbour_ax.axhline(1 / 3, color="0.6", lw=0.8)
    exponent_ax.legend(fontsize=7)
    exponent_ax.set(xlabel="T", ylabel="mean-variance exponent")
    neighbour_ax.set(xlabel="T", ylabel="level-1 neighbour pairs")
    for ax in (exponent_ax, neighbour_ax):
        ax.axvline(T_C, color="0.6", lw=0.8)
    L = ds.attrs["L"]
    for ax, r in zip(cluster_axes, ds["cluster_rule"].values, strict=True):
        plotting.cluster_map(ax, cluster_image(ds["clusters"].sel(cluster_rule=r),
                                               np.arange(L * L), (L, L)))
        ax.set(title=f"{r}, T = {ds.attrs['T_near']}")
