module attributes {spx.network = "tiny", spx.source = "", spx.target = {kind = "cpu"}} {
  func.func @tiny(%arg0: tensor<1x1x4x4xf32> {spx.name = "x"}) -> (tensor<1x1x4x4xf32> {spx.name = "a"}) {
    %0 = "spx.relu"(%arg0) {name = "a"} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
    return %0 : tensor<1x1x4x4xf32>
  }
}
