module attributes {spx.network = "tiny", spx.source = "ir-lowering.spx", spx.target = {cols = 2 : i64, kind = "aie", rows = 2 : i64}} {
  func.func @tiny(%arg0: tensor<1x3x8x8xf32> {spx.name = "x"}) -> (tensor<1x4xf32> {spx.name = "sm"}) {
    %0 = "spx.conv2d"(%arg0) {act = "none", bias = dense_resource<c1.bias> : tensor<9xf32>, dilation = array<i64: 0, 1>, groups = 1 : i64, name = "c1", pad = array<i64: 1, 1, 1, 1>, spx.sparsify = {arg0 = array<i64: 8, 8>, density = 5.000000e-01 : f64, kind = "block"}, stride = array<i64: 2, 2>, weight = dense_resource<c1.weight> : tensor<8x3x3x3xf32>} : (tensor<1x3x8x8xf32>) -> tensor<1x8x4x4xf32>
    %1 = "spx.batchnorm"(%0) {beta = dense_resource<b1.beta> : tensor<8xf32>, eps = 9.99999974E-6 : f32, gamma = dense_resource<b1.gamma> : tensor<*xf32>, mean = dense_resource<b1.mean> : tensor<8xf32>, name = "b1", var = dense_resource<b1.var> : tensor<8xf32>} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
    %2 = "spx.relu6"(%1) {name = "r1"} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
    %3 = "spx.global_avgpool"(%2) {name = "g"} : (tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32>
    %4 = "spx.flatten"(%3) {name = "fc.flatten"} : (tensor<1x8x1x1xf32>) -> tensor<1x8xf32>
    %5 = "spx.dense"(%4) {act = "none", bias = dense_resource<fc.bias> : tensor<4xf32>, name = "fc", spx.precision = "f32", weight = dense_resource<fc.weight> : tensor<4x8xf32>} : (tensor<1x8xf32>) -> tensor<1x4xf32>
    %6 = "spx.softmax"(%5) {axis = 1 : i64, name = "sm"} : (tensor<1x4xf32>) -> tensor<1x4xf32>
    return %6 : tensor<1x4xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      fc.bias: "0x400000009A890D3A9D598C3D335E59BB80642EBC"
    }
  }
#-}

