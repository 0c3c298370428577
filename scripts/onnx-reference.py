#!/usr/bin/env python3
"""Reference facts about ONNX models, as Debian's python3-onnx reads them.

Usage: onnx-reference.py ROOT OUT.json
Walks ROOT for model.onnx files and writes, per file (path relative to ROOT): top-level and
total node counts, op types in order (top level, and pre-order through sub-graphs), graph
input, output and initializer names. QuantLens's conformance test compares its own reader
against this.
"""
import json
import os
import sys

import onnx


def subgraphs(node):
    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == onnx.AttributeProto.GRAPHS:
            yield from attr.graphs


def walk(graph, ops):
    count = 0
    for node in graph.node:
        ops.append(node.op_type)
        count += 1
        for g in subgraphs(node):
            count += walk(g, ops)
    return count


def describe(path):
    model = onnx.load(path, load_external_data=False)
    g = model.graph
    all_ops = []
    total = walk(g, all_ops)
    return {
        "ir_version": model.ir_version,
        "nodes_top": len(g.node),
        "nodes_all": total,
        "op_types": [n.op_type for n in g.node],
        "op_types_all": all_ops,
        "inputs": [v.name for v in g.input],
        "outputs": [v.name for v in g.output],
        "initializers": [t.name for t in g.initializer],
    }


def main():
    root, out = sys.argv[1], sys.argv[2]
    result = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".onnx"):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                try:
                    result[rel] = describe(full)
                except Exception as exc:  # a model python-onnx itself cannot read
                    result[rel] = {"error": str(exc)}
    with open(out, "w") as f:
        json.dump({"onnx_version": onnx.__version__, "models": result}, f)


if __name__ == "__main__":
    main()
