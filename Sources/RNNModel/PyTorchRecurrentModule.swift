/// The layers of one PyTorch `nn.RNN`, `nn.GRU` or `nn.LSTM` from its
/// state-dict tensors `weight_ih_lK`, `weight_hh_lK`, `bias_ih_lK` and
/// `bias_hh_lK` (biases optional), as the amp models' JSON and a state_dict
/// dumped as JSON hold them.
enum PyTorchRecurrentModule {
    /// Every layer `K = 0, 1, …` whose `weight_ih_lK` `tensor` finds; none
    /// where there is no `weight_ih_l0`. `kind` nil: told by `weight_hh`'s
    /// rows per unit (1 RNN, 3 GRU, 4 LSTM). `location` names the module in errors.
    static func cells(kind given: CellKind?, location: String, tensor: (String) throws -> Tensor?) throws -> [Cell] {
        var cells: [Cell] = []
        while let W = try tensor("weight_ih_l\(cells.count)") {
            let k = cells.count
            guard let R = try tensor("weight_hh_l\(k)"), R.rank == 2, R.shape[1] >= 1, W.rank == 2 else {
                throw RNNError(at: "\(location).weight_hh_l\(k)", "expected a [gates·H, H] matrix beside a [gates·H, I] weight_ih_l\(k)")
            }
            let H = R.shape[1]
            let counted = R.shape[0] % H == 0 ? [1: CellKind.rnn, 3: .gru, 4: .lstm][R.shape[0] / H] : nil
            guard let kind = given ?? counted else {
                throw RNNError(at: "\(location).weight_hh_l\(k)", "expected [gates·H, H] with 1 (RNN), 3 (GRU) or 4 (LSTM) gates, found \(R.shapeDescription)")
            }
            var named: [String: Tensor] = ["weight_ih": W, "weight_hh": R]
            named["bias_ih"] = try tensor("bias_ih_l\(k)")
            named["bias_hh"] = try tensor("bias_hh_l\(k)")
            // PyTorch's GRU applies the reset gate after the recurrent product.
            let options = CellOptions(activations: kind.defaultActivations, linearBeforeReset: kind == .gru)
            cells.append(try CellImporter.cell(.pytorch, kind: kind, inputSize: k == 0 ? W.shape[1] : cells[k - 1].outputSize, hiddenSize: H,
                                               options: options, tensors: NamedTensors(named, location: "\(location) layer \(k)")))
        }
        return cells
    }
}
