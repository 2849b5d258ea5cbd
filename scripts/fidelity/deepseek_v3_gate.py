#!/usr/bin/env python3
"""Fidelity of vimoe's sigmoid-tc with a selection bias (docs/routing.md: sigmoid gates and
auxiliary-loss-free balancing) to DeepSeek-V3's gate (github.com/deepseek-ai/DeepSeek-V3,
inference/model.py, class Gate).

    nice -n 10 mvn -B -o -q package -DskipTests
    python3 scripts/fidelity/deepseek_v3_gate.py --model PATH/TO/DeepSeek-V3/inference/model.py

The authors' module is imported from --model (nothing of it is copied here); its only import that
Debian's python3-torch lacks, their `kernel` module of FP8 kernels, is replaced by a stub that is
never called (float64 weights take F.linear). Their Gate is built with score_func "sigmoid", one
expert group (n_expert_groups = n_limited_groups = 1) and route_scale 1; its weight is the E x E
identity, so that its scores are sigmoid(logits), and its bias (DeepSeek-V3's e_score_correction
bias, which they create only for dim 7168) is set to the same random b that vimoe gets as the
request's "selection_bias". Their forward picks each token's top K of sigmoid(L) + b and weighs
them by the unbiased sigmoid(L), renormalised over the K.

vimoe answers the same logits through `vimoe route` as sigmoid-tc with k = K, normalize_gates =
true and a capacity factor that leaves room for every request (DeepSeek-V3's gate has no capacity;
the answer's dropped fraction is checked to be 0). The script compares each token's set of experts
and their weights, prints the largest weight difference and exits 1 if a set differs or a weight
differs by more than --tolerance. --flip-bias gives vimoe -b instead of b, which must fail.
Logits are Gaussian (float64), so sigmoid(L) + b has no ties: torch.topk orders ties arbitrarily.
"""
import argparse
import importlib.util
import json
import math
import subprocess
import sys
import tempfile
import types

import torch


def load_gate_module(path):
    kernel = types.ModuleType("kernel")  # FP8 kernels, unused with float64 weights

    def unused(*args, **kwargs):
        raise RuntimeError("the FP8 kernel stub was called")

    kernel.act_quant = kernel.weight_dequant = kernel.fp8_gemm = unused
    sys.modules.setdefault("kernel", kernel)
    spec = importlib.util.spec_from_file_location("deepseek_v3_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def authors_plan(module, logits, bias, k):
    """Their Gate on the logits: (weights, indices), each (S, K)."""
    experts = logits.shape[1]
    args = module.ModelArgs(
        dim=experts,
        n_routed_experts=experts,
        n_activated_experts=k,
        n_expert_groups=1,
        n_limited_groups=1,
        score_func="sigmoid",
        route_scale=1.0,
    )
    gate = module.Gate(args)
    gate.weight = torch.nn.Parameter(torch.eye(experts, dtype=torch.float64))
    gate.bias = torch.nn.Parameter(bias.clone())
    with torch.no_grad():
        weights, indices = gate(logits)
    return weights, indices


def vimoe_plan(vimoe, logits, bias, k, capacity_factor):
    """vimoe's answer: per token a dict expert -> combine weight, and the dropped fraction."""
    request = {
        "router": "sigmoid-tc",
        "logits": logits.tolist(),
        "selection_bias": bias.tolist(),
        "options": {"k": k, "capacity_factor": capacity_factor, "normalize_gates": True},
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(request, f)
        f.flush()
        out = subprocess.run(
            [vimoe, "route", "--input", f.name], check=True, capture_output=True, text=True
        ).stdout
    answer = json.loads(out)
    plan = []
    for token in answer["combine"]:
        chosen = {}
        for e, slots in enumerate(token):
            w = sum(slots)
            if w != 0:
                chosen[e] = w
        plan.append(chosen)
    return plan, answer["metrics"]["dropped_fraction"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="the authors' inference/model.py")
    p.add_argument("--vimoe", default="./vimoe", help="the vimoe launcher (default ./vimoe)")
    p.add_argument("--cases", default="16x4,64x8", help="E x K pairs, comma-separated")
    p.add_argument("--tokens", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tolerance", type=float, default=1e-12)
    p.add_argument("--flip-bias", action="store_true", help="give vimoe -b: must disagree")
    a = p.parse_args()
    module = load_gate_module(a.model)
    torch.manual_seed(a.seed)
    ok = True
    for case in a.cases.split(","):
        experts, k = (int(v) for v in case.split("x"))
        logits = torch.randn(a.tokens, experts, dtype=torch.float64)
        bias = 0.1 * torch.randn(experts, dtype=torch.float64)
        weights, indices = authors_plan(module, logits, bias, k)
        # room for every request: C = ceil(S*K*CF/E) >= the most tokens any expert is asked by
        most = int(torch.bincount(indices.flatten(), minlength=experts).max())
        capacity_factor = most * experts / (a.tokens * k)
        plan, dropped = vimoe_plan(
            a.vimoe, logits, -bias if a.flip_bias else bias, k, capacity_factor
        )
        same_sets, worst = 0, 0.0
        for s in range(a.tokens):
            theirs = {int(e): float(w) for e, w in zip(indices[s], weights[s])}
            if set(theirs) == set(plan[s]):
                same_sets += 1
                worst = max(worst, max(abs(theirs[e] - plan[s][e]) for e in theirs))
            else:
                worst = math.inf
        agree = same_sets == a.tokens and worst <= a.tolerance and dropped == 0
        ok = ok and agree
        print(
            f"E={experts} K={k} S={a.tokens}: same experts for {same_sets}/{a.tokens} tokens, "
            f"largest weight difference {worst:.3g}, vimoe dropped {dropped:g}: "
            + ("AGREE" if agree else "DISAGREE")
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
