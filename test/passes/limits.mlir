// Sizes in a .mlir input that no plan or shape rule can compute with are
// located errors: memory-plan refuses a tensor above 1 TiB (tensor<2^63-1>
// used to loop forever), and verify-shapes refuses dimensions and integer
// attributes above 2^31 - 1 before its arithmetic (stride/pad = 2^63 - 1
// overflowed int64).
// RUN: not %spxc %S/Inputs/huge-tensor.mlir --passes=memory-plan --emit=none 2>&1 \
// RUN:   | %FileCheck %s --check-prefix=PLAN --implicit-check-not=error:
// PLAN: huge-tensor.mlir:2:3: error: a tensor of more than 1099511627776 bytes (1 TiB) cannot be placed in the workspace
// PLAN: huge.spx:3:3: error: a tensor of more than 1099511627776 bytes (1 TiB) cannot be placed in the workspace
// RUN: not %spxc %S/Inputs/huge-tensor.mlir --emit=none 2>&1 | %FileCheck %s --check-prefix=VERIFY --implicit-check-not=error:
// VERIFY: huge.spx:3:3: error: a dimension or an integer attribute is out of range (at most 2147483647)
// RUN: not %spxc %s --passes=verify-shapes --emit=none 2>&1 | %FileCheck %s --check-prefix=ATTR --implicit-check-not=error:
// ATTR: k.spx:1:1: error: a dimension or an integer attribute is out of range (at most 2147483647)
// ATTR: k.spx:2:1: error: a dimension or an integer attribute is out of range (at most 2147483647)

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
