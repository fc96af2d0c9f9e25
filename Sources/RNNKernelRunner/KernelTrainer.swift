import Foundation
import RNNCodegen
import RNNModel
import RNNReference

/// Trains with a generated C training kernel: the model's kernel for K
/// steps and a tile of B items, compiled (cached) with a driver program that
/// reads the data, runs the epochs (windows in time order, the N items'
/// tiles in order, one optimizer step per window, the state carried from
/// window to window and zeroed at each epoch's start) and prints a progress
/// line every so many batches.
public struct KernelTrainer {
    public var toolchain: Toolchain

    public init(toolchain: Toolchain = Toolchain()) { self.toolchain = toolchain }

    /// The tile for N items: B if given (it must divide N), else the largest divisor of N up to 256.
    public static func tile(items: Int, requested: Int?) throws -> Int {
        if let B = requested {
            guard B >= 1, items % B == 0 else { throw RNNError(at: "--batch-tile \(B)", "must divide the data's \(items) items (each window's batch is cut into tiles of B)") }
            return B
        }
        return (1...min(items, 256)).reversed().first { items % $0 == 0 } ?? 1
    }

    public func train(_ model: Model, data: TrainingData, objective: TrainingObjective, schedule: TrainingSchedule, tile: Int,
                      progress: (TrainingProgress) -> Void) throws -> Model {
        guard data.lengths == nil else {
            throw RNNError(at: "--lengths", "the kernel engine trains full windows; train sequences of different lengths with --engine reference")
        }
        let K = schedule.steps, windows = schedule.windows(data)
        guard windows > 0 else { throw RNNError(at: "--steps \(K)", "is longer than the data's \(data.steps) steps") }
        let options = TrainingOptions(language: .c, name: "trained", steps: K, batchTile: tile,
                                       loss: objective == .crossEntropy ? .crossEntropy : .squaredError)
        let plan = try TrainingPlan(model: model, options: options)
        var sources = TrainingRenderer(plan: plan).render().map { ($0.file, Array($0.text.utf8)) }
        sources.append(("driver.c", Array(KernelTrainer.driver(plan).utf8)))
        let command = ["-std=c99", "-O2", "-Wall", "-Wextra"] + toolchain.cFlags + ["trained_train.c", "driver.c", "-o", "driver", "-lm"]
        let directory = try BuildCache(toolchain.cacheDirectory).build(kind: "trainer", sources: sources, steps: [(toolchain.cCompiler, command)],
                                                                       what: "the training kernel")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-trainer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        func write(_ name: String, _ words: [UInt32]) throws {
            var bytes = Data(capacity: words.count * 4)
            for w in words { withUnsafeBytes(of: w.littleEndian) { bytes.append(contentsOf: $0) } }
            try bytes.write(to: work.appendingPathComponent(name))
        }
        try write("x.bin", data.x.map(\.bitPattern))
        if let labels = data.labels { try write("y.bin", labels.map { UInt32(bitPattern: $0) }) } else { try write("y.bin", data.target!.map(\.bitPattern)) }
        try write("params.bin", model.parameters.flatMap { $0.value.values.map { Float($0).bitPattern } })
        var rule = 0, a = 0.0, b = 0.0, c = 0.0
        switch schedule.rule {
        case .sgd(let momentum): (rule, a) = (0, momentum)
        case .adagrad(let start): (rule, a) = (1, start)
        case .adam(let beta1, let beta2, let epsilon): (rule, a, b, c) = (2, beta1, beta2, epsilon)
        }
        let arguments = ["x.bin", "y.bin", "params.bin", "out.bin", "\(data.items)", "\(data.steps)", "\(schedule.epochs)", "\(schedule.progressEvery)",
                         objective == .esr ? "1" : "0", "\(rule)", "\(schedule.learningRate)", "\(schedule.clipNorm ?? 0)", "\(a)", "\(b)", "\(c)"]
        var failure: String?
        let status = try KernelTrainer.stream(directory.appendingPathComponent("driver").path, arguments, in: work) { line in
            let fields = line.split(separator: " ")
            guard fields.count == 6, fields[0] == "progress", let epoch = Int(fields[1]), let batch = Int(fields[2]),
                  let loss = Double(fields[3]), let count = Double(fields[4]), let seconds = Double(fields[5]) else {
                failure = line
                return
            }
            progress(TrainingProgress(epoch: epoch, batch: batch, batchesPerEpoch: windows, meanLoss: loss, batchesPerSecond: count / max(seconds, 1e-9)))
        }
        guard status == 0 else { throw RNNError(at: "training kernel", "the driver failed (status \(status))\(failure.map { ": \($0)" } ?? "")") }
        let out = try Data(contentsOf: work.appendingPathComponent("out.bin"))
        guard out.count == plan.parameterCount * 4 else { throw RNNError(at: "training kernel", "the driver wrote \(out.count) bytes, expected \(plan.parameterCount * 4)") }
        let table = out.withUnsafeBytes { raw in (0..<plan.parameterCount).map { Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
        return try model.replacingAll(table, layout: plan.parameterLayout)
    }

    /// Runs a program, handing each line it prints to `line` as it comes.
    static func stream(_ executable: String, _ arguments: [String], in directory: URL, line: (String) -> Void) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var pending = Data()
        let handle = pipe.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0a) {
                line(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The driver: arguments x, y, params, out files; N, T, epochs, progress
    /// interval; esr (0/1); optimizer (0 SGD, 1 Adagrad, 2 Adam), learning
    /// rate, clip norm, then momentum / Adagrad's start / β₁ β₂ ε.
    static func driver(_ plan: TrainingPlan) -> String {
        let p = "trained_train", K = plan.steps, B = plan.batchTile, I = plan.inputSize, F = plan.outputSize
        let labels = plan.options.loss == .crossEntropy
        return """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <time.h>
        #include "trained_train.h"

        static void *load(const char *path, size_t bytes)
        {
            FILE *f = fopen(path, "rb");
            void *p = malloc(bytes ? bytes : 1);
            if (!f || !p || fread(p, 1, bytes, f) != bytes) { fprintf(stdout, "cannot read %s\\n", path); exit(3); }
            fclose(f);
            return p;
        }

        int main(int argc, char **argv)
        {
            if (argc != 16) return 2;
            const long N = atol(argv[5]), T = atol(argv[6]), epochs = atol(argv[7]), every = atol(argv[8]);
            const int esr = atoi(argv[9]), rule = atoi(argv[10]);
            const float lr = (float)atof(argv[11]), clip = (float)atof(argv[12]), a = (float)atof(argv[13]), b = (float)atof(argv[14]), c = (float)atof(argv[15]);
            const long tiles = N / \(B), windows = T / \(K);
            float *x = load(argv[1], (size_t)(N * T * \(I)) * sizeof(float));
            \(labels ? "int32_t *y = load(argv[2], (size_t)(N * T) * sizeof(int32_t));" : "float *y = load(argv[2], (size_t)(N * T * \(F)) * sizeof(float));")
            float *params = load(argv[3], \(plan.parameterCount) * sizeof(float));
            float *grads = calloc(\(plan.parameterCount), sizeof(float));
            float *opt = calloc(\(2 * plan.parameterCount + 2), sizeof(float));
            float *state = calloc((size_t)tiles * \(max(plan.stateFloats, 1)), sizeof(float));
            float *work = calloc(\(max(plan.workspaceFloats, 1)), sizeof(float));
            float *xw = calloc(\(B * K * I), sizeof(float));
            \(labels ? "int32_t *yw = calloc(\(B * K), sizeof(int32_t));" : "float *yw = calloc(\(B * K * F), sizeof(float));")
            if (!grads || !opt || !state || !work || !xw || !yw) return 4;
            (void)esr;
            if (rule == 1) for (int i = 0; i < \(plan.parameterCount); ++i) opt[i] = a;
            if (rule == 2) { opt[\(2 * plan.parameterCount)] = 1.0f; opt[\(2 * plan.parameterCount + 1)] = 1.0f; }
            for (long epoch = 1; epoch <= epochs; ++epoch) {
                memset(state, 0, (size_t)tiles * \(max(plan.stateFloats, 1)) * sizeof(float));
                double sum = 0.0;
                long count = 0;
                clock_t started = clock();
                for (long w = 0; w < windows; ++w) {
                    \(labels ? "const float scale = 1.0f / (float)(N * \(K));" : """
        double energy = 0.0;
                            for (long n = 0; n < N; ++n)
                                for (long k = 0; k < \(K * F); ++k) { const double v = y[(n * T + w * \(K)) * \(F) + k]; energy += v * v; }
                            const double count_floats = (double)(N * \(K * F));
                            const float scale = (float)(esr ? 1.0 / (count_floats * (energy / count_floats + 1e-5)) : 1.0 / count_floats);
        """)
                    float loss = 0.0f;
                    for (long tile = 0; tile < tiles; ++tile) {
                        for (long i = 0; i < \(B); ++i) {
                            const long n = tile * \(B) + i;
                            memcpy(xw + i * \(K * I), x + (n * T + w * \(K)) * \(I), \(K * I) * sizeof(float));
                            \(labels ? "memcpy(yw + i * \(K), y + n * T + w * \(K), \(K) * sizeof(int32_t));" : "memcpy(yw + i * \(K * F), y + (n * T + w * \(K)) * \(F), \(K * F) * sizeof(float));")
                        }
                        loss += \(p)_gradients(params, state + tile * \(max(plan.stateFloats, 1)), xw, yw, scale, grads, work);
                    }
                    if (rule == 0) \(p)_sgd(params, grads, opt, lr, a, clip);
                    else if (rule == 1) \(p)_adagrad(params, grads, opt, lr, clip);
                    else \(p)_adam(params, grads, opt, lr, a, b, c, clip);
                    sum += loss;
                    count += 1;
                    if (count == every || w == windows - 1) {
                        printf("progress %ld %ld %.9g %ld %.6f\\n", epoch, w + 1, sum / (double)count, count, (double)(clock() - started) / CLOCKS_PER_SEC);
                        fflush(stdout);
                        sum = 0.0;
                        count = 0;
                        started = clock();
                    }
                }
            }
            FILE *out = fopen(argv[4], "wb");
            if (!out || fwrite(params, sizeof(float), \(plan.parameterCount), out) != \(plan.parameterCount) || fclose(out) != 0) return 5;
            return 0;
        }

        """
    }
}
