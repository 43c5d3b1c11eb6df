// Sizes in a .mlir input that no plan or shape rule can compute with are
// located errors from the entry check, whatever passes run: a tensor of
// 2^63-1 elements (it used to loop forever in memory-plan), and strides,
// pads and groups beyond the runtime layer's fields (2^63 - 1 used to
// overflow int64 in verify-shapes).
// RUN: not %spxc %S/Inputs/huge-tensor.mlir --passes=memory-plan --emit=none 2>&1 \
// RUN:   | %FileCheck %s --check-prefix=PLAN --implicit-check-not=error:
// PLAN: huge-tensor.mlir:2:3: error: argument 0: type tensor<9223372036854775807xf32> has more than 2^30 elements
// PLAN: huge.spx:3:3: error: result: type tensor<9223372036854775807xf32> has more than 2^30 elements
// RUN: not %spxc %S/Inputs/huge-tensor.mlir --emit=none 2>&1 | %FileCheck %s --check-prefix=VERIFY --implicit-check-not=error:
// VERIFY: huge-tensor.mlir:2:3: error: argument 0: type tensor<9223372036854775807xf32> has more than 2^30 elements
// VERIFY: huge.spx:3:3: error: result: type tensor<9223372036854775807xf32> has more than 2^30 elements
// RUN: not %spxc %s --passes=verify-shapes --emit=none 2>&1 | %FileCheck %s --check-prefix=ATTR --implicit-check-not=error:
// ATTR: k.spx:1:1: error: attribute 'stride' must be array<i64> of 2 elements in [1, 255]
// ATTR: k.spx:2:1: error: attribute 'groups' must be an integer in [1, 65535]

module {
  func.func @f(%x: tensor<1x4x6x6xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
    %a = "spx.maxpool"(%x) {name = "a", kernel = array<i64: 1, 1>, stride = array<i64: 9223372036854775807, 1>,
        pad = array<i64: 9223372036854775807, 0, 0, 0>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("k.spx":1:1)
    %b = "spx.conv2d"(%x) {name = "b", act = "none", groups = 4611686018427387904 : i64,
        weight = dense_resource<w> : tensor<4x4x1x1xf32>, bias = dense_resource<b> : tensor<4xf32>,
        stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>,
        dilation = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("k.spx":2:1)
    return %a, %b : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
  }
}
