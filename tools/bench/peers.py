"""Peer benchmark: the same decide + update work as tools/bench/main.ts's LinUCB run, done by
MABWiser (LinUCB) and Vowpal Wabbit (cb_explore_adf), in one Python process.

Usage: python peers.py --k 16 --d 64 --iterations 2000 --warmup 200 --seed 1
Prints one JSON object on the last line: {name: {perSec, decideP50Us, ...} | {error}}.
A peer that cannot be imported or fails is reported with its error; the script never crashes.
"""
import argparse
import json
import math
import random
import sys
import time
import traceback


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1)))]


def version_of(dist):
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


def summarise(decide_ns, update_ns, extra):
    d_us = [v / 1000 for v in decide_ns]
    u_us = [v / 1000 for v in update_ns]
    cycle_mean = (sum(d_us) + sum(u_us)) / len(d_us)
    out = {
        "perSec": 1e6 / cycle_mean,
        "unit": "decide+update cycles per second",
        "iterations": len(d_us),
        "decideP50Us": percentile(d_us, 0.5),
        "decideP99Us": percentile(d_us, 0.99),
        "updateP50Us": percentile(u_us, 0.5),
        "updateP99Us": percentile(u_us, 0.99),
    }
    out.update(extra)
    return out


def make_problem(k, d, n_pool, seed):
    rnd = random.Random(seed)
    pool = [[rnd.gauss(0, 1) / math.sqrt(d) for _ in range(d)] for _ in range(n_pool)]
    thetas = [[rnd.gauss(0, 1) / math.sqrt(d) for _ in range(d)] for _ in range(k)]

    def quality(arm, x):
        m = 0.5 + sum(t * v for t, v in zip(thetas[arm], x))
        return min(1.0, max(0.0, m + rnd.gauss(0, 0.1)))

    return pool, quality


def bench_mabwiser(k, d, iterations, warmup, seed):
    import numpy as np
    from mabwiser.mab import MAB, LearningPolicy

    pool, quality = make_problem(k, d, 1024, seed)
    pool_np = [np.asarray(x, dtype=np.float64).reshape(1, -1) for x in pool]
    mab = MAB(arms=list(range(k)), learning_policy=LearningPolicy.LinUCB(alpha=1.0, l2_lambda=1.0), seed=seed)
    # MABWiser needs one fit before predicting: one observation per arm.
    mab.fit(decisions=list(range(k)), rewards=[0.5] * k, contexts=np.vstack([pool_np[i % 1024] for i in range(k)]))
    decide_ns, update_ns = [], []
    for i in range(warmup + iterations):
        x = pool_np[i % 1024]
        t0 = time.perf_counter_ns()
        arm = mab.predict(x)
        t1 = time.perf_counter_ns()
        mab.partial_fit([arm], [quality(arm, pool[i % 1024])], x)
        t2 = time.perf_counter_ns()
        if i >= warmup:
            decide_ns.append(t1 - t0)
            update_ns.append(t2 - t1)
    return summarise(decide_ns, update_ns, {"version": version_of("mabwiser"), "policy": "LinUCB(alpha=1, l2_lambda=1)"})


def bench_vw(k, d, iterations, warmup, seed):
    import vowpalwabbit

    pool, quality = make_problem(k, d, 1024, seed)
    shared = ["shared |S " + " ".join(f"f{j}:{v:.6f}" for j, v in enumerate(x)) for x in pool]
    actions = [f"|A a{a}" for a in range(k)]
    # -q SA: every action gets its own linear model over the shared features (disjoint, like LinUCB).
    vw = vowpalwabbit.Workspace(f"--cb_explore_adf -q SA --epsilon 0.1 --quiet --random_seed {seed}")
    rnd = random.Random(seed + 1)
    decide_ns, update_ns = [], []
    for i in range(warmup + iterations):
        s = shared[i % 1024]
        t0 = time.perf_counter_ns()
        pmf = vw.predict([s] + actions)
        u = rnd.random()
        arm = k - 1
        acc = 0.0
        for a, p in enumerate(pmf):
            acc += p
            if u < acc:
                arm = a
                break
        t1 = time.perf_counter_ns()
        q = quality(arm, pool[i % 1024])
        labelled = [s] + actions
        labelled[1 + arm] = f"0:{-q:.6f}:{pmf[arm]:.6f} {actions[arm]}"
        vw.learn(labelled)
        t2 = time.perf_counter_ns()
        if i >= warmup:
            decide_ns.append(t1 - t0)
            update_ns.append(t2 - t1)
    vw.finish()
    return summarise(decide_ns, update_ns, {"version": version_of("vowpalwabbit"), "policy": "cb_explore_adf -q SA --epsilon 0.1"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="mabwiser,vowpalwabbit")
    a = ap.parse_args()
    out = {}
    peers = {"mabwiser": bench_mabwiser, "vowpalwabbit": bench_vw}
    for name in a.only.split(","):
        try:
            out[name] = peers[name](a.k, a.d, a.iterations, a.warmup, a.seed)
        except Exception as e:  # a peer failing must not take the others down
            out[name] = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=3)}
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
