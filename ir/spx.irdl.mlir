// spx.irdl.mlir - the one definition of the spx dialect.
//
// Embedded into spxc at build time and loaded with mlirLoadIRDLDialects;
// emitted IR verifies with `mlir-opt --irdl-file=ir/spx.irdl.mlir`.
//
// Conventions shared by every op:
//   - Activations are ranked tensors, NCHW for images, [N, F] for vectors.
//     Before quantization their element type is f32; after it, int8
//     activations are tensor<...x!quant.uniform<i8:f32, scale:zp>>.
//   - "name" is the layer name from the .spx file (nested layers are
//     "<parent>.<op>"); the op's location is loc("<name>"("file":line:col)).
//   - Weights are attributes holding dense_resource<"<layer>.<role>"> over
//     buffers owned by the compiler's weight store. conv2d weights are OIHW,
//     dense weights [units, in_features]. Every conv2d and dense has a bias
//     (zeros when the source gave none).
//   - Integer vectors are array<i64: ...>: stride/kernel/dilation [h, w],
//     pad [top, left, bottom, right].
//   - "act" is the fused activation: "none", "relu", "relu6", "sigmoid" or
//     "sign" (runtime/stream's SPX_CS_ACTS). An add carries one only once
//     fuse-activations fused a relu or relu6 into it (IRDL in LLVM 19 has no
//     optional attributes, so it is not declared on @add; ir/check.c checks
//     it, and refuses "sign" there).
//   - spx.binary (unit) marks a binary conv2d/dense (the binarize pass).
//   - Discardable attributes prefixed "spx." carry compile-block choices
//     (spx.sparsify, spx.precision) and what later passes recorded.
// IRDL operands are unnamed in LLVM 19; each op documents its operands.
irdl.dialect @spx {
  // Operand 0: input activation [N, C_in, H, W]. Result [N, C_out, H', W'].
  irdl.operation @conv2d {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    %weight = irdl.base "#builtin.dense_resource_elements"
    %bias = irdl.base "#builtin.dense_resource_elements"
    %stride = irdl.base "#builtin.dense_array"
    %pad = irdl.base "#builtin.dense_array"
    %dilation = irdl.base "#builtin.dense_array"
    %groups = irdl.base "#builtin.integer"
    %act = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name, "weight" = %weight, "bias" = %bias, "stride" = %stride, "pad" = %pad, "dilation" = %dilation, "groups" = %groups, "act" = %act }
  }
  // Operand 0: input [N, F]. Result [N, units].
  irdl.operation @dense {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    %weight = irdl.base "#builtin.dense_resource_elements"
    %bias = irdl.base "#builtin.dense_resource_elements"
    %act = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name, "weight" = %weight, "bias" = %bias, "act" = %act }
  }
  // Elementwise activations. Operand 0: input. Result: same shape.
  irdl.operation @relu {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
  irdl.operation @relu6 {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
  irdl.operation @sigmoid {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
  // sign: +1 where x >= 0, else -1 (sign(0) = +1; NaN -> -1). int8: +1 where
  // q >= the input's zero point; the int8 result has scale 1, zero point 0.
  irdl.operation @sign {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
  // Pooling. Operand 0: input [N, C, H, W]. Result [N, C, H', W'].
  // avgpool excludes padding cells from the average.
  irdl.operation @maxpool {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    %kernel = irdl.base "#builtin.dense_array"
    %stride = irdl.base "#builtin.dense_array"
    %pad = irdl.base "#builtin.dense_array"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name, "kernel" = %kernel, "stride" = %stride, "pad" = %pad }
  }
  irdl.operation @avgpool {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    %kernel = irdl.base "#builtin.dense_array"
    %stride = irdl.base "#builtin.dense_array"
    %pad = irdl.base "#builtin.dense_array"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name, "kernel" = %kernel, "stride" = %stride, "pad" = %pad }
  }
  // Operand 0: input [N, C, H, W]. Result [N, C, 1, 1].
  irdl.operation @global_avgpool {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
  // Operands 0 and 1: the two addends, same shape. Result: their sum.
  irdl.operation @add {
    %in0 = irdl.base "!builtin.tensor"
    %in1 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0, %in1)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
  // Operands: 2 to 16 inputs, joined along "axis". In LLVM 19 one constraint
  // on a variadic group binds every element to the first one's type, so the
  // inputs (which differ in shape) are one operand and 15 optional ones, each
  // with its own constraint, sized by the "operand_segment_sizes" attribute
  // (array<i32: 1, 1, ..., 0, ...>: 1 per input present).
  irdl.operation @concat {
    %in0 = irdl.base "!builtin.tensor"
    %in1 = irdl.base "!builtin.tensor"
    %in2 = irdl.base "!builtin.tensor"
    %in3 = irdl.base "!builtin.tensor"
    %in4 = irdl.base "!builtin.tensor"
    %in5 = irdl.base "!builtin.tensor"
    %in6 = irdl.base "!builtin.tensor"
    %in7 = irdl.base "!builtin.tensor"
    %in8 = irdl.base "!builtin.tensor"
    %in9 = irdl.base "!builtin.tensor"
    %in10 = irdl.base "!builtin.tensor"
    %in11 = irdl.base "!builtin.tensor"
    %in12 = irdl.base "!builtin.tensor"
    %in13 = irdl.base "!builtin.tensor"
    %in14 = irdl.base "!builtin.tensor"
    %in15 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    %axis = irdl.base "#builtin.integer"
    irdl.operands(%in0, optional %in1, optional %in2, optional %in3, optional %in4, optional %in5, optional %in6, optional %in7, optional %in8, optional %in9, optional %in10, optional %in11, optional %in12, optional %in13, optional %in14, optional %in15)
    irdl.results(%out)
    irdl.attributes { "name" = %name, "axis" = %axis }
  }
  // Operand 0: input [N, ...]. Result [N, product of the rest].
  irdl.operation @flatten {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
  // Operand 0: input. Result: the same elements in the result type's shape.
  irdl.operation @reshape {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
  // Operand 0: input. Result: softmax along "axis".
  irdl.operation @softmax {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    %axis = irdl.base "#builtin.integer"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name, "axis" = %axis }
  }
  // Operand 0: input [N, C, ...]. Result: gamma*(x-mean)/sqrt(var+eps)+beta
  // per channel C. Folded into the preceding conv2d/dense by fold-batchnorm
  // when it can be; otherwise it stays in f32 and runs as a per-channel
  // scale and shift (cpu.layer batchnorm).
  irdl.operation @batchnorm {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    %gamma = irdl.base "#builtin.dense_resource_elements"
    %beta = irdl.base "#builtin.dense_resource_elements"
    %mean = irdl.base "#builtin.dense_resource_elements"
    %var = irdl.base "#builtin.dense_resource_elements"
    %eps = irdl.base "#builtin.float"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name, "gamma" = %gamma, "beta" = %beta, "mean" = %mean, "var" = %var, "eps" = %eps }
  }
  // Operand 0: f32 tensor. Result: the same tensor as int8 in the result's
  // !quant.uniform type (round to nearest, ties away from zero; saturate).
  irdl.operation @quantize {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
  // Operand 0: int8 !quant.uniform tensor. Result: its f32 value.
  irdl.operation @dequantize {
    %in0 = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %name = irdl.base "#builtin.string"
    irdl.operands(%in0)
    irdl.results(%out)
    irdl.attributes { "name" = %name }
  }
}
