#!/usr/bin/env python3
"""The PyTorch peer of vimoe's training throughput (docs/gpu.md): the same ViT-MoE shapes written
directly in PyTorch, routing on the device, trained on random images with AdamW and gradient
clipping. It writes the routers the comparison needs: dense, softmax-tc (top-1, Batch Priority
Routing, no auxiliary loss), softmax-ec and soft.

    python3 torch_peer.py --config micro|s64|s224 [--batch B] [--steps N] [--routers LIST] [--device cuda]

After 5 warm-up steps it times N steps and prints one line per router: "peer CONFIG ROUTER IMAGES/S".
"""
import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

# vimoe's variants (vimoe.model.Variants): 8 experts of the MLP width, K = 1, capacity factor 1
CONFIGS = {
    "micro": dict(width=64, depth=6, heads=4, mlp=256, image=28, channels=1, patch=4, moe="last2"),
    "s64": dict(width=384, depth=12, heads=6, mlp=1536, image=64, channels=1, patch=4, moe="every2"),
    "s224": dict(width=384, depth=12, heads=6, mlp=1536, image=224, channels=3, patch=16, moe="every2"),
}
EXPERTS = 8
CLASSES = 10


class Experts(nn.Module):
    """E MLPs D -> H -> D (GELU) as two batched products; input and output (E, N, D)."""

    def __init__(self, experts, width, hidden):
        super().__init__()
        self.w1 = nn.Parameter(torch.empty(experts, width, hidden))
        self.b1 = nn.Parameter(torch.zeros(experts, 1, hidden))
        self.w2 = nn.Parameter(torch.empty(experts, hidden, width))
        self.b2 = nn.Parameter(torch.zeros(experts, 1, width))
        for w in (self.w1, self.w2):
            nn.init.xavier_uniform_(w)

    def forward(self, x):
        return torch.baddbmm(self.b2, F.gelu(torch.baddbmm(self.b1, x, self.w1)), self.w2)


class MoE(nn.Module):
    """One MoE layer over routing groups of one image each: tokens (G, S, D) -> (G, S, D)."""

    def __init__(self, router, width, hidden, tokens):
        super().__init__()
        self.router = router
        self.capacity = max(1, math.ceil(tokens / EXPERTS))  # C = ceil(S * K * CF / E), K = CF = 1
        self.experts = Experts(EXPERTS, width, hidden)
        if router == "soft":
            self.phi = nn.Parameter(torch.randn(width, EXPERTS * self.capacity) / math.sqrt(width))
            self.scale = nn.Parameter(torch.ones(()))
        else:
            self.gate = nn.Linear(width, EXPERTS, bias=False)

    def run_experts(self, slots):
        """Slots (G, E*C, D) through the experts, back as (G, E*C, D)."""
        groups, _, width = slots.shape
        per_expert = slots.view(groups, EXPERTS, self.capacity, width).transpose(0, 1)
        out = self.experts(per_expert.reshape(EXPERTS, groups * self.capacity, width))
        return out.view(EXPERTS, groups, self.capacity, width).transpose(0, 1).reshape(groups, -1, width)

    def forward(self, x):
        if self.router == "soft":
            return self.soft(x)
        logits = self.gate(x)
        if self.training:
            logits = logits + torch.randn_like(logits) / EXPERTS  # noise sigma / E with sigma = 1
        gates = logits.softmax(-1)  # (G, S, E)
        return self.expert_choice(x, gates) if self.router == "softmax-ec" else self.token_choice(x, gates)

    def token_choice(self, x, gates):
        groups, tokens, width = x.shape
        weight, expert = gates.max(-1)  # (G, S)
        # Batch Priority Routing: tokens with the larger gate queue first at their expert
        order = weight.argsort(dim=1, descending=True)  # (G, S) token indices, priority first
        queue = expert.gather(1, order)  # each token's expert, in priority order
        # the place of each token in its expert's queue: earlier tokens for the same expert
        place = (F.one_hot(queue, EXPERTS).cumsum(1) - 1).gather(2, queue[..., None])[..., 0]
        position = torch.empty_like(place).scatter_(1, order, place)  # back to token order
        kept = position < self.capacity
        drop_slot = EXPERTS * self.capacity  # one extra slot collects the dropped tokens
        slot = torch.where(kept, expert * self.capacity + position, torch.full_like(position, drop_slot))
        index = slot[..., None].expand(-1, -1, width)
        slots = x.new_zeros(groups, drop_slot + 1, width).scatter(1, index, x)
        out = F.pad(self.run_experts(slots[:, :drop_slot]), (0, 0, 0, 1))  # the extra slot gives 0
        return out.gather(1, index) * (weight * kept)[..., None]

    def expert_choice(self, x, gates):
        groups, tokens, width = x.shape
        weight, token = gates.transpose(1, 2).topk(self.capacity, dim=-1)  # (G, E, C)
        index = token.reshape(groups, -1)[..., None].expand(-1, -1, width)
        out = self.run_experts(x.gather(1, index)) * weight.reshape(groups, -1, 1)
        return x.new_zeros(groups, tokens, width).scatter_add(1, index, out)

    def soft(self, x):
        logits = self.scale * F.normalize(x, dim=-1) @ F.normalize(self.phi, dim=0)  # (G, S, E*C)
        dispatch, combine = logits.softmax(1), logits.softmax(2)
        return combine @ self.run_experts(dispatch.transpose(1, 2) @ x)


class Block(nn.Module):
    def __init__(self, width, heads, mlp):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.mlp = mlp

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attention(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, router, c):
        super().__init__()
        tokens = (c["image"] // c["patch"]) ** 2
        width = c["width"]
        self.embed = nn.Conv2d(c["channels"], width, c["patch"], c["patch"])
        self.position = nn.Parameter(torch.randn(1, tokens, width) * 0.02)
        blocks = []
        for i in range(c["depth"]):
            moe = i >= c["depth"] - 2 if c["moe"] == "last2" else i % 2 == 1
            if router != "dense" and moe:
                mlp = MoE(router, width, c["mlp"], tokens)
            else:
                mlp = nn.Sequential(nn.Linear(width, c["mlp"]), nn.GELU(), nn.Linear(c["mlp"], width))
            blocks.append(Block(width, c["heads"], mlp))
        self.blocks = nn.Sequential(*blocks)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, CLASSES)

    def forward(self, images):
        x = self.embed(images).flatten(2).transpose(1, 2) + self.position  # (B, T, D)
        return self.head(self.norm(self.blocks(x)).mean(1))


def images_per_second(router, c, batch, steps, device):
    model = ViT(router, c).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    images = torch.randn(batch, c["channels"], c["image"], c["image"], device=device)
    labels = torch.randint(0, CLASSES, (batch,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(images), labels, label_smoothing=0.1).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(5):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return batch * steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="micro")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--routers", default="dense,softmax-tc,softmax-ec,soft")
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    routers = args.routers.split(",")
    unknown = sorted(set(routers) - {"dense", "softmax-tc", "softmax-ec", "soft"})
    if unknown:
        parser.error(f"the peer has no router {', '.join(unknown)}; it writes dense, softmax-tc, softmax-ec, soft")
    torch.manual_seed(0)
    device = torch.device(args.device)
    for router in routers:
        rate = images_per_second(router, CONFIGS[args.config], args.batch, args.steps, device)
        print(f"peer {args.config} {router} {rate:.1f}", flush=True)


if __name__ == "__main__":
    main()
