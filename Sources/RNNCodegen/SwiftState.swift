import RNNModel

/// The Swift kernel's nested `State` value.
extension SwiftRenderer {
    /// The nested `State` value: the padded storage, its flattened form
    /// (`setState` and `getState` of the program) and a property per state vector.
    func state(_ api: [KernelFunction.Role: String]) -> String {
        let P = max(plan.paddedStateFloats, 1), S = max(plan.stateFloats, 1)
        var doc: [String] = [], fields: [String] = []
        for slot in plan.states {
            let what = slot.name.isCell ? "cell state c" : "hidden state h"
            let direction = slot.name.reverse ? "backward" : "forward"
            doc.append("    ///   \(slot.paddedOffset)..<\(slot.paddedOffset + slot.size): \(what) of stack \(slot.name.stack), layer \(slot.name.layer), \(direction) (\(slot.name))")
            fields.append("""
                    /// The \(what) of stack \(slot.name.stack), layer \(slot.name.layer), \(direction) (`\(slot.name)`, \(slot.size) floats).
                    public var \(camel(slot.name.description)): InlineArray<\(slot.size), Float> {
                        get {
                            var value = InlineArray<\(slot.size), Float>(repeating: 0)
                            for k in 0..<\(slot.size) { value[k] = storage[\(slot.paddedOffset) + k] }
                            return value
                        }
                        set { for k in 0..<\(slot.size) { storage[\(slot.paddedOffset) + k] = newValue[k] } }
                    }
            """)
        }
        return """
            /// The recurrent state: h (and c for LSTMs) of every layer and direction.
            /// A value: keep a copy to save it, assign it back to resume from it.
            /// Layout of `storage`, each vector padded to \(width) floats:
        \(doc.joined(separator: "\n"))
            public struct State: Sendable {
                /// The padded state, laid out as above.
                public fileprivate(set) var storage: InlineArray<\(P), Float>

                /// The zero state.
                public init() { storage = InlineArray(repeating: 0) }

                /// The state whose flattened form is `flat` (`stateFloats` floats, laid
                /// out as the `…Offset` constants say).
                public init(flattened flat: InlineArray<\(S), Float>) {
                    var flat = flat
                    self = withUnsafePointer(to: &flat) { raw in
                        UnsafeRawPointer(raw).withMemoryRebound(to: Float.self, capacity: \(S)) { State(flattened: $0) }
                    }
                }

                /// The state whose flattened form is the `stateFloats` floats at `flat`;
                /// for callers that hold buffers (no copy of the buffer is made).
        \(indented(api[.setState]!, 2))

                /// The state flattened: `stateFloats` floats, laid out as the `…Offset` constants say.
                public var flattened: InlineArray<\(S), Float> {
                    var flat = InlineArray<\(S), Float>(repeating: 0)
                    withUnsafeMutablePointer(to: &flat) { raw in
                        UnsafeMutableRawPointer(raw).withMemoryRebound(to: Float.self, capacity: \(S)) { flatten(into: $0) }
                    }
                    return flat
                }

                /// Writes the flattened state (`stateFloats` floats) to `flat`.
        \(indented(api[.getState]!, 2))

                /// The padded state as floats, for the kernel's functions.
                @inline(__always)
                fileprivate mutating func withFloats<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
                    withUnsafeMutablePointer(to: &storage) { raw in
                        UnsafeMutableRawPointer(raw).withMemoryRebound(to: Float.self, capacity: \(P)) { body($0) }
                    }
                }

        \(fields.joined(separator: "\n\n"))
            }
        """
    }
}
