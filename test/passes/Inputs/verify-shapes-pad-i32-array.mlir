module {
  func.func @f(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
    %0 = "spx.conv2d"(%x) {act = "none", bias = dense_resource<b> : tensor<4xf32>, dilation = array<i64: 1, 1>, groups = 1 : i64, name = "c", pad = array<i32: 0, 0, 0, 0>, stride = array<i64: 1, 1>, weight = dense_resource<w> : tensor<4x4x1x1xf32>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    return %0 : tensor<1x4x6x6xf32>
  }
}
