import RNNModel

/// Renders `bench.c`: the generated C kernel's `step` timed beside a naive C
/// loop of the same model — plain row-major matrix-vector products and libm
/// activations, what one writes by hand without rnngen — in one process.
/// The naive loop covers a forward stack of RNN, LSTM and GRU cells with
/// their default activations and no options, then dense layers (none, relu,
/// tanh, sigmoid) and skip connections — the amp models' shape; other models
/// are timed without it.
public enum BenchmarkRenderer {
    /// Whether `naiveLoop` can express `model`.
    public static func supportsNaiveLoop(_ model: Model) -> Bool {
        guard case .recurrent(let stack) = model.stages.first, stack.direction == .forward else { return false }
        let trailing = model.stages.dropFirst().allSatisfy { stage in
            switch stage {
            case .dense(let d): return d.activation == .none || [.relu, .tanh, .sigmoid].contains(d.activation.elementwise?.kind)
            case .residual: return true
            default: return false
            }
        }
        return trailing && stack.layers.allSatisfy { layer in
            let c = layer.cells[0]
            let o = c.options
            return o.activations == c.kind.defaultActivations && o.clip == nil && o.cellClip == nil && !o.inputForget
                && o.forgetBias == 0 && c.weights.peephole == nil && c.weights.projection == nil
        }
    }

    public static func render(_ plan: KernelPlan) -> String {
        let naive = supportsNaiveLoop(plan.model)
        return Template(c: "bench.c").render([
            "NAME": plan.name,
            "HEAD_NULL": plan.head != nil ? "NULL, " : "",
            "HAS_STEP": plan.supportsStep ? "1" : "0",
            "NAIVE": naive ? naiveLoop(plan.model) : "/* The naive loop covers forward RNN/LSTM/GRU stacks without options; not this model. */",
            "NAIVE_ROUND": naive ? """
                    naive_reset();
                    start = now();
                    for (long t = 0; t < steps; ++t) {
                        naive_step(inputs[t % INPUT_ROWS], y);
                        sink = y[0];
                    }
                    elapsed = now() - start;
                    if (elapsed < best_naive) best_naive = elapsed;
            """ : "",
            "NAIVE_PRINT": naive ? """
                printf("naive_ns_per_step %.3f\\n", 1e9 * best_naive / (double)steps);
                {
                    /* Both implementations must agree, or the comparison means nothing. */
                    float yn[\(plan.name)_OUTPUT_SIZE];
                    double worst = 0.0;
                    \(plan.name)_reset(&state);
                    naive_reset();
                    for (long t = 0; t < 100; ++t) {
                        \(plan.name)_step(&state, inputs[t], y);
                        naive_step(inputs[t], yn);
                        for (int k = 0; k < \(plan.name)_OUTPUT_SIZE; ++k) worst = fabs(y[k] - yn[k]) > worst ? fabs(y[k] - yn[k]) : worst;
                    }
                    printf("naive_max_abs_difference %.3g\\n", worst);
                }
            """ : "    (void)best_naive;",
        ])
    }

    /// `main.swift` timing the Swift kernel's `step`.
    public static func renderSwift(_ plan: KernelPlan) -> String {
        Template(swift: "bench.swift").render(["TYPE": plan.swiftTypeName, "HEAD_NIL": plan.head != nil ? "head: nil, " : ""])
    }

    static func array(_ name: String, _ t: Tensor) -> String {
        "static const float \(name)[\(t.count)] = {" + t.values.map { Literal.cFloat(Float($0)) }.joined(separator: ", ") + "};"
    }

    static func naiveLoop(_ model: Model) -> String {
        guard case .recurrent(let stack) = model.stages[0] else { return "" }
        var out: [String] = ["static float naive_sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }"]
        var resets: [String] = [], steps: [String] = []
        var input = "x"
        for (k, layer) in stack.layers.enumerated() {
            let c = layer.cells[0], w = c.weights
            let I = c.inputSize, H = c.hiddenSize, G = c.kind.gateCount
            out.append(array("W\(k)", w.input))
            out.append(array("R\(k)", w.recurrent))
            var bias = w.inputBias
            if !(c.kind == .gru && c.options.linearBeforeReset) {
                for i in bias.values.indices { bias.values[i] += w.recurrentBias.values[i] }
            } else {
                for i in 0..<(2 * H) { bias.values[i] += w.recurrentBias.values[i] }
            }
            out.append(array("B\(k)", bias))
            out.append(array("RB\(k)", w.recurrentBias))
            out.append("static float h\(k)[\(H)], c\(k)[\(H)];")
            resets.append("    memset(h\(k), 0, sizeof h\(k)); memset(c\(k), 0, sizeof c\(k));")
            var body = "    {\n        float pre[\(G * H)], hn[\(H)];\n"
            switch c.kind {
            case .rnn, .lstm:
                body += """
                        for (int r = 0; r < \(G * H); ++r) {
                            float s = B\(k)[r];
                            for (int j = 0; j < \(I); ++j) s += W\(k)[r * \(I) + j] * \(input)[j];
                            for (int j = 0; j < \(H); ++j) s += R\(k)[r * \(H) + j] * h\(k)[j];
                            pre[r] = s;
                        }

                """
                if c.kind == .rnn {
                    body += "        for (int u = 0; u < \(H); ++u) hn[u] = tanhf(pre[u]);\n"
                } else {
                    body += """
                            for (int u = 0; u < \(H); ++u) {
                                const float i = naive_sigmoid(pre[u]), o = naive_sigmoid(pre[\(H) + u]);
                                const float f = naive_sigmoid(pre[\(2 * H) + u]), g = tanhf(pre[\(3 * H) + u]);
                                c\(k)[u] = f * c\(k)[u] + i * g;
                                hn[u] = o * tanhf(c\(k)[u]);
                            }

                    """
                }
            case .gru:
                let lbr = c.options.linearBeforeReset
                body += """
                        float reset[\(H)];
                        for (int r = 0; r < \(2 * H); ++r) {
                            float s = B\(k)[r];
                            for (int j = 0; j < \(I); ++j) s += W\(k)[r * \(I) + j] * \(input)[j];
                            for (int j = 0; j < \(H); ++j) s += R\(k)[r * \(H) + j] * h\(k)[j];
                            pre[r] = s;
                        }
                        for (int u = 0; u < \(H); ++u) reset[u] = naive_sigmoid(pre[\(H) + u]);
                        for (int u = 0; u < \(H); ++u) {
                            const int r = \(2 * H) + u;
                            float s = B\(k)[r], q = \(lbr ? "RB\(k)[r]" : "0.0f");
                            for (int j = 0; j < \(I); ++j) s += W\(k)[r * \(I) + j] * \(input)[j];
                            for (int j = 0; j < \(H); ++j) q += R\(k)[r * \(H) + j] * \(lbr ? "h\(k)[j]" : "reset[j] * h\(k)[j]");
                            const float z = naive_sigmoid(pre[u]);
                            const float candidate = tanhf(s + \(lbr ? "reset[u] * q" : "q"));
                            hn[u] = (1.0f - z) * candidate + z * h\(k)[u];
                        }

                """
            }
            body += "        memcpy(h\(k), hn, sizeof hn);\n    }"
            steps.append(body)
            input = "h\(k)"
        }
        var top = stack.layers.last!.cells[0].hiddenSize
        for (k, stage) in model.stages.dropFirst().enumerated() {
            switch stage {
            case .dense(let d):
                out.append(array("DW\(k)", d.weight))
                out.append(array("DB\(k)", d.bias ?? Tensor(zeros: [d.outputSize])))
                out.append("static float d\(k)[\(d.outputSize)];")
                let f: String
                switch d.activation.elementwise?.kind {
                case .relu?: f = "s > 0.0f ? s : 0.0f"
                case .tanh?: f = "tanhf(s)"
                case .sigmoid?: f = "naive_sigmoid(s)"
                default: f = "s"
                }
                steps.append("""
                    for (int r = 0; r < \(d.outputSize); ++r) {
                        float s = DB\(k)[r];
                        for (int j = 0; j < \(d.inputSize); ++j) s += DW\(k)[r * \(d.inputSize) + j] * \(input)[j];
                        d\(k)[r] = \(f);
                    }
                """)
                input = "d\(k)"
                top = d.outputSize
            case .residual(let r):
                out.append("static float r\(k)[\(top)];")
                steps.append("    for (int j = 0; j < \(top); ++j) r\(k)[j] = \(input)[j];")
                steps.append((0..<top).map { "    r\(k)[\($0)] += x[\(r.feature(for: $0))];" }.joined(separator: "\n"))
                input = "r\(k)"
            default:
                break
            }
        }
        out.append("static void naive_reset(void)\n{\n\(resets.joined(separator: "\n"))\n}")
        out.append("static void naive_step(const float *x, float *y)\n{\n\(steps.joined(separator: "\n"))\n    memcpy(y, \(input), \(top) * sizeof(float));\n}")
        return out.joined(separator: "\n")
    }

    /// The host benchmark of a quantized model: its integer kernel's step
    /// beside the float kernel of the same model, in ns per step.
    public static func render(_ quantized: IntegerKernelPlan, float: KernelPlan) -> String {
        Template(c: "bench_integer.c").render(["Q": quantized.name, "QN": quantized.name.uppercased(), "F": float.name])
    }
}
