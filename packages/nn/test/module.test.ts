import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import {
  BatchNorm1d,
  decodeSafetensors,
  Dropout,
  encodeSafetensors,
  Linear,
  Module,
  NnError,
  ReLU,
  Sequential,
  SGD,
} from '@optnet/nn';

const f64 = { dtype: 'float64' } as const;
const vals = (t: Tensor): number[] => Array.from(t.dataSync());

/** Sequential(Linear, BatchNorm1d, ReLU, Sequential(Linear, Dropout)). */
function makeNet(seed = 0): Sequential {
  const rng = T.makeRng(seed);
  return new Sequential(
    new Linear(3, 4, { ...f64, rng }),
    new BatchNorm1d(4, f64),
    new ReLU(),
    new Sequential(
      new Linear(4, 2, { ...f64, rng }),
      new Dropout(0.5, { rng }),
    ),
  );
}

function throwsState(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, NnError);
    assert.is((e as NnError).code, 'STATE_MISMATCH');
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable('expected STATE_MISMATCH');
}

test('discovery: PyTorch dotted names; parameters in order; buffers apart', () => {
  const net = makeNet();
  assert.equal(
    net.namedParameters().map(([n]) => n),
    ['0.weight', '0.bias', '1.weight', '1.bias', '3.0.weight', '3.0.bias'],
  );
  assert.equal(
    net.namedBuffers().map(([n]) => n),
    ['1.running_mean', '1.running_var', '1.num_batches_tracked'],
  );
  assert.equal(Object.keys(net.stateDict()), [
    '0.weight',
    '0.bias',
    '1.weight',
    '1.bias',
    '1.running_mean',
    '1.running_var',
    '1.num_batches_tracked',
    '3.0.weight',
    '3.0.bias',
  ]);
  const bn = net.at(1) as BatchNorm1d;
  const params = net.parameters();
  assert.ok(
    params[0] === (net.at(0) as Linear).weight && params[2] === bn.weight,
  );
  assert.not.ok(
    params.includes(bn.runningMean!) || params.includes(bn.runningVar!),
  );
  assert.equal(
    [...net.namedModules()].map(([n]) => n),
    ['', '0', '1', '2', '3', '3.0', '3.1'],
  );
  // 3·4 + 4 (Linear) + 4 + 4 (BatchNorm affine) + 4·2 + 2 (Linear) = 34
  assert.is(net.numParameters(), 34);
});

test('frozen parameters stay in parameters and stateDict; numParameters({ trainable })', () => {
  const net = makeNet();
  const lin = net.at(0) as Linear;
  lin.weight.requiresGrad = false;
  assert.ok(net.stateDict()['0.weight'] === lin.weight);
  assert.ok(net.parameters().includes(lin.weight));
  assert.is(net.numParameters({ trainable: true }), 34 - 12);
});

test('a custom module: named children, private tensors hidden, toString tree', () => {
  class Block extends Module {
    fc1 = new Linear(2, 3);
    act = new ReLU();
    fc2 = new Linear(3, 1, { bias: false });
    scale: Tensor = T.ones([1], { requiresGrad: true });
    #cache = T.zeros([5]);
    forward(x: Tensor): Tensor {
      return this.fc2
        .forward(this.act.forward(this.fc1.forward(x)))
        .mul(this.scale)
        .add(this.#cache.sum());
    }
  }
  const b = new Block();
  assert.equal(
    b.namedParameters().map(([n]) => n),
    ['scale', 'fc1.weight', 'fc1.bias', 'fc2.weight'],
  );
  assert.equal(b.forward(T.ones([4, 2])).shape, [4, 1]);
  assert.is(
    String(makeNet()),
    [
      'Sequential(',
      '  (0): Linear(in_features=3, out_features=4, bias=true)',
      '  (1): BatchNorm1d(4, eps=0.00001, momentum=0.1, affine=true, track_running_stats=true)',
      '  (2): ReLU()',
      '  (3): Sequential(',
      '    (0): Linear(in_features=4, out_features=2, bias=true)',
      '    (1): Dropout(p=0.5)',
      '  )',
      ')',
    ].join('\n'),
  );
});

test('train/eval recurse into every submodule and change behaviour', () => {
  const net = makeNet();
  net.eval();
  assert.ok([...net.namedModules()].every(([, m]) => !m.training));
  const x = T.randn([5, 3], { ...f64, rng: T.makeRng(1) });
  // Eval: dropout off and batch norm on running stats, so the output is
  // deterministic.
  assert.equal(vals(net.forward(x)), vals(net.forward(x)));
  assert.is((net.at(1) as BatchNorm1d).numBatchesTracked!.itemSync(), 0);
  net.train();
  assert.ok([...net.namedModules()].every(([, m]) => m.training));
  net.forward(x);
  assert.is((net.at(1) as BatchNorm1d).numBatchesTracked!.itemSync(), 1);
});

test('zeroGrad clears every parameter gradient after backward', () => {
  const net = makeNet();
  net
    .forward(T.randn([6, 3], { ...f64, rng: T.makeRng(2) }))
    .square()
    .sum()
    .backward();
  assert.ok(net.parameters().every((p) => p.grad !== null));
  assert.ok(net.namedBuffers().every(([, b]) => b.grad === null));
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === null));
});

test('loadStateDict copies values into the same tensor objects; the source stays independent', () => {
  const a = makeNet(1);
  const b = makeNet(2);
  a.forward(T.randn([4, 3], { ...f64, rng: T.makeRng(3) })); // moves a's running stats off their defaults
  const before = b.stateDict();
  const sa = a.stateDict();
  b.loadStateDict(sa);
  for (const [name, t] of Object.entries(b.stateDict())) {
    assert.ok(t === before[name], `${name} kept its tensor object`);
    assert.equal(vals(t), vals(sa[name]), name);
  }
  // Changing the source afterwards does not reach the loaded copy.
  const w = (a.at(0) as Linear).weight;
  const old = vals(w);
  w.assign(T.zeros(w.shape, f64));
  assert.equal(vals(b.stateDict()['0.weight']), old);
  const x = T.randn([3, 3], { ...f64, rng: T.makeRng(4) });
  a.loadStateDict(b.stateDict());
  a.eval();
  b.eval();
  assert.equal(vals(a.forward(x)), vals(b.forward(x)));
});

test('stateDict is a plain object; a safetensors round trip of it loads back', () => {
  const a = makeNet(1);
  const sd = a.stateDict();
  assert.is(Object.getPrototypeOf(sd), Object.prototype);
  assert.is(Object.keys(sd).length, 9, '6 parameters and 3 buffers');
  assert.ok(sd['0.weight'] === (a.at(0) as Linear).weight, 'live tensors');
  const b = makeNet(2);
  b.loadStateDict(decodeSafetensors(encodeSafetensors(sd)).tensors);
  for (const [name, t] of Object.entries(b.stateDict()))
    assert.equal(vals(t), vals(sd[name]), name);
});

test('loadStateDict errors: missing/unexpected names, shape or dtype mismatch; strict false', () => {
  const net = makeNet();
  const state = makeNet(5).stateDict();
  delete state['1.running_var'];
  state['extra.weight'] = T.zeros([1], f64);
  throwsState(
    () => net.loadStateDict(state),
    /missing \[1\.running_var\].*unexpected \[extra\.weight\]/,
  );
  const beforeVar = vals((net.at(1) as BatchNorm1d).runningVar!);
  delete state['extra.weight'];
  net.loadStateDict(state, { strict: false });
  assert.equal(vals(net.stateDict()['0.weight']), vals(state['0.weight']));
  assert.equal(vals((net.at(1) as BatchNorm1d).runningVar!), beforeVar);
  // A Map is accepted too (what decodeSafetensors returns).
  const bad = new Map(Object.entries(makeNet().stateDict()));
  bad.set('0.weight', T.zeros([3, 4], f64));
  throwsState(
    () => net.loadStateDict(bad),
    /'0\.weight' must be float64\[4, 3\]; got float64\[3, 4\]/,
  );
  bad.set('0.weight', T.zeros([4, 3]));
  throwsState(() => net.loadStateDict(bad), /got float32\[4, 3\]/);
});

test('an array of submodules (ModuleList) or of tensors (ParameterList) is registered: dotted names, training, eval, state round trip', () => {
  class Stack extends Module {
    layers: Module[];
    scales: Tensor[];
    constructor() {
      super();
      const rng = T.makeRng(4);
      this.layers = [
        new Linear(2, 3, { rng }),
        new Dropout(0.5),
        new Linear(3, 1, { rng }),
      ];
      this.scales = [
        T.ones([1], { requiresGrad: true }),
        T.ones([1], { requiresGrad: true }),
      ];
    }
    forward(x: Tensor): Tensor {
      let y = x;
      for (const m of this.layers) y = m.forward(y);
      return y.mul(this.scales[0]).mul(this.scales[1]);
    }
  }
  const m = new Stack();
  assert.equal(
    m.namedParameters().map(([n]) => n),
    [
      'scales.0',
      'scales.1',
      'layers.0.weight',
      'layers.0.bias',
      'layers.2.weight',
      'layers.2.bias',
    ],
  );
  assert.equal(
    m.namedChildren().map(([n]) => n),
    ['layers.0', 'layers.1', 'layers.2'],
  );
  // eval reaches the Dropout inside the array
  m.eval();
  assert.is((m.layers[1] as Module).training, false);
  // an optimizer step moves the array's parameters
  const before = Array.from(m.layers[0].parameters()[0].dataSync());
  const opt = new SGD(m.parameters(), { lr: 0.1 });
  m.forward(T.ones([4, 2]))
    .sum()
    .backward();
  opt.step();
  assert.not.equal(Array.from(m.layers[0].parameters()[0].dataSync()), before);
  // a module held twice (in the array and as a property) is listed once
  const twice = new Stack() as Stack & { head?: Module };
  twice.head = twice.layers[2];
  assert.is(twice.parameters().length, 6);
  new SGD(twice.parameters(), { lr: 0.1 }); // no repeated tensor
  // a state dict round trip into a fresh model gives the same outputs
  const other = new Stack();
  other.loadStateDict(m.stateDict());
  other.eval();
  const x = T.randn([3, 2], { rng: T.makeRng(5) });
  assert.equal(other.forward(x).arraySync(), m.forward(x).arraySync());
});

test.run();
