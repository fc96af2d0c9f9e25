import RNNModel

/// Renders the test harness that `rnngen run --engine c|swift` and
/// `rnngen verify` compile beside generated kernels: one program that can
/// run any of several kernels (so test grids compile in one batch) on raw
/// float32 files.
public enum HarnessRenderer {
    public static func c(_ plans: [KernelPlan]) -> String {
        let entries = plans.map { plan -> String in
            let name = plan.name
            let headSize = plan.head.map { "\($0.outputs)" } ?? "1"
            let baked = plan.options.weights == .baked
            let weightsArg = baked ? "" : "weights, "
            let loadWeights = baked
                ? "    /* weights are baked into the kernel */"
                : """
                    float *weights = aligned_alloc64(\(name)_WEIGHT_FLOATS * sizeof(float));
                    {
                        float *packed = read_file(in_dir, "weights.bin", \(name)_WEIGHT_FLOATS * sizeof(float));
                        memcpy(weights, packed, \(name)_WEIGHT_FLOATS * sizeof(float));
                        free(packed);
                    }
                """
            var stepLoop: String
            if plan.supportsStep {
                let timeMajor = plan.model.layout == .timeMajor
                let xRow = timeMajor ? "(t * items + b) * \(name)_INPUT_SIZE" : "(b * steps + t) * \(name)_INPUT_SIZE"
                let yRow = timeMajor ? "(t * items + b) * \(name)_OUTPUT_SIZE" : "(b * steps + t) * \(name)_OUTPUT_SIZE"
                stepLoop = """
                        \(name)_state state;
                        for (size_t b = 0; b < items; ++b) {
                            if (initial) \(name)_set_state(&state, initial + b * \(name)_STATE_FLOATS);
                            else \(name)_reset(&state);
                            /* The streaming path has no notion of padding: it runs every step. */
                            for (size_t t = 0; t < steps; ++t) \(name)_step(\(weightsArg)&state, x + \(xRow), y + \(yRow));
                            \(name)_get_state(&state, final_state + b * \(name)_STATE_FLOATS);
                """
                if plan.head != nil { stepLoop += "\n            \(name)_head(\(weightsArg)&state, head + b * \(name)_HEAD_SIZE);" }
                stepLoop += "\n        }"
            } else {
                stepLoop = "        fprintf(stderr, \"harness: \(name) has no step function (it runs a direction in reverse)\\n\");\n        return 2;"
            }
            return Template(c: "harness_entry.c").render([
                "FREE_WEIGHTS": baked ? "" : "free(weights); ",
                "NAME": name,
                "HEAD_SIZE": headSize,
                "HEAD_ARG": plan.head != nil ? "head, " : "",
                "WEIGHTS_ARG": weightsArg,
                "LOAD_WEIGHTS": loadWeights,
                "STEP_LOOP": stepLoop,
            ])
        }
        let dispatch = plans.map { "    if (strcmp(argv[1], \"\($0.name)\") == 0) return run_\($0.name)(step, argv[3], argv[4]);" }
        return Template(c: "harness.c").render([
            "INCLUDES": plans.map { "#include \"\($0.name).h\"" }.joined(separator: "\n"),
            "ENTRIES": entries.joined(),
            "DISPATCH": dispatch.joined(separator: "\n"),
        ])
    }

    public static func swift(_ plans: [KernelPlan]) -> String {
        let entries = plans.map { plan -> String in
            let name = plan.name, type = plan.swiftTypeName
            let baked = plan.options.weights == .baked
            let weightsArg = baked ? "" : "weights: weights, "
            let loadWeights = baked ? "    // weights are baked into the kernel" : """
                let weights = UnsafeMutablePointer<Float>.allocate(capacity: \(type).weightFloats)
                weights.initialize(from: readFloats(inDir, "weights.bin", \(type).weightFloats), count: \(type).weightFloats)
                defer { weights.deallocate() }
            """
            var stepLoop: String
            if plan.supportsStep {
                let timeMajor = plan.model.layout == .timeMajor
                let xRow = timeMajor ? "(t * items + b) * \(type).inputSize" : "(b * steps + t) * \(type).inputSize"
                let yRow = timeMajor ? "(t * items + b) * \(type).outputSize" : "(b * steps + t) * \(type).outputSize"
                stepLoop = """
                        var model = \(type)()
                        for b in 0..<items {
                            if let initial {
                                model.state = initial.withUnsafeBufferPointer { \(type).State(flattened: $0.baseAddress! + b * \(type).stateFloats) }
                            } else {
                                model.reset()
                            }
                            // The streaming path has no notion of padding: it runs every step.
                            for t in 0..<steps {
                                x.withUnsafeBufferPointer { xp in
                                    y.withUnsafeMutableBufferPointer { yp in
                                        model.step(\(weightsArg)x: xp.baseAddress! + \(xRow), y: yp.baseAddress! + \(yRow))
                                    }
                                }
                            }
                            finalState.withUnsafeMutableBufferPointer { model.state.flatten(into: $0.baseAddress! + b * \(type).stateFloats) }
                """
                if plan.head != nil {
                    stepLoop += "\n            head.withUnsafeMutableBufferPointer { model.head(\(weightsArg)into: $0.baseAddress! + b * \(type).headSize) }"
                }
                stepLoop += "\n        }"
            } else {
                stepLoop = "        FileHandle.standardError.write(\"harness: \(name) has no step function (it runs a direction in reverse)\\n\".data(using: .utf8)!)\n        return 2"
            }
            return Template(swift: "harness_entry.swift").render([
                "NAME": name,
                "TYPE": type,
                "HEAD_SIZE": plan.head.map { "\($0.outputs)" } ?? "1",
                "HEAD_ARG": plan.head != nil ? "head: hp.baseAddress!, " : "",
                "WEIGHTS_ARG": weightsArg,
                "LOAD_WEIGHTS": loadWeights,
                "STEP_LOOP": stepLoop,
            ])
        }
        let dispatch = plans.map { "case \"\($0.name)\": exit(run_\($0.name)(stepMode, arguments[3], arguments[4]))" }
        return Template(swift: "harness.swift").render([
            "ENTRIES": entries.joined(),
            "DISPATCH": dispatch.joined(separator: "\n"),
        ])
    }
}
