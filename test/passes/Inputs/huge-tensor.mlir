module attributes {spx.network = "n", spx.source = "huge.spx", spx.target = {kind = "cpu"}} {
  func.func @n(%arg0: tensor<9223372036854775807xf32> {spx.name = "x"}) -> (tensor<9223372036854775807xf32> {spx.name = "y"}) {
    %0 = "spx.relu"(%arg0) {name = "y"} : (tensor<9223372036854775807xf32>) -> tensor<9223372036854775807xf32> loc("huge.spx":3:3)
    return %0 : tensor<9223372036854775807xf32>
  }
}
