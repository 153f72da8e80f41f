#!/usr/bin/env python3
"""Turns dlib's face-recognition ResNet into an ONNX graph, for the ONNX Runtime peer of Benchmarks/embed.

Input: the network as dlib itself writes it (`dlib_peer MODEL.dat --xml NET.xml CHIP.ppm`, which calls
dlib's net_to_xml: one <layer> per entry of dlib's layer stack, index 0 the loss and the highest index the
input, every weight printed to 9 significant digits, which reproduces each float32 exactly). The stack is
rebuilt from the input upwards with no knowledge of this particular network beyond the layer kinds it uses:

  input_rgb_image_sized  uint8 NHWC chips -> float NCHW, (pixel - channel mean) / 256 as dlib does
  con                    Conv (filters then biases in params; in-channels from the tracked shape)
  affine_con             per-channel gamma, beta (params = gamma then beta): Mul, Add
  relu, max_pool, avg_pool (nr = nc = 0: over the whole map), fc_no_bias (params: in x out)
  tag N / skip N         remember the current tensor / continue from the remembered one
  add_prev tag=N         current + remembered; when the shapes differ, dlib's tt::add reads missing entries
                         as zero, i.e. each operand is zero-extended at the end of every dimension: a Pad,
                         then Add. This happens in the four down-sampling units: the pooled shortcut has
                         half the channels, and at the 256-channel units the stride-2 convolution path
                         comes out one row and one column smaller than the pooled shortcut (3x3 against
                         4x4, 1x1 against 2x2), so there both operands are extended
  loss_metric            none: the descriptor is the fc output, not normalised

Output graph: input "chips" uint8 [N, 150, 150, 3] RGB, output "descriptors" float [N, 128]; opset 17.
Prints the layer count and multiply-adds per face to stderr.

Usage: onnx_export.py NET.xml OUT.onnx
"""
import os
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Graph:
    """An ONNX graph under construction: nodes, constant tensors, unique value names."""

    def __init__(self):
        self.nodes, self.constants, self.serial = [], [], 0

    def fresh(self, stem):
        self.serial += 1
        return f"{stem}{self.serial}"

    def constant(self, stem, array):
        name = self.fresh(stem)
        self.constants.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, kind, inputs, output=None, **attributes):
        output = output or self.fresh(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [output], **attributes))
        return output


def numbers(element):
    return np.array((element.text or "").split(), dtype=np.float32)


def ints(element, *names):
    return [int(element.get(name)) for name in names]


class Exporter:
    def __init__(self):
        self.graph = Graph()
        self.value, self.shape = None, None    # current tensor and its per-chip shape (C, H, W) or (C,)
        self.tags = {}
        self.multiply_adds = 0
        self.output = None

    # -- layer kinds -----------------------------------------------------------------------------------

    def input_rgb_image_sized(self, e):
        rows, columns = ints(e, "nr", "nc")
        means = np.array([float(e.get(c)) for c in ("r", "g", "b")], np.float32).reshape(1, 3, 1, 1)
        g = self.graph
        x = g.op("Cast", ["chips"], to=TensorProto.FLOAT)
        x = g.op("Transpose", [x], perm=[0, 3, 1, 2])
        x = g.op("Sub", [x, g.constant("channel_means", means)])
        # dlib divides by 256.0; multiplying by 2^-8 is the same operation exactly.
        self.value = g.op("Mul", [x, g.constant("scale", np.array(1 / 256, np.float32))])
        self.shape = (3, rows, columns)
        self.input_size = (rows, columns)

    def con(self, e):
        filters, rows, columns, stride_y, stride_x, pad_y, pad_x = ints(
            e, "num_filters", "nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")
        channels, height, width = self.shape
        params = numbers(e)
        weights = filters * channels * rows * columns
        biased = e.get("use_bias") == "true"
        if params.size != weights + (filters if biased else 0):
            raise SystemExit(f"con: {params.size} parameters for {filters}x{channels}x{rows}x{columns}")
        inputs = [self.value, self.graph.constant("conv_w", params[:weights].reshape(filters, channels, rows, columns))]
        if biased:
            inputs.append(self.graph.constant("conv_b", params[weights:]))
        self.value = self.graph.op("Conv", inputs, kernel_shape=[rows, columns], strides=[stride_y, stride_x],
                                   pads=[pad_y, pad_x, pad_y, pad_x])
        height = (height + 2 * pad_y - rows) // stride_y + 1
        width = (width + 2 * pad_x - columns) // stride_x + 1
        self.shape = (filters, height, width)
        self.multiply_adds += filters * height * width * channels * rows * columns

    def affine_con(self, e):
        if e.get("disabled") == "true":
            return
        channels = self.shape[0]
        params = numbers(e)
        if params.size != 2 * channels:
            raise SystemExit(f"affine_con: {params.size} parameters for {channels} channels")
        gamma, beta = params[:channels].reshape(1, -1, 1, 1), params[channels:].reshape(1, -1, 1, 1)
        x = self.graph.op("Mul", [self.value, self.graph.constant("gamma", gamma)])
        self.value = self.graph.op("Add", [x, self.graph.constant("beta", beta)])

    def relu(self, e):
        self.value = self.graph.op("Relu", [self.value])

    def pool(self, e, kind):
        rows, columns, stride_y, stride_x, pad_y, pad_x = ints(
            e, "nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")
        channels, height, width = self.shape
        if rows == 0 and columns == 0:                      # dlib: a window of the whole map
            self.value = self.graph.op("GlobalMaxPool" if kind == "MaxPool" else "GlobalAveragePool", [self.value])
            self.shape = (channels, 1, 1)
            return
        if rows == 0 or columns == 0:
            raise SystemExit(f"{kind}: window {rows}x{columns} not supported")
        self.value = self.graph.op(kind, [self.value], kernel_shape=[rows, columns], strides=[stride_y, stride_x],
                                   pads=[pad_y, pad_x, pad_y, pad_x])
        self.shape = (channels, (height + 2 * pad_y - rows) // stride_y + 1, (width + 2 * pad_x - columns) // stride_x + 1)

    def max_pool(self, e):
        self.pool(e, "MaxPool")

    def avg_pool(self, e):
        self.pool(e, "AveragePool")

    def add_prev(self, e):
        other, other_shape = self.tags[int(e.get("tag"))]
        target = tuple(max(a, b) for a, b in zip(self.shape, other_shape))
        self.value = self.graph.op("Add", [self.zero_extended(self.value, self.shape, target),
                                           self.zero_extended(other, other_shape, target)])
        self.shape = target

    def zero_extended(self, value, shape, target):
        if shape == target:
            return value
        # Pad's pads: begins of N, C, H, W then ends of N, C, H, W; zeros go after the existing entries.
        pads = np.array([0] * 4 + [0] + [t - s for t, s in zip(target, shape)], np.int64)
        return self.graph.op("Pad", [value, self.graph.constant("zero_extend", pads)], mode="constant")

    def fc_no_bias(self, e):
        outputs = int(e.get("num_outputs"))
        inputs = int(np.prod(self.shape))
        params = numbers(e)
        if params.size != inputs * outputs:
            raise SystemExit(f"fc_no_bias: {params.size} parameters for {inputs} -> {outputs}")
        x = self.graph.op("Flatten", [self.value], axis=1)
        self.value = self.graph.op("MatMul", [x, self.graph.constant("fc_w", params.reshape(inputs, outputs))])
        self.shape = (outputs,)
        self.multiply_adds += inputs * outputs

    def loss_metric(self, e):
        self.output = self.graph.op("Identity", [self.value], output="descriptors")

    handlers = {"input_rgb_image_sized": input_rgb_image_sized, "con": con, "affine_con": affine_con, "relu": relu,
                "max_pool": max_pool, "avg_pool": avg_pool, "add_prev": add_prev, "fc_no_bias": fc_no_bias,
                "loss_metric": loss_metric}

    # -- the stack -----------------------------------------------------------------------------------

    def run(self, path):
        layers = ElementTree.parse(path).getroot().findall("layer")
        layers.sort(key=lambda layer: int(layer.get("idx")), reverse=True)   # from the input to the loss
        for layer in layers:
            kind = layer.get("type")
            if kind == "tag":
                self.tags[int(layer.get("id"))] = (self.value, self.shape)
                continue
            if kind == "skip":
                self.value, self.shape = self.tags[int(layer.get("id"))]
                continue
            details = list(layer)
            if len(details) != 1:
                raise SystemExit(f"layer {layer.get('idx')}: expected one element, got {len(details)}")
            handler = self.handlers.get(details[0].tag)
            if handler is None:
                raise SystemExit(f"layer {layer.get('idx')}: unsupported dlib layer <{details[0].tag}>")
            handler(self, details[0])
        if self.output is None or len(self.shape) != 1:
            raise SystemExit("the network does not end in loss_metric over an fc layer")
        rows, columns = self.input_size
        graph = helper.make_graph(
            self.graph.nodes, "dlib_face_recognition_resnet_model_v1",
            [helper.make_tensor_value_info("chips", TensorProto.UINT8, ["N", rows, columns, 3])],
            [helper.make_tensor_value_info("descriptors", TensorProto.FLOAT, ["N", self.shape[0]])],
            self.graph.constants)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                  producer_name="sightline Benchmarks/embed/onnx_export.py")
        model.ir_version = 8          # readable by every onnxruntime that supports opset 17
        onnx.checker.check_model(model)
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        out_dims = [d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim[1:]]
        if out_dims != [self.shape[0]]:
            raise SystemExit(f"ONNX shape inference gives descriptors {out_dims}, expected {self.shape[0]}")
        return model, len(layers)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    exporter = Exporter()
    model, count = exporter.run(sys.argv[1])
    partial = sys.argv[2] + ".partial"
    onnx.save(model, partial)
    os.replace(partial, sys.argv[2])
    print(f"{count} dlib layers -> {len(model.graph.node)} ONNX nodes; {exporter.multiply_adds} multiply-adds "
          f"({2 * exporter.multiply_adds / 1e9:.4f} GFLOP) per face -> {sys.argv[2]}", file=sys.stderr)


if __name__ == "__main__":
    main()
