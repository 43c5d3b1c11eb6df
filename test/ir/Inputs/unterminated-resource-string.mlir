module attributes {spx.network = "shapes", spx.source = "passes-verify-shapes.spx", spx.target = {kind = "cpu"}} {
  func.func @shapes(%arg0: tensor<2x3x9x7xf32> {spx.name = "x"}) -> (tensor<2x12xf32> {spx.name = "r"}) {
    %0 = "spx.conv2d"(%arg0) {act = "none", bias = dense_resource<c.bias> : tensor<6xf32>, dilation = array<i64: 1, 2>, groups = 4 : i64, name = "c", pad = array<i64: 1, 0, 0, 1>, stride = array<i64: 2, 0>, weight = dense_resource<c.weight> : tensor<6x1x3x2xf32>} : (tensor<2x3x9x7xf32>) -> tensor<2x6x4x6xf32>
    %1 = "spx.avgpool"(%0) {kernel = array<i64: 2, 2>, name = "/", pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 0, 1>} : (tensor<2x6x4x6xf32>) -> tensor<2x6x5x7xf32>
    %2 = "spx.global_avgpool"(%1) {name = "g"} : (tensor<2x6x5x7xf32>) -> tensor<2x6x1x1xf32>
    %3 = "spx.concat"(%2, %2) {axis = 1 : i64, name = "k", operand_segment_sizes = array<i32: 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>} : (tensor<2x6x1x1xf32>, tensor<2x6x1x1xf32>) -> tensor<2x12x1x1xf32>
    %4 = "spx.reshape"(%3) {name = "r"} : (tensor<2x12x1x1xf32>) -> tensor<2x12xf32>
    return %4 : tensor<2x12xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      c.bias: "0x40000000000000000000000000000000000000000000000000000000 