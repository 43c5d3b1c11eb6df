// verify-shapes catches IR whose result shapes do not follow from operands
// and attributes (which IRDL, checking only kinds, accepts): each error at
// the op's location. Hand-written IR, as a later pass might leave it.
// RUN: not %spxc %s --passes=verify-shapes --emit=none 2>&1 | %FileCheck %s
// IRDL accepts it:
// RUN: %mlir-opt --irdl-file=%irdl %s | %FileCheck %s --check-prefix=OK
// spxc checks the shapes of a .mlir input whatever --passes says (the
// backend and the f32 evaluator trust them), and writes nothing:
// RUN: rm -rf %t && mkdir -p %t
// RUN: not %spxc %s --passes= --emit=mlir 2>&1 | %FileCheck %s
// RUN: not %spxc %s --passes=memory-plan --emit=all -o %t 2>&1 | %FileCheck %s
// RUN: not %spxc %s --syntax-only 2>&1 | %FileCheck %s
// RUN: ls -A %t | count 0

module {
  func.func @bad(%x: tensor<1x3x8x8xf32>) -> tensor<1x4xf32> {
    // Stride 2 halves 8x8 to 4x4, not 8x8.
    %c = "spx.conv2d"(%x) {name = "c", act = "none", groups = 1 : i64,
        weight = dense_resource<c.weight> : tensor<4x3x3x3xf32>,
        bias = dense_resource<c.bias> : tensor<4xf32>,
        stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>,
        dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32> loc("bad.spx":3:5)
    %g = "spx.global_avgpool"(%c) {name = "g"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32> loc("bad.spx":4:5)
    // Flatten of [1, 4, 1, 1] is [1, 4], not [1, 5].
    %f = "spx.flatten"(%g) {name = "f"} : (tensor<1x4x1x1xf32>) -> tensor<1x5xf32> loc("bad.spx":5:5)
    // The weight's input features (5) do not match the input (4).
    %d = "spx.dense"(%g) {name = "d", act = "none",
        weight = dense_resource<d.weight> : tensor<4x5xf32>,
        bias = dense_resource<d.bias> : tensor<4xf32>} : (tensor<1x4x1x1xf32>) -> tensor<1x4xf32> loc("bad.spx":6:5)
    return %d : tensor<1x4xf32>
  }
}

// CHECK: bad.spx:3:5: error: result shape [1, 4, 8, 8] should be [1, 4, 4, 4]
// CHECK: bad.spx:5:5: error: result shape [1, 5] should be [1, 4]
// CHECK: bad.spx:6:5: error: weight shape does not match input features
// CHECK-NOT: error
// OK: "spx.conv2d"
