"""What the corpus scripts read of an ONNX graph to say what a model must be found to have."""
from onnx import numpy_helper


def graph_index(model):
    """The graph's initializers by name, each tensor's producer, each tensor's consumers, and a
    function giving a tensor's constant value (an initializer or a Constant node's), or None."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def const(name):
        if name in inits:
            return numpy_helper.to_array(inits[name])
        p = producer.get(name)
        if p is not None and p.op_type == 'Constant':
            return numpy_helper.to_array(p.attribute[0].t)
        return None

    return inits, producer, consumers, const
