#!/usr/bin/env python3
"""Summarise a PyTorch chrome trace (from DJL's JniUtils.stopProfile): top ops by self CPU time, CUDA kernel time,
number of op calls, and device-to-host synchronisations (aten::item / _local_scalar_dense / copies to CPU)."""
import collections, json, sys

ev = json.load(open(sys.argv[1]))
ev = ev['traceEvents'] if isinstance(ev, dict) else ev
steps = float(sys.argv[2]) if len(sys.argv) > 2 else 3
ops = [e for e in ev if e.get('ph') == 'X' and e.get('cat', '') in ('cpu_op', 'operator', '')]
kern = [e for e in ev if e.get('ph') == 'X' and e.get('cat', '') in ('kernel', 'gpu_memcpy', 'Kernel', 'Memcpy')]
# self time: subtract children on the same thread
by_tid = collections.defaultdict(list)
for e in ops:
    by_tid[(e.get('pid'), e.get('tid'))].append(e)
self_t = collections.Counter(); calls = collections.Counter()
for lst in by_tid.values():
    lst.sort(key=lambda e: (e['ts'], -e['dur']))
    stack = []
    for e in lst:
        while stack and stack[-1]['ts'] + stack[-1]['dur'] <= e['ts']:
            stack.pop()
        if stack:
            self_t[stack[-1]['name']] -= e['dur']
        self_t[e['name']] += e['dur']; calls[e['name']] += 1
        stack.append(e)
top_level = 0
print(f"op calls per step: {sum(calls.values()) / steps:.0f}; self CPU time per step: {sum(self_t.values()) / steps / 1000:.1f} ms")
sync = sum(calls[n] for n in calls if n in ('aten::item', 'aten::_local_scalar_dense'))
print(f"aten::item/_local_scalar_dense per step: {sync / steps:.0f}")
for n, t in self_t.most_common(18):
    print(f"  {t / steps / 1000:8.2f} ms  {calls[n] / steps:6.0f} calls  {n}")
print("most calls:")
for n, k in calls.most_common(12):
    print(f"  {k / steps:6.0f} calls  {self_t[n] / steps / 1000:8.2f} ms  {n}")
if kern:
    kt = collections.Counter(); kc = collections.Counter()
    for e in kern:
        kt[e['name'][:70]] += e['dur']; kc[e['name'][:70]] += 1
    print(f"GPU kernels per step: {len(kern) / steps:.0f}, kernel time per step {sum(kt.values()) / steps / 1000:.2f} ms")
    for n, t in kt.most_common(10):
        print(f"  {t / steps / 1000:8.2f} ms  {kc[n] / steps:6.0f}x  {n}")
