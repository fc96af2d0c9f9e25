import XCTest
import RNNCodegen
import RNNModel
import RNNTestSupport

/// What the lowering decides, read off the generated text: the automatic
/// vector width, unrolled versus looped blocks, split accumulators, where a
/// Swift weight table goes. (That the kernels compute the right thing is the
/// grid's and the fixtures' business.)
final class KernelLoweringTests: XCTestCase {
    func model(_ kind: CellKind, input I: Int, hidden H: [Int]) -> Model {
        var r = RandomModels(seed: 7)
        return Model(name: "m", inputSize: I, layout: .batchMajor, stages: [.recurrent(r.stack(.init(kind: kind), inputSize: I, hiddenSizes: H))])
    }

    func source(_ m: Model, _ language: KernelOptions.Language, width: Int? = nil, tile: Int? = nil) throws -> String {
        let files = try KernelGenerator.generate(m, options: KernelOptions(language: language, name: "k", vectorWidth: width, batchTile: tile))
        return String(decoding: files.first { $0.name.hasSuffix(language == .c ? ".c" : ".swift") }!.contents, as: UTF8.self)
    }

    func testAutomaticWidth() {
        func width(_ H: [Int], _ language: KernelOptions.Language = .c, dense: Int? = nil, target: KernelTarget = .host) -> Int {
            var m = model(.lstm, input: 3, hidden: H)
            var r = RandomModels(seed: 3)
            if let dense { m.stages.append(.dense(r.dense(H.last!, dense, .none))) }
            return KernelPlan.automaticVectorWidth(m, language: language, target: target)
        }
        // The widest that pads the work by at most a quarter.
        XCTAssertEqual(width([8]), 8)
        XCTAssertEqual(width([16]), 16)
        XCTAssertEqual(width([64]), 16)
        XCTAssertEqual(width([20]), 8)      // 16 would pad to 32 (+60%), 8 to 24 (+20%)
        XCTAssertEqual(width([40]), 16)     // 48 (+20%)
        XCTAssertEqual(width([1]), 4)       // every size ≤ 4: 4 pads least
        XCTAssertEqual(width([4], dense: 1), 4)
        XCTAssertEqual(width([64], .swift), 8)
        XCTAssertEqual(width([20], .swift), 8)
        // None fits: the fewest operations (a 16 counts 1¼), never 4 on the host past size 4.
        XCTAssertEqual(width([12]), 16)     // 1¼ against 2 blocks of 8 (4 would need 3)
        XCTAssertEqual(width([5]), 8)
        XCTAssertEqual(width([12], .swift), 8)
        XCTAssertEqual(width([12], target: .aarch64), 4, "NEON's 4 floats stay a choice on aarch64: 12 fits it")
        // An amp model's one-output dense layer is little work: it does not pull the width down to 4.
        XCTAssertEqual(width([20], dense: 1), 16) // 8 pads 28% of the work with the dense layer's 8 lanes; 2½ operations against 3
        XCTAssertEqual(width([8], dense: 1), 8)
        XCTAssertEqual(width([32], dense: 1), 16)
    }

    func testSmallCellsUnrollBlocksAndLargeOnesLoop() throws {
        let small = try source(model(.lstm, input: 1, hidden: [32]), .c, width: 8)   // 4 blocks
        XCTAssertTrue(small.contains("{ /* block 3: units 24…31 */"))
        let step = small.components(separatedBy: "static void rg_cell_s0_l0_fw(")[1].components(separatedBy: "\n}\n")[0]
        XCTAssertFalse(step.contains("for (int b = 0; b < 4; ++b) {"), "the one-item step unrolls its four blocks")
        let tile = small.components(separatedBy: "static void rg_tile_s0_l0_fw(")[1].components(separatedBy: "\n}\n")[0]
        XCTAssertTrue(tile.contains("for (int b = 0; b < 4; ++b) {"), "a tile's step loops over its blocks")
        let large = try source(model(.lstm, input: 1, hidden: [40]), .c, width: 8)   // 5 blocks
        XCTAssertTrue(large.contains("for (int b = 0; b < 5; ++b) {"))
        XCTAssertFalse(large.contains("/* block "))
    }

    func testInputOfOneIsUnrolledAndLongInputsSplitIntoTwoChains() throws {
        let c = try source(model(.gru, input: 1, hidden: [8]), .c, width: 8)
        XCTAssertTrue(c.contains("z = RG_FMA(RG_LOAD(wt), RG_SPLAT(x[0]), z);"), "I = 1 is one multiply-add, no loop")
        XCTAssertTrue(c.contains("for (int j = 0; j < 8; j += 2) {"), "the loop over h takes two inputs at a time")
        XCTAssertTrue(c.contains("z_odd = RG_FMA("), "odd inputs accumulate apart")
        XCTAssertTrue(c.contains("z = z + z_odd;"))
        let narrow = try source(model(.gru, input: 1, hidden: [8]), .c, width: 4)
        XCTAssertFalse(narrow.contains("_odd"), "width 4 keeps one chain: small cores have few registers")
    }

    func testBatchTilesLoadEachWeightOnceForEveryItem() throws {
        // GRU, I = 5, H = 16 at width 8: two blocks; h is a loop of 16 columns, x has 5.
        let c = try source(model(.gru, input: 5, hidden: [16]), .c, width: 8)
        XCTAssertTrue(c.contains("static void rg_tile_s0_l0_fw("), "width 8 gets tiles of four by default")
        XCTAssertTrue(c.contains("rg_vec z_w = RG_LOAD(wt + "), "a tile's weight vector is loaded once per column")
        XCTAssertTrue(c.contains("RG_SHARED(z_w);"))
        for item in 0..<4 {
            XCTAssertTrue(c.contains("z_\(item) = RG_FMA(z_w, RG_SPLAT(x[j\(item == 0 ? "" : " + \(5 * item)")]), z_\(item));"),
                          "item \(item) reads its own gathered row, 5 floats apart")
        }
        XCTAssertFalse(c.contains("z_0_odd"), "the items are the independent chains")
        XCTAssertTrue(c.contains("const ptrdiff_t span = (ptrdiff_t)steps * 16;"), "one item's rows: steps · maxWidth, in ptrdiff_t")
        XCTAssertTrue(c.contains("rg_sequence_tile_s0_l0_fw(wt, buffer0, buffer1, 0, steps, span, len[0], len[1], len[2], len[3], longest, states);"))
        XCTAssertTrue(c.contains("if (items == 1) {\n            rg_sequence_s0_l0_fw(wt, buffer0, buffer1, 0, steps, len[0], states);"),
                      "a lone item takes the batch-1 path")
        func header(width: Int) throws -> String {
            let files = try KernelGenerator.generate(model(.gru, input: 5, hidden: [16]), options: KernelOptions(language: .c, name: "k", vectorWidth: width))
            return String(decoding: files.first { $0.name.hasSuffix(".h") }!.contents, as: UTF8.self)
        }
        XCTAssertTrue(try header(width: 8).contains("k_WORKSPACE_FLOATS(steps) ((size_t)(steps) * 256)"), "four buffers of 16 floats per step for each of 4 items")
        let small = try source(model(.gru, input: 5, hidden: [16]), .c, width: 4)
        XCTAssertFalse(small.contains("rg_tile_") || small.contains("sequence_tile"), "width 4, meant for small cores, runs items one by one")
        XCTAssertTrue(try header(width: 4).contains("k_WORKSPACE_FLOATS(steps) ((size_t)(steps) * 64)"))
        let swift = try source(model(.gru, input: 5, hidden: [16]), .swift, width: 8)
        XCTAssertTrue(swift.contains("let zW = load(wt + "))
        XCTAssertTrue(swift.contains("z3 = multiplyAdd(zW, V(repeating: x[j + 15]), z3)"))
    }

    func testOneBlockCellsWriteHDirectly() throws {
        let one = try source(model(.lstm, input: 2, hidden: [8]), .c, width: 8)
        XCTAssertFalse(one.contains("float next["))
        XCTAssertTrue(one.contains("RG_STORE(h, o * h_new);"))
        let two = try source(model(.lstm, input: 2, hidden: [16]), .c, width: 8)
        XCTAssertTrue(two.contains("RG_STORE(next + 8, o * h_new);"))
        XCTAssertTrue(two.contains("RG_STORE(h + 8, RG_LOAD(next + 8));"))
    }

    func testLargeSwiftTablesAreTextAndSmallOnesLiterals() throws {
        let small = try source(model(.rnn, input: 4, hidden: [8]), .swift)
        XCTAssertTrue(small.contains("fileprivate let kWeights: InlineArray<"))
        XCTAssertFalse(small.contains("kWeightText"))
        let large = try source(model(.lstm, input: 40, hidden: [80]), .swift)  // 38 400 weights
        XCTAssertTrue(large.contains("fileprivate let kWeightText: StaticString"))
        XCTAssertFalse(large.contains("InlineArray<38"))
    }

    func testBothLanguagesPrintTheSameProgram() throws {
        // The same statements in the same order: each C multiply-add, store and
        // activation of the cell's step has its Swift twin.
        let m = model(.lstm, input: 3, hidden: [20])
        let c = try source(m, .c, width: 8), swift = try source(m, .swift, width: 8)
        func body(_ text: String, from start: String) -> String {
            let tail = text[text.range(of: start)!.lowerBound...]
            return String(tail[..<tail.range(of: "\n}\n")!.upperBound])
        }
        let cStep = body(c, from: "static void rg_cell_s0_l0_fw("), swiftStep = body(swift, from: "fileprivate func cell_s0_l0_fw(")
        func count(_ text: String, _ word: String) -> Int { text.components(separatedBy: word).count - 1 }
        XCTAssertEqual(count(cStep, "RG_FMA("), count(swiftStep, "multiplyAdd("))
        XCTAssertEqual(count(cStep, "RG_STORE("), count(swiftStep, " store("))
        XCTAssertEqual(count(cStep, "rg_sigmoid("), count(swiftStep, " sigmoid("))
        XCTAssertEqual(count(cStep, "rg_tanh("), count(swiftStep, " tanh("))
        XCTAssertEqual(count(cStep, "for ("), count(swiftStep, "for "))
        XCTAssertGreaterThan(count(cStep, "RG_FMA("), 0)
    }

    func testEveryFunctionOfBothLanguagesComesFromOneProgram() throws {
        // API (reset, state get/set, step, head, run with its tile loop) and
        // helpers alike: each function's body is printed from the one program,
        // line for line in both languages, and the generated files hold it.
        var r = RandomModels(seed: 11)
        let lstm = r.stack(.init(kind: .lstm), inputSize: 3, hiddenSizes: [6, 5])
        let gru = r.stack(.init(kind: .gru), inputSize: 3, hiddenSizes: [4])
        let both = r.stack(.init(kind: .gru), inputSize: 3, hiddenSizes: [4], direction: .bidirectional)
        let backwards = r.stack(.init(kind: .rnn), inputSize: 3, hiddenSizes: [7], direction: .reverse, processingOrder: true)
        let models = [
            Model(name: "m", inputSize: 3, layout: .batchMajor, stages: [.parallel([lstm, gru]), .head(r.dense(9, 2, .softmax))]),
            model(.gru, input: 5, hidden: [16]),
            Model(name: "m", inputSize: 3, layout: .timeMajor, stages: [.recurrent(lstm), .dense(r.dense(5, 3, .tanh))]),
            Model(name: "m", inputSize: 3, layout: .batchMajor, stages: [.parallel([both, backwards]), .head(r.dense(15, 2, .none))]),
        ]
        for (index, m) in models.enumerated() {
            for tile in [1, 2] {
                let plan = { (language: KernelOptions.Language) in
                    try KernelPlan(model: m, options: KernelOptions(language: language, name: "k", vectorWidth: 4, batchTile: tile))
                }
                let program = KernelProgram.of(try plan(.c))
                let c = program.bodies(try plan(.c), language: .c), swift = program.bodies(try plan(.swift), language: .swift)
                XCTAssertEqual(c.map(\.function), swift.map(\.function))
                for (cf, sf) in zip(c, swift) {
                    XCTAssertEqual(cf.lines.count, sf.lines.count, "model \(index), tile \(tile): \(cf.function) has the same statements in both languages")
                }
                for name in ["reset", "set_state", "get_state", "run"] { XCTAssertTrue(c.contains { $0.function == name }, name) }
                let cText = try source(m, .c, width: 4, tile: tile), swiftText = try source(m, .swift, width: 4, tile: tile)
                func trimmed(_ lines: [String]) -> String { lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n") }
                let cFile = trimmed(cText.components(separatedBy: "\n")), swiftFile = trimmed(swiftText.components(separatedBy: "\n"))
                for (cf, sf) in zip(c, swift) {
                    XCTAssertTrue(cFile.contains(trimmed(cf.lines)), "model \(index): the C file holds \(cf.function) as printed")
                    XCTAssertTrue(swiftFile.contains(trimmed(sf.lines)), "model \(index): the Swift file holds \(sf.function) as printed")
                }
            }
        }
    }
}
