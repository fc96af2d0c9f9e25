/// PyTorch's spelling of a model's states, for descriptions of PyTorch
/// models: `nn.LSTM` returns `h_n` and `c_n` as `[num_layers · directions, B, H]`
/// (layer by layer, the forward direction before the reverse one, whatever
/// `batch_first` says) and takes `h0`, `c0` the same way. One recurrent stack
/// of a description is one such module: a model with one stack uses
/// `h_n`/`c_n`/`h0`/`c0`; with several, stack s uses `h_n_s{s}`, `h0_s{s}`, ….
public enum PyTorchStates {
    /// The states of one stack in PyTorch's order.
    public struct Group: Sendable {
        public var stack: Int
        /// `h` / `c` state names, index `layer · directions + direction`.
        public var hidden: [StateName]
        public var cell: [StateName]
        /// `""` for a model with one stack, else `_s{stack}`.
        public var suffix: String

        public var outputH: String { "h_n" + suffix }
        public var outputC: String { "c_n" + suffix }
        public var inputH: String { "h0" + suffix }
        public var inputC: String { "c0" + suffix }
    }

    public static func groups(_ model: Model) -> [Group] {
        let stacks = model.stacks
        return stacks.enumerated().map { s, stack in
            var hidden: [StateName] = [], cell: [StateName] = []
            for (k, layer) in stack.layers.enumerated() {
                for (d, c) in layer.cells.enumerated() {
                    let reverse = stack.isReverse(direction: d)
                    hidden.append(StateName(stack: s, layer: k, reverse: reverse, isCell: false))
                    if c.hasCellState { cell.append(StateName(stack: s, layer: k, reverse: reverse, isCell: true)) }
                }
            }
            return Group(stack: s, hidden: hidden, cell: cell, suffix: stacks.count == 1 ? "" : "_s\(s)")
        }
    }

    /// The size every state of `names` shares, or nil when the stack's layers
    /// differ in size (a description allows it, nn.LSTM never): such states do not stack.
    public static func stackedSize(_ names: [StateName], sizes: [StateName: Int]) -> Int? {
        guard let size = names.first.flatMap({ sizes[$0] }), names.allSatisfy({ sizes[$0] == size }) else { return nil }
        return size
    }

    /// `h_n` / `c_n` (per stack) from the final states `[B, size]`.
    public static func outputs(_ model: Model, finalStates: [StateName: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for group in groups(model) {
            for (name, states) in [(group.outputH, group.hidden), (group.outputC, group.cell)] where !states.isEmpty {
                let parts = states.compactMap { finalStates[$0] }
                // Layers of different sizes (possible in a description, never in nn.LSTM) do not stack.
                guard parts.count == states.count, Set(parts.map(\.shape)).count == 1 else { continue }
                out[name] = Tensor.stacked(parts, shape: [parts.count] + parts[0].shape)
            }
        }
        return out
    }

    /// Splits `h0` / `c0` inputs (per stack) into per-layer, per-direction
    /// initial states; checks their shapes. Returns the input names it used.
    public static func initialStates(_ model: Model, inputs: [String: Tensor], batch: Int,
                                     sizes: [StateName: Int]) throws -> (states: [StateName: Tensor], used: Set<String>) {
        var states: [StateName: Tensor] = [:]
        var used: Set<String> = []
        for group in groups(model) {
            for (name, names) in [(group.inputH, group.hidden), (group.inputC, group.cell)] where !names.isEmpty {
                guard let tensor = inputs[name] else { continue }
                used.insert(name)
                guard let size = stackedSize(names, sizes: sizes) else {
                    throw RNNError(at: "--input \(name)", "stack \(group.stack)'s layers differ in size, so their states do not stack as PyTorch's; give them one by one (\(names.map(\.initialName).joined(separator: ", ")))")
                }
                let expected = [names.count, batch, size]
                guard tensor.shape == expected else {
                    throw RNNError(at: "--input \(name)", "expected PyTorch's [num_layers · directions, B, \(name.hasPrefix("c") ? "H" : "H (proj_size if set)")] = \(Tensor.describe(expected)), found \(tensor.shapeDescription)")
                }
                guard tensor.elementType.isFloatingPoint else {
                    throw RNNError(at: "--input \(name)", "expected floating-point values, found \(tensor.elementType.rawValue)")
                }
                for (index, part) in tensor.unstacked().enumerated() { states[names[index]] = part }
            }
        }
        return (states, used)
    }
}
