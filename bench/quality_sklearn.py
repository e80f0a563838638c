"""Detection quality of scikit-learn models on the same labeled capture as netids, two ways:

1. the seed project's approach: one vector per packet (source and destination address as
   numbers, ports, protocol, length, timestamp), IsolationForest and OneClassSVM with default
   settings, trained on the packets of the baseline period;
2. netids's flow features (exported by bench/quality.ts), same models, same baseline.

Usage: python3 bench/quality_sklearn.py PCAP LABELS FLOWS_CSV TRAIN_UNTIL_EPOCH
Prints one JSON line.
"""
import csv
import ipaddress
import json
import subprocess
import sys

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

pcap, labels_path, flows_csv, train_until = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

windows = []
with open(labels_path) as f:
    for row in csv.DictReader(f):
        windows.append((float(row['start_epoch']), float(row['end_epoch']), row['attacker_ip'], row['victim_ip_or_*']))


def malicious(src, dst, t0, t1):
    for start, end, attacker, victim in windows:
        if t1 < start or t0 > end:
            continue
        peer = dst if src == attacker else src if dst == attacker else None
        if peer is not None and (victim == '*' or peer == victim):
            return True
    return False


def quality(scores, truth, flagged):
    truth = np.asarray(truth, dtype=bool)
    flagged = np.asarray(flagged, dtype=bool)
    benign = ~truth
    return {
        'rocAuc': round(float(roc_auc_score(truth, scores)), 4),
        'prAuc': round(float(average_precision_score(truth, scores)), 4),
        'fpr': round(float(flagged[benign].mean()), 4),
        'recall': round(float(flagged[truth].mean()), 4),
    }


def fit_and_score(x_train, x_test, truth):
    out = {}
    iforest = IsolationForest(n_estimators=100, random_state=1).fit(x_train)
    out['iforest'] = quality(-iforest.score_samples(x_test), truth, iforest.predict(x_test) == -1)
    train = x_train[np.random.default_rng(1).permutation(len(x_train))[:5000]]
    scaler = StandardScaler().fit(train)
    svm = OneClassSVM(kernel='rbf', nu=0.05, gamma='scale').fit(scaler.transform(train))
    xs = scaler.transform(x_test)
    out['ocsvm'] = quality(-svm.decision_function(xs), truth, svm.predict(xs) == -1)
    return out


def ip_number(text):
    try:
        return float(int(ipaddress.ip_address(text)))
    except ValueError:
        return 0.0


# 1. The seed approach: per-packet features.
fields = ['frame.time_epoch', 'ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'ip.proto', 'frame.len']
tshark = subprocess.run(['tshark', '-r', pcap, '-Y', 'ip', '-T', 'fields', *sum([['-e', f] for f in fields], []), '-E', 'separator=/t', '-E', 'occurrence=f'],
                        capture_output=True, text=True, check=True)
rows, truth, times = [], [], []
for line in tshark.stdout.splitlines():
    c = line.split('\t')
    if len(c) < 9 or not c[1]:
        continue
    t = float(c[0])
    sport = float(c[3] or c[5] or 0)
    dport = float(c[4] or c[6] or 0)
    rows.append([ip_number(c[1]), ip_number(c[2]), sport, dport, float(c[7] or 0), float(c[8]), t])
    truth.append(malicious(c[1], c[2], t, t))
    times.append(t)
x = np.array(rows)
times = np.array(times)
train_mask = times < train_until
test_mask = ~train_mask
seed = fit_and_score(x[train_mask], x[test_mask], np.array(truth)[test_mask])
seed['trainRows'] = int(train_mask.sum())
seed['testRows'] = int(test_mask.sum())

# 2. netids's flow features through scikit-learn.
with open(flows_csv) as f:
    reader = csv.reader(f)
    header = next(reader)
    flows = [r for r in reader]
feat = np.array([[float(v) for v in r[3:]] for r in flows])
last_seen = np.array([float(r[2]) for r in flows])
flow_truth = np.array([r[0] == '1' for r in flows])
ftrain = last_seen < train_until
ours = fit_and_score(feat[ftrain], feat[~ftrain], flow_truth[~ftrain])
ours['trainRows'] = int(ftrain.sum())
ours['testRows'] = int((~ftrain).sum())
print(json.dumps({'seedApproach': seed, 'netidsFeaturesSklearn': ours}))
