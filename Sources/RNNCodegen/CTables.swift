import RNNModel

/// The C kernel's constant tables: the packed float weights and the narrow
/// weight matrices.
extension CRenderer {
    /// The weight matrices' codes as a `uint16_t`/`uint32_t` table, or nothing for f32.
    func matrixTable() -> String {
        let type = plan.weightType
        guard type != .f32 else { return "" }
        let lines = KernelDescription.matrixCodeLines(plan)
        let count = plan.matrixCodes.count, bytes = count * plan.matrixElementBytes
        return """
        /* The weight matrices, packed like \(name)_weights, as \(KernelDescription.storage(plan, newline: "\n * "))
         * (\(count * plan.columnsPerWord) weights, \(bytes) bytes). */
        static const \(type.storage.cType) \(name)_matrices[\(count)] __attribute__((aligned(64))) = {
        \(lines.joined(separator: "\n"))
        };

        """
    }

    func weightsTable() -> String {
        guard baked else {
            return "/* Weights are passed in at run time (\(plan.weights.count) floats, packed as rnngen generate writes them). */\n"
        }
        let lines = KernelDescription.rows(plan.weights.map { Literal.cFloat($0) }, perRow: width)
        return """
        /* Every weight, packed at generation time in the order the loops read it
         * (\(plan.weights.count) floats, \(plan.weights.count * 4) bytes; const, so in flash on a microcontroller). */
        static const float \(name)_weights[\(plan.weights.count)] __attribute__((aligned(64))) = {
        \(lines.joined(separator: "\n"))
        };

        """
    }
}
