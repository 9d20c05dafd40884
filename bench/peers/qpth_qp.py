#!/usr/bin/python3
"""qpth's QPFunction on the QPs `pnpm bench` solves, for its qp rows.

Reads the inputs the TypeScript bench wrote (--inputs DIR: Q p G h [A b] c as
little-endian float64 .bin files, meta.json with their shapes), times qpth's
forward (under no_grad) and forward + backward of sum(z * c) on one thread,
and prints one JSON line: the per-rep times of both. With --out it also
writes qpth's z and the gradients dQ dp dG dh [dA db] into DIR as
out_<name>.bin, to be compared with ours. qpth's defaults are kept (eps
1e-12, maxIter 20). qpth is loaded from the peer copy in
../shared/peers/qpth (QPTH_PATH), never installed or copied.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--inputs', required=True)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, '..', '..', '..', 'shared', 'peers', 'qpth')
    QPFunction = load_qpth(os.environ.get('QPTH_PATH', default))
    meta = json.load(open(os.path.join(a.inputs, 'meta.json')))

    def read(name):
        x = np.fromfile(os.path.join(a.inputs, name + '.bin'), dtype='<f8')
        return torch.tensor(x.reshape(meta[name]))

    names = [n for n in ['Q', 'p', 'G', 'h', 'A', 'b'] if n in meta]
    data = {n: read(n) for n in names}
    c = read('c')
    empty = torch.empty(0, dtype=torch.float64)  # qpth's "no equalities"
    qp = QPFunction(verbose=-1)

    def solve(d):
        return qp(d['Q'], d['p'], d['G'], d['h'], d.get('A', empty), d.get('b', empty))

    def fwd():
        with torch.no_grad():
            return solve(data)

    def fwd_bwd():
        d = {n: v.clone().requires_grad_() for n, v in data.items()}
        z = solve(d)
        (z * c).sum().backward()
        return z.detach(), {n: d[n].grad for n in names}

    def timeit(f):
        for _ in range(a.warmup):
            f()
        ts = []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            out = f()
            ts.append(time.perf_counter() - t0)
        return ts, out

    ts_f, _ = timeit(fwd)
    ts_fb, (z, grads) = timeit(fwd_bwd)
    if a.out:
        for n, v in [('z', z)] + [('d' + k, g) for k, g in grads.items()]:
            np.ascontiguousarray(v.numpy(), dtype='<f8').tofile(
                os.path.join(a.inputs, 'out_' + n + '.bin'))
    print(json.dumps({
        'peer': 'qpth', 'torch': torch.__version__, 'threads': torch.get_num_threads(),
        'forward_s': ts_f, 'fwd_bwd_s': ts_fb,
    }))


if __name__ == '__main__':
    main()
