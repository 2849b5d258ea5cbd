#!/usr/bin/env python3
"""Fidelity of vimoe's layerwise recurrent router (docs/routing.md, option recurrent_router) to the
RMoE authors' GRU cell (Qiu et al. 2024, arXiv 2408.06793, github.com/qiuzh20/RMoE).

    nice -n 10 mvn -B -o -q test -Dtest=RecurrentRouterTest -Dvimoe.fidelity.rmoe=/tmp/rmoe.json
    python3 scripts/fidelity/rmoe.py --rnn PATH/TO/RMoE/llama_moe_rnn/rnn.py --vimoe /tmp/rmoe.json

The authors' module is imported from --rnn (nothing of it is copied here). Their router, as in their
MixtralSparseMoeBlock, computes per token x_i = linear(x, weight1) (weight1: R x D), h = GRU(x_i,
h_prev) with h_prev absent at the first MoE layer, and logits = linear(h, weight2) (weight2: E x R),
with one GRU cell shared by all layers. The script loads vimoe's weights of two layers into that
form, runs their CustomGRUCell.forward and prints the largest difference from vimoe's logits;
it exits 1 above --tolerance.

Their CustomGRUCell.__init__ passes config= to nn.Module.__init__, which PyTorch refuses, so the
cell is built without it and given its parameters here; its forward is theirs, unchanged.
"""
import argparse
import importlib.util
import json
import sys

import torch
from torch import nn


def load_module(path):
    spec = importlib.util.spec_from_file_location("rmoe_rnn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def authors_cell(module, d, r):
    """Their CustomGRUCell with vimoe's GRU weights; vimoe stores x W with (R, 3R) = [r | z | n]."""
    cell = module.CustomGRUCell.__new__(module.CustomGRUCell)
    nn.Module.__init__(cell)
    cell.input_size = r
    cell.hidden_size = r
    w_i = torch.tensor(d["w_i"], dtype=torch.float64).reshape(r, 3 * r)
    w_h = torch.tensor(d["w_h"], dtype=torch.float64).reshape(r, 3 * r)
    b_i = torch.tensor(d["b_i"], dtype=torch.float64)
    b_h = torch.tensor(d["b_h"], dtype=torch.float64)
    for gate, (lo, hi) in zip("rzn", [(0, r), (r, 2 * r), (2 * r, 3 * r)]):
        # F.linear(x, W) = x W^T, so their (R, R) matrices are the transposed column blocks
        setattr(cell, "weight_i" + gate, nn.Parameter(w_i[:, lo:hi].t().contiguous()))
        setattr(cell, "weight_h" + gate, nn.Parameter(w_h[:, lo:hi].t().contiguous()))
        setattr(cell, "bias_i" + gate, nn.Parameter(b_i[lo:hi].clone()))
        setattr(cell, "bias_h" + gate, nn.Parameter(b_h[lo:hi].clone()))
    return cell


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rnn", required=True, help="path to the authors' llama_moe_rnn/rnn.py")
    p.add_argument("--vimoe", required=True, help="the JSON written by RecurrentRouterTest")
    p.add_argument("--tolerance", type=float, default=1e-10)
    a = p.parse_args()
    d = json.load(open(a.vimoe))
    n, width, r, e = d["tokens"], d["width"], d["state_size"], d["experts"]
    cell = authors_cell(load_module(a.rnn), d, r)

    def tensor(name, *shape):
        return torch.tensor(d[name], dtype=torch.float64).reshape(*shape)

    linear = torch.nn.functional.linear
    with torch.no_grad():
        # weight1 = Wp^T (R x D), weight2 = Wo^T (E x R), as their MixtralSparseMoeBlock holds them
        h1 = cell(linear(tensor("x1", n, width), tensor("proj1", width, r).t()))
        logits1 = linear(h1, tensor("weight1", r, e).t())
        h2 = cell(linear(tensor("x2", n, width), tensor("proj2", width, r).t()), h1)
        logits2 = linear(h2, tensor("weight2", r, e).t())
    worst = 0.0
    for name, theirs in (("logits1", logits1), ("logits2", logits2)):
        diff = (theirs - tensor(name, n, e)).abs().max().item()
        print(f"{name}: {n} tokens x {e} experts, max |authors - vimoe| = {diff:.3e}")
        worst = max(worst, diff)
    sys.exit(0 if worst <= a.tolerance else 1)


if __name__ == "__main__":
    main()
