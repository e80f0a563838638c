"""scikit-learn peer for bench/models.ts: same data files, same model sizes, one thread.

Times are CPU times (time.process_time), like the TypeScript side (process.cpuUsage).

Usage: python3 bench/models_sklearn.py DIR   (DIR written by bench/models.ts)
Prints progress lines starting with '#', then one JSON line of figures last.
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.svm import OneClassSVM  # noqa: E402

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None


def best(reps, fn):
    t = float("inf")
    out = None
    for _ in range(reps):
        s = time.process_time()
        out = fn()
        t = min(t, time.process_time() - s)
    return t, out


def main(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    n, dim, k, n_train = meta["n"], meta["d"], meta["k"], meta["nTrain"]
    scaled = np.fromfile(os.path.join(d, "scaled.f64"), dtype="<f8").reshape(n, dim)
    proj = np.fromfile(os.path.join(d, "proj.f64"), dtype="<f8").reshape(n, k)
    labels = np.fromfile(os.path.join(d, "labels.u8"), dtype=np.uint8)
    y = labels[n_train:]
    fig = {"version": sklearn.__version__}

    # Isolation Forest: same trees, max_samples=256, n_jobs=1, on our scaled input.
    forest = None

    def fit():
        nonlocal forest
        forest = IsolationForest(n_estimators=meta["trees"], max_samples=256, random_state=0, n_jobs=1)
        forest.fit(scaled[:n_train])

    fit_s, _ = best(3, fit)
    score_s, scores = best(3, lambda: -forest.score_samples(scaled))
    fig["iforestFitSeconds"] = fit_s
    fig["iforestScoreRowsPerSecond"] = n / score_s
    fig["iforestAuc"] = roc_auc_score(y, scores[n_train:])
    print(f"# sklearn iforest: fit {fit_s:.3f} s, {n / score_s:.0f} rows/s, AUC {fig['iforestAuc']:.4f}", flush=True)

    # One-Class SVM on the same rows libsvm got (our seeded 5 000-row sample is re-drawn here
    # from the same PCA-projected training rows with numpy: same size, same nu and gamma).
    rng = np.random.default_rng(meta["seed"])
    idx = np.sort(rng.choice(n_train, size=min(meta["svmTrain"], n_train), replace=False))
    svm = OneClassSVM(kernel="rbf", nu=meta["nu"], gamma=meta["gamma"])
    t0 = time.process_time()
    svm.fit(proj[idx])
    fig["ocsvmFitSeconds"] = time.process_time() - t0
    fig["ocsvmSupportVectors"] = int(svm.support_vectors_.shape[0])
    fig["ocsvmAuc"] = roc_auc_score(y, -svm.decision_function(proj[n_train:]))
    svm_full = OneClassSVM(kernel="rbf", nu=meta["nu"], gamma="scale").fit(scaled[idx])
    fig["ocsvmAucFullDim"] = roc_auc_score(y, -svm_full.decision_function(scaled[n_train:]))

    svm500 = OneClassSVM(kernel="rbf", nu=meta["nu500"], gamma=meta["gamma500"]).fit(proj[idx])
    sv = svm500.support_vectors_.shape[0]
    dec_s, _ = best(3, lambda: svm500.decision_function(proj))
    fig["ocsvmThroughputSupportVectors"] = int(sv)
    fig["ocsvmVectorsPerSecond"] = n / dec_s
    fig["ocsvmVectorsPerSecondPer500Sv"] = n / dec_s * sv / 500
    print(f"# sklearn ocsvm: {sv} SV, {n / dec_s:.0f} vectors/s, AUC {fig['ocsvmAuc']:.4f} (full dim {fig['ocsvmAucFullDim']:.4f})", flush=True)
    return fig


if __name__ == "__main__":
    if threadpool_limits is not None:
        with threadpool_limits(limits=1):
            result = main(sys.argv[1])
    else:
        result = main(sys.argv[1])
    print(json.dumps({k: (round(v, 6) if isinstance(v, float) else v) for k, v in result.items()}))
