// verify-shapes checks the kind, length and range of the integer attributes
// it reads before reading them: IRDL (ir/spx.irdl.mlir) only checks the base
// kind (any dense array, any integer), and the IR accessors assert the exact
// one. Each bad attribute is a located error, never an abort. (spxc runs the
// same rules, ir/check.c, on any .mlir input before the passes: see
// test/ir/input-attrs.test.)
//
// The fuzzer's reproducer (test/fuzz/crashes/mlir): a conv2d with
// pad = array<i32: ...> aborted in spx_ir_get_i64_array.
// RUN: not %spxc %S/Inputs/verify-shapes-pad-i32-array.mlir --emit=none 2>&1 | %FileCheck %s --check-prefix=REPRO
// REPRO: verify-shapes-pad-i32-array.mlir:3:10: error: attribute 'pad' must be array<i64> of 4 elements in [0, 255]
// IRDL accepts the reproducer, so only the pass can catch it.
// RUN: %mlir-opt --irdl-file=%irdl %S/Inputs/verify-shapes-pad-i32-array.mlir > /dev/null
//
// RUN: not %spxc %s --passes=verify-shapes --emit=none 2>&1 | %FileCheck %s
// RUN: %mlir-opt --irdl-file=%irdl %s > /dev/null

module {
  func.func @f(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
    %a = "spx.conv2d"(%x) {name = "a", act = "none", groups = 1 : i64,
        weight = dense_resource<w> : tensor<4x4x1x1xf32>, bias = dense_resource<b> : tensor<4xf32>,
        stride = array<i64: 1>, pad = array<i64: 0, 0, 0, 0>,
        dilation = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("k.spx":1:1)
    %b = "spx.conv2d"(%x) {name = "b", act = "none", groups = 1 : i64,
        weight = dense_resource<w> : tensor<4x4x1x1xf32>, bias = dense_resource<b> : tensor<4xf32>,
        stride = array<i64: 0, 1>, pad = array<i64: 0, 0, 0, 0>,
        dilation = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("k.spx":2:1)
    %c = "spx.conv2d"(%x) {name = "c", act = "none", groups = 1 : i64,
        weight = dense_resource<w> : tensor<4x4x1x1xf32>, bias = dense_resource<b> : tensor<4xf32>,
        stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>,
        dilation = array<i8: 1, 1>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("k.spx":3:1)
    %d = "spx.conv2d"(%x) {name = "d", act = "none", groups = 1 : i32,
        weight = dense_resource<w> : tensor<4x4x1x1xf32>, bias = dense_resource<b> : tensor<4xf32>,
        stride = array<i64: 1, 1>, pad = array<i64: 0, 0, -1, 0>,
        dilation = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("k.spx":4:1)
    %e = "spx.maxpool"(%x) {name = "e", kernel = array<i32: 1, 1>, stride = array<i64: 1, 1>,
        pad = array<i64: 0, 0, 0, 0>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("k.spx":5:1)
    %f = "spx.avgpool"(%x) {name = "f", kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>,
        pad = array<f32: 0.0, 0.0, 0.0, 0.0>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("k.spx":6:1)
    %g = "spx.conv2d"(%x) {name = "g", act = "none", groups = 0 : i64,
        weight = dense_resource<w> : tensor<4x4x1x1xf32>, bias = dense_resource<b> : tensor<4xf32>,
        stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>,
        dilation = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("k.spx":7:1)
    return %a : tensor<1x4x6x6xf32>
  }
}

// CHECK: k.spx:1:1: error: attribute 'stride' must be array<i64> of 2 elements in [1, 255]
// CHECK: k.spx:2:1: error: attribute 'stride' must be array<i64> of 2 elements in [1, 255]
// CHECK: k.spx:3:1: error: attribute 'dilation' must be array<i64> of 2 elements in [1, 255]
// CHECK: k.spx:4:1: error: attribute 'pad' must be array<i64> of 4 elements in [0, 255]
// CHECK: k.spx:5:1: error: attribute 'kernel' must be array<i64> of 2 elements in [1, 255]
// CHECK: k.spx:6:1: error: attribute 'pad' must be array<i64> of 4 elements in [0, 255]
// CHECK: k.spx:7:1: error: attribute 'groups' must be an integer in [1, 65535]
