#!/usr/bin/env python3
"""PyTorch / JAX peer of the nibble bench (apps/bench/src/targets/python/python-peer-target.ts).

  peer.py --framework torch|jax --probe   prints one JSON line: {"ok": true, "version": ...} or {"ok": false, "reason": ...}
  peer.py --framework torch|jax --serve   reads JSON commands, one per line, answers one JSON line each:
      {"cmd": "prepare", "case": {...train-cases.json case...}, "arrays": {name: {"path", "dtype", "length"}}}
      {"cmd": "step", "out": path}   one step; the loss, or the output written to `path` as raw float32
      {"cmd": "release"}

The models follow train-cases.json "models" exactly (gate order i, f, g, o; pre-LN block; plain SGD). The data
comes from the TypeScript side, so both sides see the same float32 arrays.
"""
import argparse
import json
import sys


def load_numpy():
    import numpy as np  # noqa: PLC0415 - optional dependency, imported only when the peer is used
    return np


def probe(framework):
    try:
        np = load_numpy()
    except ImportError as e:
        return {"ok": False, "reason": f"python3 has no numpy ({e}); install numpy and {framework}"}
    try:
        if framework == "torch":
            import torch
            return {"ok": True, "version": torch.__version__, "threads": torch.get_num_threads(), "numpy": np.__version__}
        import jax
        return {"ok": True, "version": jax.__version__, "devices": ",".join(str(d) for d in jax.devices()), "numpy": np.__version__}
    except ImportError as e:
        return {"ok": False, "reason": f"python3 cannot import {framework}: {e}"}


def read_arrays(np, arrays):
    out = {}
    for name, spec in arrays.items():
        out[name] = np.fromfile(spec["path"], dtype=np.float32 if spec["dtype"] == "float32" else np.int32, count=spec["length"])
    return out


# ---------------------------------------------------------------- PyTorch

def torch_case(case, a):
    import torch
    t = {k: torch.from_numpy(v.copy()) for k, v in a.items()}
    kind = case["kind"]
    if kind == "matmul":
        n = case["n"]
        A, B = t["a"].reshape(n, n), t["b"].reshape(n, n)

        def step():
            with torch.no_grad():
                return ("tensor", (A @ B).numpy(), [n, n])
        return step
    if kind in ("lstm_infer", "lstm_train"):
        Bn, T, I, H, C = case["B"], case["T"], case["I"], case["H"], case["C"]
        p = {
            "wx": t["wx"].reshape(I, 4 * H), "wh": t["wh"].reshape(H, 4 * H), "b": t["b"],
            "wd": t["wd"].reshape(H, C), "bd": t["bd"],
        }
        for v in p.values():
            v.requires_grad_(kind == "lstm_train")
        x = t["x"].reshape(Bn * T, I)

        def logits():
            xw = (x @ p["wx"] + p["b"]).reshape(Bn, T, 4 * H)
            h = torch.zeros(Bn, H)
            c = torch.zeros(Bn, H)
            hs = []
            for s in range(T):
                z = xw[:, s] + h @ p["wh"]
                zi, zf, zg, zo = z.split(H, dim=1)
                c = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)
                h = torch.sigmoid(zo) * torch.tanh(c)
                hs.append(h)
            return torch.stack(hs, 1).reshape(Bn * T, H) @ p["wd"] + p["bd"]
        if kind == "lstm_infer":
            def step():
                with torch.no_grad():
                    return ("tensor", logits().numpy(), [Bn, T, C])
            return step
        labels = t["labels"].long()
        return torch_sgd_step(list(p.values()), lambda: torch.nn.functional.cross_entropy(logits(), labels), case["lr"])
    if kind == "transformer_train":
        return torch_transformer(case, t)
    raise ValueError(f"unknown case kind {kind}")


def torch_sgd_step(params, loss_fn, lr):
    import torch

    def step():
        for q in params:
            q.grad = None
        loss = loss_fn()
        loss.backward()
        with torch.no_grad():
            for q in params:
                q -= lr * q.grad
        return ("loss", float(loss.item()), None)
    return step


def torch_transformer(case, t):
    import torch
    Bn, S, D, F, heads = case["B"], case["S"], case["D"], case["F"], case["heads"]
    dh = D // heads
    shapes = {"wq": (D, D), "wk": (D, D), "wv": (D, D), "wo": (D, D), "w1": (D, F), "w2": (F, D)}
    names = ["wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo", "w1", "b1", "w2", "b2", "ln1Gamma", "ln1Beta", "ln2Gamma", "ln2Beta"]
    p = {k: (t[k].reshape(shapes[k]) if k in shapes else t[k]).requires_grad_(True) for k in names}
    x = t["x"].reshape(Bn * S, D)
    target = t["target"].reshape(Bn * S, D)

    def ln(v, g, b):
        mean = v.mean(-1, keepdim=True)
        var = ((v - mean) ** 2).mean(-1, keepdim=True)
        return (v - mean) / torch.sqrt(var + 1e-5) * g + b

    def heads_of(v):
        return v.reshape(Bn, S, heads, dh).transpose(1, 2)

    def block():
        n1 = ln(x, p["ln1Gamma"], p["ln1Beta"])
        q, k, w = (heads_of(n1 @ p[f"w{s}"] + p[f"b{s}"]) for s in ("q", "k", "v"))
        att = torch.softmax(q @ k.transpose(-1, -2) / dh ** 0.5, dim=-1) @ w
        a = x + att.transpose(1, 2).reshape(Bn * S, D) @ p["wo"] + p["bo"]
        n2 = ln(a, p["ln2Gamma"], p["ln2Beta"])
        return a + torch.relu(n2 @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
    return torch_sgd_step(list(p.values()), lambda: ((block() - target) ** 2).mean(), case["lr"])


# ---------------------------------------------------------------- JAX

def jax_case(case, a):
    import jax
    import jax.numpy as jnp
    np = load_numpy()
    kind = case["kind"]
    if kind == "matmul":
        n = case["n"]
        A, B = jnp.asarray(a["a"].reshape(n, n)), jnp.asarray(a["b"].reshape(n, n))
        mm = jax.jit(jnp.matmul)

        def step():
            return ("tensor", np.asarray(mm(A, B).block_until_ready()), [n, n])
        return step
    if kind in ("lstm_infer", "lstm_train"):
        Bn, T, I, H, C = case["B"], case["T"], case["I"], case["H"], case["C"]
        params = {
            "wx": jnp.asarray(a["wx"].reshape(I, 4 * H)), "wh": jnp.asarray(a["wh"].reshape(H, 4 * H)), "b": jnp.asarray(a["b"]),
            "wd": jnp.asarray(a["wd"].reshape(H, C)), "bd": jnp.asarray(a["bd"]),
        }
        x = jnp.asarray(a["x"].reshape(Bn, T, I))

        def logits(p):
            xw = jnp.einsum("bti,ig->tbg", x, p["wx"]) + p["b"]

            def cell(carry, xt):
                h, c = carry
                z = xt + h @ p["wh"]
                zi, zf, zg, zo = jnp.split(z, 4, axis=1)
                c = jax.nn.sigmoid(zf) * c + jax.nn.sigmoid(zi) * jnp.tanh(zg)
                h = jax.nn.sigmoid(zo) * jnp.tanh(c)
                return (h, c), h
            zeros = jnp.zeros((Bn, H), jnp.float32)
            _, hs = jax.lax.scan(cell, (zeros, zeros), xw)  # [T, B, H]
            return jnp.transpose(hs, (1, 0, 2)).reshape(Bn * T, H) @ p["wd"] + p["bd"]
        if kind == "lstm_infer":
            fwd = jax.jit(logits)

            def step():
                return ("tensor", np.asarray(fwd(params).block_until_ready()), [Bn, T, C])
            return step
        labels = jnp.asarray(a["labels"])

        def loss_fn(p):
            lg = logits(p)
            return jnp.mean(jax.nn.logsumexp(lg, axis=1) - jnp.take_along_axis(lg, labels[:, None], axis=1)[:, 0])
        return jax_sgd_step(params, loss_fn, case["lr"])
    if kind == "transformer_train":
        return jax_transformer(case, a)
    raise ValueError(f"unknown case kind {kind}")


def jax_sgd_step(params, loss_fn, lr):
    import jax

    @jax.jit
    def update(p):
        loss, g = jax.value_and_grad(loss_fn)(p)
        return loss, jax.tree_util.tree_map(lambda w, dw: w - lr * dw, p, g)
    state = {"p": params}

    def step():
        loss, state["p"] = update(state["p"])
        return ("loss", float(loss), None)
    return step


def jax_transformer(case, a):
    import jax
    import jax.numpy as jnp
    Bn, S, D, F, heads = case["B"], case["S"], case["D"], case["F"], case["heads"]
    dh = D // heads
    shapes = {"wq": (D, D), "wk": (D, D), "wv": (D, D), "wo": (D, D), "w1": (D, F), "w2": (F, D)}
    names = ["wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo", "w1", "b1", "w2", "b2", "ln1Gamma", "ln1Beta", "ln2Gamma", "ln2Beta"]
    params = {k: jnp.asarray(a[k].reshape(shapes[k]) if k in shapes else a[k]) for k in names}
    x = jnp.asarray(a["x"].reshape(Bn * S, D))
    target = jnp.asarray(a["target"].reshape(Bn * S, D))

    def ln(v, g, b):
        mean = v.mean(-1, keepdims=True)
        var = ((v - mean) ** 2).mean(-1, keepdims=True)
        return (v - mean) / jnp.sqrt(var + 1e-5) * g + b

    def heads_of(v):
        return v.reshape(Bn, S, heads, dh).transpose(0, 2, 1, 3)

    def loss_fn(p):
        n1 = ln(x, p["ln1Gamma"], p["ln1Beta"])
        q, k, w = (heads_of(n1 @ p[f"w{s}"] + p[f"b{s}"]) for s in ("q", "k", "v"))
        att = jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) / dh ** 0.5, axis=-1) @ w
        a2 = x + att.transpose(0, 2, 1, 3).reshape(Bn * S, D) @ p["wo"] + p["bo"]
        n2 = ln(a2, p["ln2Gamma"], p["ln2Beta"])
        y = a2 + jax.nn.relu(n2 @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
        return jnp.mean((y - target) ** 2)
    return jax_sgd_step(params, loss_fn, case["lr"])


# ---------------------------------------------------------------- server

def serve(framework):
    np = load_numpy()
    if framework == "jax":
        import jax
        jax.config.update("jax_default_matmul_precision", "highest")  # float32 matmuls, as every other target
    build = torch_case if framework == "torch" else jax_case
    step = None
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            cmd = msg["cmd"]
            if cmd == "prepare":
                step = build(msg["case"], read_arrays(np, msg["arrays"]))
                reply = {"ok": True}
            elif cmd == "step":
                kind, value, shape = step()
                if kind == "loss":
                    reply = {"ok": True, "kind": "loss", "loss": value}
                else:
                    np.ascontiguousarray(value, dtype=np.float32).tofile(msg["out"])
                    reply = {"ok": True, "kind": "tensor", "shape": shape}
            elif cmd == "release":
                step = None
                reply = {"ok": True}
            else:
                reply = {"ok": False, "error": f"unknown command {cmd}"}
        except Exception as e:  # noqa: BLE001 - every failure goes back to the bench as a row failure
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--framework", choices=["torch", "jax"], required=True)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--probe", action="store_true")
    mode.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    if args.probe:
        print(json.dumps(probe(args.framework)))
        return 0
    serve(args.framework)
    return 0


if __name__ == "__main__":
    sys.exit(main())
