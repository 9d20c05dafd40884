#!/usr/bin/python3
"""The OptNet paper's Sudoku training step on qpth, for `pnpm bench sudoku`.

Reads the inputs the TypeScript bench wrote (--inputs DIR: X, Y, A, logZ0 as
little-endian float64 .bin files and meta.json with their shapes), runs the
paper's model on qpth (QPFunction, Q = 0.1 I, G = -I, h = 0, b = A exp(logZ0);
MSE loss; Adam at lr 0.1) and prints one JSON line: the median step time, and
the first forward's z (to compare with ours). qpth is loaded from the peer
copy in ../shared/peers/qpth (QPTH_PATH), never installed or copied.
"""
import argparse, json, os, sys, time, types

import numpy as np
import torch


def load_qpth(path):
    if not os.path.isdir(os.path.join(path, 'qpth')):
        sys.exit(f'qpth not found under {path}; set QPTH_PATH')
    try:
        import cvxpy  # noqa: F401
    except ImportError:  # only qpth's optional CVXPY solver needs it
        sys.modules['cvxpy'] = types.ModuleType('cvxpy')
    sys.path.insert(0, path)
    from qpth.qp import QPFunction
    return QPFunction


def read(d, meta, name):
    a = np.fromfile(os.path.join(d, name + '.bin'), dtype='<f8')
    return torch.tensor(a.reshape(meta[name]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--inputs', required=True)
    ap.add_argument('--reps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    here = os.path.dirname(os.path.abspath(__file__))
    QPFunction = load_qpth(os.environ.get('QPTH_PATH', os.path.join(here, '..', '..', '..', 'shared', 'peers', 'qpth')))
    meta = json.load(open(os.path.join(a.inputs, 'meta.json')))
    X, Y = read(a.inputs, meta, 'X'), read(a.inputs, meta, 'Y')
    A = torch.nn.Parameter(read(a.inputs, meta, 'A'))
    log_z0 = torch.nn.Parameter(read(a.inputs, meta, 'logZ0'))
    nz = X.shape[1]
    Q = 0.1 * torch.eye(nz, dtype=torch.float64)
    G = -torch.eye(nz, dtype=torch.float64)
    h = torch.zeros(nz, dtype=torch.float64)
    opt = torch.optim.Adam([A, log_z0], lr=0.1)
    qp = QPFunction(verbose=-1)

    def forward():
        return qp(Q, -X, G, h, A, A.mv(log_z0.exp()))

    with torch.no_grad():
        z0 = forward()

    def step():
        z = forward()
        loss = torch.nn.functional.mse_loss(z, Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    ts = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t0)
    print(json.dumps({
        'peer': 'qpth', 'torch': torch.__version__, 'threads': torch.get_num_threads(),
        'step_median_s': float(np.median(ts)), 'steps_s': [round(t, 6) for t in ts],
        'z': z0.numpy().ravel().tolist(),
    }))


if __name__ == '__main__':
    main()
